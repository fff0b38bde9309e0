package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.conversation.Conversation;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.tools.FakeFcmTransport;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A message changed after the inboxes' projection took it from its conversation, and before the inbox heard of it, is
 * notified and pushed as it is after the change: the conversation's notice of the edit or delete reaches the
 * recipient's entity first, when it has no notification to revise yet.
 */
class ChangedBeforeNotifiedTest {
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");

  /** The test's filler is the only one: the node's own projection would notify the message before the test holds it. */
  private static final Config TEST_FILLS_INBOXES =
      ConfigFactory.parseString("parley.notifications.messages.enabled = off\nparley.user.presence-settle = 0s");

  @Test
  void aMessageEditedWhileItsNotificationWasOnItsWayIsNotifiedAndPushedWithTheEdit() throws Exception {
    FakeFcmTransport fcm = new FakeFcmTransport();
    try (TestDatabase database = TestDatabase.h2(); TestNode node = TestNode.start(database, TEST_FILLS_INBOXES, fcm)) {
      HttpApi api = new HttpApi(node::uri);
      new NotificationApi(api).registerDevice("bo", "bo-phone");
      String conversation = direct(api);
      JsonNode posted = post(api, conversation, "see you at 8, the old plan");

      fillInboxesChangingTheMessageMeanwhile(node, conversation, posted, () -> {
        HttpApi.Response edited = api.patch(path(conversation, posted), ANA, "{\"content\":\"see you at 9\"}");
        assertThat(edited.status()).as(edited.body()).isEqualTo(200);
      });

      JsonNode notifications = api.get("/api/notifications", BO).json().get("notifications");
      assertThat(notifications).hasSize(1);
      assertThat(notifications.get(0).get("body").asText())
          .as("the edit reached bo's entity before the notification it revises")
          .isEqualTo("see you at 9");
      FakeFcmTransport.Request push =
          Eventually.await("the push to bo's phone", fcm::requests, sent -> !sent.isEmpty()).get(0);
      assertThat(push.message().toString()).doesNotContain("old plan");
      assertThat(push.message().path("notification").path("body").asText()).isEqualTo("see you at 9");
    }
  }

  @Test
  void aMessageDeletedWhileItsNotificationWasOnItsWayIsNeitherStoredNorPushed() throws Exception {
    FakeFcmTransport fcm = new FakeFcmTransport();
    try (TestDatabase database = TestDatabase.h2(); TestNode node = TestNode.start(database, TEST_FILLS_INBOXES, fcm)) {
      HttpApi api = new HttpApi(node::uri);
      new NotificationApi(api).registerDevice("bo", "bo-phone");
      String conversation = direct(api);
      JsonNode posted = post(api, conversation, "the secret I take back");

      fillInboxesChangingTheMessageMeanwhile(node, conversation, posted, () -> {
        HttpApi.Response deleted = api.delete(path(conversation, posted), ANA);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
      });

      // A push is made only from a stored notification: with none stored, none is on its way.
      assertThat(api.get("/api/notifications", BO).json().get("notifications"))
          .as("the delete reached bo's entity before the notification of the message")
          .isEmpty();
      // The next message is notified and pushed as usual, after anything the deleted one could have pushed.
      JsonNode later = post(api, conversation, "a later message");
      new MessageInboxes.Filler(node.node().system(), settings(node))
          .process(envelopes(posted(conversation, later)))
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      FakeFcmTransport.Request push =
          Eventually.await("the push of the later message", fcm::requests, sent -> !sent.isEmpty()).get(0);
      assertThat(fcm.requests()).hasSize(1);
      assertThat(push.message().toString()).doesNotContain("secret");
      assertThat(push.message().path("notification").path("body").asText()).isEqualTo("a later message");
    }
  }

  /**
   * The projection's group holds the message; its conversation has answered who it is for and how it reads when
   * {@code change} runs, and the inbox hears of it only once {@code change} is done. The change's notice to bo was
   * sent before its HTTP answer, through the same shard region the notification then goes through: it reaches bo's
   * entity first, as it does when the sender is quicker than the projection.
   */
  private static void fillInboxesChangingTheMessageMeanwhile(
      TestNode node, String conversation, JsonNode posted, Runnable change) throws Exception {
    CompletableFuture<Void> answered = new CompletableFuture<>();
    CompletableFuture<Void> changed = new CompletableFuture<>();
    MessageInboxes.Filler filler =
        new MessageInboxes.Filler(
            node.node().system(),
            settings(node),
            () -> {
              answered.complete(null);
              return changed;
            });
    CompletionStage<?> filled = filler.process(envelopes(posted(conversation, posted)));
    answered.get(10, TimeUnit.SECONDS);
    change.run();
    changed.complete(null);
    filled.toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static MessageInboxes.Settings settings(TestNode node) {
    return MessageInboxes.Settings.fromConfig(node.node().system().settings().config());
  }

  private static List<EventEnvelope<Conversation.Event>> envelopes(Conversation.Event event) {
    return List.of(EventEnvelope.create(Sequence.apply(1), "Conversation|" + event.conversationId(), 1, event, 0L));
  }

  private static Conversation.MessagePosted posted(String conversation, JsonNode message) {
    return new Conversation.MessagePosted(
        conversation, message.get("id").asText(), message.get("seq").asLong(), "ana", null,
        message.get("content").asText(), null, Instant.now(), null);
  }

  private static String direct(HttpApi api) {
    return api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"bo\"}").json().get("id").asText();
  }

  private static JsonNode post(HttpApi api, String conversation, String content) {
    HttpApi.Response posted =
        api.post("/api/conversations/" + conversation + "/messages", ANA, "{\"content\":\"" + content + "\"}");
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    return posted.json();
  }

  private static String path(String conversation, JsonNode message) {
    return "/api/conversations/" + conversation + "/messages/" + message.get("id").asText();
  }
}
