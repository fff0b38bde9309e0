package io.parley.auth;

import static io.parley.auth.Rejections.rejectionOf;
import static io.parley.auth.TestAuth.userClaims;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.api.ApiError;
import io.parley.testkit.TestJwksServer;
import io.parley.testkit.TestKeys;
import java.security.KeyPair;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Fetching, caching and rate-limited refetching of the project's JWKS, against a real local HTTP endpoint. */
class JwksKeyProviderTest {
  private static final Instant START = Instant.parse("2030-06-01T12:00:00Z");
  private static final Duration TTL = Duration.ofMinutes(10);
  private static final Duration MAX_STALE = Duration.ofMinutes(5);
  private static final Duration MIN_REFETCH_INTERVAL = Duration.ofSeconds(30);

  private static TestKeys keys;

  private final MutableClock clock = new MutableClock(START);
  private TestJwksServer server;
  private TokenVerifier verifier;

  @BeforeAll
  static void generateKeys() {
    keys = new TestKeys();
  }

  @BeforeEach
  void start() {
    server = new TestJwksServer(keys.jwks());
    AuthSettings settings =
        TestAuth.settings(
            Map.of(
                "supabase-url", TestAuth.SUPABASE_URL,
                "jwks-url", server.jwksUrl(),
                "jwks-cache-ttl", "10 minutes",
                "jwks-max-stale", "5 minutes",
                "jwks-min-refetch-interval", "30s"));
    verifier = TokenVerifier.create(settings, clock, clock::nanoTime);
  }

  @AfterEach
  void stop() {
    server.close();
  }

  /** A token for a user, valid at the clock's current time. */
  private String rs256() {
    return keys.rs256(userClaims("user-1", clock.instant()));
  }

  private String es256() {
    return keys.es256(userClaims("user-1", clock.instant()));
  }

  private String unknownKid(String kid) {
    return TestKeys.sign(keys.rsaSigner(), kid, userClaims("user-1", clock.instant()));
  }

  @Test
  void fetchesTheJwksOnceAndServesLaterTokensFromTheCache() {
    Verified.user(verifier, rs256());
    Verified.user(verifier, es256());
    Verified.user(verifier, rs256());

    assertThat(server.requests()).isEqualTo(1);
  }

  @Test
  void refetchesOnceForAnUnknownKidThenRateLimitsFurtherRefetches() {
    Verified.user(verifier, rs256());
    clock.advance(MIN_REFETCH_INTERVAL);

    assertThat(rejectionOf(verifier::verifyUser, unknownKid("made-up-1"))).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(server.requests()).isEqualTo(2);

    clock.advance(MIN_REFETCH_INTERVAL.minusSeconds(1));
    assertThat(rejectionOf(verifier::verifyUser, unknownKid("made-up-2"))).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(rejectionOf(verifier::verifyUser, unknownKid("made-up-3"))).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(server.requests()).isEqualTo(2);

    clock.advance(Duration.ofSeconds(1));
    assertThat(rejectionOf(verifier::verifyUser, unknownKid("made-up-4"))).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(server.requests()).isEqualTo(3);
  }

  @Test
  void refetchesForAnUnknownKidOnceTheIntervalHasPassedEvenIfTheWallClockWasSteppedBack() {
    Verified.user(verifier, rs256());
    clock.stepWallClock(Duration.ofHours(-1));
    clock.advance(MIN_REFETCH_INTERVAL);

    assertThat(rejectionOf(verifier::verifyUser, unknownKid("made-up"))).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(server.requests()).isEqualTo(2);
  }

  @Test
  void keepsTheCacheWhenTheWallClockIsSteppedForward() {
    Verified.user(verifier, rs256());
    clock.stepWallClock(Duration.ofHours(1));

    Verified.user(verifier, rs256());

    assertThat(server.requests()).isEqualTo(1);
  }

  @Test
  void findsARotatedInKeyByRefetching() {
    Verified.user(verifier, rs256());
    KeyPair rotated = TestKeys.rsaKeyPair();
    RSAPublicKey publicKey = (RSAPublicKey) rotated.getPublic();
    server.serve(TestKeys.jwks(List.of(keys.rsaJwk(), TestKeys.rsaJwk("rsa-key-2", publicKey))));
    clock.advance(MIN_REFETCH_INTERVAL);

    String token = TestKeys.sign(TestKeys.rsaSigner(rotated), "rsa-key-2", userClaims("user-9", clock.instant()));

    assertThat(Verified.user(verifier, token).userId()).isEqualTo("user-9");
    assertThat(server.requests()).isEqualTo(2);
  }

