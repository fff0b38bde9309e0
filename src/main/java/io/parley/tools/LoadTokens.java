package io.parley.tools;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Signs access tokens the way Supabase's GoTrue signs them with the project's legacy HS256 secret, so that the load
 * generator needs nothing from the server but its {@code SUPABASE_JWT_SECRET}.
 */
final class LoadTokens {
  private final Algorithm algorithm;
  private final Instant expiresAt;

  LoadTokens(String secret, Instant expiresAt) {
    this.algorithm = Algorithm.HMAC256(secret);
    this.expiresAt = expiresAt;
  }

  String user(String userId) {
    return JWT.create()
        .withHeader(Map.of("typ", "JWT"))
        .withAudience("authenticated")
        .withExpiresAt(expiresAt)
        .withIssuedAt(Instant.now())
        .withSubject(userId)
        .withClaim("email", userId + "@loadgen.test")
        .withClaim("phone", "")
        .withClaim("app_metadata", Map.of("provider", "email", "providers", List.of("email")))
        .withClaim("user_metadata", Map.of())
        .withClaim("role", "authenticated")
        .withClaim("aal", "aal1")
        .withClaim("session_id", UUID.randomUUID().toString())
        .withClaim("is_anonymous", false)
        .sign(algorithm);
  }
}
