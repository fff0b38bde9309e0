package io.parley.auth;

import static io.parley.auth.Rejections.rejectionOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.JWT;
import com.auth0.jwt.interfaces.DecodedJWT;
import io.parley.api.ApiError;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Dev mode's own secret, and the Supabase-shaped tokens minted with it. */
class DevTokensTest {
  private static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");

  private final MutableClock clock = new MutableClock(NOW);

  private static AuthSettings devMode() {
    return TestAuth.settings(Map.of("dev-mode-allowed", true));
  }

  @Test
  void devModeTokensVerify() {
    AuthSettings settings = devMode();
    TokenVerifier verifier = TokenVerifier.create(settings, clock);

    String token = new DevTokens(settings, clock).mint("user-1", "u1@example.test", Duration.ofHours(1));

    Principal principal = Verified.user(verifier, token);

    assertThat(principal.userId()).isEqualTo("user-1");
    assertThat(principal.email()).isEqualTo("u1@example.test");
    assertThat(principal.expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
    assertThat(principal.sessionId()).isNotBlank();
  }

  @Test
  void tokensOfOneDevModeNodeDoNotVerifyOnAnother() {
    String token = new DevTokens(devMode(), clock).mint("user-1", "u1@example.test", Duration.ofHours(1));
    TokenVerifier otherNode = TokenVerifier.create(devMode(), clock);

    assertThat(rejectionOf(otherNode::verifyUser, token)).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE);
  }

  @Test
  void mintsTokensShapedLikeSupabaseAccessTokens() {
    DecodedJWT jwt =
        JWT.decode(new DevTokens(devMode(), clock).mint("user-1", "u1@example.test", Duration.ofMinutes(5)));

    assertThat(jwt.getAlgorithm()).isEqualTo("HS256");
    assertThat(jwt.getType()).isEqualTo("JWT");
    assertThat(jwt.getClaims())
        .containsOnlyKeys(
            "aud", "exp", "iat", "iss", "sub", "email", "phone", "app_metadata", "user_metadata", "role", "aal", "amr",
            "session_id", "is_anonymous");
    assertThat(jwt.getAudience()).containsExactly("authenticated");
    assertThat(jwt.getIssuedAtAsInstant()).isEqualTo(NOW);
    assertThat(jwt.getExpiresAtAsInstant()).isEqualTo(NOW.plus(Duration.ofMinutes(5)));
    assertThat(jwt.getIssuer()).isEqualTo("parley-dev");
    assertThat(jwt.getClaim("phone").asString()).isEmpty();
    assertThat(jwt.getClaim("app_metadata").asMap())
        .isEqualTo(Map.of("provider", "email", "providers", List.of("email")));
    assertThat(jwt.getClaim("user_metadata").asMap()).isEmpty();
    assertThat(jwt.getClaim("role").asString()).isEqualTo("authenticated");
    assertThat(jwt.getClaim("aal").asString()).isEqualTo("aal1");
    assertThat(jwt.getClaim("amr").asList(Map.class))
        .containsExactly(Map.of("method", "password", "timestamp", (int) NOW.getEpochSecond()));
    assertThat(jwt.getClaim("session_id").asString()).matches("[0-9a-f-]{36}");
    assertThat(jwt.getClaim("is_anonymous").asBoolean()).isFalse();
  }

  @Test
  void usesTheProjectIssuerWhenTheSupabaseUrlIsKnown() {
    AuthSettings settings =
        TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "supabase-url", TestAuth.SUPABASE_URL + "/"));
    String token = new DevTokens(settings, clock).mint("user-1", "u1@example.test", Duration.ofHours(1));

    assertThat(JWT.decode(token).getIssuer()).isEqualTo(TestAuth.ISSUER);
    assertThat(Verified.user(TokenVerifier.create(settings, clock), token).userId()).isEqualTo("user-1");
  }

  @Test
  void mintsAServiceRoleKeyShapedLikeSupabases() {
    AuthSettings settings = devMode();
    String key = new DevTokens(settings, clock).mintService();
    DecodedJWT jwt = JWT.decode(key);

    assertThat(jwt.getIssuer()).isEqualTo("supabase");
    assertThat(jwt.getSubject()).isNull();
    assertThat(jwt.getAudience()).isNull();
    assertThat(Verified.service(TokenVerifier.create(settings, clock), key).role()).isEqualTo("service_role");
  }

  @Test
  void needsAnHs256Secret() {
    AuthSettings jwksOnly = TestAuth.settings(Map.of("supabase-url", TestAuth.SUPABASE_URL));

    assertThatThrownBy(() -> new DevTokens(jwksOnly)).isInstanceOf(IllegalStateException.class);
  }
}
