package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.Sha256;
import io.parley.notification.Announcements;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.PreciseNumbers;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.tools.FakeFcmTransport;
import io.parley.tools.FakeFcmTransport.Answer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Pushes for offline users, end to end: REST and WebSocket in, the real firebase-admin SDK out to a fake FCM. */
class PushTest {
  private static final FakeFcmTransport fcm = new FakeFcmTransport();

  static {
    fcm.answer(
        (request, attempt) ->
            switch (request.token() == null ? "" : request.token()) {
              case "dead-token" -> Answer.unregistered();
              case "garbage-token" -> Answer.invalidToken();
              // Quota errors are not retried by the SDK itself: only Parley's own backoff gets this one through.
              case "quota-token" -> attempt < 2 ? Answer.error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded.") : Answer.sent();
              case "flaky-token" -> attempt < 1 ? Answer.unavailable() : Answer.sent();
              default -> Answer.sent();
            });
  }

  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          """
          parley.gateway.offline-grace = 200ms
          parley.push.retry.min-backoff = 100ms
          parley.push.retry.max-backoff = 500ms
          parley.push.web-links.base-url = "https://app.example.com"
          """,
          fcm);

  private final HttpApi api = live.api();
  private final NotificationApi notifications = new NotificationApi(api);

  @Test
  void anOfflineUserGetsOnePushPerMessageCollapsedPerConversationAndOneInboxItem() {
    notifications.registerDevice("pb", "pb-phone");
    String conversation = directConversation("pa", "pb");
    for (int i = 1; i <= 3; i++) post("pa", conversation, "m-" + i, "hello " + i);

    // One push per message, unless newer ones of the same conversation superseded it before it left.
    List<FakeFcmTransport.Request> pushes =
        Eventually.await(
            "the push of the third message",
            () -> pushesTo("pb-phone"),
            sent -> !sent.isEmpty() && sent.get(sent.size() - 1).message().path("data").path("seq").asText().equals("3"));
    FakeFcmTransport.Request last = pushes.get(pushes.size() - 1);
    assertThat(pushes).hasSizeBetween(1, 3).allSatisfy(push -> {
      assertThat(push.message().path("android").path("collapse_key").asText()).isEqualTo(conversation);
      assertThat(push.message().path("data").path("conversationId").asText()).isEqualTo(conversation);
    });
    assertThat(last.message().path("notification").path("body").asText()).isEqualTo("3 new messages from pa");
    assertThat(last.message().path("notification").path("title").asText()).isEqualTo("pa");
    assertThat(last.message().path("data").path("count").asText()).isEqualTo("3");
    assertThat(last.message().path("webpush").path("fcm_options").path("link").asText())
        .isEqualTo("https://app.example.com/conversations/" + conversation);

    JsonNode inbox = api.get("/api/notifications", TestTokens.user("pb")).json();
    assertThat(inbox.get("unreadCount").asInt()).isEqualTo(1);
    assertThat(inbox.get("notifications")).singleElement().satisfies(n -> {
      assertThat(n.get("kind").asText()).isEqualTo("message");
      assertThat(n.get("count").asInt()).isEqualTo(3);
      assertThat(n.get("data").get("conversationId").asText()).isEqualTo(conversation);
    });

    // Reading the conversation on any device reads its message notification.
    assertThat(api.post("/api/conversations/" + conversation + "/read", TestTokens.user("pb"), "{\"seq\":3}").status())
        .isEqualTo(200);
    Eventually.await(
        "the message notification read",
        () -> api.get("/api/notifications", TestTokens.user("pb")).json().get("unreadCount").asInt(),
        unread -> unread == 0);
  }

  @Test
  void noPushWhileTheUserIsOnlineAndAPushOnceTheyAreOffline() {
    notifications.registerDevice("pc", "pc-phone");
    // pc starts it, so that pd may see when pc is offline.
    String conversation = directConversation("pc", "pd");
    try (WsClient pc = WsClient.signedIn(live.node(), TestTokens.user("pc"))) {
      post("pd", conversation, "online-1", "while you are here");
      assertThat(pc.until("message").get("content").asText()).isEqualTo("while you are here");
    }
    Eventually.await(
        "pc offline",
        () -> api.get("/api/presence?userIds=pc", TestTokens.user("pd")).json().get("presence").get(0).get("status").asText(),
        "offline"::equals);
    post("pd", conversation, "offline-2", "while you are away");

    FakeFcmTransport.Request push = awaitPushes("pc-phone", 1).get(0);
    assertThat(push.message().path("data").path("seq").asText()).isEqualTo("2");
    assertThat(push.message().path("notification").path("body").asText()).isEqualTo("while you are away");
    assertThat(pushesTo("pc-phone")).hasSize(1);
  }

  @Test
  void tokensFcmCallsDeadAreRemovedAndTheOthersKept() {
    notifications.registerDevice("pe", "dead-token");
    notifications.registerDevice("pe", "garbage-token");
    notifications.registerDevice("pe", "pe-good-token");

    notifications.send("pe", "{\"kind\":\"job_match\",\"title\":\"A match\",\"body\":\"Senior Java in Paris\",\"data\":{\"jobId\":\"j-42\"}}");

    Eventually.await("dead tokens removed", () -> notifications.devices("pe"), tokens -> tokens.equals(List.of("pe-good-token")));
    FakeFcmTransport.Request good = awaitPushes("pe-good-token", 1).get(0);
    assertThat(good.message().path("data").path("jobId").asText()).isEqualTo("j-42");
    assertThat(good.message().path("data").path("kind").asText()).isEqualTo("job_match");
    assertThat(good.message().path("webpush").path("fcm_options").path("link").asText())
        .isEqualTo("https://app.example.com/jobs/j-42");
  }

  /** FCM takes data as strings: each number of the notification's data is the text of its exact value. */
  @Test
  void aPushCarriesTheNumbersOfItsDataExactly() {
    notifications.registerDevice("pn", "pn-phone");
    notifications.send("pn", "{\"kind\":\"system\",\"title\":\"Figures\",\"data\":" + PreciseNumbers.object() + "}");

    PreciseNumbers.assertKeptAsText(awaitPushes("pn-phone", 1).get(0).message().path("data"));
  }

  @Test
  void passingFaultsAreRetriedUntilThePushGetsThrough() {
    notifications.registerDevice("pf", "quota-token");
    notifications.registerDevice("pg", "flaky-token");

    notifications.send("pf", "{\"kind\":\"system\",\"title\":\"Maintenance tonight\"}");
    notifications.send("pg", "{\"kind\":\"system\",\"title\":\"Maintenance tonight\"}");

    assertThat(awaitPushes("quota-token", 3)).hasSize(3);
    assertThat(awaitPushes("flaky-token", 2)).hasSize(2);
    JsonNode results =
        Eventually.await(
            "two pushes counted as sent",
            () -> api.get("/api/health", null).json().get("push"),
            push -> push.path("results").path("quota_exceeded").asInt() == 2);
    assertThat(results.get("status").asText()).isEqualTo("configured");
  }

  @Test
  void kindsThatAreNotPushedStayInTheInboxOnly() {
    notifications.registerDevice("ph", "ph-phone");
    notifications.send("ph", "{\"kind\":\"like\",\"title\":\"Ana liked your post\"}");
    notifications.send("ph", "{\"kind\":\"system\",\"title\":\"After the like\"}");

    FakeFcmTransport.Request push = awaitPushes("ph-phone", 1).get(0);
    assertThat(push.message().path("notification").path("title").asText()).isEqualTo("After the like");
    assertThat(api.get("/api/notifications", TestTokens.user("ph")).json().get("unreadCount").asInt()).isEqualTo(2);
  }

  @Test
  void anAnnouncementToATopicIsStoredOnceAndPushedToThatFcmTopic() {
    String body =
        "{\"topic\":\"jobs-paris\",\"idempotencyKey\":\"weekly-7\",\"notification\":{\"kind\":\"system\","
            + "\"title\":\"12 new jobs in Paris\",\"data\":{\"city\":\"Paris\"}}}";
    HttpApi.Response first = api.post("/api/admin/notifications", TestTokens.serviceRole(), body);
    HttpApi.Response retry = api.post("/api/admin/notifications", TestTokens.serviceRole(), body);
    assertThat(first.status()).isEqualTo(202);
    assertThat(retry.json().get("duplicates").asInt()).isEqualTo(1);

    FakeFcmTransport.Request push =
        Eventually.await(
                "the topic push",
                () -> fcm.requests().stream().filter(r -> "jobs-paris".equals(r.topic())).toList(),
                pushes -> !pushes.isEmpty())
            .get(0);
    assertThat(push.message().path("notification").path("title").asText()).isEqualTo("12 new jobs in Paris");
    assertThat(push.message().path("data").path("city").asText()).isEqualTo("Paris");
    assertThat(fcm.requests().stream().filter(r -> "jobs-paris".equals(r.topic()))).hasSize(1);
  }

  @Test
  void aTopicLongerThan200CharactersIsStoredUnderItsHashAndPushedByItsFullName() {
    String topic = "jobs-" + "paris-backend-".repeat(20);
    assertThat(topic).hasSizeGreaterThan(200);
    assertThat(Announcements.entityId(topic)).isEqualTo("topic-sha256." + Sha256.hex(topic));
    assertThat(Announcements.entityId("jobs-paris")).isEqualTo("topic.jobs-paris");

    HttpApi.Response sent =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"topic\":\"" + topic + "\",\"notification\":{\"kind\":\"system\",\"title\":\"Backend jobs\"}}");
    assertThat(sent.status()).as(sent.body()).isEqualTo(202);
    Eventually.await("the push to the long topic",
        () -> fcm.requests().stream().filter(r -> topic.equals(r.topic())).count(), count -> count == 1);

    for (String bad : List.of("x".repeat(901), "jobs in paris", "")) {
      HttpApi.Response refused =
          api.post("/api/admin/notifications", TestTokens.serviceRole(),
              "{\"topic\":\"" + bad + "\",\"notification\":{\"kind\":\"system\",\"title\":\"Jobs\"}}");
      assertThat(refused.status()).as(bad).isEqualTo(400);
      assertThat(refused.json().get("detail").asText()).contains("'topic'");
    }
  }

  private List<FakeFcmTransport.Request> awaitPushes(String token, int count) {
    return Eventually.await(count + " push(es) to " + token, () -> pushesTo(token), pushes -> pushes.size() >= count);
  }

  private static List<FakeFcmTransport.Request> pushesTo(String token) {
    return fcm.requests().stream().filter(r -> token.equals(r.token())).toList();
  }



  private String directConversation(String from, String to) {
    return api.post("/api/conversations", TestTokens.user(from), "{\"type\":\"direct\",\"userId\":\"" + to + "\"}")
        .json()
        .get("id")
        .asText();
  }

  private void post(String userId, String conversation, String clientMsgId, String content) {
    assertThat(
            api.post(
                    "/api/conversations/" + conversation + "/messages",
                    TestTokens.user(userId),
                    "{\"clientMsgId\":\"" + clientMsgId + "\",\"content\":\"" + content + "\"}")
                .status())
        .isEqualTo(201);
  }

}
