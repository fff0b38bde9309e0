package io.parley.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.SignatureVerificationException;
import com.auth0.jwt.interfaces.DecodedJWT;
import io.parley.Texts;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.LongSupplier;

/**
 * Verifies Supabase access tokens for REST and WebSocket alike; thread-safe, one per node. The verifying algorithm
 * comes from this server's configuration and the JWKS key, never from the token's header.
 */
public final class TokenVerifier {
  private static final int MAX_TOKEN_LENGTH = 16 * 1024;
  private static final Set<String> ACCEPTED_ALGORITHMS = Set.of("HS256", "RS256", "ES256");
  /** The {@code iss} of Supabase's anon and service_role API keys, which are no user's session. */
  private static final String API_KEY_ISSUER = "supabase";

  /** What a token must be, besides well signed and within its lifetime. */
  private enum Kind {
    USER("authenticated"),
    SERVICE("service_role");

    final String role;

    Kind(String role) {
      this.role = role;
    }
  }

  private final AuthSettings settings;
  private final Optional<Algorithm> sharedSecret;
  private final Optional<JwksKeyProvider> jwks;
  private final Clock clock;

  private TokenVerifier(
      AuthSettings settings, Optional<Algorithm> sharedSecret, Optional<JwksKeyProvider> jwks, Clock clock) {
    this.settings = settings;
    this.sharedSecret = sharedSecret;
    this.jwks = jwks;
    this.clock = clock;
  }

  public static TokenVerifier create(AuthSettings settings) {
    return create(settings, Clock.systemUTC());
  }

  /** {@code clock} checks exp and nbf; JWKS ages are measured on {@link System#nanoTime}, which never steps back. */
  public static TokenVerifier create(AuthSettings settings, Clock clock) {
    return create(settings, clock, System::nanoTime);
  }

  /** Fails fast when the settings give no way to verify any token. */
  static TokenVerifier create(AuthSettings settings, Clock clock, LongSupplier ticker) {
    if (!settings.hasJwtSecret() && !settings.hasJwks()) {
      throw new IllegalStateException(
          "No way to verify access tokens: set SUPABASE_JWT_SECRET (the project's legacy JWT secret) or SUPABASE_URL "
              + "(https://<project>.supabase.co, whose JWKS holds the signing keys). For local use only, "
              + "parley.auth.dev-mode-allowed = on makes the node sign its own tokens.");
    }
    Optional<Algorithm> sharedSecret =
        settings.hasJwtSecret() ? Optional.of(Algorithm.HMAC256(settings.jwtSecret())) : Optional.empty();
    Optional<JwksKeyProvider> jwks =
        settings.hasJwks()
            ? Optional.of(
                new JwksKeyProvider(
                    URI.create(settings.jwksUrl()),
                    settings.jwksCacheTtl(),
                    settings.jwksMaxStale(),
                    settings.jwksMinRefetchInterval(),
                    ticker))
            : Optional.empty();
    return new TokenVerifier(settings, sharedSecret, jwks, clock);
  }

  /** A signed-in user's access token: role {@code authenticated}. */
  public CompletionStage<Principal> verifyUser(String token) {
    return verify(token, Kind.USER);
  }

  /** Supabase's service_role key, or a service_role token the project issued. */
  public CompletionStage<Principal> verifyService(String token) {
    return verify(token, Kind.SERVICE);
  }

  /**
   * Completes at once unless the JWKS must be fetched first; a rejection fails the stage with an {@link ApiException}
   * (never throws).
   */
  private CompletionStage<Principal> verify(String token, Kind kind) {
    DecodedJWT jwt;
    CompletableFuture<Algorithm> algorithm;
    try {
      jwt = decode(token);
      algorithm = verifierFor(jwt);
    } catch (ApiException rejected) {
      return CompletableFuture.failedFuture(rejected);
    }
    return algorithm.thenApply(
        key -> {
          try {
            key.verify(jwt);
          } catch (SignatureVerificationException e) {
            throw new ApiException(ApiError.TOKEN_BAD_SIGNATURE, "the token's signature does not match");
          }
          return principal(jwt, kind);
        });
  }

