package io.parley.push;

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
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A push leaves some time after its notification was stored, long after when replayed following an outage: it goes
 * out as the notification is then, or not at all once it was read or its message deleted.
 */
class PushAfterChangeTest {
  /**
   * Stores and never pushes, as a node whose push projection is down. One push slice, so that the last push sent
   * means every one stored before it was decided; no settle, so that no push is held (held ones were checked before).
   */
  private static final Config STORES_ONLY =
      ConfigFactory.parseString(
          """
          parley.push.projection.enabled = off
          parley.push.tag-slices = 1
          parley.user.presence-settle = 0s
          """);

  private static final Config PUSHES = ConfigFactory.parseString("parley.push.tag-slices = 1");

  @Test
  void aNotificationReadOrWhoseMessageWasDeletedBeforeItsPushLeftIsNotPushedAndAnEditedOneIsPushedAsEdited() {
    try (TestDatabase database = TestDatabase.h2()) {
      try (TestNode first = TestNode.start(database, STORES_ONLY, new FakeFcmTransport())) {
        HttpApi api = new HttpApi(first::uri);
        NotificationApi notifications = new NotificationApi(api);
        for (String user : List.of("ch-del", "ch-edit", "ch-keep", "ch-read", "ch-last")) {
          notifications.registerDevice(user, user + "-phone");
        }
        String deleted = post(api, directConversation(api, "ch-s", "ch-del"), "the secret I take back");
        String edited = post(api, directConversation(api, "ch-s", "ch-edit"), "see you at 8");
        post(api, directConversation(api, "ch-s", "ch-keep"), "unchanged");
        notifications.send("ch-read", "{\"kind\":\"system\",\"title\":\"Read on the web\"}");
        for (String user : List.of("ch-del", "ch-edit", "ch-keep", "ch-read")) {
          Eventually.await("the notification of " + user, () -> inbox(api, user).size(), size -> size == 1);
        }

        assertThat(api.delete(deleted, TestTokens.user("ch-s")).status()).isEqualTo(200);
        assertThat(api.patch(edited, TestTokens.user("ch-s"), "{\"content\":\"see you at 9\"}").status()).isEqualTo(200);
        assertThat(api.post("/api/notifications/" + inbox(api, "ch-read").get(0).get("id").asText() + "/read",
            TestTokens.user("ch-read"), "").status()).isEqualTo(200);
        Eventually.await("the deleted message's tombstone", () -> inbox(api, "ch-del").get(0).get("body").asText(),
            "Message deleted"::equals);
        Eventually.await("the edited preview", () -> inbox(api, "ch-edit").get(0).get("body").asText(),
            "see you at 9"::equals);
        notifications.send("ch-last", "{\"kind\":\"system\",\"title\":\"Stored last\"}");
      }

      FakeFcmTransport fcm = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, PUSHES, fcm)) {
        Eventually.await("the push stored last", () -> pushesTo(fcm, "ch-last-phone"), pushes -> !pushes.isEmpty());

        assertThat(pushesTo(fcm, "ch-keep-phone")).singleElement()
            .satisfies(push -> assertThat(body(push)).isEqualTo("unchanged"));
        assertThat(pushesTo(fcm, "ch-edit-phone")).singleElement()
            .satisfies(push -> assertThat(body(push)).isEqualTo("see you at 9"));
        assertThat(pushesTo(fcm, "ch-del-phone")).as("deleted text never reaches the lock screen").isEmpty();
        assertThat(pushesTo(fcm, "ch-read-phone")).as("read on another device before the push left").isEmpty();
      }
    }
  }

  private static List<JsonNode> inbox(HttpApi api, String user) {
    List<JsonNode> notifications = new java.util.ArrayList<>();
    api.get("/api/notifications", TestTokens.user(user)).json().get("notifications").forEach(notifications::add);
    return notifications;
  }

  private static String directConversation(HttpApi api, String from, String to) {
    return api.post("/api/conversations", TestTokens.user(from), "{\"type\":\"direct\",\"userId\":\"" + to + "\"}")
        .json()
        .get("id")
        .asText();
  }

  /** Posts a message, and answers its path. */
  private static String post(HttpApi api, String conversation, String content) {
    HttpApi.Response posted =
        api.post(
            "/api/conversations/" + conversation + "/messages",
            TestTokens.user("ch-s"),
            "{\"clientMsgId\":\"" + content.hashCode() + "\",\"content\":\"" + content + "\"}");
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    return "/api/conversations/" + conversation + "/messages/" + posted.json().get("id").asText();
  }

  private static String body(FakeFcmTransport.Request push) {
    return push.message().path("notification").path("body").asText();
  }

  private static List<FakeFcmTransport.Request> pushesTo(FakeFcmTransport fcm, String token) {
    return fcm.requests().stream().filter(r -> token.equals(r.token())).toList();
  }
}
