package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ids from outside Parley may hold '|', the separator Akka reserves in persistence ids: a Supabase text primary key
 * ({@code acme|1234}), an admin's idempotency key, an Auth0 user id ({@code auth0|abc}). Their entities start all the
 * same, so the job's candidates are notified and the user is reached.
 */
class IdsWithABarTest {
  private static final String JOBS = "/api/webhooks/jobs/notify";
  private static final String CANDIDATES = "/api/webhooks/matching/update";

  private static TestDatabase database;
  private static TestNode node;
  private static HttpApi api;
  private static WebhookClient webhooks;

  @BeforeAll
  static void start() {
    database = TestDatabase.h2();
    node = TestNode.start(database, WebhookClient.config());
    api = new HttpApi(node::uri);
    webhooks = new WebhookClient(api);
  }

  @AfterAll
  static void stop() {
    // Null when the start failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @Test
  void aJobWhoseIdHoldsABarNotifiesItsCandidates() {
    JsonNode before = status();
    assertThat(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("bar1", "[\"bar1cobol\",\"bar1jcl\"]", "senior", "Turin", false, true))).status()).isEqualTo(202);
    assertThat(webhooks.bearer(JOBS, insert("jobs",
        jobRow("acme|1234", "[\"bar1cobol\",\"bar1jcl\"]", "senior", "Turin", false))).status()).isEqualTo(202);

    JsonNode inbox = Eventually.await(
        "the match in user-bar1's inbox",
        () -> api.get("/api/notifications", TestTokens.user("user-bar1")).json().get("notifications"),
        notifications -> notifications.size() == 1);
    assertThat(inbox.get(0).get("kind").asText()).isEqualTo("job_match");
    assertThat(inbox.get(0).get("data").get("jobId").asText()).isEqualTo("acme|1234");
    JsonNode after = Eventually.await(
        "the match marked notified",
        IdsWithABarTest::status,
        s -> s.get("notified").asLong() == before.get("notified").asLong() + 1);
    assertThat(after.get("matched").asLong()).isEqualTo(before.get("matched").asLong() + 1);
    assertThat(after.get("failed").asLong()).as("no failed try").isEqualTo(before.get("failed").asLong());
  }

  @Test
  void anAdminSendWhoseIdempotencyKeyHoldsABarIsStored() {
    Response sent = api.post("/api/admin/notifications", TestTokens.serviceRole(),
        "{\"userIds\":[\"user-bar2\"],\"idempotencyKey\":\"digest|2024-05\",\"notification\":{\"kind\":\"system\",\"title\":\"Digest\"}}");

    assertThat(sent.status()).as(sent.body()).isEqualTo(202);
    assertThat(sent.json().get("accepted").asInt()).isEqualTo(1);
    Eventually.await(
        "the digest in user-bar2's inbox",
        () -> api.get("/api/notifications", TestTokens.user("user-bar2")).json().get("unreadCount").asInt(),
        unread -> unread == 1);
  }

  @Test
  void aUserWhoseIdHoldsABarIsNotifiedLive() {
    try (WsClient device = WsClient.signedIn(node, TestTokens.user("auth0|bar3"))) {
      new NotificationApi(api).send("auth0|bar3", "{\"kind\":\"system\",\"title\":\"Welcome\"}");

      assertThat(device.until("notification").get("notification").get("title").asText()).isEqualTo("Welcome");
    }
  }

  private static JsonNode status() {
    return api.get("/api/jobs/notify/status", WebhookClient.SECRET).json();
  }
}
