package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestFcm;
import io.parley.tools.FakeFcmTransport;
import io.parley.tools.FakeFcmTransport.Answer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How FCM's failures are told apart, and what each does to a push: the real firebase-admin SDK over a fake FCM.
 * A token's own failure settles its push; a failure that is Parley's or Google's leaves the push in the journal, to
 * be sent again, so that nothing is lost.
 */
class PushFailuresTest {
  private static final FakeFcmTransport fcm = new FakeFcmTransport();
  /** Tokens FCM fails, and how, until a test takes them out. */
  private static final Map<String, Supplier<Answer>> broken = new ConcurrentHashMap<>();
  /** When each rate-limited token was asked, in System.nanoTime. */
  private static final Map<String, List<Long>> asked = new ConcurrentHashMap<>();
  /** Every push FCM accepted, as token and title. */
  private static final List<String> delivered = new CopyOnWriteArrayList<>();

  static {
    fcm.answer(
        (request, attempt) -> {
          String token = request.token() == null ? "" : request.token();
          Supplier<Answer> failure = broken.get(token);
          if (failure != null) return failure.get();
          if (token.startsWith("reset-") && attempt < 2) return Answer.connectionReset();
          if (token.startsWith("slow-") && attempt < 1) return Answer.timedOut();
          if (token.startsWith("stale-")) return Answer.senderIdMismatch();
          if (token.startsWith("limited")) {
            asked.computeIfAbsent(token, t -> new CopyOnWriteArrayList<>()).add(System.nanoTime());
            // limited<n>-...: rate-limited n times, each time asking for a second's wait.
            int limitedFor = Integer.parseInt(token.substring("limited".length(), token.indexOf('-')));
            if (attempt < limitedFor) return Answer.quotaExceeded(Duration.ofSeconds(1));
          }
          delivered.add(token + ":" + request.message().path("notification").path("title").asText());
          return Answer.sent();
        });
  }

  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          """
          parley.push.retry.max-attempts = 3
          parley.push.retry.min-backoff = 50ms
          parley.push.retry.max-backoff = 200ms
          akka.projection.restart-backoff.min-backoff = 200ms
          akka.projection.restart-backoff.max-backoff = 1s
          """,
          fcm);

  private final HttpApi api = live.api();
  private final NotificationApi notifications = new NotificationApi(api);

  @AfterEach
  void repair() {
    broken.clear();
  }

  @Test
  void eachFailureIsToldApartFromWhatTheSdkReports() {
    try (FcmPushGatewayTest.FakeFcm direct = new FcmPushGatewayTest.FakeFcm()) {
      direct.transport().answer((request, attempt) -> switch (request.token()) {
        case "reset" -> Answer.connectionReset();
        case "timeout" -> Answer.timedOut();
        case "unauthenticated" -> Answer.unauthenticated();
        case "denied" -> Answer.permissionDenied();
        case "other-project" -> Answer.senderIdMismatch();
        default -> Answer.sent();
      });

      List<PushOutcome> outcomes =
          FcmPushGatewayTest.outcomesOf(
              direct.gateway()
                  .sendToDevices(message(), List.of("reset", "timeout", "unauthenticated", "denied", "other-project", "ok")));

      assertThat(outcomes)
          .containsExactly(
              PushOutcome.NETWORK,
              PushOutcome.NETWORK,
              PushOutcome.UNAUTHENTICATED,
              PushOutcome.PERMISSION_DENIED,
              PushOutcome.SENDER_ID_MISMATCH,
              PushOutcome.SENT);
      assertThat(PushOutcome.NETWORK.retryable()).isTrue();
      assertThat(PushOutcome.UNAUTHENTICATED.refusesCredentials()).isTrue();
      assertThat(PushOutcome.PERMISSION_DENIED.refusesCredentials()).isTrue();
      assertThat(PushOutcome.SENDER_ID_MISMATCH.refusesCredentials()).isFalse();
    }

    // A revoked service account key: Google's token server refuses it before any request reaches FCM.
    FakeFcmTransport unreached = new FakeFcmTransport();
    FcmPushGateway revoked = new FcmPushGateway(TestFcm.refusedCredentials(), "parley-test", unreached);
    try {
      assertThat(FcmPushGatewayTest.outcomesOf(revoked.sendToDevices(message(), List.of("a", "b"))))
          .containsExactly(PushOutcome.UNAUTHENTICATED, PushOutcome.UNAUTHENTICATED);
      assertThat(revoked.sendToTopic(message(), "jobs").toCompletableFuture().join().outcome())
          .isEqualTo(PushOutcome.UNAUTHENTICATED);
      assertThat(unreached.count()).isZero();
    } finally {
      revoked.close();
    }
  }

  @Test
  void aResetOrTimedOutConnectionIsRetriedWithBackoffUntilThePushGetsThrough() {
    notifications.registerDevice("nf-a", "reset-nf-a");
    notifications.registerDevice("nf-b", "slow-nf-b");

    notifications.send("nf-a", "{\"kind\":\"system\",\"title\":\"Reset twice\"}");
    notifications.send("nf-b", "{\"kind\":\"system\",\"title\":\"Timed out once\"}");

    awaitDelivered("reset-nf-a:Reset twice");
    awaitDelivered("slow-nf-b:Timed out once");
    assertThat(requestsTo("reset-nf-a")).isEqualTo(3);
    assertThat(requestsTo("slow-nf-b")).isEqualTo(2);
    assertThat(results().path("network").asInt()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void refusedCredentialsLeaveThePushInTheJournalUntilTheyWork() {
    notifications.registerDevice("cf-a", "cf-a-phone");
    notifications.registerDevice("cf-b", "cf-b-phone");
    broken.put("cf-a-phone", Answer::unauthenticated);
    broken.put("cf-b-phone", Answer::permissionDenied);

    notifications.send("cf-a", "{\"kind\":\"system\",\"title\":\"Sent with a revoked key\"}");
    notifications.send("cf-b", "{\"kind\":\"system\",\"title\":\"Sent without the right\"}");

    // Not marked done: the projection comes back to the same events, again and again, while the credentials fail.
    Eventually.await("the pushes tried again", () -> requestsTo("cf-a-phone") + ":" + requestsTo("cf-b-phone"),
        seen -> requestsTo("cf-a-phone") >= 2 && requestsTo("cf-b-phone") >= 2);
    assertThat(delivered).noneMatch(push -> push.startsWith("cf-"));
    assertThat(results().path("unauthenticated").asInt()).isPositive();
    assertThat(results().path("permission_denied").asInt()).isPositive();

    broken.clear();
    awaitDelivered("cf-a-phone:Sent with a revoked key");
    awaitDelivered("cf-b-phone:Sent without the right");
  }

  @Test
  void aTokenOfAnotherSenderIsTakenOffItsUserOnceThePushesOfSeveralUsersGotThrough() {
    confirmProject();
    notifications.registerDevice("sm-b", "stale-sm-b");
    notifications.registerDevice("sm-b", "sm-b-phone");

    notifications.send("sm-b", "{\"kind\":\"system\",\"title\":\"First\"}");
    awaitDelivered("sm-b-phone:First");
    Eventually.await("the stale token removed", () -> notifications.devices("sm-b"), List.of("sm-b-phone")::equals);
    notifications.send("sm-b", "{\"kind\":\"system\",\"title\":\"Second\"}");
    awaitDelivered("sm-b-phone:Second");

    // Had the first group failed, its events would have been pushed again before the second.
    assertThat(delivered.stream().filter(push -> push.startsWith("sm-b-phone:")))
        .containsExactly("sm-b-phone:First", "sm-b-phone:Second");
    assertThat(requestsTo("stale-sm-b")).isEqualTo(1);
  }

  @Test
  void aUserWhoseOnlyTokenIsOfAnotherSenderFailsNoPushOfOthers() {
    confirmProject();
    notifications.registerDevice("sm-d", "stale-sm-d");
    notifications.registerDevice("sm-e", "sm-e-phone");

    notifications.send("sm-d", "{\"kind\":\"system\",\"title\":\"To a token of another project\"}");
    notifications.send("sm-e", "{\"kind\":\"system\",\"title\":\"Next to it\"}");

    awaitDelivered("sm-e-phone:Next to it");
    Eventually.await("the stale token removed", () -> notifications.devices("sm-d"), List::isEmpty);
    notifications.send("sm-e", "{\"kind\":\"system\",\"title\":\"After it\"}");
    awaitDelivered("sm-e-phone:After it");
    // Once each: no group was failed and pushed again for sm-d's token.
    assertThat(requestsTo("stale-sm-d")).isEqualTo(1);
    assertThat(delivered.stream().filter(push -> push.startsWith("sm-e-phone:")))
        .containsExactly("sm-e-phone:Next to it", "sm-e-phone:After it");
  }

  @Test
  void anOutageLongerThanTheRetriesLosesNothing() {
    notifications.registerDevice("ou-a", "ou-a-phone");
    broken.put("ou-a-phone", Answer::connectionReset);

    notifications.send("ou-a", "{\"kind\":\"system\",\"title\":\"During the outage\"}");

    // Three tries (max-attempts), then the group fails and the projection starts over with it.
    Eventually.await("the retries used up and started over", () -> requestsTo("ou-a-phone"), requests -> requests > 3);
    assertThat(results().path("gave_up").asInt()).isPositive();
    broken.clear();
    awaitDelivered("ou-a-phone:During the outage");
  }

  @Test
  void aRateLimitedPushWaitsAsLongAsFcmAsksBeforeItsNextTry() {
    notifications.registerDevice("rl-a", "limited1-rl-a");

    notifications.send("rl-a", "{\"kind\":\"system\",\"title\":\"After the rate limit\"}");

    awaitDelivered("limited1-rl-a:After the rate limit");
    List<Long> tries = asked.get("limited1-rl-a");
    assertThat(tries).hasSize(2);
    // The backoff alone (50 ms here) would have tried again long before the second FCM asked for.
    assertThat(Duration.ofNanos(tries.get(1) - tries.get(0))).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aPushStillRateLimitedAfterItsLastTryIsGivenUpAndTheOtherPushesOfItsGroupAreNotSentAgain() {
    notifications.registerDevice("rl-b", "rl-b-tablet");
    notifications.registerDevice("rl-b", "limited3-rl-b");
    int gaveUpBefore = results().path("gave_up").asInt();

    notifications.send("rl-b", "{\"kind\":\"system\",\"title\":\"Worth the wait\"}");
    awaitDelivered("rl-b-tablet:Worth the wait");
    // The same user, so the same slice: the next push leaves only once the first group is settled.
    Eventually.await("the rate-limited push given up", () -> results().path("gave_up").asInt(), n -> n > gaveUpBefore);
    notifications.send("rl-b", "{\"kind\":\"system\",\"title\":\"Next\"}");
    awaitDelivered("rl-b-tablet:Next");
    awaitDelivered("limited3-rl-b:Next");

    // Three tries (max-attempts), each waiting the second FCM asked for, then given up; had the group failed for it,
    // the tablet would have seen the first push again before the next.
    assertThat(asked.get("limited3-rl-b")).hasSize(4);
    assertThat(delivered.stream().filter(push -> push.startsWith("rl-b-tablet:")))
        .containsExactly("rl-b-tablet:Worth the wait", "rl-b-tablet:Next");
    assertThat(delivered).doesNotContain("limited3-rl-b:Worth the wait");
  }

  /** Pushes that get through to three users' devices: Parley's Firebase project is the right one. */
  private void confirmProject() {
    for (int user = 1; user <= PushDelivery.USERS_CONFIRMING_PROJECT; user++) {
      notifications.registerDevice("cp-" + user, "cp-" + user + "-phone");
      notifications.send("cp-" + user, "{\"kind\":\"system\",\"title\":\"Confirms the project\"}");
    }
    for (int user = 1; user <= PushDelivery.USERS_CONFIRMING_PROJECT; user++) {
      awaitDelivered("cp-" + user + "-phone:Confirms the project");
    }
  }

  private static void awaitDelivered(String push) {
    Eventually.await("push " + push, () -> List.copyOf(delivered), pushes -> pushes.contains(push));
  }

  private static int requestsTo(String token) {
    return (int) fcm.requests().stream().filter(r -> token.equals(r.token())).count();
  }

  private com.fasterxml.jackson.databind.JsonNode results() {
    return api.get("/api/health", null).json().path("push").path("results");
  }

  private static PushMessage message() {
    return new PushMessage("system", "Maintenance", "Tonight", Map.of("kind", "system"), null, null);
  }
}
