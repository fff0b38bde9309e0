package io.parley.webhook;

import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every way a webhook can authenticate, over real HTTP, and the ways it fails: wrong, tampered and replayed. */
class WebhookAuthenticationTest {
  private static final String JOBS = "/api/webhooks/jobs/notify";
  private static TestDatabase database;
  private static TestNode node;
  private static WebhookClient webhooks;
  private static HttpApi api;
  private static int rows;

  @BeforeAll
  static void start() {
    database = TestDatabase.h2();
    node = TestNode.start(database, WebhookClient.config(), new RecordingNotifier());
    api = new HttpApi(node::uri);
    webhooks = new WebhookClient(api);
  }

  @AfterAll
  static void stop() {
    // Null when the start failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private static String newJob() {
    return insert("jobs", jobRow("auth-" + (++rows), "[\"Java\"]", "senior", "Paris", false));
  }

  @Test
  void acceptsTheSharedSecretAsBearerOrHeader() {
    assertThat(webhooks.bearer(JOBS, newJob()).status()).isEqualTo(202);
    assertThat(webhooks.send(JOBS, newJob(), "x-webhook-secret", WebhookClient.SECRET).status()).isEqualTo(202);
  }

  @Test
  void refusesAWrongOrMissingSecret() {
    Response wrong = webhooks.send(JOBS, newJob(), "Authorization", "Bearer not-the-secret");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(wrong.code()).isEqualTo("unauthorized");
    assertThat(wrong.contentType()).contains("application/problem+json");
    assertThat(webhooks.send(JOBS, newJob(), "x-webhook-secret", WebhookClient.SECRET + "x").status()).isEqualTo(401);
    assertThat(webhooks.send(JOBS, newJob(), "x-webhook-secret", "").status()).isEqualTo(401);
    assertThat(webhooks.send(JOBS, newJob()).status()).isEqualTo(401);
  }

  @Test
  void acceptsAnHmacOfTheRawBody() {
    assertThat(webhooks.hmac(JOBS, newJob()).status()).isEqualTo(202);
    // Hex case does not matter.
    String body = newJob();
    assertThat(webhooks.send(JOBS, body, "X-Webhook-Signature", "hmac-sha256=" + WebhookClient.hmacHex(body).toUpperCase())
            .status())
        .isEqualTo(202);
  }

  @Test
  void refusesAnHmacOfAnotherBodyOrInAnotherForm() {
    String signedBody = newJob();
    String tampered = signedBody.replace("Paris", "Lyon");
    Response response =
        webhooks.send(JOBS, tampered, "X-Webhook-Signature", "hmac-sha256=" + WebhookClient.hmacHex(signedBody));
    assertThat(response.status()).isEqualTo(401);
    assertThat(response.json().get("detail").asText()).contains("does not match");
    assertThat(webhooks.send(JOBS, signedBody, "X-Webhook-Signature", WebhookClient.hmacHex(signedBody)).status())
        .isEqualTo(401);
    assertThat(webhooks.send(JOBS, signedBody, "X-Webhook-Signature", "hmac-sha256=zz").status()).isEqualTo(401);
  }

  @Test
  void acceptsStandardWebhooksSignatures() {
    Response response = webhooks.standard(JOBS, newJob(), "msg_" + (++rows), Instant.now());
    assertThat(response.status()).isEqualTo(202);
    assertThat(response.json().get("eventKey").asText()).startsWith("id:msg_");
  }

  @Test
  void acceptsAnyOfSeveralStandardSignaturesDuringAKeyRotation() {
    String body = newJob();
    Instant now = Instant.now();
    String id = "msg_rot_" + (++rows);
    String signatures = "v1,bm90LXRoaXMtb25l v1," + WebhookClient.standardSignature(id, now, body);
    Response response =
        webhooks.send(JOBS, body, "webhook-id", id, "webhook-timestamp", Long.toString(now.getEpochSecond()),
            "webhook-signature", signatures);
    assertThat(response.status()).isEqualTo(202);
  }

  @Test
  void refusesAStandardSignatureOverOtherContent() {
    String body = newJob();
    Instant now = Instant.now();
    String signature = WebhookClient.standardSignature("msg_a", now, body);
    // The same signature under another id, or over another body, does not verify.
    assertThat(webhooks.send(JOBS, body, "webhook-id", "msg_b", "webhook-timestamp", Long.toString(now.getEpochSecond()),
            "webhook-signature", "v1," + signature).status())
        .isEqualTo(401);
    assertThat(webhooks.send(JOBS, newJob(), "webhook-id", "msg_a", "webhook-timestamp",
            Long.toString(now.getEpochSecond()), "webhook-signature", "v1," + signature).status())
        .isEqualTo(401);
    assertThat(webhooks.send(JOBS, body, "webhook-signature", "v1," + signature).status()).isEqualTo(401);
  }

