package io.parley.http;

import static io.parley.api.ApiError.*;
import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.algorithms.Algorithm;
import io.parley.api.ApiError;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.HttpApi;
import io.parley.testkit.SupabaseProject;
import io.parley.testkit.TestKeys;
import io.parley.testkit.TestNode;
import io.parley.testkit.WsClient;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Authentication of the REST API over a real socket: one node that knows the project's HS256 secret and fetches its
 * RS256 and ES256 keys from a local Supabase-like JWKS endpoint. Every token is signed for real.
 */
class AuthRoutesTest {
  private static final String ROUTE = "/api/conversations";
  private static final Algorithm SECRET = Algorithm.HMAC256(TestNode.JWT_SECRET);

  private static SupabaseProject project;
  private static HttpApi api;

  @BeforeAll
  static void start() {
    project = SupabaseProject.start();
    api = new HttpApi(project.node()::uri);
  }

  @AfterAll
  static void stop() {
    if (project != null) project.close();
  }

  /** The access token claims Supabase Auth issues for a user signed in with a password. */
  private static Map<String, Object> claims() {
    Map<String, Object> claims = project.userClaims("ana");
    claims.put("phone", "");
    claims.put("aal", "aal1");
    claims.put("session_id", "0b6e3f7e-4a0c-4d2b-9a55-2f3c9d7e1a10");
    claims.put("is_anonymous", false);
    return claims;
  }

  private static Map<String, Object> with(String claim, Object value) {
    Map<String, Object> claims = claims();
    claims.put(claim, value);
    return claims;
  }

  private static Map<String, Object> without(String claim) {
    Map<String, Object> claims = claims();
    claims.remove(claim);
    return claims;
  }

  /** An API key as Supabase mints them: the project secret, issuer "supabase", a project ref, no sub and no aud. */
  private static String supabaseApiKey(String role) {
    long now = Instant.now().getEpochSecond();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", "supabase");
    claims.put("ref", "abcdefghijklmnopqrst");
    claims.put("role", role);
    claims.put("iat", now);
    claims.put("exp", now + 10L * 365 * 24 * 3600);
    return TestKeys.sign(SECRET, null, claims);
  }

  private static String hs256(Map<String, Object> claims) {
    return TestKeys.sign(SECRET, null, claims);
  }

  private static String rs256(Map<String, Object> claims) {
    return project.rs256(claims);
  }

  private static String es256(Map<String, Object> claims) {
    return project.es256(claims);
  }

  /** The same header and signature over another payload: ana's signature on a token that now says mallory. */
  private static String tamperedPayload(String token) {
    String[] parts = token.split("\\.");
    return parts[0] + "." + TestKeys.base64(TestKeys.utf8(TestKeys.json(with("sub", "mallory")))) + "." + parts[2];
  }

  /** One character changed in the middle of the signature, where every bit of it counts. */
  private static String tamperedSignature(String token) {
    int dot = token.lastIndexOf('.');
    int at = dot + (token.length() - dot) / 2;
    char replacement = token.charAt(at) == 'A' ? 'B' : 'A';
    return token.substring(0, at) + replacement + token.substring(at + 1);
  }

  /** A signed token whose bytes are chosen by hand, for claims a JWT library refuses to write. */
  private static String hs256HandBuilt(Map<String, Object> claims) {
    String header = TestKeys.base64(TestKeys.utf8("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"));
    String payload = TestKeys.base64(TestKeys.utf8(TestKeys.json(claims)));
    byte[] signature = SECRET.sign(TestKeys.utf8(header), TestKeys.utf8(payload));
    return header + "." + payload + "." + TestKeys.base64(signature);
  }

  private static Arguments token(String name, Supplier<String> token) {
    return Arguments.of(name, token);
  }

  private static Arguments rejected(String name, Supplier<String> token, ApiError expected) {
    return Arguments.of(name, token, expected);
  }

  static Stream<Arguments> validTokens() {
    long now = Instant.now().getEpochSecond();
    return Stream.of(
        token("HS256 with the project secret", () -> hs256(claims())),
        token("RS256 with the JWKS RSA key", () -> rs256(claims())),
        token("ES256 with the JWKS P-256 key", () -> es256(claims())),
        token("expired 3s ago, within the 10s leeway", () -> hs256(with("exp", now - 3))),
        token("nbf 3s ahead, within the 10s leeway", () -> rs256(with("nbf", now + 3))));
  }

  /** Ana's usual claims, signed by {@code algorithm} under {@code kid}. */
  private static Supplier<String> signedBy(Algorithm algorithm, String kid) {
    return () -> TestKeys.sign(algorithm, kid, claims());
  }

