package io.parley.auth;

import java.time.Instant;

/**
 * Who a verified token speaks for. {@code userId} is the token's {@code sub}; it is null only for a Supabase
 * service_role API key, which acts for no user. {@code email} and {@code sessionId} are null when the token has none.
 * {@code displayName} is the user's name as Supabase Auth keeps it ({@code user_metadata.full_name}, else
 * {@code user_metadata.name}), cleaned, null when it has none: what others see of the sender on a message notification.
 * Supabase signs it, but the user chose it. {@code expiresAt} is the token's {@code exp}; {@code validUntil} is when
 * the verifier starts refusing it, {@code exp} plus the leeway for clock skew, and so when a session on it must end.
 */
public record Principal(
    String userId,
    String role,
    String email,
    Instant expiresAt,
    Instant validUntil,
    String sessionId,
    String displayName) {}
