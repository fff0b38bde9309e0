package io.parley.auth;

import java.time.Instant;

/**
 * Who a verified token speaks for. {@code userId} is the token's {@code sub}; it is null only for a Supabase
 * service_role API key, which acts for no user. {@code email} and {@code sessionId} are null when the token has none.
 */
public record Principal(String userId, String role, String email, Instant expiresAt, String sessionId) {}
