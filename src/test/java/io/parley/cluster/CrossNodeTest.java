package io.parley.cluster;

import static io.parley.testkit.WsFrames.typing;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Adapter;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.ClusterSharding;
import akka.cluster.sharding.ShardRegion;
import akka.pattern.Patterns;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.Texts;
import io.parley.notification.LiveBroadcasts;
import io.parley.testkit.Device;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.PreciseNumbers;
import io.parley.testkit.TestCluster;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Three nodes in one cluster: sessions on one node reach user and conversation entities on the others. */
class CrossNodeTest {
  @RegisterExtension
  static final TestCluster cluster =
      new TestCluster(3, "parley.gateway.offline-grace = 700ms\nparley.conversation.typing-timeout = 3s");

  private static String group(String creator, List<String> others) {
    String body = "{\"type\":\"group\",\"title\":\"cluster\",\"participantIds\":[\"" + String.join("\",\"", others) + "\"]}";
    HttpApi.Response created = cluster.api(0).post("/api/conversations", TestTokens.user(creator), body);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().get("id").asText();
  }

  @Test
  void clientsOnEveryNodeGetEveryMessageOnceInSeqOrder() {
    // Not luck: the participants are chosen among users whose entities already run, up to two per node, so that
    // delivery crosses nodes by construction. Listing a user's inbox starts their entity.
    List<String> candidates = IntStream.rangeClosed(1, 30).mapToObj(i -> "cx" + i).toList();
    for (String candidate : candidates) {
      assertThat(cluster.api(0).get("/api/notifications", TestTokens.user(candidate)).status()).isEqualTo(200);
    }
    List<String> users = new ArrayList<>();
    Set<Integer> hosts = new HashSet<>();
    for (int n = 0; n < 3; n++) {
      Set<String> here = entitiesOn(cluster.node(n), "User");
      List<String> hostedHere = candidates.stream().filter(here::contains).limit(2).toList();
      if (!hostedHere.isEmpty()) hosts.add(n);
      users.addAll(hostedHere);
    }
    assertThat(hosts).as("nodes hosting the participants' user entities").hasSizeGreaterThan(1);
    String id = group(users.get(0), users.subList(1, users.size()));
    List<Device> devices = new ArrayList<>();
    try {
      for (int i = 0; i < users.size(); i++) devices.add(new Device(cluster.node(i % 3), users.get(i), id));
      // The three senders, one per node, take turns.
      List<Long> sent = new ArrayList<>();
      for (int round = 0; round < 10; round++) {
        for (int s = 0; s < 3; s++) sent.add(devices.get(s).send("m" + round + "-" + s, "round " + round));
      }
      List<Long> all = LongStream.rangeClosed(1, 30).boxed().toList();
      assertThat(sent).containsExactlyInAnyOrderElementsOf(all);
      for (Device device : devices) {
        device.awaitSeq(30);
        assertThat(device.seqs()).as("seqs shown to a device of " + device).containsExactlyElementsOf(all);
      }
    } finally {
      devices.forEach(Device::close);
    }
  }

  @Test
  void notificationsAndBroadcastsReachSessionsOnOtherNodes() {
    try (WsClient phone = WsClient.signedIn(cluster.node(1), TestTokens.user("nx1"));
        WsClient laptop = WsClient.signedIn(cluster.node(2), TestTokens.user("nx1"));
        WsClient other = WsClient.signedIn(cluster.node(0), TestTokens.user("nx2"))) {
      HttpApi.Response sent =
          cluster.api(0).post("/api/admin/notifications", TestTokens.serviceRole(),
              "{\"userIds\":[\"nx1\"],\"notification\":{\"kind\":\"application_status\",\"title\":\"Interview\"}}");
      assertThat(sent.status()).as(sent.body()).isEqualTo(202);
      for (WsClient device : List.of(phone, laptop)) {
        JsonNode frame = device.until("notification");
        assertThat(frame.get("notification").get("title").asText()).isEqualTo("Interview");
        assertThat(frame.get("unreadCount").asInt()).isEqualTo(1);
      }

      // Read on node 2, over REST on node 0: the phone on node 1 hears the new count.
      assertThat(cluster.api(0).post("/api/notifications/read-all", TestTokens.user("nx1"), null).status()).isEqualTo(200);
      assertThat(phone.until("notifications.unread").get("unreadCount").asInt()).isZero();

      assertThat(
              cluster.api(2).post("/api/admin/notifications", TestTokens.serviceRole(),
                  "{\"broadcast\":true,\"notification\":{\"kind\":\"system\",\"title\":\"Maintenance\"}}").status())
          .isEqualTo(202);
      for (WsClient device : List.of(phone, laptop, other)) {
        JsonNode frame = device.until(f -> f.path("broadcast").asBoolean(false), new ArrayList<>());
        assertThat(frame.get("notification").get("title").asText()).isEqualTo("Maintenance");
      }
    }
  }

