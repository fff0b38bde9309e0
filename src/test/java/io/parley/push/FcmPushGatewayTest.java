package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.Sha256;
import io.parley.testkit.TestFcm;
import io.parley.tools.FakeFcmTransport;
import io.parley.tools.FakeFcmTransport.Answer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real firebase-admin SDK over a mock HTTP transport: what leaves the process, and how FCM's answers are read. */
class FcmPushGatewayTest {
  private final FakeFcm fcm = new FakeFcm();

  @AfterEach
  void close() {
    fcm.close();
  }

  @Test
  void splitsAMulticastIntoCallsOfAtMost500TokensAndSendsEachTokenOnce() {
    List<String> tokens = IntStream.range(0, 1201).mapToObj(i -> "token-" + i).toList();

    List<PushOutcome> outcomes = outcomesOf(fcm.gateway().sendToDevices(message(null), tokens));

    // A MulticastMessage of more than 500 tokens cannot even be built: all 1,201 went out, so the split happened.
    assertThat(outcomes).hasSize(1201).containsOnly(PushOutcome.SENT);
    assertThat(fcm.transport().requests()).extracting(FakeFcmTransport.Request::token)
        .containsExactlyInAnyOrderElementsOf(tokens);
    assertThat(fcm.transport().requests().get(0).url())
        .isEqualTo("https://fcm.googleapis.com/v1/projects/parley-test/messages:send");
    assertThat(fcm.transport().requests().get(0).headers().get("authorization"))
        .containsExactly("Bearer test-access-token");
  }

  @Test
  void sendsOnAPoolOfTheConfiguredSize() {
    java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    FakeFcmTransport transport = new FakeFcmTransport();
    transport.answer((request, attempt) -> {
      threads.add(Thread.currentThread().getName());
      return Answer.sent();
    });
    List<String> tokens = IntStream.range(0, 600).mapToObj(i -> "token-" + i).toList();
    try (FcmPushGateway two = new FcmPushGateway(TestFcm.credentials(), "parley-test", transport, 2)) {
      assertThat(outcomesOf(two.sendToDevices(message(null), tokens)))
          .hasSize(600)
          .containsOnly(PushOutcome.SENT);
    }
    assertThat(threads).isNotEmpty().hasSizeLessThanOrEqualTo(2).allMatch(name -> name.startsWith("parley-fcm-"));
  }

