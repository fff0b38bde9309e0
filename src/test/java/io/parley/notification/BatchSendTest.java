package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.db.Database;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.ProjectionOffsets;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.tools.FakeFcmTransport;
import io.parley.tools.FakeFcmTransport.Answer;
import io.parley.user.User;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An admin send to several users, stored once as a batch: pushed from the journal to those offline without waiting
 * for their inboxes, and put into every inbox from the journal, each exactly once, a crash in between included.
 */
class BatchSendTest {
  private static final FakeFcmTransport fcm = new FakeFcmTransport();

  static {
    fcm.answer((request, attempt) -> "bs-dead".equals(request.token()) ? Answer.unregistered() : Answer.sent());
  }

  /**
   * No presence settle: a push the inbox wrongly made would leave at once, before the push projection's offset passes
   * it, not 5 s later.
   */
  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          "parley.notifications.batch.chunk-size = 2\nparley.push.retry.min-backoff = 100ms\n"
              + "parley.user.presence-settle = 0s",
          fcm);

  private final HttpApi api = live.api();
  private final NotificationApi notifications = new NotificationApi(api);

  @Test
  void aTokenMissingFromTheDirectoryReachesItWhenItsAppRegistersItAgain() throws Exception {
    notifications.registerDevice("bs-old", "bs-old-phone");
    notifications.registerDevice("bs-old", "bs-old-tablet");
    live.node().awaitDevices(Map.of("bs-old", 2));
    // As in a deployment older than the directory: the user holds the token, the directory has no row for it.
    try (Connection connection = Database.get(live.node().node().system()).dataSource().getConnection();
        PreparedStatement delete =
            connection.prepareStatement("DELETE FROM parley_user_device WHERE token = 'bs-old-phone'")) {
      assertThat(delete.executeUpdate()).isEqualTo(1);
      connection.commit();
    }

    notifications.registerDevice("bs-old", "bs-old-phone");

    live.node().awaitDevices(Map.of("bs-old", 2));
    assertThat(notifications.devices("bs-old")).as("once each, the one registered again newest")
        .containsExactly("bs-old-tablet", "bs-old-phone");
  }

  @Test
  void aBatchIsPushedToTheOfflineOnlyAndReachesEveryInboxWithItsUnreadCount() {
    notifications.registerDevice("bs1", "bs1-phone");
    notifications.registerDevice("bs2", "bs2-phone");
    notifications.registerDevice("bs2", "bs-dead");
    notifications.registerDevice("bs3", "bs3-phone");
    live.node().awaitDevices(Map.of("bs1", 1, "bs2", 2, "bs3", 1));
    notifications.send("bs3", "{\"kind\":\"like\",\"title\":\"An older one, unread\"}");

    try (WsClient online = WsClient.signedIn(live.node(), TestTokens.user("bs1"))) {
      HttpApi.Response sent =
          api.post(
              "/api/admin/notifications",
              TestTokens.serviceRole(),
              "{\"userIds\":[\"bs1\",\"bs2\",\"bs3\",\"bs4\",\"bs5\"],\"notification\":{\"kind\":\"job_match\","
                  + "\"title\":\"Senior Java, Paris\",\"data\":{\"jobId\":\"j-8\"}}}");
      assertThat(sent.status()).as(sent.body()).isEqualTo(202);
      assertThat(sent.json().get("accepted").asInt()).isEqualTo(5);

      JsonNode frame = online.until("notification");
      assertThat(frame.get("notification").get("title").asText()).isEqualTo("Senior Java, Paris");
      assertThat(frame.get("unreadCount").asInt()).isEqualTo(1);

      Eventually.await("the pushes to bs2 and bs3", () -> pushedTokens(), tokens -> tokens.contains("bs3-phone")
          && tokens.contains("bs2-phone"));
      Eventually.await("the dead token removed", () -> notifications.devices("bs2"), List.of("bs2-phone")::equals);
      assertThat(pushedTokens()).as("nobody online is pushed").doesNotContain("bs1-phone");
      FakeFcmTransport.Request push =
          fcm.requests().stream().filter(r -> "bs3-phone".equals(r.token())).findFirst().orElseThrow();
      assertThat(push.message().path("data").path("jobId").asText()).isEqualTo("j-8");
      assertThat(push.message().path("apns").path("payload").path("aps").path("category").asText())
          .isEqualTo("OPEN_JOB_MATCH");
    }
    JsonNode inbox = awaitInbox("bs3", 2);
    assertThat(inbox.get("unreadCount").asInt()).isEqualTo(2);
    assertThat(inbox.get("notifications").get(0).get("title").asText()).isEqualTo("Senior Java, Paris");
    for (String user : List.of("bs1", "bs2", "bs4", "bs5")) assertThat(awaitInbox(user, 1).get("unreadCount").asInt()).isEqualTo(1);
  }

  @Test
  void aRetryOfABatchWithItsKeyStoresAndPushesNobodyTwiceAndAddsTheNewUsers() {
    notifications.registerDevice("br1", "br1-phone");
    notifications.registerDevice("br3", "br3-phone");
    live.node().awaitDevices(Map.of("br1", 1, "br3", 1));
    String first = "{\"userIds\":[\"br1\",\"br2\"],\"idempotencyKey\":\"br-weekly\",\"notification\":{\"kind\":\"system\",\"title\":\"Weekly\"}}";
    String retry = "{\"userIds\":[\"br1\",\"br2\",\"br3\"],\"idempotencyKey\":\"br-weekly\",\"notification\":{\"kind\":\"system\",\"title\":\"Weekly\"}}";
    assertThat(api.post("/api/admin/notifications", TestTokens.serviceRole(), first).json().get("accepted").asInt()).isEqualTo(2);
    JsonNode again = api.post("/api/admin/notifications", TestTokens.serviceRole(), retry).json();
    assertThat(again.get("accepted").asInt()).isEqualTo(1);
    assertThat(again.get("duplicates").asInt()).isEqualTo(2);
    assertThat(again.get("batchId").asText()).isEqualTo("br-weekly");

    Eventually.await("the pushes", () -> pushedTokens(), tokens -> tokens.contains("br1-phone") && tokens.contains("br3-phone"));
    for (String user : List.of("br1", "br2", "br3")) awaitInbox(user, 1);
    awaitSettled(live.database(), live.node());
    assertThat(pushedTokens().stream().filter("br1-phone"::equals)).hasSize(1);
    for (String user : List.of("br1", "br2", "br3")) {
      assertThat(api.get("/api/notifications", TestTokens.user(user)).json().get("notifications")).hasSize(1);
    }
  }

  @Test
  void aKeyedSendRetriedWithMoreUsersOrFewerPushesAndStoresNobodyTwice() {
    notifications.registerDevice("bk1", "bk1-phone");
    notifications.registerDevice("bk2", "bk2-phone");
    live.node().awaitDevices(Map.of("bk1", 1, "bk2", 1));
    String toOne = "{\"userIds\":[\"bk1\"],\"idempotencyKey\":\"bk-once\",\"notification\":{\"kind\":\"job_match\",\"title\":\"Once\"}}";
    String toBoth = "{\"userIds\":[\"bk1\",\"bk2\"],\"idempotencyKey\":\"bk-once\",\"notification\":{\"kind\":\"job_match\",\"title\":\"Once\"}}";

    HttpApi.Response first = api.post("/api/admin/notifications", TestTokens.serviceRole(), toOne);
    assertThat(first.status()).as(first.body()).isEqualTo(202);
    Eventually.await("bk1's push", () -> pushedTokens().contains("bk1-phone"), pushed -> pushed);
    JsonNode retried = api.post("/api/admin/notifications", TestTokens.serviceRole(), toBoth).json();
    assertThat(retried.get("accepted").asInt()).isEqualTo(1);
    assertThat(retried.get("duplicates").asInt()).isEqualTo(1);
    JsonNode again = api.post("/api/admin/notifications", TestTokens.serviceRole(), toOne).json();
    assertThat(again.get("duplicates").asInt()).as("and back to one user").isEqualTo(1);

    Eventually.await("bk2's push", () -> pushedTokens().contains("bk2-phone"), pushed -> pushed);
    awaitInbox("bk2", 1);
    awaitSettled(live.database(), live.node());
    assertThat(pushedTokens()).filteredOn(token -> token.startsWith("bk")).containsExactlyInAnyOrder("bk1-phone", "bk2-phone");
    assertThat(awaitInbox("bk1", 1).get("notifications")).hasSize(1);
  }

  /** The first node stores batches and never pushes them nor fills inboxes, as if it died right after the 202. */
  private static final Config STORES_ONLY =
      ConfigFactory.parseString("parley.push.projection.enabled = off\nparley.notifications.batch.fanout-enabled = off");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aBatchStoredBeforeACrashIsPushedAndInEveryInboxExactlyOnceAfterTheRestart(String kind) {
    try (TestDatabase database = TestDatabase.named(kind)) {
      FakeFcmTransport before = new FakeFcmTransport();
      try (TestNode first = TestNode.start(database, STORES_ONLY, before)) {
        NotificationApi api = new NotificationApi(new HttpApi(first::uri));
        api.registerDevice("bc1", "bc1-phone");
        api.registerDevice("bc2", "bc2-phone");
        api.registerDevice("bc3", "bc3-phone");
        first.awaitDevices(Map.of("bc1", 1, "bc2", 1, "bc3", 1));
        HttpApi.Response sent =
            new HttpApi(first::uri)
                .post(
                    "/api/admin/notifications",
                    TestTokens.serviceRole(),
                    "{\"userIds\":[\"bc1\",\"bc2\",\"bc3\",\"bc4\"],\"notification\":{\"kind\":\"job_match\","
                        + "\"title\":\"Stored, then the node died\"}}");
        assertThat(sent.status()).as(sent.body()).isEqualTo(202);
        // bc3's phone is signed in as bc1 meanwhile: it gets bc1's push, and bc3's no longer.
        api.registerDevice("bc1", "bc3-phone");
        first.awaitDevices(Map.of("bc1", 2, "bc3", 0));
        assertThat(new HttpApi(first::uri).get("/api/notifications", TestTokens.user("bc2")).json().get("notifications"))
            .as("no inbox is filled while the fan-out is off")
            .isEmpty();
      }
      assertThat(before.count()).isZero();

      FakeFcmTransport after = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, ConfigFactory.empty(), after)) {
        HttpApi api = new HttpApi(second::uri);
        Eventually.await("the pushes after the restart", after::count, count -> count >= 3);
        for (String user : List.of("bc1", "bc2", "bc3", "bc4")) {
          JsonNode inbox = Eventually.await(
              "the notification in " + user + "'s inbox",
              () -> api.get("/api/notifications", TestTokens.user(user)).json(),
              page -> page.get("notifications").size() >= 1);
          assertThat(inbox.get("notifications")).singleElement()
              .satisfies(n -> assertThat(n.get("title").asText()).isEqualTo("Stored, then the node died"));
          assertThat(inbox.get("unreadCount").asInt()).isEqualTo(1);
        }
        // Offsets are stored once the pushes and inboxes are settled: past them, a second push would have shown.
        awaitSettled(database, second);
        assertThat(after.requests().stream().map(FakeFcmTransport.Request::token).sorted().toList())
            .as("each device of each offline user, once")
            .containsExactly("bc1-phone", "bc2-phone", "bc3-phone");
      }

      FakeFcmTransport third = new FakeFcmTransport();
      try (TestNode again = TestNode.start(database, ConfigFactory.empty(), third)) {
        HttpApi api = new HttpApi(again::uri);
        // A second batch to the same users, led by the same one and so through the same slices: once it is pushed
        // and the offsets stored, the projections have run past the first batch, which they would have pushed again
        // by now had they started from before it.
        HttpApi.Response sentAgain =
            api.post(
                "/api/admin/notifications",
                TestTokens.serviceRole(),
                "{\"userIds\":[\"bc1\",\"bc2\",\"bc3\",\"bc4\"],\"notification\":{\"kind\":\"job_match\","
                    + "\"title\":\"Sent after another restart\"}}");
        assertThat(sentAgain.status()).as(sentAgain.body()).isEqualTo(202);
        Eventually.await("the second batch's pushes", third::count, count -> count >= 3);
        awaitSettled(database, again);
        assertThat(third.requests())
            .as("a batch already pushed is not pushed again after another restart")
            .extracting(FakeFcmTransport.Request::token, push -> push.message().path("notification").path("title").asText())
            .containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("bc1-phone", "Sent after another restart"),
                org.assertj.core.groups.Tuple.tuple("bc2-phone", "Sent after another restart"),
                org.assertj.core.groups.Tuple.tuple("bc3-phone", "Sent after another restart"));
        assertThat(api.get("/api/notifications", TestTokens.user("bc4")).json().get("notifications"))
            .extracting(n -> n.get("title").asText())
            .containsExactlyInAnyOrder("Stored, then the node died", "Sent after another restart");
      }
    }
  }

  /**
   * Waits until the inbox and push projections have stored offsets past every event stored so far: both store theirs
   * once an event is handled, so past them a second push or inbox entry would have shown. The inboxes first, since
   * an inbox that wrongly pushed would store a push event of its own as it is filled.
   */
  private static void awaitSettled(TestDatabase database, TestNode node) {
    Config config = node.node().system().settings().config();
    ProjectionOffsets.awaitPastLastEvent(
        database,
        "batch-inbox",
        ProjectionOffsets.tags(config.getInt("parley.notifications.batch.tag-slices"), NotificationBatch::inboxTag));
    ProjectionOffsets.awaitPastLastEvent(
        database, "push", ProjectionOffsets.tags(config.getInt("parley.push.tag-slices"), User::pushTag));
  }

  private JsonNode awaitInbox(String user, int size) {
    return Eventually.await(
        size + " notification(s) in " + user + "'s inbox",
        () -> api.get("/api/notifications", TestTokens.user(user)).json(),
        page -> page.get("notifications").size() >= size);
  }

  private static List<String> pushedTokens() {
    return fcm.requests().stream().map(FakeFcmTransport.Request::token).toList();
  }
}