  static Stream<Arguments> rejectedTokens() {
    long now = Instant.now().getEpochSecond();
    String rsaKid = TestKeys.RSA_KID;
    Algorithm hs512 = Algorithm.HMAC512(TestNode.JWT_SECRET);
    Algorithm otherSecret = Algorithm.HMAC256("another-secret-with-at-least-thirty-two-chars");
    // Key confusion: the RSA public key is public, so an HMAC keyed with it must never verify.
    Algorithm publicKeyDer = Algorithm.HMAC256(project.keys().rsaPublic().getEncoded());
    Algorithm publicKeyPem = Algorithm.HMAC256(project.keys().rsaPublicPem());
    Map<String, String> none = Map.of("alg", "none", "typ", "JWT");
    Map<String, String> capitalNone = Map.of("alg", "None");
    return Stream.of(
        rejected("alg none", () -> TestKeys.handBuilt(none, claims(), ""), TOKEN_ALGORITHM_REJECTED),
        rejected("alg None, made-up signature", () -> TestKeys.handBuilt(capitalNone, claims(), "c2ln"), TOKEN_ALGORITHM_REJECTED),
        rejected("HS512 with the project secret", signedBy(hs512, null), TOKEN_ALGORITHM_REJECTED),
        rejected("RS256 header naming the EC key", signedBy(project.keys().rsaSigner(), TestKeys.EC_KID), TOKEN_ALGORITHM_REJECTED),
        rejected("ES256 header naming the RSA key", signedBy(project.keys().ecSigner(), rsaKid), TOKEN_ALGORITHM_REJECTED),
        // HS256 is keyed with the configured secret only, whatever the kid: the signature simply does not match.
        rejected("HS256 keyed with RSA public key (DER)", signedBy(publicKeyDer, null), TOKEN_BAD_SIGNATURE),
        rejected("HS256 keyed with RSA public key (DER), RSA kid", signedBy(publicKeyDer, rsaKid), TOKEN_BAD_SIGNATURE),
        rejected("HS256 keyed with RSA public key (PEM)", signedBy(publicKeyPem, null), TOKEN_BAD_SIGNATURE),
        rejected("HS256 keyed with RSA public key (PEM), RSA kid", signedBy(publicKeyPem, rsaKid), TOKEN_BAD_SIGNATURE),
        rejected("HS256 with another secret", signedBy(otherSecret, null), TOKEN_BAD_SIGNATURE),
        rejected("expired HS256", () -> hs256(with("exp", now - 60)), TOKEN_EXPIRED),
        rejected("expired ES256", () -> es256(with("exp", now - 60)), TOKEN_EXPIRED),
        rejected("nbf in the future", () -> hs256(with("nbf", now + 300)), TOKEN_NOT_YET_VALID),
        rejected("wrong aud", () -> hs256(with("aud", "anon")), TOKEN_BAD_AUDIENCE),
        rejected("no aud", () -> rs256(without("aud")), TOKEN_BAD_AUDIENCE),
        rejected("wrong iss", () -> hs256(with("iss", "https://attacker.supabase.co/auth/v1")), TOKEN_BAD_ISSUER),
        rejected("iss without /auth/v1", () -> es256(with("iss", project.jwks().supabaseUrl())), TOKEN_BAD_ISSUER),
        rejected("no iss", () -> hs256(without("iss")), TOKEN_BAD_ISSUER),
        rejected("missing exp", () -> hs256(without("exp")), TOKEN_MISSING_CLAIM),
        rejected("missing sub", () -> rs256(without("sub")), TOKEN_MISSING_CLAIM),
        rejected("blank sub", () -> hs256(with("sub", " ")), TOKEN_MISSING_CLAIM),
        rejected("sub longer than a user id", () -> rs256(with("sub", "u".repeat(129))), TOKEN_BAD_SUBJECT),
        // Read as text, they would be the users "12345" and "true".
        rejected("numeric sub", () -> hs256(with("sub", 12345)), TOKEN_MISSING_CLAIM),
        rejected("boolean sub", () -> es256(with("sub", true)), TOKEN_MISSING_CLAIM),
        rejected("Supabase anon key", () -> supabaseApiKey("anon"), TOKEN_ROLE_REJECTED),
        rejected("Supabase service_role key", () -> supabaseApiKey("service_role"), TOKEN_ROLE_REJECTED),
        rejected("user token without role", () -> hs256(without("role")), TOKEN_ROLE_REJECTED),
        rejected("tampered payload HS256", () -> tamperedPayload(hs256(claims())), TOKEN_BAD_SIGNATURE),
        rejected("tampered payload RS256", () -> tamperedPayload(rs256(claims())), TOKEN_BAD_SIGNATURE),
        rejected("tampered payload ES256", () -> tamperedPayload(es256(claims())), TOKEN_BAD_SIGNATURE),
        rejected("tampered signature HS256", () -> tamperedSignature(hs256(claims())), TOKEN_BAD_SIGNATURE),
        rejected("tampered signature RS256", () -> tamperedSignature(rs256(claims())), TOKEN_BAD_SIGNATURE),
        rejected("tampered signature ES256", () -> tamperedSignature(es256(claims())), TOKEN_BAD_SIGNATURE),
        rejected("signature stripped", () -> hs256(claims()).replaceAll("\\.[^.]*$", "."), TOKEN_BAD_SIGNATURE),
        rejected("unknown kid", signedBy(TestKeys.strangerRsaSigner(), "no-such-key"), TOKEN_KEY_UNKNOWN),
        rejected("RS256 without kid", signedBy(project.keys().rsaSigner(), null), TOKEN_KEY_UNKNOWN),
        rejected("garbage word", () -> "garbage", TOKEN_MALFORMED),
        rejected("garbage three parts", () -> "not.a.jwt", TOKEN_MALFORMED),
        rejected("garbage symbols", () -> "%%%.$$$.###", TOKEN_MALFORMED),
        rejected("header only", () -> "eyJhbGciOiJIUzI1NiJ9", TOKEN_MALFORMED),
        rejected("two parts", () -> "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbmEifQ", TOKEN_MALFORMED),
        rejected("payload not JSON", () -> "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2lnbmF0dXJl", TOKEN_MALFORMED),
        rejected("signed, exp not a number", () -> hs256HandBuilt(with("exp", "tomorrow")), TOKEN_MALFORMED),
        // A non-text aud is read as absent, and a sub that is not a string as none: rejected all the same.
        rejected("signed, aud a number", () -> hs256HandBuilt(with("aud", 7)), TOKEN_BAD_AUDIENCE),
        rejected("signed, sub an object", () -> hs256HandBuilt(with("sub", Map.of("id", "ana"))), TOKEN_MISSING_CLAIM));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void acceptsAProperlySignedUserToken(String name, Supplier<String> token) {
    Response response = api.get(ROUTE, token.get());

    assertThat(response.status()).as(response.body()).isEqualTo(200);
    assertThat(response.contentType()).startsWith("application/json");
  }

  @ParameterizedTest(name = "{0} -> {2}")
  @MethodSource("rejectedTokens")
  void rejectsABadTokenWithItsStableCode(String name, Supplier<String> token, ApiError expected) {
    String bad = token.get();

    assertRejected(api.get(ROUTE, bad), bad, expected);
  }

  @Test
  void requestWithoutAuthorizationIsTokenMissing() {
    assertRejected(api.get(ROUTE, null), null, TOKEN_MISSING);
  }

  @Test
  void authorizationWithAnotherSchemeIsTokenMissing() {
    String token = hs256(claims());
    Response response = api.send(api.request(ROUTE, null).header("Authorization", "Basic " + token).GET());

    assertRejected(response, token, TOKEN_MISSING);
  }

  @Test
  void bearerSchemeIsCaseInsensitive() {
    Response response = api.send(api.request(ROUTE, null).header("Authorization", "bearer " + es256(claims())).GET());

    assertThat(response.status()).as(response.body()).isEqualTo(200);
  }

  @Test
  void tokensFromTheJwksAreVerifiedWithKeysFetchedFromTheProject() {
    assertThat(api.get(ROUTE, rs256(claims())).status()).isEqualTo(200);

    assertThat(project.jwks().requests()).as("JWKS fetches").isPositive();
  }

  @Test
  void aSubThatIsNotAStringIsRefusedOnASocketToo() {
    String numeric = hs256(with("sub", 12345));
    try (WsClient socket = WsClient.connect(project.node().wsUri("/ws?access_token=" + numeric), Map.of())) {
      assertThat(socket.next("error").get("code").asText()).isEqualTo(TOKEN_MISSING_CLAIM.code());
      assertThat(socket.awaitClose().code()).isEqualTo(4001);
    }
  }

  /**
   * A user sets their own user_metadata (auth.updateUser): nested deeper than Jackson reads as a map, it costs them
   * their display name, not their sign-in. It was a 500 on REST and a close as unauthorized on a WebSocket.
   */
  @Test
  void userMetadataNestedTooDeepToReadStillSignsIn() {
    Object nested = List.of();
    for (int level = 1; level < 1500; level++) nested = List.of(nested);
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("full_name", "Ana Deep");
    metadata.put("x", nested);
    String token = hs256HandBuilt(with("user_metadata", metadata));

    Response response = api.get(ROUTE, token);
    assertThat(response.status()).as(response.body()).isEqualTo(200);
    try (WsClient socket = WsClient.signedIn(project.node(), token)) {
      assertThat(socket.isClosed()).isFalse();
    }
  }

  private static void assertRejected(Response response, String token, ApiError expected) {
    assertThat(response.status()).as(response.body()).isEqualTo(401);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.raw().headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(value -> assertThat(value).startsWith("Bearer"));
    assertThat(response.code()).as(response.body()).isEqualTo(expected.code());
    assertThat(response.json().path("status").asInt()).isEqualTo(401);
    if (token == null) return;
    // Neither the token nor any sizeable piece of it comes back, in the body or in the challenge.
    String challenge = response.raw().headers().firstValue("WWW-Authenticate").orElse("");
    assertThat(response.body()).doesNotContain(token);
    assertThat(challenge).doesNotContain(token);
    for (String part : token.split("\\.")) {
      if (part.length() >= 12) {
        assertThat(response.body()).doesNotContain(part);
        assertThat(challenge).doesNotContain(part);
      }
    }
  }
}
