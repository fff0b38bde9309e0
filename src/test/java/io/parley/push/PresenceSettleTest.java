package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.tools.FakeFcmTransport;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A user entity that has just started does not yet know the sessions still connected to its user: a push it decides
 * then waits for presence to settle, and goes out only if no session came back.
 */
class PresenceSettleTest {
  private static final FakeFcmTransport fcm = new FakeFcmTransport();

  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          """
          parley.user.presence-settle = 5s
          parley.gateway.offline-grace = 200ms
          """,
          fcm);

  private final HttpApi api = live.api();
  private final NotificationApi notifications = new NotificationApi(api);

  @Test
  void aPushDecidedRightAfterTheEntityStartedIsDroppedWhenASessionRegistersAndSentWhenNoneDoes() {
    // ps1 started a conversation with ps2, who so may see when ps1 is online.
    assertThat(api.post("/api/conversations", TestTokens.user("ps1"), "{\"type\":\"direct\",\"userId\":\"ps2\"}").status())
        .isEqualTo(200);
    // Each registration starts its user's entity, and with it the settle time.
    notifications.registerDevice("ps1", "ps1-phone");
    notifications.registerDevice("ps3", "ps3-phone");

    notifications.send("ps1", "{\"kind\":\"job_match\",\"title\":\"While you were reconnecting\"}");
    notifications.send("ps3", "{\"kind\":\"job_match\",\"title\":\"While you were away\"}");
    try (WsClient ps1 = WsClient.signedIn(live.node(), TestTokens.user("ps1"))) {
      Eventually.await("ps1 online", () -> presenceOf("ps1", "ps2"), "online"::equals);
    }

    FakeFcmTransport.Request away =
        Eventually.await("the push to ps3, who never came back", () -> pushesTo("ps3-phone"), pushes -> !pushes.isEmpty())
            .get(0);
    assertThat(away.message().path("notification").path("title").asText()).isEqualTo("While you were away");

    // A later push of ps1's, once offline, goes out after the held one was settled: their pushes are in order.
    Eventually.await("ps1 offline", () -> presenceOf("ps1", "ps2"), "offline"::equals);
    notifications.send("ps1", "{\"kind\":\"job_match\",\"title\":\"Now that you are away\"}");
    Eventually.await("the push to ps1 once offline", () -> pushesTo("ps1-phone"), pushes -> !pushes.isEmpty());
    assertThat(pushesTo("ps1-phone"))
        .extracting(push -> push.message().path("notification").path("title").asText())
        .containsExactly("Now that you are away");
    assertThat(api.get("/api/notifications", TestTokens.user("ps1")).json().get("notifications"))
        .as("the notification itself was stored at once").hasSize(2);
  }

  @Test
  void aSessionComingBackWhilePresenceSettlesIsToldTheNotificationsStoredMeanwhile() {
    notifications.registerDevice("ps4", "ps4-phone");
    notifications.send("ps4", "{\"kind\":\"job_match\",\"title\":\"Matched while you reconnected\"}");
    notifications.send("ps4", "{\"kind\":\"system\",\"title\":\"Maintenance tonight\"}");
    api.post("/api/notifications/n2/read", TestTokens.user("ps4"), "");

    try (WsClient ps4 = WsClient.signedIn(live.node(), TestTokens.user("ps4"))) {
      JsonNode told = ps4.until("notification");
      assertThat(told.get("notification").get("title").asText()).isEqualTo("Matched while you reconnected");
      assertThat(told.get("unreadCount").asInt()).isEqualTo(1);
      // The read one is not told: both were told in one go, so it would have come before the pong.
      List<JsonNode> before = new java.util.ArrayList<>();
      ps4.send("{\"type\":\"ping\"}").until(f -> f.path("type").asText().equals("pong"), before);
      assertThat(before).extracting(f -> f.path("type").asText()).doesNotContain("notification");
    }
  }

  private String presenceOf(String userId, String viewer) {
    return api.get("/api/presence?userIds=" + userId, TestTokens.user(viewer)).json().get("presence").get(0).get("status").asText();
  }

  private static List<FakeFcmTransport.Request> pushesTo(String token) {
    return fcm.requests().stream().filter(r -> token.equals(r.token())).toList();
  }
}
