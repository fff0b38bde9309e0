package io.parley.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Mints HS256 tokens shaped exactly like Supabase's, signed with the configured secret: for dev mode, where the node
 * made its own secret, and for tests.
 */
public final class DevTokens {
  /** The issuer of tokens minted without a Supabase project. */
  static final String DEV_ISSUER = "parley-dev";
  /** Supabase's API keys are minted to last ten years. */
  private static final Duration SERVICE_KEY_LIFETIME = Duration.ofDays(3650);

  private final Algorithm signer;
  private final String issuer;
  private final String audience;
  private final Clock clock;

  public DevTokens(AuthSettings settings) {
    this(settings, Clock.systemUTC());
  }

  public DevTokens(AuthSettings settings, Clock clock) {
    this(requireSecret(settings), settings.issuer().orElse(DEV_ISSUER), settings.audience(), clock);
  }

  private DevTokens(Algorithm signer, String issuer, String audience, Clock clock) {
    this.signer = signer;
    this.issuer = issuer;
    this.audience = audience;
    this.clock = clock;
  }

  /** Tokens for a node without a Supabase URL whose HS256 secret is known: load generators and tests. */
  public static DevTokens signingWith(String secret) {
    return new DevTokens(Algorithm.HMAC256(secret), DEV_ISSUER, "authenticated", Clock.systemUTC());
  }

  private static Algorithm requireSecret(AuthSettings settings) {
    if (!settings.hasJwtSecret()) {
      throw new IllegalStateException("minting tokens needs an HS256 secret: dev mode or parley.auth.jwt-secret");
    }
    return Algorithm.HMAC256(settings.jwtSecret());
  }

  /** An access token of a user signed in with email and password, as Supabase Auth issues it. */
  public String mint(String userId, String email, Duration ttl) {
    return mint(userId, email, Map.of(), ttl);
  }

  /** The same, with the {@code user_metadata} Supabase Auth keeps for the user (a {@code full_name}, say). */
  public String mint(String userId, String email, Map<String, ?> userMetadata, Duration ttl) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    return JWT.create()
        .withHeader(Map.of("typ", "JWT"))
        .withAudience(audience)
        .withExpiresAt(now.plus(ttl))
        .withIssuedAt(now)
        .withIssuer(issuer)
        .withSubject(userId)
        .withClaim("email", email)
        .withClaim("phone", "")
        .withClaim("app_metadata", Map.of("provider", "email", "providers", List.of("email")))
        .withClaim("user_metadata", userMetadata)
        .withClaim("role", "authenticated")
        .withClaim("aal", "aal1")
        .withClaim("amr", List.of(Map.of("method", "password", "timestamp", now.getEpochSecond())))
        .withClaim("session_id", UUID.randomUUID().toString())
        .withClaim("is_anonymous", false)
        .sign(signer);
  }

  /** A service_role API key as Supabase hands them out: issuer {@code supabase}, no user, no audience. */
  public String mintService() {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    return JWT.create()
        .withHeader(Map.of("typ", "JWT"))
        .withIssuer("supabase")
        .withClaim("role", "service_role")
        .withIssuedAt(now)
        .withExpiresAt(now.plus(SERVICE_KEY_LIFETIME))
        .sign(signer);
  }
}
