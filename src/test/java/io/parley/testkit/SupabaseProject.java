package io.parley.testkit;

import com.auth0.jwt.algorithms.Algorithm;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node of a Supabase project as production runs it: it knows the project's HS256 secret and fetches the RS256 and
 * ES256 keys from the project's JWKS endpoint, here a local {@link TestJwksServer}. Tokens are signed for real.
 */
public final class SupabaseProject implements AutoCloseable {
  private final TestKeys keys = new TestKeys();
  private final TestJwksServer jwks = new TestJwksServer(keys.jwks());
  private final TestDatabase database;
  private final TestNode node;

  private SupabaseProject(Config overrides) {
    database = TestDatabase.h2();
    try {
      node =
          TestNode.start(
              database,
              overrides.withFallback(
                  ConfigFactory.parseMap(
                      Map.of(
                          "parley.auth.jwt-secret", TestNode.JWT_SECRET,
                          "parley.auth.supabase-url", jwks.supabaseUrl()))));
    } catch (RuntimeException | Error failure) {
      database.close();
      jwks.close();
      throw failure;
    }
  }

  public static SupabaseProject start() {
    return new SupabaseProject(ConfigFactory.empty());
  }

  public static SupabaseProject start(Config overrides) {
    return new SupabaseProject(overrides);
  }

  public TestNode node() {
    return node;
  }

  public TestJwksServer jwks() {
    return jwks;
  }

  public TestKeys keys() {
    return keys;
  }

  /** The issuer of this project's access tokens. */
  public String issuer() {
    return jwks.supabaseUrl() + "/auth/v1";
  }

  /** The claims Supabase Auth puts in the access token of {@code userId}, valid for an hour from now. */
  public Map<String, Object> userClaims(String userId) {
    long now = Instant.now().getEpochSecond();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", "authenticated");
    claims.put("exp", now + 3600);
    claims.put("iat", now);
    claims.put("iss", issuer());
    claims.put("sub", userId);
    claims.put("email", userId + "@example.test");
    claims.put("role", "authenticated");
    return claims;
  }

  /** Signed with the project's legacy HS256 secret: verified without the JWKS. */
  public String hs256(Map<String, Object> claims) {
    return TestKeys.sign(Algorithm.HMAC256(TestNode.JWT_SECRET), null, claims);
  }

  /** Signed with the JWKS's RSA key. */
  public String rs256(Map<String, Object> claims) {
    return TestKeys.sign(keys.rsaSigner(), TestKeys.RSA_KID, claims);
  }

  /** Signed with the JWKS's P-256 key. */
  public String es256(Map<String, Object> claims) {
    return TestKeys.sign(keys.ecSigner(), TestKeys.EC_KID, claims);
  }

  /** Waits for the node's background work to settle, then stops the node, its database and the JWKS endpoint. */
  @Override
  public void close() {
    try {
      NodeReadiness.awaitSettled(node.node());
    } finally {
      try {
        node.close();
      } finally {
        database.close();
        jwks.close();
      }
    }
  }
}