  /**
   * Each round a node goes from no session to one and back: under pub-sub that re-registration took gossip rounds
   * to reach the publishing node, and broadcasts sent meanwhile were lost there.
   */
  @Test
  void aBroadcastReachesSessionsThatJustSignedInOnEveryNode() {
    for (int round = 0; round < 5; round++) {
      List<WsClient> sessions = new ArrayList<>();
      try {
        for (int n = 0; n < 3; n++) sessions.add(WsClient.signedIn(cluster.node(n), TestTokens.user("bc" + round + "-" + n)));
        String title = "Round " + round;
        assertThat(
                cluster.api(round % 3).post("/api/admin/notifications", TestTokens.serviceRole(),
                    "{\"broadcast\":true,\"notification\":{\"kind\":\"system\",\"title\":\"" + title + "\"}}").status())
            .isEqualTo(202);
        for (int n = 0; n < 3; n++) {
          JsonNode frame = sessions.get(n).until(f -> f.path("broadcast").asBoolean(false), new ArrayList<>());
          assertThat(frame.get("notification").get("title").asText()).as("the broadcast on node " + n).isEqualTo(title);
        }
      } finally {
        sessions.forEach(WsClient::close);
      }
    }
  }

  @Test
  void typingAndPresenceReachWatchersOnOtherNodes() {
    String direct =
        // ty-b starts it, so that ty-a may follow ty-b's presence.
        cluster.api(0).post("/api/conversations", TestTokens.user("ty-b"), "{\"type\":\"direct\",\"userId\":\"ty-a\"}")
            .json().get("id").asText();
    awaitListed("ty-a");
    try (WsClient watcher = WsClient.signedIn(cluster.node(0), TestTokens.user("ty-a"))) {
      watcher.send("{\"type\":\"presence.subscribe\",\"ref\":\"s\",\"userIds\":[\"ty-b\"]}");
      assertThat(presenceOf(watcher, "ty-b").get("status").asText()).isEqualTo("offline");

      WsClient typist = WsClient.signedIn(cluster.node(2), TestTokens.user("ty-b"));
      assertThat(presenceOf(watcher, "ty-b").get("status").asText()).isEqualTo("online");
      typist.send(typing(direct, true));
      JsonNode typingFrame = watcher.until("typing");
      assertThat(typingFrame.get("userId").asText()).isEqualTo("ty-b");
      assertThat(typingFrame.get("isTyping").asBoolean()).isTrue();

      // The typist's only session drops: typing ends and, after the grace period, the user is offline.
      typist.abort();
      assertThat(watcher.until("typing").get("isTyping").asBoolean()).isFalse();
      JsonNode offline = presenceOf(watcher, "ty-b");
      assertThat(offline.get("status").asText()).isEqualTo("offline");
      assertThat(offline.get("lastSeenAt").isNull()).isFalse();
    }
  }

