package io.parley.auth;

import static io.parley.auth.Rejections.rejectionOf;
import static io.parley.auth.TestAuth.hs256;
import static io.parley.auth.TestAuth.userClaims;
import static io.parley.testkit.TestKeys.EC_KID;
import static io.parley.testkit.TestKeys.RSA_KID;
import static io.parley.testkit.TestKeys.base64;
import static io.parley.testkit.TestKeys.base64Json;
import static io.parley.testkit.TestKeys.handBuilt;
import static io.parley.testkit.TestKeys.handSigned;
import static io.parley.testkit.TestKeys.json;
import static io.parley.testkit.TestKeys.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.algorithms.Algorithm;
import io.parley.api.ApiError;
import io.parley.testkit.TestJwksServer;
import io.parley.testkit.TestKeys;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

/** Signatures, algorithms and token shape; the claims have their own test. */
class TokenVerifierTest {
  private static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");

  private static TestKeys keys;
  private static TestJwksServer jwks;
  private static TokenVerifier secretAndJwks;
  private static TokenVerifier jwksOnly;
  private static TokenVerifier secretOnly;

  @BeforeAll
  static void start() {
    keys = new TestKeys();
    jwks = new TestJwksServer(keys.jwks());
    MutableClock clock = new MutableClock(NOW);
    secretAndJwks =
        TokenVerifier.create(
            TestAuth.settings(
                Map.of("jwt-secret", TestAuth.SECRET, "supabase-url", TestAuth.SUPABASE_URL, "jwks-url", jwks.jwksUrl())),
            clock);
    jwksOnly =
        TokenVerifier.create(
            TestAuth.settings(Map.of("supabase-url", TestAuth.SUPABASE_URL, "jwks-url", jwks.jwksUrl())), clock);
    secretOnly = TokenVerifier.create(TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET)), clock);
  }

  @AfterAll
  static void stop() {
    jwks.close();
  }

  @Test
  void acceptsAnHs256UserTokenSignedWithTheSharedSecret() {
    Principal principal = Verified.user(secretAndJwks, hs256(userClaims("user-1", NOW)));

    assertThat(principal.userId()).isEqualTo("user-1");
    assertThat(principal.role()).isEqualTo("authenticated");
    assertThat(principal.email()).isEqualTo("user-1@example.test");
    assertThat(principal.expiresAt()).isEqualTo(NOW.plusSeconds(3600));
    assertThat(principal.sessionId()).isEqualTo("0b6e3f7e-4a0c-4d2b-9a55-2f3c9d7e1a10");
  }

  @Test
  void acceptsAnRs256UserTokenSignedWithAJwksKey() {
    assertThat(Verified.user(jwksOnly, keys.rs256(userClaims("user-2", NOW))).userId()).isEqualTo("user-2");
  }

  @Test
  void acceptsAnEs256UserTokenSignedWithAJwksKey() {
    assertThat(Verified.user(jwksOnly, keys.es256(userClaims("user-3", NOW))).userId()).isEqualTo("user-3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"none", "None", "NONE", "nOnE", "", "HS384", "HS512", "RS512", "PS256", "ES384", "EdDSA"})
  void rejectsAlgorithmsOutsideHs256Rs256AndEs256(String alg) {
    String token = handBuilt(Map.of("alg", alg, "typ", "JWT"), userClaims("user-1", NOW), "");

    assertThat(rejectionOf(secretAndJwks::verifyUser, token)).isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @Test
  void rejectsAnUnsignedTokenThatKeepsAValidHs256Signature() {
    String signed = hs256(userClaims("user-1", NOW));
    String signature = signed.substring(signed.lastIndexOf('.') + 1);
    String token = handBuilt(Map.of("alg", "none", "typ", "JWT"), userClaims("user-1", NOW), signature);

    assertThat(rejectionOf(secretAndJwks::verifyUser, token)).isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @Test
  void rejectsAHeaderWithoutAlg() {
    String token = handBuilt(Map.of("typ", "JWT"), userClaims("user-1", NOW), "");

    assertThat(rejectionOf(secretAndJwks::verifyUser, token)).isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @Test
  void rejectsHs256WhenNoSecretIsConfigured() {
    assertThat(rejectionOf(jwksOnly::verifyUser, hs256(userClaims("user-1", NOW))))
        .isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @Test
  void rejectsAsymmetricTokensWhenNoJwksIsConfigured() {
    assertThat(rejectionOf(secretOnly::verifyUser, keys.rs256(userClaims("user-1", NOW))))
        .isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
    assertThat(rejectionOf(secretOnly::verifyUser, keys.es256(userClaims("user-1", NOW))))
        .isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  /** The key-confusion attack: HMAC "secrets" an attacker can read from the public JWKS. */
  static Stream<Arguments> publicKeyMaterial() {
    return Stream.of(
        Arguments.of("RSA public key, X.509 DER", keys.rsaPublic().getEncoded()),
        Arguments.of("RSA public key, PEM", utf8(keys.rsaPublicPem())),
        Arguments.of("RSA JWK JSON", utf8(json(keys.rsaJwk()))),
        Arguments.of("JWKS document", utf8(keys.jwks())),
        Arguments.of("EC public key, X.509 DER", keys.ecPublic().getEncoded()),
        Arguments.of("EC JWK JSON", utf8(json(keys.ecJwk()))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publicKeyMaterial")
  void rejectsHs256SignedWithPublicKeyMaterialWhenOnlyJwksIsConfigured(String material, byte[] hmacSecret) {
    String token = hs256WithKid(hmacSecret);

    assertThat(rejectionOf(jwksOnly::verifyUser, token)).isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("publicKeyMaterial")
  void rejectsHs256SignedWithPublicKeyMaterialWhenSecretAndJwksAreConfigured(String material, byte[] hmacSecret) {
    String token = hs256WithKid(hmacSecret);

    assertThat(rejectionOf(secretAndJwks::verifyUser, token)).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE);
  }

  @Test
  void rejectsAnRs256HeaderOnAnEcKey() {
    Map<String, String> header = Map.of("alg", "RS256", "typ", "JWT", "kid", EC_KID);
    String token = handSigned(keys.rsaSigner(), header, userClaims("user-1", NOW));

    assertThat(rejectionOf(jwksOnly::verifyUser, token)).isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @Test
  void rejectsAnEs256HeaderOnAnRsaKey() {
    Map<String, String> header = Map.of("alg", "ES256", "typ", "JWT", "kid", RSA_KID);
    String token = handSigned(keys.ecSigner(), header, userClaims("user-1", NOW));

    assertThat(rejectionOf(jwksOnly::verifyUser, token)).isEqualTo(ApiError.TOKEN_ALGORITHM_REJECTED);
  }

  @Test
  void rejectsAnAsymmetricTokenWithoutKid() {
    String token = TestKeys.sign(keys.rsaSigner(), null, userClaims("user-1", NOW));

    assertThat(rejectionOf(jwksOnly::verifyUser, token)).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
  }

  static Stream<Arguments> validTokens() {
    return Stream.of(
        Arguments.of("HS256", hs256(userClaims("user-1", NOW))),
        Arguments.of("RS256", keys.rs256(userClaims("user-1", NOW))),
        Arguments.of("ES256", keys.es256(userClaims("user-1", NOW))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void rejectsAPayloadReplacedUnderAKeptSignature(String alg, String token) {
    String[] parts = token.split("\\.");
    Map<String, Object> claims = new LinkedHashMap<>(userClaims("user-1", NOW));
    claims.put("sub", "someone-else");
    String tampered = parts[0] + "." + base64Json(claims) + "." + parts[2];

    assertThat(rejectionOf(secretAndJwks::verifyUser, tampered)).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void rejectsAnAlteredSignature(String alg, String token) {
    int signatureStart = token.lastIndexOf('.') + 1;
    char first = token.charAt(signatureStart);
    String tampered =
        token.substring(0, signatureStart) + (first == 'A' ? 'B' : 'A') + token.substring(signatureStart + 1);

    assertThat(rejectionOf(secretAndJwks::verifyUser, tampered)).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void rejectsATokenWithoutSignature(String alg, String token) {
    String unsigned = token.substring(0, token.lastIndexOf('.') + 1);

    assertThat(rejectionOf(secretAndJwks::verifyUser, unsigned)).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE);
  }

  @ParameterizedTest
  @NullAndEmptySource
  @ValueSource(strings = {" ", "\t\n"})
  void reportsAMissingToken(String token) {
    assertThat(rejectionOf(secretAndJwks::verifyUser, token)).isEqualTo(ApiError.TOKEN_MISSING);
  }

  static Stream<String> garbage() {
    String header = base64Json(Map.of("alg", "HS256", "typ", "JWT"));
    String payload = base64Json(userClaims("user-1", NOW));
    return Stream.of(
        "abc",
        "a.b.c",
        "a.b",
        "a.b.c.d",
        "..",
        "!!!.???.***",
        "eyJ%%%.eyJ%%%.c2ln",
        header,
        header + "." + payload,
        header + "." + payload + ".c2ln.c2ln",
        base64(utf8("not json")) + "." + payload + ".c2ln",
        header + "." + base64(utf8("not json")) + ".c2ln",
        base64(utf8("[1,2]")) + "." + payload + ".c2ln",
        header + "." + base64(utf8("\"a string\"")) + ".c2ln");
  }

  @ParameterizedTest
  @MethodSource("garbage")
  void reportsGarbageAsMalformed(String token) {
    assertThat(rejectionOf(secretAndJwks::verifyUser, token)).isEqualTo(ApiError.TOKEN_MALFORMED);
  }

  @Test
  void rejectsTokensLongerThan16KibBeforeParsing() {
    Map<String, Object> claims = new HashMap<>(userClaims("user-1", NOW));
    claims.put("padding", "x".repeat(20 * 1024));
    String wellSignedButHuge = hs256(claims);

    assertThat(rejectionOf(secretAndJwks::verifyUser, wellSignedButHuge)).isEqualTo(ApiError.TOKEN_MALFORMED);
    assertThat(rejectionOf(secretAndJwks::verifyUser, "a".repeat(20 * 1024))).isEqualTo(ApiError.TOKEN_MALFORMED);
  }

  @Test
  void acceptsATokenJustUnder16Kib() {
    Map<String, Object> claims = new HashMap<>(userClaims("user-1", NOW));
    claims.put("padding", "x".repeat(10 * 1024));

    assertThat(Verified.user(secretAndJwks, hs256(claims)).userId()).isEqualTo("user-1");
  }

  private static String hs256WithKid(byte[] hmacSecret) {
    return TestKeys.sign(Algorithm.HMAC256(hmacSecret), RSA_KID, userClaims("user-1", NOW));
  }
}
