package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.tools.FakeFcmTransport;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A Supabase project pointed at Parley, end to end with nothing recorded in between: a job webhook becomes a
 * job_match notification in the candidate's inbox, live on an online candidate's devices and pushed through the real
 * firebase-admin SDK to an offline one's phone, once, whatever Supabase redelivers.
 */
class JobMatchPushTest {
  private static final String JOBS = "/api/webhooks/jobs/notify";
  private static final String CANDIDATES = "/api/webhooks/matching/update";

  @Test
  void aMatchingJobReachesTheInboxesOnlineDevicesAndOfflinePhonesOnce() throws InterruptedException {
    FakeFcmTransport fcm = new FakeFcmTransport();
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, WebhookClient.config(), fcm)) {
      HttpApi api = new HttpApi(node::uri);
      WebhookClient webhooks = new WebhookClient(api);
      NotificationApi notifications = new NotificationApi(api);
      notifications.registerDevice("user-jp1", "jp1-phone");

      String skills = "[\"Erlang\",\"Elixir\",\"Phoenix\",\"OTP\"]";
      assertThat(webhooks.bearer(CANDIDATES, insert("candidates", candidateRow("jp1", skills, "senior", "Lyon", false, true))).status())
          .isEqualTo(202);
      assertThat(webhooks.bearer(CANDIDATES, insert("candidates", candidateRow("jp2", skills, "senior", "Lyon", false, true))).status())
          .isEqualTo(202);
      try (WsClient online = WsClient.signedIn(node, TestTokens.user("user-jp2"))) {
        String job = insert("jobs", jobRow("job-jp", "\"erlang, elixir, phoenix, otp\"", "senior", "Lyon", false));
        assertThat(webhooks.hmac(JOBS, job).status()).isEqualTo(202);
        assertThat(webhooks.hmac(JOBS, job).status()).as("Supabase redelivers").isEqualTo(202);

        JsonNode live = online.until("notification").get("notification");
        assertThat(live.get("kind").asText()).isEqualTo("job_match");
        assertThat(live.get("data").get("jobId").asText()).isEqualTo("job-jp");

        FakeFcmTransport.Request push =
            Eventually.await(
                    "the push to the offline candidate",
                    () -> fcm.requests().stream().filter(r -> "jp1-phone".equals(r.token())).toList(),
                    pushes -> !pushes.isEmpty())
                .get(0);
        assertThat(push.message().path("data").path("jobId").asText()).isEqualTo("job-jp");
        assertThat(push.message().path("notification").path("title").asText())
            .isEqualTo("New job match: Backend Engineer job-jp at Acme");
        assertThat(push.message().path("notification").path("body").asText()).startsWith("100% match: 4/4 skills");
      }

      Thread.sleep(Duration.ofSeconds(1).toMillis());
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
}
