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
import io.parley.user.User;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A push leaves some time after its notification was stored, long after when replayed following an outage: it goes
 * out as the notification is then, or not at all once it was read or its message deleted.
 */
class PushAfterChangeTest {
  /**
   * Stores and never pushes, as a node whose push projection is down. One push slice, so that one offset covers every
   * push; no settle, so that no push is held (held ones were checked before).
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

      long lastPush = lastPushEvent(database);
      assertThat(lastPush).as("the stored pushes' last ordering").isPositive();
      FakeFcmTransport fcm = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, PUSHES, fcm)) {
        for (String token : List.of("ch-keep-phone", "ch-edit-phone", "ch-last-phone")) {
          Eventually.await("the push to " + token, () -> pushesTo(fcm, token), pushes -> !pushes.isEmpty());
        }
        // A group's multicasts go out in parallel, so a push arriving says nothing of the others: the offset moves
        // only once every push of its group is settled, and past the last stored one, nothing is left to send.
        Eventually.await("the push offset past every stored push", () -> pushOffset(database), at -> at >= lastPush);

        assertThat(pushesTo(fcm, "ch-keep-phone")).singleElement()
            .satisfies(push -> assertThat(body(push)).isEqualTo("unchanged"));
        assertThat(pushesTo(fcm, "ch-edit-phone")).singleElement()
            .satisfies(push -> assertThat(body(push)).isEqualTo("see you at 9"));
        assertThat(pushesTo(fcm, "ch-del-phone")).as("deleted text never reaches the lock screen").isEmpty();
        assertThat(pushesTo(fcm, "ch-read-phone")).as("read on another device before the push left").isEmpty();
      }
    }
  }

  /** The journal ordering of the last event tagged for pushes. */
  private static long lastPushEvent(TestDatabase database) {
    return query(database, "SELECT MAX(event_id) FROM event_tag WHERE tag = '" + User.pushTag(0) + "'");
  }

  /** How far the push projection has settled its events: the ordering its offset stores, 0 before the first. */
  private static long pushOffset(TestDatabase database) {
    return query(database, "SELECT current_offset FROM akka_projection_offset_store WHERE projection_name = 'push'"
        + " AND projection_key = '" + User.pushTag(0) + "'");
  }

  private static long query(TestDatabase database, String sql) {
    try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "");
        ResultSet row = connection.createStatement().executeQuery(sql)) {
      return row.next() && row.getString(1) != null ? Long.parseLong(row.getString(1)) : 0;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
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
