package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.tools.FakeFcmTransport;
import org.junit.jupiter.api.Test;

/**
 * A message edited again after it left its conversation's window is never notified with the text of an earlier edit,
 * even when the projection that fills inboxes gets to the earlier edit in one group and the later one in the next:
 * the conversation still knows when the message was last edited.
 */
class EditedSinceTest {
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");

  private static final Config NO_SETTLE = ConfigFactory.parseString("parley.user.presence-settle = 0s");

  /** The first node stores the conversation and never puts its messages into inboxes, as if the projection lagged. */
  private static final Config STORES_ONLY =
      ConfigFactory.parseString("parley.conversation.recent-window = 3\nparley.notifications.messages.enabled = off")
          .withFallback(NO_SETTLE);

  /**
   * The second node's projection takes the conversation's first 6 events as one group (its creation, the 4 messages
   * and the first edit) and the rest as the next: the group is closed by its size alone, however the journal hands the
   * events over, since the time limit is never reached.
   */
  private static final Config FIRST_EDIT_ALONE_IN_ITS_GROUP =
      ConfigFactory.parseString(
              "parley.conversation.recent-window = 3\n"
                  + "parley.notifications.messages.group-size = 6\n"
                  + "parley.notifications.messages.group-within = 1h")
          .withFallback(NO_SETTLE);

  @Test
  void aMessageEditedAgainOutsideTheWindowInALaterGroupIsNotNotifiedWithTheTextOfTheEarlierEdit() {
    try (TestDatabase database = TestDatabase.h2()) {
      String conversation;
      try (TestNode first = TestNode.start(database, STORES_ONLY)) {
        HttpApi api = new HttpApi(first::uri);
        new NotificationApi(api).registerDevice("bo", "bo-phone");
        conversation =
            api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"bo\"}").json().get("id").asText();
        String messages = "/api/conversations/" + conversation + "/messages";
        String[] ids = new String[5];
        for (int i = 1; i <= 4; i++) {
          HttpApi.Response posted = api.post(messages, ANA, "{\"content\":\"message " + i + "\"}");
          assertThat(posted.status()).as(posted.body()).isEqualTo(201);
          ids[i] = posted.json().get("id").asText();
        }
        // Message 1 has left the window of 3 when it is edited, twice.
        HttpApi.Response firstEdit =
            api.patch(messages + "/" + ids[1], ANA, "{\"content\":\"first edit, taken back\"}");
        assertThat(firstEdit.status()).as(firstEdit.body()).isEqualTo(200);
        HttpApi.Response secondEdit = api.patch(messages + "/" + ids[1], ANA, "{\"content\":\"second edit\"}");
        assertThat(secondEdit.status()).as(secondEdit.body()).isEqualTo(200);
        // Messages 2 to 4 are deleted, so that bo's notification is about message 1 alone.
        for (int i = 2; i <= 4; i++) assertThat(api.delete(messages + "/" + ids[i], ANA).status()).isEqualTo(200);
      }

      FakeFcmTransport fcm = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, FIRST_EDIT_ALONE_IN_ITS_GROUP, fcm)) {
        HttpApi api = new HttpApi(second::uri);
        JsonNode notifications =
            Eventually.await(
                    "bo's notification of message 1",
                    () -> api.get("/api/notifications", BO).json(),
                    inbox -> inbox.get("notifications").size() >= 1)
                .get("notifications");
        assertThat(notifications).hasSize(1);
        JsonNode notification = notifications.get(0);
        assertThat(notification.get("data").get("conversationId").asText()).isEqualTo(conversation);
        assertThat(notification.get("data").get("seq").asLong()).isEqualTo(1);
        assertThat(notification.get("count").asInt()).isEqualTo(1);
        assertThat(notification.get("body").asText())
            .as("the text of the first edit was replaced before the notification was stored")
            .doesNotContain("first edit")
            .isEqualTo("New message");

        FakeFcmTransport.Request push =
            Eventually.await("the push to bo's phone", fcm::requests, sent -> !sent.isEmpty()).get(0);
        assertThat(push.token()).isEqualTo("bo-phone");
        assertThat(push.message().toString()).doesNotContain("first edit");
        assertThat(push.message().path("notification").path("body").asText()).isEqualTo("New message");
      }
    }
  }
}
