package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.db.Database;
import io.parley.matching.JobStore;
import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.RecordingNotifier.Call;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A location is stored lower-cased (parley_job.city), and lower-casing can lengthen it: 'İ' (U+0130) becomes 'i' and
 * a combining dot. Its limit is the column's, on what is stored: over it, the sender's 400 at intake, never a 202 whose
 * job the database then refuses; up to it, the job is stored and matched, over real HTTP on H2 and PostgreSQL.
 */
class LowerCasedLocationTest {
  private static final String JOBS = "/api/jobs/notify";
  private static final String CANDIDATES = "/api/webhooks/matching/update";
  private static final String ANY = "/api/webhooks/supabase";
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String DOTTED_I = "\u0130";

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aLocationTooLongOnceLowerCasedIsA400AndOneThatFitsIsStoredAndMatched(String kind) {
    RecordingNotifier notifier = new RecordingNotifier();
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database, WebhookClient.config(), notifier)) {
      HttpApi api = new HttpApi(node::uri);
      WebhookClient webhooks = new WebhookClient(api);

      // Both pass the 500-character check on the value as sent; lower-cased, they take 1,000 and 968.
      refused(webhooks.bearer(JOBS, insert("jobs", jobRow("lc-1", "[\"lcjava\"]", "senior", DOTTED_I.repeat(500), false))));
      refused(webhooks.bearer(ANY, insert("jobs",
          jobRow("lc-2", "[\"lcjava\"]", "senior", "Kad\u0131k\u00f6y " + DOTTED_I.repeat(480), false))));
      refused(webhooks.bearer(CANDIDATES, insert("candidates",
          candidateRow("lc-c1", "[\"lcjava\"]", "senior", DOTTED_I.repeat(500), false, true))));

      // 250 of them are 500 once lower-cased: the column's size, stored and matched on the city.
      String fits = DOTTED_I.repeat(250);
      accepted(webhooks.bearer(CANDIDATES, insert("candidates",
          candidateRow("lc-c2", "[\"lcjava\"]", "senior", fits, false, true))));
      accepted(webhooks.bearer(JOBS, insert("jobs", jobRow("lc-3", "[\"lcjava\"]", "senior", fits + ", T\u00fcrkiye", false))));
      notifier.awaitCalls(1, WAIT);
      notifier.settle(Duration.ofSeconds(1));

      assertThat(notifier.calls()).extracting(Call::userId).containsExactly("user-lc-c2");
      assertThat(notifier.calls().get(0).match().summary()).isEqualTo("1/1 skills, senior, " + fits);
      JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
      assertThat(jobs.find("lc-3").city()).hasSize(500);
      assertThat(jobs.find("lc-1")).isNull();
      assertThat(jobs.find("lc-2")).isNull();
      assertThat(api.get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("failed").asLong()).isZero();
    }
  }

  private static void refused(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(400);
    assertThat(response.code()).isEqualTo("bad_request");
    assertThat(response.json().get("detail").asText()).contains("'record.location'", "lower-cased");
  }

  private static void accepted(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(202);
  }
}