  private static DecodedJWT decode(String token) {
    if (token == null || token.isBlank()) throw new ApiException(ApiError.TOKEN_MISSING, "an access token is required");
    // Bounds the work an attacker can make base64 and JSON parsing do.
    if (token.length() > MAX_TOKEN_LENGTH) throw new ApiException(ApiError.TOKEN_MALFORMED, "the token is too long");
    try {
      return JWT.decode(token);
    } catch (RuntimeException e) {
      // Mostly JWTDecodeException, but not only: an exp beyond Instant's range throws DateTimeException.
      throw new ApiException(ApiError.TOKEN_MALFORMED, "the token is not a well-formed JWT");
    }
  }

  /** The header only names a candidate; the configured secret or the JWKS key decides how to verify. */
  private CompletableFuture<Algorithm> verifierFor(DecodedJWT jwt) {
    String declared = jwt.getAlgorithm();
    if (declared == null || !ACCEPTED_ALGORITHMS.contains(declared)) {
      throw new ApiException(ApiError.TOKEN_ALGORITHM_REJECTED, "only HS256, RS256 and ES256 tokens are accepted");
    }
    if (declared.equals("HS256")) {
      return CompletableFuture.completedFuture(sharedSecret.orElseThrow(
          () -> new ApiException(ApiError.TOKEN_ALGORITHM_REJECTED, "HS256 tokens are not accepted by this server")));
    }
    JwksKeyProvider keys =
        jwks.orElseThrow(
            () ->
                new ApiException(
                    ApiError.TOKEN_ALGORITHM_REJECTED, declared + " tokens are not accepted by this server"));
    if (jwt.getKeyId() == null) throw new ApiException(ApiError.TOKEN_KEY_UNKNOWN, "the token names no signing key");
    return keys.key(jwt.getKeyId())
        .thenApply(
            key -> {
              if (!key.getName().equals(declared)) {
                throw new ApiException(
                    ApiError.TOKEN_ALGORITHM_REJECTED, "the token's algorithm does not match its signing key");
              }
              return key;
            });
  }

  private Principal principal(DecodedJWT jwt, Kind kind) {
    Instant now = clock.instant();
    Instant expiresAt = jwt.getExpiresAtAsInstant();
    if (expiresAt == null) throw new ApiException(ApiError.TOKEN_MISSING_CLAIM, "the token has no exp claim");
    Instant validUntil = validUntil(expiresAt);
    if (!now.isBefore(validUntil)) throw new ApiException(ApiError.TOKEN_EXPIRED, "the token has expired");
    Instant notBefore = jwt.getNotBeforeAsInstant();
    if (notBefore != null && notBefore.isAfter(now.plus(settings.leeway()))) {
      throw new ApiException(ApiError.TOKEN_NOT_YET_VALID, "the token is not valid yet");
    }
    // Before aud, iss and sub: Supabase's anon and service_role keys lack them, and "wrong role" is the useful answer.
    String role = jwt.getClaim("role").asString();
    if (!kind.role.equals(role)) {
      throw new ApiException(ApiError.TOKEN_ROLE_REJECTED, "this needs a token with role " + kind.role);
    }
    if (kind == Kind.USER) checkUserSession(jwt);
    else checkServiceIssuer(jwt);
    return new Principal(
        subject(jwt),
        role,
        nonBlank(jwt.getClaim("email").asString()),
        expiresAt,
        validUntil,
        jwt.getClaim("session_id").asString(),
        displayName(jwt));
  }

  /**
   * The one definition of when a token stops being accepted, which REST checks and a WebSocket session closes at: a
   * token the verifier took must not end the session that took it a moment later.
   */
  private Instant validUntil(Instant expiresAt) {
    // An exp near Instant.MAX would overflow.
    return expiresAt.isAfter(Instant.MAX.minus(settings.leeway())) ? Instant.MAX : expiresAt.plus(settings.leeway());
  }

  /** Longest display name kept, in code points: it titles other people's notifications. */
  static final int MAX_DISPLAY_NAME = 64;

