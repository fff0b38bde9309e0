package io.parley.testkit;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Access tokens signed the way Supabase's GoTrue signs them with the legacy HS256 secret. */
public final class TestTokens {
  private TestTokens() {}

  public static String user(String userId) {
    return user(userId, TestNode.JWT_SECRET, Instant.now().plusSeconds(3600));
  }

  public static String user(String userId, String secret, Instant expiresAt) {
    Instant now = Instant.now();
    return JWT.create()
        .withHeader(Map.of("typ", "JWT"))
        .withAudience("authenticated")
        .withExpiresAt(expiresAt)
        .withIssuedAt(now)
        .withSubject(userId)
        .withClaim("email", userId + "@example.test")
        .withClaim("phone", "")
        .withClaim("app_metadata", Map.of("provider", "email", "providers", List.of("email")))
        .withClaim("user_metadata", Map.of())
        .withClaim("role", "authenticated")
        .withClaim("aal", "aal1")
        .withClaim("session_id", UUID.randomUUID().toString())
        .withClaim("is_anonymous", false)
        .sign(Algorithm.HMAC256(secret));
  }
}
