package io.parley.testkit;

import io.parley.auth.DevTokens;
import java.time.Duration;
import java.time.Instant;

/** Access tokens signed the way Supabase's GoTrue signs them with the legacy HS256 secret, by the product's own minting. */
public final class TestTokens {
  private TestTokens() {}

  public static String user(String userId) {
    return user(userId, TestNode.JWT_SECRET, Instant.now().plusSeconds(3600));
  }

  /** A user whose Supabase profile has {@code user_metadata} (a {@code full_name}, say). */
  public static String user(String userId, java.util.Map<String, ?> userMetadata) {
    return DevTokens.signingWith(TestNode.JWT_SECRET)
        .mint(userId, userId + "@example.test", userMetadata, Duration.ofHours(1));
  }

  /** Supabase's service_role API key for the test project: what the platform's backend calls admin routes with. */
  public static String serviceRole() {
    return DevTokens.signingWith(TestNode.JWT_SECRET).mintService();
  }

  public static String user(String userId, String secret, Instant expiresAt) {
    return DevTokens.signingWith(secret)
        .mint(userId, userId + "@example.test", Duration.between(Instant.now(), expiresAt));
  }
}
