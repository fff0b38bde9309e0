package io.parley.auth;

import static io.parley.auth.Rejections.rejectionOf;
import static io.parley.auth.TestAuth.hs256;
import static io.parley.auth.TestAuth.userClaims;
import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.algorithms.Algorithm;
import io.parley.api.ApiError;
import io.parley.api.Json;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lifetime, audience, issuer, subject and role of well-signed tokens (HS256 here; the checks do not depend on it). */
class TokenClaimsTest {
  private static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");

  private final MutableClock clock = new MutableClock(NOW);
  private final AuthSettings settings =
      TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "supabase-url", TestAuth.SUPABASE_URL, "leeway", "10s"));
  private final TokenVerifier verifier = TokenVerifier.create(settings, clock);
  private final DevTokens supabase = new DevTokens(settings, clock);

  private static String userTokenWith(String claim, Object value) {
    Map<String, Object> claims = userClaims("user-1", NOW);
    if (value == null) claims.remove(claim);
    else claims.put(claim, value);
    return hs256(claims);
  }

  @Test
  void theDisplayNameTheUserChoseLosesControlAndBidiCharactersAndIsBounded() {
    String spoofing = "Ana\u202E nimdA\u202C\n\tSecurity\u0007 Team\u2066";
    assertThat(Verified.user(verifier, userTokenWith("user_metadata", Map.of("full_name", spoofing))).displayName())
        .isEqualTo("Ana nimdA Security Team");

    String endless = "Ana " + "🙂".repeat(200);
    String bounded = Verified.user(verifier, userTokenWith("user_metadata", Map.of("name", endless))).displayName();
    assertThat(bounded.codePointCount(0, bounded.length())).isEqualTo(TokenVerifier.MAX_DISPLAY_NAME);
    assertThat(bounded).startsWith("Ana 🙂");

    assertThat(Verified.user(verifier, userTokenWith("user_metadata", Map.of("full_name", "\u202E\n", "name", "Bo"))).displayName())
        .as("a name that is nothing but controls counts as none").isEqualTo("Bo");

    // Separators that break a title's line, and characters that show nothing; joiners of emoji sequences stay.
    String separated = "Parley\u2028Security Team\u200b\u200b\u200b\u2029verify\u00a0\u00a0your account \uD83D\uDC69\u200D\uD83D\uDCBB";
    assertThat(Verified.user(verifier, userTokenWith("user_metadata", Map.of("full_name", separated))).displayName())
        .isEqualTo("Parley Security Team verify your account \uD83D\uDC69\u200D\uD83D\uDCBB");
    assertThat(Verified.user(verifier, userTokenWith("user_metadata", Map.of("full_name", "\u200b\u2029\u00ad", "name", "Bo"))).displayName())
        .as("a name of zero-width characters counts as none").isEqualTo("Bo");

    // Signed by hand: a JSON escape is the only way to put a lone surrogate into a token.
    Map<String, Object> claims = userClaims("user-1", NOW);
    claims.put("user_metadata", Map.of("full_name", "Ana LONE!"));
    byte[] header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8);
    byte[] payload = Json.write(claims).replace("LONE", "\\" + "ud800").getBytes(StandardCharsets.UTF_8);
    Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
    String unsigned = base64.encodeToString(header) + "." + base64.encodeToString(payload);
    String token =
        unsigned + "." + base64.encodeToString(Algorithm.HMAC256(TestAuth.SECRET).sign(
            unsigned.substring(0, unsigned.indexOf('.')).getBytes(StandardCharsets.US_ASCII),
            unsigned.substring(unsigned.indexOf('.') + 1).getBytes(StandardCharsets.US_ASCII)));
    assertThat(Verified.user(verifier, token).displayName()).isEqualTo("Ana \uFFFD!");
  }

  @Test
  void rejectsAnExpiredToken() {
    String token = userTokenWith("exp", NOW.minusSeconds(11).getEpochSecond());

    assertThat(rejectionOf(verifier::verifyUser, token)).isEqualTo(ApiError.TOKEN_EXPIRED);
  }

  @Test
  void acceptsATokenExpiredJustInsideTheLeeway() {
    String token = userTokenWith("exp", NOW.minusSeconds(9).getEpochSecond());

    assertThat(Verified.user(verifier, token).userId()).isEqualTo("user-1");
  }

  @Test
  void rejectsATokenExpiredExactlyByTheLeeway() {
    String token = userTokenWith("exp", NOW.minusSeconds(10).getEpochSecond());

    assertThat(rejectionOf(verifier::verifyUser, token)).isEqualTo(ApiError.TOKEN_EXPIRED);
  }

  @Test
  void rejectsAValidTokenOnceTheClockPassesItsExpiry() {
    String token = hs256(userClaims("user-1", NOW));
    clock.advance(Duration.ofSeconds(3600 + 10));

    assertThat(rejectionOf(verifier::verifyUser, token)).isEqualTo(ApiError.TOKEN_EXPIRED);
  }

  @Test
  void aTokenIsValidUntilItsExpPlusTheLeewayTheInstantTheVerifierStartsRefusingIt() {
    String token = hs256(userClaims("user-1", NOW));
    Instant validUntil = Verified.user(verifier, token).validUntil();
    assertThat(validUntil).isEqualTo(NOW.plusSeconds(3600 + 10));

    clock.advance(Duration.between(NOW, validUntil).minusMillis(1));
    assertThat(Verified.user(verifier, token).userId()).isEqualTo("user-1");
    clock.advance(Duration.ofMillis(1));
    assertThat(rejectionOf(verifier::verifyUser, token)).isEqualTo(ApiError.TOKEN_EXPIRED);
  }

  @Test
  void aTokenExpiringAtTheEndOfTimeIsValidUntilThen() {
    String token = userTokenWith("exp", Instant.MAX.getEpochSecond());

    assertThat(Verified.user(verifier, token).validUntil()).isEqualTo(Instant.MAX);
  }

  @Test
  void rejectsATokenWithoutExp() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("exp", null))).isEqualTo(ApiError.TOKEN_MISSING_CLAIM);
  }

  @Test
  void rejectsANotBeforeBeyondTheLeeway() {
    String token = userTokenWith("nbf", NOW.plusSeconds(11).getEpochSecond());

    assertThat(rejectionOf(verifier::verifyUser, token)).isEqualTo(ApiError.TOKEN_NOT_YET_VALID);
  }

  @Test
  void acceptsANotBeforeWithinTheLeeway() {
    assertThat(Verified.user(verifier, userTokenWith("nbf", NOW.plusSeconds(9).getEpochSecond())).userId())
        .isEqualTo("user-1");
  }

  @Test
  void rejectsAnotherAudience() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("aud", "anon"))).isEqualTo(ApiError.TOKEN_BAD_AUDIENCE);
  }

  @Test
  void rejectsATokenWithoutAudience() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("aud", null))).isEqualTo(ApiError.TOKEN_BAD_AUDIENCE);
  }

  @Test
  void acceptsAnAudienceListThatContainsTheConfiguredAudience() {
    String token = userTokenWith("aud", List.of("other", "authenticated"));

    assertThat(Verified.user(verifier, token).userId()).isEqualTo("user-1");
  }

  @Test
  void requiresTheConfiguredAudience() {
    AuthSettings custom = TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "audience", "parley"));
    TokenVerifier strict = TokenVerifier.create(custom, clock);

    assertThat(rejectionOf(strict::verifyUser, hs256(userClaims("user-1", NOW))))
        .isEqualTo(ApiError.TOKEN_BAD_AUDIENCE);
    assertThat(Verified.user(strict, userTokenWith("aud", "parley")).userId()).isEqualTo("user-1");
  }

  @Test
  void rejectsAnotherIssuer() {
    String token = userTokenWith("iss", "https://other.supabase.co/auth/v1");

    assertThat(rejectionOf(verifier::verifyUser, token)).isEqualTo(ApiError.TOKEN_BAD_ISSUER);
  }

  @Test
  void rejectsATokenWithoutIssuerWhenTheProjectIsKnown() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("iss", null))).isEqualTo(ApiError.TOKEN_BAD_ISSUER);
  }

  @Test
  void ignoresTheIssuerWhenNoSupabaseUrlIsConfigured() {
    TokenVerifier secretOnly = TokenVerifier.create(TestAuth.secretOnly(), clock);

    assertThat(Verified.user(secretOnly, userTokenWith("iss", "anything")).userId()).isEqualTo("user-1");
  }

  @Test
  void rejectsATokenWithoutSub() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("sub", null))).isEqualTo(ApiError.TOKEN_MISSING_CLAIM);
  }

  @Test
  void rejectsABlankSub() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("sub", "  "))).isEqualTo(ApiError.TOKEN_MISSING_CLAIM);
  }

  @Test
  void rejectsASubThatIsNotAStringAsIfItWereMissing() {
    for (Object sub : List.of(12345, true, 1.5, List.of("user-1"), Map.of("id", "user-1"))) {
      assertThat(rejectionOf(verifier::verifyUser, userTokenWith("sub", sub)))
          .as("sub %s", sub)
          .isEqualTo(ApiError.TOKEN_MISSING_CLAIM);
    }
  }

  @Test
  void rejectsASubLongerThanAUserIdMayBe() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("sub", "u".repeat(129))))
        .isEqualTo(ApiError.TOKEN_BAD_SUBJECT);
    assertThat(Verified.user(verifier, userTokenWith("sub", "u".repeat(128))).userId()).hasSize(128);
  }

  @Test
  void rejectsASubWithCharactersAUserIdMayNotHave() {
    for (String sub : List.of("user 1", "user/1", "user\n1", "ünïcode")) {
      assertThat(rejectionOf(verifier::verifyUser, userTokenWith("sub", sub)))
          .as(sub)
          .isEqualTo(ApiError.TOKEN_BAD_SUBJECT);
    }
  }

  @Test
  void rejectsATokenWithoutRole() {
    assertThat(rejectionOf(verifier::verifyUser, userTokenWith("role", null))).isEqualTo(ApiError.TOKEN_ROLE_REJECTED);
  }

  @Test
  void rejectsSupabasesAnonKeyAsAUser() {
    Map<String, Object> anonKey =
        Map.of(
            "iss", "supabase",
            "ref", "abcd",
            "role", "anon",
            "iat", NOW.minusSeconds(86_400).getEpochSecond(),
            "exp", NOW.plusSeconds(315_360_000).getEpochSecond());

    assertThat(rejectionOf(verifier::verifyUser, hs256(anonKey))).isEqualTo(ApiError.TOKEN_ROLE_REJECTED);
    assertThat(rejectionOf(verifier::verifyService, hs256(anonKey))).isEqualTo(ApiError.TOKEN_ROLE_REJECTED);
  }

  @Test
  void rejectsTheServiceRoleKeyAsAUser() {
    assertThat(rejectionOf(verifier::verifyUser, supabase.mintService())).isEqualTo(ApiError.TOKEN_ROLE_REJECTED);
  }

  @Test
  void acceptsTheServiceRoleKeyAsAService() {
    Principal service = Verified.service(verifier, supabase.mintService());

    assertThat(service.role()).isEqualTo("service_role");
    assertThat(service.userId()).isNull();
  }

  @Test
  void rejectsAServiceRoleTokenFromAnotherIssuer() {
    Map<String, Object> claims = userClaims("user-1", NOW);
    claims.put("role", "service_role");
    claims.put("iss", "https://other.supabase.co/auth/v1");

    assertThat(rejectionOf(verifier::verifyService, hs256(claims))).isEqualTo(ApiError.TOKEN_BAD_ISSUER);
  }

  @Test
  void rejectsAUserTokenAsAService() {
    assertThat(rejectionOf(verifier::verifyService, hs256(userClaims("user-1", NOW))))
        .isEqualTo(ApiError.TOKEN_ROLE_REJECTED);
  }

  @Test
  void reportsAnEmptyEmailAsNone() {
    assertThat(Verified.user(verifier, userTokenWith("email", "")).email()).isNull();
  }
}
