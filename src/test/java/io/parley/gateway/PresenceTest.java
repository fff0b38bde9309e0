package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.testkit.WsFrames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Presence: online per device, a grace period before offline, invisible, and only for people one talks to. */
class PresenceTest {
  /**
   * Long enough for a reconnect to register within it on a loaded machine; the offline frame comes this long after
   * the last session closes, well within a frame's wait.
   */
  private static final Duration OFFLINE_GRACE = Duration.ofSeconds(3);

  @RegisterExtension
  static final LiveNode live =
      new LiveNode("parley.gateway.offline-grace = " + OFFLINE_GRACE.toMillis() + "ms\nparley.gateway.max-watched-users = 3");


  /** A direct conversation that {@code b} started with {@code a}, once the read side knows of it: a may see b. */
  private static void acquaint(String a, String b) {
    live.api().post("/api/conversations", TestTokens.user(b), "{\"type\":\"direct\",\"userId\":\"" + a + "\"}");
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (live.api().get("/api/conversations", TestTokens.user(a)).json().get("conversations").isEmpty()) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      sleep(50);
    }
  }

  private static String subscribe(String... ids) {
    return "{\"type\":\"presence.subscribe\",\"ref\":\"s\",\"userIds\":[\"" + String.join("\",\"", ids) + "\"]}";
  }

  private static JsonNode presenceOf(WsClient client, String userId) {
    return client.until(f -> f.path("type").asText().equals("presence") && f.path("userId").asText().equals(userId),
        new java.util.ArrayList<>());
  }

  @Test
  void followsOnlineGraceOfflineAndLastSeen() {
    acquaint("pa", "pb");
    try (WsClient watcher = WsClient.signedIn(live.node(), TestTokens.user("pa"))) {
      watcher.send(subscribe("pb"));
      JsonNode initially = presenceOf(watcher, "pb");
      assertThat(initially.get("status").asText()).isEqualTo("offline");
      assertThat(initially.get("lastSeenAt").isNull()).isTrue();

      WsClient phone = WsClient.signedIn(live.node(), TestTokens.user("pb"));
      assertThat(presenceOf(watcher, "pb").get("status").asText()).isEqualTo("online");
      // A reload: the phone drops and a new session comes within the grace period; no flap.
      phone.abort();
      WsClient again = WsClient.signedIn(live.node(), TestTokens.user("pb"));
      // Past the grace the phone's drop started: an offline would have gone out by now.
      sleep(OFFLINE_GRACE.plusSeconds(1).toMillis());
      assertThat(watcher.drain()).noneMatch(f -> f.path("type").asText().equals("presence"));

      Instant before = Instant.now();
      again.close();
      JsonNode offline = presenceOf(watcher, "pb");
      assertThat(offline.get("status").asText()).isEqualTo("offline");
      assertThat(Instant.parse(offline.get("lastSeenAt").asText())).isAfterOrEqualTo(before.minusSeconds(1));

      HttpApi.Response rest = live.api().get("/api/presence?userIds=pb", TestTokens.user("pa"));
      assertThat(rest.json().get("presence").get(0).get("lastSeenAt")).isEqualTo(offline.get("lastSeenAt"));
    }
  }

  @Test
  void invisibleShowsAsOfflineAndStatusesReachWatchers() {
    acquaint("pc", "pd");
    try (WsClient watcher = WsClient.signedIn(live.node(), TestTokens.user("pc"));
        WsClient watched = WsClient.signedIn(live.node(), TestTokens.user("pd"))) {
      watcher.send(subscribe("pd"));
      assertThat(presenceOf(watcher, "pd").get("status").asText()).isEqualTo("online");
      watched.send("{\"type\":\"presence.set\",\"status\":\"busy\"}");
      assertThat(presenceOf(watcher, "pd").get("status").asText()).isEqualTo("busy");
      watched.send("{\"type\":\"presence.set\",\"status\":\"invisible\"}");
      assertThat(presenceOf(watcher, "pd").get("status").asText()).isEqualTo("offline");
      assertThat(live.api().get("/api/presence?userIds=pd", TestTokens.user("pc")).json().get("presence").get(0)
          .get("status").asText()).isEqualTo("offline");
      watched.send("{\"type\":\"presence.set\",\"status\":\"sleeping\",\"ref\":\"bad\"}");
      assertThat(watched.until("error").get("code").asText()).isEqualTo("bad_request");
      watched.send("{\"type\":\"presence.set\",\"status\":\"online\"}");
      assertThat(presenceOf(watcher, "pd").get("status").asText()).isEqualTo("online");
    }
  }

  @Test
  void anInvisibleUserLooksOfflineSinceTheyWentInvisibleAndTheirSessionsEndingShowsNothing() {
    acquaint("pm", "pn");
    try (WsClient watcher = WsClient.signedIn(live.node(), TestTokens.user("pm"))) {
      WsClient watched = WsClient.signedIn(live.node(), TestTokens.user("pn"));
      watcher.send(subscribe("pn"));
      assertThat(presenceOf(watcher, "pn").get("status").asText()).isEqualTo("online");

      Instant before = Instant.now();
      watched.send("{\"type\":\"presence.set\",\"ref\":\"i\",\"status\":\"invisible\"}").until("ok");
      JsonNode hidden = presenceOf(watcher, "pn");
      assertThat(hidden.get("status").asText()).isEqualTo("offline");
      assertThat(Instant.parse(hidden.get("lastSeenAt").asText()))
          .as("seen last when they went invisible, as if they had gone offline")
          .isAfterOrEqualTo(before.minusSeconds(1));

      // A later watcher, REST, and the end of the session past the grace all show that same moment, and nothing moves.
      watched.close();
      sleep(OFFLINE_GRACE.plusSeconds(1).toMillis());
      assertThat(watcher.drain()).noneMatch(f -> f.path("type").asText().equals("presence"));
      JsonNode rest = live.api().get("/api/presence?userIds=pn", TestTokens.user("pm")).json().get("presence").get(0);
      assertThat(rest.get("status")).isEqualTo(hidden.get("status"));
      assertThat(rest.get("lastSeenAt")).isEqualTo(hidden.get("lastSeenAt"));
      try (WsClient later = WsClient.signedIn(live.node(), TestTokens.user("pm"))) {
        assertThat(presenceOf(later.send(subscribe("pn")), "pn")).isEqualTo(hidden);
      }

      // Back and still invisible: nothing again. Visible again: online, then the real last-seen time once gone.
      watched = WsClient.signedIn(live.node(), TestTokens.user("pn"));
      watched.send("{\"type\":\"presence.set\",\"ref\":\"o\",\"status\":\"online\"}").until("ok");
      assertThat(presenceOf(watcher, "pn").get("status").asText()).isEqualTo("online");
      Instant beforeLeaving = Instant.now();
      watched.close();
      JsonNode offline = presenceOf(watcher, "pn");
      assertThat(offline.get("status").asText()).isEqualTo("offline");
      assertThat(Instant.parse(offline.get("lastSeenAt").asText())).isAfterOrEqualTo(beforeLeaving);
    }
  }

  @Test
  void subscribingAgainAnswersWithThePresenceOfTheMomentAndAnUnsubscribeRightAfterASubscribeWins() {
    acquaint("pg", "ph");
    try (WsClient watcher = WsClient.signedIn(live.node(), TestTokens.user("pg"));
        WsClient watched = WsClient.signedIn(live.node(), TestTokens.user("ph"))) {
      watcher.send(subscribe("ph"));
      assertThat(presenceOf(watcher, "ph").get("status").asText()).isEqualTo("online");
      watcher.send(subscribe("ph"));
      assertThat(presenceOf(watcher, "ph").get("status").asText()).as("a second subscribe answers too").isEqualTo("online");

      // The unsubscribe comes while the subscribe still waits for the read side: the client's last word wins.
      watcher.send("{\"type\":\"presence.unsubscribe\",\"ref\":\"u\",\"userIds\":[\"ph\"]}");
      watcher.send(subscribe("ph"));
      watcher.send("{\"type\":\"presence.unsubscribe\",\"ref\":\"u2\",\"userIds\":[\"ph\"]}");
      List<JsonNode> answers = new java.util.ArrayList<>();
      while (answers.size() < 3) {
        JsonNode frame = watcher.next();
        if (frame.path("type").asText().equals("ok")) answers.add(frame);
      }
      watched.send("{\"type\":\"presence.set\",\"status\":\"busy\"}");
      sleep(1000);
      assertThat(watcher.drain())
          .as("no longer following ph")
          .noneMatch(f -> f.path("type").asText().equals("presence") && f.path("status").asText().equals("busy"));
    }
  }

  @Test
  void strangersAlwaysAppearOffline() {
    try (WsClient stranger = WsClient.signedIn(live.node(), TestTokens.user("pe"));
        WsClient target = WsClient.signedIn(live.node(), TestTokens.user("pf"))) {
      stranger.send(subscribe("pf"));
      JsonNode seen = presenceOf(stranger, "pf");
      assertThat(seen.get("status").asText()).isEqualTo("offline");
      stranger.until("ok");
      target.send("{\"type\":\"presence.set\",\"status\":\"away\"}");
      stranger.expectNothing(Duration.ofMillis(500));
      JsonNode rest = live.api().get("/api/presence?userIds=pf", TestTokens.user("pe")).json().get("presence").get(0);
      assertThat(rest.get("status").asText()).isEqualTo("offline");
      assertThat(live.api().get("/api/presence?userIds=", TestTokens.user("pe")).status()).isEqualTo(400);
      assertThat(live.api().get("/api/presence?userIds=a%20b", TestTokens.user("pe")).status()).isEqualTo(400);
    }
  }

  @Test
  void addingSomeoneToAGroupRevealsNothingUntilTheyPostInIt() {
    HttpApi api = live.api();
    String group =
        api.post("/api/conversations", TestTokens.user("pi"),
                "{\"type\":\"group\",\"title\":\"Recruiting\",\"participantIds\":[\"pj\"]}")
            .json().get("id").asText();
    try (WsClient creator = WsClient.signedIn(live.node(), TestTokens.user("pi"));
        WsClient added = WsClient.signedIn(live.node(), TestTokens.user("pj"))) {
      Eventually.await("pj's list shows the group", () -> api.get("/api/conversations", TestTokens.user("pj")).json()
          .get("conversations").size(), size -> size == 1);
      // pj chose nothing yet: to pi, pj is offline and never seen.
      JsonNode hidden = presenceOf(creator.send(subscribe("pj")), "pj");
      assertThat(hidden.get("status").asText()).isEqualTo("offline");
      assertThat(hidden.get("lastSeenAt").isNull()).isTrue();
      // pi started the group, and so is seen by its members.
      assertThat(presenceOf(added.send(subscribe("pi")), "pi").get("status").asText()).isEqualTo("online");

      added.send(WsFrames.send(group, "reply-1", "hello", "r")).until("sent");
      Eventually.await(
          "pj seen once pj has posted",
          () -> api.get("/api/presence?userIds=pj", TestTokens.user("pi")).json().get("presence").get(0).get("status").asText(),
          "online"::equals);
    }
  }

  @Test
  void aSessionFollowsABoundedNumberOfUsers() {
    for (String other : List.of("pl1", "pl2", "pl3", "pl4")) {
      live.api().post("/api/conversations", TestTokens.user(other), "{\"type\":\"direct\",\"userId\":\"pk\"}");
    }
    Eventually.await("pk's four conversations listed", () -> live.api().get("/api/conversations", TestTokens.user("pk"))
        .json().get("conversations").size(), size -> size == 4);
    try (WsClient watcher = WsClient.signedIn(live.node(), TestTokens.user("pk"))) {
      watcher.send(subscribe("pl1", "pl2", "pl3")).until("ok");
      JsonNode refused = watcher.send(subscribe("pl3", "pl4")).until("error");
      assertThat(refused.get("code").asText()).isEqualTo("bad_request");
      assertThat(refused.get("message").asText()).contains("at most 3 users");
      watcher.send("{\"type\":\"presence.unsubscribe\",\"ref\":\"u\",\"userIds\":[\"pl1\"]}").until("ok");
      watcher.send(subscribe("pl3", "pl4")).until("ok");
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