  @Test
  void readsFcmErrorsPerToken() {
    fcm.transport().answer((request, attempt) -> switch (request.token()) {
      case "gone" -> Answer.unregistered();
      case "garbage" -> Answer.invalidToken();
      case "busy" -> Answer.error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.");
      case "bad-payload" -> Answer.error(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", "Invalid JSON payload received.");
      default -> Answer.sent();
    });

    List<PushOutcome> outcomes =
        outcomesOf(fcm.gateway().sendToDevices(message(null), List.of("ok", "gone", "garbage", "busy", "bad-payload")));

    assertThat(outcomes)
        .containsExactly(
            PushOutcome.SENT,
            PushOutcome.UNREGISTERED,
            PushOutcome.INVALID_TOKEN,
            PushOutcome.QUOTA_EXCEEDED,
            PushOutcome.INVALID_ARGUMENT);
    assertThat(outcomes.stream().filter(PushOutcome::removesToken)).hasSize(2);
    assertThat(PushOutcome.QUOTA_EXCEEDED.retryable()).isTrue();
    assertThat(PushOutcome.INVALID_ARGUMENT.removesToken()).isFalse();
  }

  @Test
  void readsHowLongFcmAsksToWaitAfterARateLimit() {
    String inTenSeconds =
        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(
            java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(10));
    fcm.transport().answer((request, attempt) -> switch (request.token()) {
      case "seconds" -> Answer.quotaExceeded(java.time.Duration.ofSeconds(7));
      case "date" -> Answer.error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.")
          .withHeader("Retry-After", inTenSeconds);
      case "silent" -> Answer.error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.");
      default -> Answer.sent();
    });

    List<PushResult> results =
        fcm.gateway().sendToDevices(message(null), List.of("seconds", "date", "silent", "ok")).toCompletableFuture().join();

    assertThat(results).extracting(PushResult::outcome).containsExactly(
        PushOutcome.QUOTA_EXCEEDED, PushOutcome.QUOTA_EXCEEDED, PushOutcome.QUOTA_EXCEEDED, PushOutcome.SENT);
    assertThat(results.get(0).retryAfter()).isEqualTo(java.time.Duration.ofSeconds(7));
    assertThat(results.get(1).retryAfter()).isBetween(java.time.Duration.ofSeconds(8), java.time.Duration.ofSeconds(10));
    assertThat(results.get(2).retryAfter()).isNull();
    assertThat(results.get(3).retryAfter()).isNull();
  }

  @Test
  void carriesTheSettingsThatCollapseAndOpenTheRightScreenOnEveryPlatform() {
    fcm.gateway().sendToDevices(message("d_0123456789abcdef0123456789abcdef"), List.of("phone")).toCompletableFuture().join();

    var sent = fcm.transport().requests().get(0).message();
    assertThat(sent.path("notification").path("title").asText()).isEqualTo("Ana");
    assertThat(sent.path("notification").path("body").asText()).isEqualTo("3 new messages from Ana");
    assertThat(sent.path("data").path("conversationId").asText()).isEqualTo("d_0123456789abcdef0123456789abcdef");
    assertThat(sent.path("android").path("collapse_key").asText()).isEqualTo("d_0123456789abcdef0123456789abcdef");
    assertThat(sent.path("android").path("notification").path("tag").asText())
        .isEqualTo("d_0123456789abcdef0123456789abcdef");
    assertThat(sent.path("android").path("notification").path("click_action").asText()).isEqualTo("OPEN_MESSAGE");
    assertThat(sent.path("apns").path("headers").path("apns-collapse-id").asText())
        .isEqualTo("d_0123456789abcdef0123456789abcdef");
    assertThat(sent.path("apns").path("payload").path("aps").path("thread-id").asText())
        .isEqualTo("d_0123456789abcdef0123456789abcdef");
    // Web Push topics are at most 32 characters: a longer key is hashed, the same way every time.
    assertThat(sent.path("webpush").path("headers").path("Topic").asText())
        .hasSize(32)
        .isEqualTo(FcmPushGateway.shortKey("d_0123456789abcdef0123456789abcdef", 32));
    assertThat(sent.path("webpush").path("fcm_options").path("link").asText())
        .isEqualTo("https://app.example.com/conversations/c1");
  }

  @Test
  void collapseIdsAreAsciiAndBoundedWhateverTheCollapseKey() {
    String key = "Entretien d'embauche — développeur senior à Paris, équipe plateforme, semaine 47, salle B";
    fcm.gateway().sendToDevices(message(key), List.of("phone")).toCompletableFuture().join();

    var sent = fcm.transport().requests().get(0).message();
    String androidKey = sent.path("android").path("collapse_key").asText();
    String apnsId = sent.path("apns").path("headers").path("apns-collapse-id").asText();
    String webTopic = sent.path("webpush").path("headers").path("Topic").asText();
    assertThat(androidKey).isEqualTo(apnsId).isEqualTo(Sha256.hex(key)).matches("[0-9a-f]{64}");
    assertThat(webTopic).isEqualTo(Sha256.hex(key).substring(0, 32));
    // Shown to nobody and not a header: the grouping tags keep the key as it is.
    assertThat(sent.path("android").path("notification").path("tag").asText()).isEqualTo(key);
    // Short but not ASCII is hashed too: a header cannot carry it.
    assertThat(FcmPushGateway.shortKey("café", 64)).isEqualTo(Sha256.hex("café"));
    assertThat(FcmPushGateway.shortKey("job-42_paris", 64)).isEqualTo("job-42_paris");
  }

  @Test
  void aMessageTheSdkRefusesToBuildIsAnOutcomeNotAFailure() {
    // An empty token fails the SDK's own validation: retrying could never help, and must not stall pushes behind it.
    List<PushOutcome> outcomes = outcomesOf(fcm.gateway().sendToDevices(message(null), List.of("ok", "")));

    assertThat(outcomes).containsExactly(PushOutcome.INVALID_ARGUMENT, PushOutcome.INVALID_ARGUMENT);
    assertThat(PushOutcome.INVALID_ARGUMENT.retryable()).isFalse();
    assertThat(fcm.transport().requests()).isEmpty();
    assertThat(fcm.gateway().sendToTopic(message(null), "bad topic!").toCompletableFuture().join().outcome())
        .isEqualTo(PushOutcome.INVALID_ARGUMENT);
  }

  @Test
  void sendsAnnouncementsToATopic() {
    PushOutcome outcome = fcm.gateway().sendToTopic(message(null), "jobs-paris").toCompletableFuture().join().outcome();

    assertThat(outcome).isEqualTo(PushOutcome.SENT);
    assertThat(fcm.transport().requests()).singleElement().extracting(FakeFcmTransport.Request::topic)
        .isEqualTo("jobs-paris");
  }

  static List<PushOutcome> outcomesOf(CompletionStage<List<PushResult>> sent) {
    return sent.toCompletableFuture().join().stream().map(PushResult::outcome).toList();
  }

  private static PushMessage message(String collapseKey) {
    return new PushMessage(
        "message",
        "Ana",
        "3 new messages from Ana",
        Map.of("conversationId", collapseKey == null ? "c1" : collapseKey, "kind", "message"),
        collapseKey,
        "https://app.example.com/conversations/c1");
  }

  /** The real gateway, with credentials that need no refresh, over a recording transport. */
  static final class FakeFcm implements AutoCloseable {
    private final FakeFcmTransport transport = new FakeFcmTransport();
    private final FcmPushGateway gateway = new FcmPushGateway(TestFcm.credentials(), "parley-test", transport);

    FakeFcmTransport transport() {
      return transport;
    }

    FcmPushGateway gateway() {
      return gateway;
    }

    @Override
    public void close() {
      gateway.close();
    }
  }
}