  @Test
  void refreshesTheCacheOnceTheTtlHasPassed() {
    Verified.user(verifier, rs256());
    clock.advance(TTL.minusSeconds(1));
    Verified.user(verifier, rs256());
    assertThat(server.requests()).isEqualTo(1);

    clock.advance(Duration.ofSeconds(1));
    Verified.user(verifier, rs256());
    assertThat(server.requests()).isEqualTo(2);
  }

  @Test
  void stopsAcceptingAKeyRemovedFromTheJwksOnceTheTtlHasPassed() {
    Verified.user(verifier, rs256());
    server.serve(TestKeys.jwks(List.of(keys.ecJwk())));
    clock.advance(TTL);

    assertThat(rejectionOf(verifier::verifyUser, rs256())).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(Verified.user(verifier, es256()).userId()).isEqualTo("user-1");
  }

  @Test
  void keepsServingCachedKeysWhenTheJwksServerFails() {
    Verified.user(verifier, rs256());
    server.answerWithStatus(500);
    clock.advance(TTL);

    assertThat(Verified.user(verifier, rs256()).userId()).isEqualTo("user-1");
    assertThat(server.requests()).isEqualTo(2);
    assertThat(Verified.user(verifier, es256()).userId()).isEqualTo("user-1");
    assertThat(rejectionOf(verifier::verifyUser, unknownKid("made-up"))).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(server.requests()).as("failed refreshes are rate limited too").isEqualTo(2);
  }

  @Test
  void refusesCachedKeysThatCouldNotBeRefreshedForTheMaxStaleBeyondTheTtl() {
    Verified.user(verifier, rs256());
    server.answerWithStatus(500);
    clock.advance(TTL.plus(MAX_STALE).minusSeconds(1));
    assertThat(Verified.user(verifier, rs256()).userId()).as("within the grace").isEqualTo("user-1");
    assertThat(server.requests()).isEqualTo(2);

    clock.advance(Duration.ofSeconds(1));

    assertThat(rejectionOf(verifier::verifyUser, rs256())).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(rejectionOf(verifier::verifyUser, es256())).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    clock.advance(MIN_REFETCH_INTERVAL);
    assertThat(rejectionOf(verifier::verifyUser, rs256()))
        .as("the refetch failed too")
        .isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
    assertThat(server.requests()).isEqualTo(3);
  }

  @Test
  void acceptsTokensAgainOnceARefetchOfTooOldKeysSucceeds() {
    Verified.user(verifier, rs256());
    server.answerWithStatus(500);
    clock.advance(TTL.plus(MAX_STALE));
    assertThat(rejectionOf(verifier::verifyUser, rs256())).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);

    server.answerWithStatus(200);
    clock.advance(MIN_REFETCH_INTERVAL);

    assertThat(Verified.user(verifier, rs256()).userId()).isEqualTo("user-1");
    assertThat(server.requests()).isEqualTo(3);
  }

  @Test
  void keepsServingCachedKeysWhenTheJwksServerAnswersGarbage() {
    Verified.user(verifier, rs256());
    server.serve("<html>maintenance</html>");
    clock.advance(TTL);

    assertThat(Verified.user(verifier, rs256()).userId()).isEqualTo("user-1");
    assertThat(server.requests()).isEqualTo(2);
  }

  @Test
  void reportsAnUnknownKeyWhenTheFirstFetchFails() {
    server.answerWithStatus(503);

    assertThat(rejectionOf(verifier::verifyUser, rs256())).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
  }

  @Test
  void reportsAnUnknownKeyWhenTheJwksServerIsUnreachable() {
    String url = server.jwksUrl();
    server.close();
    TokenVerifier unreachable =
        TokenVerifier.create(
            TestAuth.settings(Map.of("supabase-url", TestAuth.SUPABASE_URL, "jwks-url", url)),
            clock,
            clock::nanoTime);

    assertThat(rejectionOf(unreachable::verifyUser, rs256())).isEqualTo(ApiError.TOKEN_KEY_UNKNOWN);
  }

  @Test
  void concurrentCallersShareOneFetch() {
    CountDownLatch release = server.holdAnswers();
    List<CompletableFuture<Principal>> verdicts = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      verdicts.add(verifier.verifyUser(i % 2 == 0 ? rs256() : es256()).toCompletableFuture());
    }
    assertThat(verdicts).as("waiting for the one fetch, holding no thread").noneMatch(CompletableFuture::isDone);
    release.countDown();

    assertThat(verdicts).allSatisfy(verdict -> assertThat(Verified.now(verdict)).isInstanceOf(Principal.class));
    assertThat(server.requests()).isEqualTo(1);
  }
}