  /**
   * Supabase's OAuth providers fill both; an email sign-up has whatever the app put in the user's metadata. Signed by
   * Supabase but chosen by the user (auth.updateUser sets it), so it is cleaned before it titles anyone's
   * notifications: no control characters (a line break becomes a space), no bidi overrides that would show it
   * reversed, and at most {@link #MAX_DISPLAY_NAME} code points. Metadata that cannot be read as a map (nested past
   * Jackson's limit of 1,000 levels, which the user can do) gives no name: the token is no less valid for it.
   */
  private static String displayName(DecodedJWT jwt) {
    java.util.Map<String, Object> metadata;
    try {
      metadata = jwt.getClaim("user_metadata").asMap();
    } catch (RuntimeException unreadable) {
      return null;
    }
    if (metadata == null) return null;
    for (String key : List.of("full_name", "name")) {
      if (metadata.get(key) instanceof String name && nonBlank(cleanName(name)) != null) return cleanName(name);
    }
    return null;
  }

  static String cleanName(String name) {
    StringBuilder clean = new StringBuilder(name.length());
    name.codePoints()
        .filter(cp -> !isBidiControl(cp) && !isHiddenFormat(cp))
        // Line and paragraph separators break a notification's title as a newline would.
        .map(cp -> Texts.isSpace(cp) ? ' ' : cp)
        // A lone surrogate is text no encoding holds: the journal would refuse the notification that names the user.
        .map(cp -> Character.getType(cp) == Character.SURROGATE ? 0xFFFD : cp)
        .forEach(clean::appendCodePoint);
    return Texts.shortened(clean.toString().replaceAll("\\s+", " ").strip(), MAX_DISPLAY_NAME);
  }

  /**
   * Format characters that show nothing (a zero-width space, a soft hyphen, a BOM), except the joiners that emoji
   * sequences and some scripts need (U+200C, U+200D) and the tags of flag emoji (U+E0020-E007F).
   */
  private static boolean isHiddenFormat(int cp) {
    return Character.getType(cp) == Character.FORMAT && cp != 0x200C && cp != 0x200D && !(cp >= 0xE0020 && cp <= 0xE007F);
  }

  /** Marks, embeddings, overrides and isolates: U+061C, U+200E-200F, U+202A-202E, U+2066-2069. */
  private static boolean isBidiControl(int cp) {
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
  }

  private void checkUserSession(DecodedJWT jwt) {
    List<String> audience = jwt.getAudience();
    if (audience == null || !audience.contains(settings.audience())) {
      throw new ApiException(ApiError.TOKEN_BAD_AUDIENCE, "the token is not meant for " + settings.audience());
    }
    Optional<String> issuer = settings.issuer();
    if (issuer.isPresent() && !issuer.get().equals(jwt.getIssuer())) throw badIssuer();
    String subject = subject(jwt);
    if (nonBlank(subject) == null) {
      throw new ApiException(ApiError.TOKEN_MISSING_CLAIM, "the token has no sub claim (a non-blank string)");
    }
    // The sub becomes the user id everywhere, keys of VARCHAR(128) columns among them.
    if (!UserIds.isValid(subject)) {
      throw new ApiException(
          ApiError.TOKEN_BAD_SUBJECT, "the token's sub is not a valid user id (1-128 of A-Z a-z 0-9 . _ : @ | + -)");
    }
  }

  /**
   * The sub when it is a string, as Supabase's always is (a UUID), else null, as if it were missing:
   * {@link DecodedJWT#getSubject} gives the text of a number or a boolean, and a sub of 12345 or true would be taken
   * for the user of that name.
   */
  private static String subject(DecodedJWT jwt) {
    return jwt.getClaim("sub").asString();
  }

  /** Supabase's API keys carry no sub or aud, and the issuer {@code supabase} rather than the auth server's. */
  private void checkServiceIssuer(DecodedJWT jwt) {
    Optional<String> issuer = settings.issuer();
    String actual = jwt.getIssuer();
    if (issuer.isPresent() && !issuer.get().equals(actual) && !API_KEY_ISSUER.equals(actual)) throw badIssuer();
  }

  private static ApiException badIssuer() {
    return new ApiException(ApiError.TOKEN_BAD_ISSUER, "the token was not issued by this project");
  }

  private static String nonBlank(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