  /**
   * A body just under {@code max-request-body} makes a command larger than Artery's 256 KiB frame, which would be
   * dropped on its way to another node (and the client left with a 503 after the ask timeout): node 0 refuses it itself.
   */
  @Test
  void anOversizedRequestIsRefusedAtOnceWhenTheConversationLivesOnAnotherNode() {
    String token = TestTokens.user("big-a");
    String id = groupHostedAwayFromNode0("big-a", "big-b");
    String messages = "/api/conversations/" + id + "/messages";
    HttpApi api = cluster.api(0);
    HttpApi.Response hello = api.post(messages, token, "{\"content\":\"hello\"}");
    assertThat(hello.status()).as(hello.body()).isEqualTo(201);
    String huge = "x".repeat(262_000);

    HttpApi.Response content = api.post(messages, token, "{\"content\":\"" + huge + "\"}");
    assertThat(content.status()).as(content.body()).isEqualTo(400);
    assertThat(content.code()).isEqualTo("bad_request");
    assertThat(content.json().get("detail").asText()).isEqualTo("content longer than 4000 characters");

    HttpApi.Response metadata =
        api.post(messages, token, "{\"content\":\"hi\",\"metadata\":{\"blob\":\"" + huge.substring(12_000) + "\"}}");
    assertThat(metadata.status()).as(metadata.body()).isEqualTo(413);
    assertThat(metadata.code()).isEqualTo("too_large");
    assertThat(metadata.json().get("detail").asText()).isEqualTo("metadata larger than 2048 bytes");

    HttpApi.Response clientMsgId =
        api.post(messages, token, "{\"clientMsgId\":\"" + huge.substring(12_000) + "\",\"content\":\"hi\"}");
    assertThat(clientMsgId.status()).as(clientMsgId.body()).isEqualTo(400);

    HttpApi.Response edit =
        api.patch(messages + "/" + hello.json().get("id").asText(), token, "{\"content\":\"" + huge + "\"}");
    assertThat(edit.status()).as(edit.body()).isEqualTo(400);
    assertThat(edit.json().get("detail").asText()).isEqualTo("content longer than 4000 characters");

    HttpApi.Response title =
        api.post("/api/conversations", token,
            "{\"type\":\"group\",\"title\":\"" + huge + "\",\"participantIds\":[\"big-b\"]}");
    assertThat(title.status()).as(title.body()).isEqualTo(400);
    assertThat(title.json().get("detail").asText()).isEqualTo("title longer than 200");

    // Users named by an id of that size, in a new group (wherever it would live) or added to this one.
    String hugeId = "a".repeat(262_000);
    HttpApi.Response created =
        api.post("/api/conversations", token,
            "{\"type\":\"group\",\"title\":\"t\",\"participantIds\":[\"big-b\",\"" + hugeId + "\"]}");
    assertInvalidUserIdRefused(created);
    HttpApi.Response added =
        api.post("/api/conversations/" + id + "/participants", token, "{\"userIds\":[\"" + hugeId + "\"]}");
    assertInvalidUserIdRefused(added);
  }

  /**
   * Metadata crosses nodes, the journal and the read side (PostgreSQL) as the text it was stored as: its numbers come
   * back exactly, from the node holding the conversation, from the others, and from the read side.
   */
  @Test
  void metadataNumbersComeBackExactlyFromEveryNodeAndTheReadSide() {
    String token = TestTokens.user("pn-a");
    String id = groupHostedAwayFromNode0("pn-a", "pn-b");
    String messages = "/api/conversations/" + id + "/messages";
    String figures = "{\"content\":\"figures\",\"metadata\":" + PreciseNumbers.metadata() + "}";
    HttpApi.Response posted = cluster.api(0).post(messages, token, figures);
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    PreciseNumbers.assertKeptIn(posted.exactJson());
    for (int n = 0; n < 3; n++) {
      HttpApi.Response history = cluster.api(n).get(messages, TestTokens.user("pn-b"));
      PreciseNumbers.assertKeptIn(history.exactJson().get("messages").get(0));
    }
    // Past the window of 100: the page below seq 2 comes from the read side.
    for (int i = 0; i < 100; i++) {
      assertThat(cluster.api(i % 3).post(messages, token, "{\"content\":\"more\"}").status()).isEqualTo(201);
    }
    HttpApi.Response older = cluster.api(1).get(messages + "?before=2&limit=1", TestTokens.user("pn-b"));
    assertThat(older.status()).as(older.body()).isEqualTo(200);
    PreciseNumbers.assertKeptIn(older.exactJson().get("messages").get(0));
  }

