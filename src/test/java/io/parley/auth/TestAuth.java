package io.parley.auth;

import com.auth0.jwt.algorithms.Algorithm;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.parley.testkit.TestKeys;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Auth settings as a deployment would load them, from the shipped defaults plus a test's own keys; and the claims of
 * the project's user tokens. Keys, JWKS and signing are {@link TestKeys}'.
 */
final class TestAuth {
  static final String SECRET = "test-secret-with-at-least-thirty-two-characters";
  static final String SUPABASE_URL = "https://abcd.supabase.co";
  static final String ISSUER = SUPABASE_URL + "/auth/v1";

  private TestAuth() {}

  /** Keys of {@code parley.auth}; the environment is ignored so that a developer's SUPABASE_* cannot leak in. */
  static AuthSettings settings(Map<String, ?> keys) {
    Map<String, Object> prefixed = new HashMap<>();
    keys.forEach((key, value) -> prefixed.put("parley.auth." + key, value));
    var config =
        ConfigFactory.parseMap(prefixed)
            .withFallback(ConfigFactory.parseResources("reference.conf"))
            .resolve(ConfigResolveOptions.noSystem());
    return AuthSettings.fromConfig(config);
  }

  static AuthSettings secretOnly() {
    return settings(Map.of("jwt-secret", SECRET));
  }

  /** The claims of a Supabase access token for {@code userId}, issued by {@link #ISSUER}, valid for an hour. */
  static Map<String, Object> userClaims(String userId, Instant now) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", "authenticated");
    claims.put("exp", now.getEpochSecond() + 3600);
    claims.put("iat", now.getEpochSecond());
    claims.put("iss", ISSUER);
    claims.put("sub", userId);
    claims.put("email", userId + "@example.test");
    claims.put("role", "authenticated");
    claims.put("aal", "aal1");
    claims.put("session_id", "0b6e3f7e-4a0c-4d2b-9a55-2f3c9d7e1a10");
    claims.put("is_anonymous", false);
    return claims;
  }

  /** {@code claims} signed HS256 with the project's {@link #SECRET}. */
  static String hs256(Map<String, ?> claims) {
    return TestKeys.sign(Algorithm.HMAC256(SECRET), null, claims);
  }
}
