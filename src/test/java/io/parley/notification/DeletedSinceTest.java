package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.conversation.Conversation;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A message deleted after it left its conversation's window is notified to nobody, even when the projection that
 * fills inboxes gets to the message before the delete: the conversation still knows it was deleted.
 */
class DeletedSinceTest {
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");

  @Test
  void aMessageDeletedOutsideTheWindowInALaterGroupIsNotNotifiedWithItsEditedText() throws Exception {
    try (TestDatabase database = TestDatabase.h2();
        TestNode node =
            TestNode.start(
                database,
                ConfigFactory.parseString(
                    "parley.conversation.recent-window = 3\nparley.notifications.messages.enabled = off"))) {
      HttpApi api = new HttpApi(node::uri);
      String conversation =
          api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"bo\"}").json().get("id").asText();
      List<JsonNode> posted = new ArrayList<>();
      for (int i = 1; i <= 5; i++) {
        HttpApi.Response response =
            api.post("/api/conversations/" + conversation + "/messages", ANA, "{\"content\":\"message " + i + "\"}");
        assertThat(response.status()).as(response.body()).isEqualTo(201);
        posted.add(response.json());
      }
      String first = posted.get(0).get("id").asText();
      String path = "/api/conversations/" + conversation + "/messages/" + first;
      assertThat(api.patch(path, ANA, "{\"content\":\"edited, then taken back\"}").status()).isEqualTo(200);
      assertThat(api.delete(path, ANA).status()).isEqualTo(200);

      // The group the projection saw: message 1 and its edit; the delete is in the next group.
      Instant at = Instant.now();
      MessageInboxes.Filler filler =
          new MessageInboxes.Filler(
              node.node().system(), MessageInboxes.Settings.fromConfig(node.node().system().settings().config()));
      process(filler, conversation,
          postedEvent(conversation, posted.get(0), "message 1", at),
          new Conversation.MessageEdited(conversation, first, 1, "edited, then taken back", at.plusSeconds(1)));

      JsonNode afterTheEdit = api.get("/api/notifications", BO).json().get("notifications");
      assertThat(afterTheEdit.toString()).doesNotContain("taken back");
      assertThat(afterTheEdit).as("nobody is notified of message 1").isEmpty();

      // Message 2, not deleted, is notified (without its text: it has left the window too), and counts alone.
      process(filler, conversation, postedEvent(conversation, posted.get(1), "message 2", at));
      JsonNode notifications = api.get("/api/notifications", BO).json().get("notifications");
      assertThat(notifications).hasSize(1);
      assertThat(notifications.get(0).get("count").asInt()).isEqualTo(1);
      assertThat(notifications.get(0).get("data").get("seq").asLong()).isEqualTo(2);
    }
  }

  private static void process(MessageInboxes.Filler filler, String conversation, Conversation.Event... events)
      throws Exception {
    List<EventEnvelope<Conversation.Event>> envelopes = new ArrayList<>();
    for (int i = 0; i < events.length; i++) {
      envelopes.add(EventEnvelope.create(Sequence.apply(i + 1), "Conversation|" + conversation, i + 1, events[i], 0L));
    }
    filler.process(envelopes).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static Conversation.MessagePosted postedEvent(String conversation, JsonNode message, String content, Instant at) {
    return new Conversation.MessagePosted(
        conversation, message.get("id").asText(), message.get("seq").asLong(), "ana", null, content, null, at, null);
  }
}
