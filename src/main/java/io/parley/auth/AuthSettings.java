package io.parley.auth;

import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;

/**
 * How this node verifies Supabase access tokens, from {@code parley.auth}: the legacy HS256 secret, the project's
 * issuer and JWKS, and the time limits. In dev mode the secret is random and exists only in this process.
 */
public record AuthSettings(
    byte[] jwtSecret,
    String supabaseUrl,
    String jwksUrl,
    String audience,
    Duration leeway,
    Duration jwksCacheTtl,
    Duration jwksMaxStale,
    Duration jwksMinRefetchInterval,
    boolean devMode) {

  static final Duration MAX_LEEWAY = Duration.ofSeconds(30);
  static final Duration MAX_JWKS_CACHE_TTL = Duration.ofMinutes(10);
  static final Duration MAX_JWKS_MAX_STALE = Duration.ofMinutes(10);
  private static final int DEV_SECRET_BYTES = 32;

  public AuthSettings {
    jwtSecret = jwtSecret.clone();
    if (leeway.isNegative() || leeway.compareTo(MAX_LEEWAY) > 0) {
      throw new IllegalArgumentException("parley.auth.leeway must be between 0s and 30s, was " + leeway);
    }
    if (jwksCacheTtl.isNegative() || jwksMaxStale.isNegative() || jwksMinRefetchInterval.isNegative()) {
      throw new IllegalArgumentException("parley.auth JWKS durations must not be negative");
    }
    if (jwksMaxStale.compareTo(MAX_JWKS_MAX_STALE) > 0) {
      throw new IllegalArgumentException(
          "parley.auth.jwks-max-stale must be at most 10 minutes (keys Supabase revoked would keep verifying), was "
              + jwksMaxStale);
    }
    // Keys Supabase revokes must stop verifying soon, whatever the configuration asks.
    if (jwksCacheTtl.compareTo(MAX_JWKS_CACHE_TTL) > 0) jwksCacheTtl = MAX_JWKS_CACHE_TTL;
  }

  public static AuthSettings fromConfig(Config root) {
    Config auth = root.getConfig("parley.auth");
    String secret = auth.getString("jwt-secret");
    String supabaseUrl = withoutTrailingSlashes(auth.getString("supabase-url").trim());
    if (!supabaseUrl.isEmpty() && !supabaseUrl.matches("(?i)https?://.+")) {
      throw new IllegalArgumentException(
          "parley.auth.supabase-url must be an http(s) URL such as https://abcd.supabase.co");
    }
    String jwksUrl = auth.getString("jwks-url").trim();
    if (jwksUrl.isEmpty() && !supabaseUrl.isEmpty()) jwksUrl = supabaseUrl + "/auth/v1/.well-known/jwks.json";
    boolean devMode = auth.getBoolean("dev-mode-allowed") && secret.isEmpty() && jwksUrl.isEmpty();
    return new AuthSettings(
        devMode ? randomSecret() : secret.getBytes(StandardCharsets.UTF_8),
        supabaseUrl,
        jwksUrl,
        auth.getString("audience"),
        auth.getDuration("leeway"),
        auth.getDuration("jwks-cache-ttl"),
        auth.getDuration("jwks-max-stale"),
        auth.getDuration("jwks-min-refetch-interval"),
        devMode);
  }

  /** A copy: the secret must not be changed behind the verifier's back. */
  @Override
  public byte[] jwtSecret() {
    return jwtSecret.clone();
  }

  public boolean hasJwtSecret() {
    return jwtSecret.length > 0;
  }

  public boolean hasJwks() {
    return !jwksUrl.isEmpty();
  }

  /** The {@code iss} of the project's access tokens, when the project URL is known. */
  public Optional<String> issuer() {
    return supabaseUrl.isEmpty() ? Optional.empty() : Optional.of(supabaseUrl + "/auth/v1");
  }

  /** Settings end up in logs; the secret must not. */
  @Override
  public String toString() {
    return "AuthSettings[jwtSecret=" + (hasJwtSecret() ? "***" : "none") + ", supabaseUrl=" + supabaseUrl
        + ", jwksUrl=" + jwksUrl + ", audience=" + audience + ", leeway=" + leeway + ", jwksCacheTtl=" + jwksCacheTtl
        + ", jwksMaxStale=" + jwksMaxStale + ", jwksMinRefetchInterval=" + jwksMinRefetchInterval + ", devMode="
        + devMode + "]";
  }

  private static byte[] randomSecret() {
    byte[] secret = new byte[DEV_SECRET_BYTES];
    new SecureRandom().nextBytes(secret);
    return secret;
  }

  private static String withoutTrailingSlashes(String url) {
    return url.replaceAll("/+$", "");
  }
}