  @Test
  void refusesAReplayedStandardSignatureOutsideTheTolerance() {
    String body = newJob();
    Instant sixMinutesAgo = Instant.now().minus(Duration.ofMinutes(6));
    Response replayed = webhooks.standard(JOBS, body, "msg_old_" + (++rows), sixMinutesAgo);
    assertThat(replayed.status()).isEqualTo(401);
    assertThat(replayed.json().get("detail").asText()).contains("tolerance");
    assertThat(webhooks.standard(JOBS, body, "msg_future_" + rows, Instant.now().plus(Duration.ofMinutes(6))).status())
        .isEqualTo(401);
    assertThat(webhooks.standard(JOBS, body, "msg_recent_" + rows, Instant.now().minus(Duration.ofMinutes(4))).status())
        .isEqualTo(202);
  }

  @Test
  void aTimestampBeyondTheCalendarIsOutsideTheToleranceNotAServerError() {
    // Both parse as a long, and both are past the range of java.time.Instant.
    for (String timestamp : new String[] {"99999999999999999", "-99999999999999999"}) {
      Response response =
          webhooks.send(JOBS, newJob(), "webhook-id", "msg_far_" + (++rows), "webhook-timestamp", timestamp,
              "webhook-signature", "v1,bm90LXRoaXMtb25l");
      assertThat(response.status()).isEqualTo(401);
      assertThat(response.code()).isEqualTo("unauthorized");
      assertThat(response.contentType()).contains("application/problem+json");
      assertThat(response.json().get("detail").asText()).contains("tolerance");
    }
  }

  @Test
  void aReplayWithinTheToleranceIsStoredAsADuplicateOnly() {
    String body = newJob();
    Instant now = Instant.now();
    String id = "msg_replay_" + (++rows);
    Response first = webhooks.standard(JOBS, body, id, now);
    Response replay = webhooks.standard(JOBS, body, id, now);
    assertThat(first.status()).isEqualTo(202);
    assertThat(first.json().get("duplicate").asBoolean()).isFalse();
    assertThat(replay.status()).isEqualTo(202);
    assertThat(replay.json().get("duplicate").asBoolean()).isTrue();
  }

  @Test
  void anUnsignedWebhookIdDoesNotMakeAReplayedBodyNew() {
    String body = newJob();
    String signature = "hmac-sha256=" + WebhookClient.hmacHex(body);
    Response first = webhooks.send(JOBS, body, "X-Webhook-Signature", signature);
    // The HMAC covers the body only: an attacker can replay it under any webhook-id they like.
    Response replay = webhooks.send(JOBS, body, "X-Webhook-Signature", signature, "webhook-id", "r1");
    assertThat(first.json().get("duplicate").asBoolean()).isFalse();
    assertThat(replay.status()).isEqualTo(202);
    assertThat(replay.json().get("duplicate").asBoolean()).isTrue();
    assertThat(replay.json().get("eventKey").asText()).startsWith("row:jobs:").isEqualTo(first.json().get("eventKey").asText());

    Response secretReplay = webhooks.send(JOBS, body, "x-webhook-secret", WebhookClient.SECRET, "webhook-id", "r2");
    assertThat(secretReplay.json().get("duplicate").asBoolean()).isTrue();
  }

  @Test
  void theTestRouteSaysHowTheRequestAuthenticatedAndEchoes() {
    Response echo = webhooks.hmac("/api/webhooks/test", "{\"hello\":\"world\"}");
    assertThat(echo.status()).isEqualTo(200);
    assertThat(echo.json().get("authenticatedBy").asText()).isEqualTo("hmac-sha256");
    assertThat(echo.json().get("body").get("hello").asText()).isEqualTo("world");
    assertThat(webhooks.standard("/api/webhooks/test", "{}", "msg_t", Instant.now()).json().get("authenticatedBy").asText())
        .isEqualTo("standard-webhooks");
    assertThat(webhooks.send("/api/webhooks/test", "{}", "X-Webhook-Signature", "hmac-sha256=00").status())
        .isEqualTo(401);
  }

  @Test
  void theStatusRouteNeedsTheSecretOrAnAdminToken() {
    assertThat(api.get("/api/jobs/notify/status", null).status()).isEqualTo(401);
    assertThat(api.get("/api/jobs/notify/status", "wrong").status()).isEqualTo(401);
    assertThat(api.get("/api/jobs/notify/status", WebhookClient.SECRET).status()).isEqualTo(200);
  }

  @Test
  void theStatusRouteFallsBackToAnAdminTokenWhenTheWebhookTimestampIsBeyondTheCalendar() {
    Response asAdmin = api.send(statusWithStandardHeaders(TestTokens.serviceRole(), "99999999999999999"));
    assertThat(asAdmin.status()).isEqualTo(200);
    assertThat(asAdmin.json().has("received")).isTrue();
    Response anonymous = api.send(statusWithStandardHeaders(null, "99999999999999999"));
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.contentType()).contains("application/problem+json");
  }

  private static HttpRequest.Builder statusWithStandardHeaders(String token, String timestamp) {
    return api.request("/api/jobs/notify/status", token)
        .header("webhook-id", "msg_status")
        .header("webhook-timestamp", timestamp)
        .header("webhook-signature", "v1,bm90LXRoaXMtb25l")
        .GET();
  }
}
