package io.parley.auth;

import com.typesafe.config.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * How this node verifies Supabase access tokens, from {@code parley.auth}: the legacy HS256 secret, the project's
 * issuer and JWKS, the time limits, and the admin token. In dev mode the secret is random and exists only in this
 * process. Settings that would let someone mint tokens (a short secret or admin token, keys fetched over plain HTTP)
 * or hammer Supabase (no refetch interval) stop the node at startup.
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
    String adminToken,
    boolean devMode) {

  static final Duration MAX_LEEWAY = Duration.ofSeconds(30);
  static final Duration MAX_JWKS_CACHE_TTL = Duration.ofMinutes(10);
  static final Duration MAX_JWKS_MAX_STALE = Duration.ofMinutes(10);
  /** Supabase's own secrets are longer; a shorter one can be brute-forced offline from a single token. */
  static final int MIN_SECRET_BYTES = 32;
  static final int MIN_ADMIN_TOKEN_CHARS = 32;
  private static final int DEV_SECRET_BYTES = 32;
  private static final Set<String> LOOPBACK_HOSTS = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

  public AuthSettings {
    jwtSecret = jwtSecret.clone();
    if (jwtSecret.length > 0 && jwtSecret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "parley.auth.jwt-secret (SUPABASE_JWT_SECRET) must be at least " + MIN_SECRET_BYTES + " bytes, was "
              + jwtSecret.length + ": a shorter HS256 secret can be guessed offline from one token");
    }
    if (!adminToken.isEmpty() && adminToken.length() < MIN_ADMIN_TOKEN_CHARS) {
      throw new IllegalArgumentException(
          "parley.auth.admin-token (PARLEY_ADMIN_TOKEN) must be at least " + MIN_ADMIN_TOKEN_CHARS
              + " characters when set, was " + adminToken.length() + "; openssl rand -hex 32 makes one");
    }
    requireSecureUrl("supabase-url (SUPABASE_URL)", supabaseUrl);
    requireSecureUrl("jwks-url", jwksUrl);
    if (leeway.isNegative() || leeway.compareTo(MAX_LEEWAY) > 0) {
      throw new IllegalArgumentException("parley.auth.leeway must be between 0s and 30s, was " + leeway);
    }
    if (jwksCacheTtl.isNegative() || jwksMaxStale.isNegative() || jwksMinRefetchInterval.isNegative()) {
      throw new IllegalArgumentException("parley.auth JWKS durations must not be negative");
    }
    if (jwksMinRefetchInterval.isZero()) {
      throw new IllegalArgumentException(
          "parley.auth.jwks-min-refetch-interval must be more than 0: tokens with made-up kids would make the node "
              + "fetch the JWKS back to back");
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
        auth.getString("admin-token"),
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
        + ", jwksMaxStale=" + jwksMaxStale + ", jwksMinRefetchInterval=" + jwksMinRefetchInterval + ", adminToken="
        + (adminToken.isEmpty() ? "none" : "***") + ", devMode=" + devMode + "]";
  }

  /**
   * Keys fetched over plain HTTP could be swapped by anyone on the path, who could then sign service_role tokens;
   * only a loopback address (local tests and development) is exempt.
   */
  private static void requireSecureUrl(String setting, String url) {
    if (url.isEmpty()) return;
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("parley.auth." + setting + " is not a URL: " + url);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    if (scheme.equals("https") && !host.isEmpty()) return;
    if (scheme.equals("http") && LOOPBACK_HOSTS.contains(host)) return;
    throw new IllegalArgumentException(
        "parley.auth." + setting + " must be an https URL (plain http only to localhost, 127.0.0.1 or [::1]): "
            + "signing keys fetched over http could be replaced on the way, was " + url);
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