  /** A 400 naming the id, cut short: the answer does not carry back the quarter of a megabyte it was sent. */
  private static void assertInvalidUserIdRefused(HttpApi.Response response) {
    assertThat(response.status()).as(Texts.shortened(response.body(), 200)).isEqualTo(400);
    assertThat(response.code()).isEqualTo("bad_request");
    assertThat(response.json().get("detail").asText()).isEqualTo("invalid user id: " + "a".repeat(128) + "…");
  }

  /**
   * 2,500 user ids of 128 characters are over 300 KB: asked in one message, the ask to another node would be larger
   * than Artery's 256 KiB frame and dropped, and everyone on that node taken for offline (their pushes then sent).
   */
  @Test
  void onlineAmongManyLongIdsHearsFromSessionsOnAnotherNode() {
    ActorSystem<Void> far = cluster.node(1).node().system();
    List<String> online = IntStream.range(0, 2_500).mapToObj(i -> "online-" + i + "-" + "x".repeat(115)).toList();
    List<ActorRef<LiveBroadcasts.Live>> sessions = new ArrayList<>();
    try {
      for (String userId : online) {
        ActorRef<LiveBroadcasts.Live> session =
            far.systemActorOf(Behaviors.ignore(), "fake-session-" + UUID.randomUUID(), Props.empty());
        sessions.add(session);
        LiveBroadcasts.get(far).subscribe(session, userId);
      }
      List<String> asked = new ArrayList<>(online);
      asked.add("offline-" + "y".repeat(120));
      LiveBroadcasts near = LiveBroadcasts.get(cluster.node(0).node().system());
      Set<String> answer =
          Eventually.await(
              "node 0 to hear of every session on node 1",
              () -> near.onlineAmong(asked, Duration.ofSeconds(5)).toCompletableFuture().join(),
              found -> found.size() >= online.size());
      assertThat(answer).containsExactlyInAnyOrderElementsOf(online);
    } finally {
      sessions.forEach(session -> Adapter.toClassic(far).stop(Adapter.toClassic(session)));
    }
  }

  /** A new group created through node 0 whose entity another node holds. */
  private static String groupHostedAwayFromNode0(String creator, String other) {
    for (int attempt = 0; attempt < 30; attempt++) {
      String id = group(creator, List.of(other));
      if (!entitiesOn(cluster.node(0), "Conversation").contains(id)) return id;
    }
    throw new AssertionError("30 groups in a row were all hosted on node 0");
  }

  private static JsonNode presenceOf(WsClient client, String userId) {
    return client.until(
        f -> f.path("type").asText().equals("presence") && f.path("userId").asText().equals(userId), new ArrayList<>());
  }

  /** Presence is visible only between people who share a conversation, as the read side knows it. */
  private static void awaitListed(String userId) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (cluster.api(0).get("/api/conversations", TestTokens.user(userId)).json().get("conversations").isEmpty()) {
      assertThat(System.nanoTime()).isLessThan(deadline);
      sleep(50);
    }
  }

  /** Ids of the entities of this type that run on the node. */
  static Set<String> entitiesOn(TestNode node, String typeName) {
    try {
      var region = ClusterSharding.get(Adapter.toClassic(node.node().system())).shardRegion(typeName);
      var state =
          (ShardRegion.CurrentShardRegionState)
              Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), Duration.ofSeconds(3))
                  .toCompletableFuture()
                  .get(5, TimeUnit.SECONDS);
      Set<String> ids = new HashSet<>();
      for (ShardRegion.ShardState shard : state.getShards()) ids.addAll(shard.getEntityIds());
      return ids;
    } catch (Exception e) {
      throw new AssertionError("shard region state of " + typeName, e);
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
