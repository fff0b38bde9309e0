package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static io.parley.webhook.Payloads.update;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.db.Database;
import io.parley.matching.JobMatcher;
import io.parley.matching.MatchNotifier;
import io.parley.matching.MatchingSettings;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.tools.FakeFcmTransport;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Supabase project pointed at Parley, end to end with nothing recorded in between: a job webhook becomes a
 * job_match notification, stored once for all the candidates told the same thing, then in each candidate's inbox,
 * live on an online candidate's devices and pushed through the real firebase-admin SDK to an offline one's phone,
 * once, whatever Supabase redelivers or the candidates change, and across a crash.
 */
class JobMatchPushTest {
  private static final String JOBS = "/api/webhooks/jobs/notify";
  private static final String CANDIDATES = "/api/webhooks/matching/update";
  private static final String SKILLS = "[\"Erlang\",\"Elixir\",\"Phoenix\",\"OTP\"]";
  /**
   * One partition, so that a job's matches come in one page; no presence settle, so that a push an inbox wrongly
   * made would leave at once, before the push projection's offset passes it.
   */
  private static final Config NODE =
      ConfigFactory.parseString("parley.matching.partitions = 1\nparley.user.presence-settle = 0s")
          .withFallback(WebhookClient.config());

  @Test
  void aMatchingJobReachesTheInboxesOnlineDevicesAndOfflinePhonesOnce() {
    FakeFcmTransport fcm = new FakeFcmTransport();
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, WebhookClient.config(), fcm)) {
      HttpApi api = new HttpApi(node::uri);
      WebhookClient webhooks = new WebhookClient(api);
      NotificationApi notifications = new NotificationApi(api);
      notifications.registerDevice("user-jp1", "jp1-phone");
      node.awaitDevices(Map.of("user-jp1", 1));

      assertThat(webhooks.bearer(CANDIDATES, insert("candidates", candidateRow("jp1", SKILLS, "senior", "Lyon", false, true))).status())
          .isEqualTo(202);
      assertThat(webhooks.bearer(CANDIDATES, insert("candidates", candidateRow("jp2", SKILLS, "senior", "Lyon", false, true))).status())
          .isEqualTo(202);
      try (WsClient online = WsClient.signedIn(node, TestTokens.user("user-jp2"))) {
        String job = insert("jobs", jobRow("job-jp", "\"erlang, elixir, phoenix, otp\"", "senior", "Lyon", false));
        assertThat(webhooks.hmac(JOBS, job).status()).isEqualTo(202);
        assertThat(webhooks.hmac(JOBS, job).status()).as("Supabase redelivers").isEqualTo(202);

        JsonNode live = online.until("notification").get("notification");
        assertThat(live.get("kind").asText()).isEqualTo("job_match");
        assertThat(live.get("data").get("jobId").asText()).isEqualTo("job-jp");

        FakeFcmTransport.Request push = awaitPush(fcm, "jp1-phone");
        assertThat(push.message().path("data").path("jobId").asText()).isEqualTo("job-jp");
        assertThat(push.message().path("notification").path("title").asText())
            .isEqualTo("New job match: Backend Engineer job-jp at Acme");
        assertThat(push.message().path("notification").path("body").asText()).startsWith("100% match: 4/4 skills");
      }

      WebhookProjections.awaitDelivered(database, node);
      for (String user : List.of("user-jp1", "user-jp2")) {
        JsonNode inbox = api.get("/api/notifications", TestTokens.user(user)).json();
        assertThat(inbox.get("notifications")).as(user).singleElement().satisfies(n -> {
          assertThat(n.get("kind").asText()).isEqualTo("job_match");
          assertThat(n.get("data").get("score").asInt()).isEqualTo(100);
        });
      }
      assertThat(fcm.requests().stream().filter(r -> "jp1-phone".equals(r.token()))).hasSize(1);
    }
  }

  @Test
  void aJobsMatchesAreStoredOncePerDistinctNotificationAndReachEachCandidateOnce() throws Exception {
    FakeFcmTransport fcm = new FakeFcmTransport();
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, NODE, fcm)) {
      HttpApi api = new HttpApi(node::uri);
      WebhookClient webhooks = new WebhookClient(api);
      NotificationApi notifications = new NotificationApi(api);
      notifications.registerDevice("user-b1", "b1-phone");
      notifications.registerDevice("user-b2", "b2-phone");
      notifications.registerDevice("user-b4", "b4-phone");
      node.awaitDevices(Map.of("user-b1", 1, "user-b2", 1, "user-b4", 1));
      notifications.send("user-b3", "{\"kind\":\"system\",\"title\":\"Welcome\"}");
      String b1 = candidateRow("b1", SKILLS, "senior", "Lyon", false, true);
      for (String row : List.of(
          b1,
          candidateRow("b2", SKILLS, "senior", "Lyon", false, true),
          candidateRow("b3", SKILLS, "senior", "Lyon", false, true),
          candidateRow("b4", "[\"Erlang\",\"Elixir\",\"Phoenix\"]", "senior", "Lyon", false, true),
          // A user id no one can sign in with: skipped, and the others are notified all the same.
          candidateRow("b 5", SKILLS, "senior", "Lyon", false, true))) {
        assertThat(webhooks.bearer(CANDIDATES, insert("candidates", row)).status()).isEqualTo(202);
      }
      // All indexed before the job comes, so that the job's own event finds them all: one found later would be
      // notified by its candidate's event, in a write of its own.
      JobMatcher matcher = new JobMatcher(node.node().system(), MatchingSettings.fromConfig(node.node().system().settings().config()));
      Eventually.await(
          "the five candidates indexed",
          () -> matcher.countCandidates(node.node().system()).toCompletableFuture().join(),
          indexed -> indexed == 5);
      String jobRow = jobRow("job-b", "\"erlang, elixir, phoenix, otp\"", "senior", "Lyon", false);

      try (WsClient online = WsClient.signedIn(node, TestTokens.user("user-b2"))) {
        assertThat(webhooks.bearer(JOBS, insert("jobs", jobRow)).status()).isEqualTo(202);
        assertThat(webhooks.hmac(JOBS, insert("jobs", jobRow)).status()).as("Supabase redelivers").isEqualTo(202);

        JsonNode live = online.until("notification");
        assertThat(live.get("notification").get("kind").asText()).isEqualTo("job_match");
        assertThat(live.get("unreadCount").asInt()).isEqualTo(1);
        // b1 and b2 are in the same stored batch: once b1 is pushed, b2's push was decided, while it was online.
        assertThat(awaitPush(fcm, "b1-phone").message().path("notification").path("body").asText())
            .startsWith("100% match: 4/4 skills");
      }
      assertThat(awaitPush(fcm, "b4-phone").message().path("notification").path("body").asText())
          .contains("% match: 3/4 skills");
      assertThat(batchWrites(node, "job-b")).as("one write for b1-b3, one for b4").isEqualTo(2);
      Eventually.await(
          "all five matches marked notified",
          () -> api.get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("notified").asLong(),
          notified -> notified == 5);

      assertThat(webhooks.bearer(CANDIDATES, update("candidates", b1.replace("\"Lyon\"", "\"Lyon, France\""), b1)).status())
          .as("b1 changes and matches the job again")
          .isEqualTo(202);
      assertThat(webhooks.bearer(JOBS, update("jobs", jobRow.replace("Backend", "Elixir"), jobRow)).status())
          .as("the job changes and matches them all again")
          .isEqualTo(202);
      WebhookProjections.awaitDelivered(database, node);

      assertThat(fcm.requests()).extracting(FakeFcmTransport.Request::token).containsExactlyInAnyOrder("b1-phone", "b4-phone");
      for (String user : List.of("user-b1", "user-b2", "user-b4")) {
        JsonNode inbox = api.get("/api/notifications", TestTokens.user(user)).json();
        assertThat(inbox.get("notifications")).as(user).singleElement()
            .satisfies(n -> assertThat(n.get("data").get("jobId").asText()).isEqualTo("job-b"));
        assertThat(inbox.get("unreadCount").asInt()).as(user).isEqualTo(1);
      }
      JsonNode b3 = api.get("/api/notifications", TestTokens.user("user-b3")).json();
      assertThat(b3.get("notifications")).extracting(n -> n.get("kind").asText()).containsExactly("job_match", "system");
      assertThat(b3.get("unreadCount").asInt()).isEqualTo(2);
      assertThat(batchWrites(node, "job-b")).isEqualTo(2);
    }
  }

  /** The first node stores what it matched and never pushes it nor fills inboxes, as if it died right then. */
  private static final Config STORES_ONLY =
      ConfigFactory.parseString("parley.push.projection.enabled = off\nparley.notifications.batch.fanout-enabled = off")
          .withFallback(NODE);

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void matchesStoredBeforeACrashReachEveryInboxAndPhoneOnceAfterTheRestart(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind)) {
      String r2 = candidateRow("r2", SKILLS, "senior", "Lyon", false, true);
      String jobRow = jobRow("job-r", "\"erlang, elixir, phoenix, otp\"", "senior", "Lyon", false);
      FakeFcmTransport before = new FakeFcmTransport();
      try (TestNode first = TestNode.start(database, STORES_ONLY, before)) {
        HttpApi api = new HttpApi(first::uri);
        WebhookClient webhooks = new WebhookClient(api);
        new NotificationApi(api).registerDevice("user-r1", "r1-phone");
        first.awaitDevices(Map.of("user-r1", 1));
        assertThat(webhooks.bearer(CANDIDATES, insert("candidates", candidateRow("r1", SKILLS, "senior", "Lyon", false, true))).status())
            .isEqualTo(202);
        assertThat(webhooks.bearer(CANDIDATES, insert("candidates", r2)).status()).isEqualTo(202);
        assertThat(webhooks.bearer(JOBS, insert("jobs", jobRow)).status()).isEqualTo(202);
        Eventually.await(
            "both matches stored and marked notified",
            () -> api.get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("notified").asLong(),
            notified -> notified == 2);
        assertThat(api.get("/api/notifications", TestTokens.user("user-r2")).json().get("notifications"))
            .as("no inbox is filled while the fan-out is off")
            .isEmpty();
      }
      assertThat(before.count()).isZero();

      FakeFcmTransport after = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, NODE, after)) {
        HttpApi api = new HttpApi(second::uri);
        WebhookClient webhooks = new WebhookClient(api);
        awaitPush(after, "r1-phone");
        for (String user : List.of("user-r1", "user-r2")) {
          Eventually.await(
              "the match in " + user + "'s inbox",
              () -> api.get("/api/notifications", TestTokens.user(user)).json().get("unreadCount").asInt(),
              unread -> unread == 1);
        }
        assertThat(webhooks.bearer(JOBS, insert("jobs", jobRow)).json().get("duplicate").asBoolean()).isTrue();
        assertThat(webhooks.bearer(JOBS, update("jobs", jobRow.replace("Backend", "Elixir"), jobRow)).status()).isEqualTo(202);
        assertThat(webhooks.bearer(CANDIDATES, update("candidates", r2.replace("\"Lyon\"", "\"Lyon, France\""), r2)).status())
            .isEqualTo(202);
        WebhookProjections.awaitDelivered(database, second);

        assertThat(after.requests()).extracting(FakeFcmTransport.Request::token).containsExactly("r1-phone");
        for (String user : List.of("user-r1", "user-r2")) {
          JsonNode inbox = api.get("/api/notifications", TestTokens.user(user)).json();
          assertThat(inbox.get("notifications")).as(user).singleElement()
              .satisfies(n -> assertThat(n.get("kind").asText()).isEqualTo("job_match"));
          assertThat(inbox.get("unreadCount").asInt()).as(user).isEqualTo(1);
        }
        assertThat(api.get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("notified").asLong()).isEqualTo(2);
      }
    }
  }

  private static FakeFcmTransport.Request awaitPush(FakeFcmTransport fcm, String token) {
    return Eventually.await(
            "the push to " + token,
            () -> fcm.requests().stream().filter(r -> token.equals(r.token())).toList(),
            pushes -> !pushes.isEmpty())
        .get(0);
  }

  /** The events of a job's notification batch: one per chunk of the candidates told the same thing. */
  private static long batchWrites(TestNode node, String jobId) throws SQLException {
    try (Connection c = Database.get(node.node().system()).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM event_journal WHERE persistence_id = ?")) {
      s.setString(1, "NotificationBatch|" + MatchNotifier.idempotencyKey(jobId));
      try (ResultSet count = s.executeQuery()) {
        count.next();
        return count.getLong(1);
      }
    }
  }
}
