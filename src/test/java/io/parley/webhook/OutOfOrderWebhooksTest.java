package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.delete;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static io.parley.webhook.Payloads.update;
import static io.parley.webhook.Payloads.versioned;
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
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Supabase sends a row's events asynchronously, and a retrying sender re-sends old ones after new ones: an event
 * older than what its row holds (by updated_at) changes nothing, and a deletion is not undone by an older event.
 */
class OutOfOrderWebhooksTest {
  private static final String JOBS = "/api/webhooks/jobs/notify";
  private static final String CANDIDATES = "/api/webhooks/matching/update";
  private static final String ANY = "/api/webhooks/supabase";
  // Generous: the first event waits for the processing projection of its slice to start.
  private static final Duration WAIT = Duration.ofSeconds(60);
  // Long past, so that a DELETE without a version, received now, is newer.
  private static final String V1 = "2024-05-01T12:00:00.123456+00:00";
  private static final String V2 = "2024-05-01T12:00:01.5+00:00";
  private static final String V3 = "2024-05-01 14:00:02+02";

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aCandidateOrJobDeletedOrChangedIsNotBroughtBackByAnOlderEventThatArrivesLater(String kind) {
    RecordingNotifier notifier = new RecordingNotifier();
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database, WebhookClient.config(), notifier)) {
      HttpApi api = new HttpApi(node::uri);
      WebhookClient webhooks = new WebhookClient(api);
      JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());

      // Deleted at V2 (REPLICA IDENTITY FULL); its UPDATE to V2, sent before, arrives after the DELETE.
      String gone = candidateRow("o1", "[\"okotlin\"]", "senior", "Oslo", false, true);
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", versioned(gone, V1))));
      accepted(webhooks.bearer(ANY, delete("candidates", "o1", V2)));
      accepted(webhooks.bearer(CANDIDATES, update("candidates", versioned(gone, V2), versioned(gone, V1))));
      // Deleted with only its key (the default replica identity): any version older than its arrival loses to it.
      String keyOnly = candidateRow("o2", "[\"okotlin\"]", "senior", "Oslo", false, true);
      accepted(webhooks.bearer(ANY, delete("candidates", "o2")));
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", versioned(keyOnly, V3))));
      // Opted out at V2; its older opt-in arrives after.
      String optIn = candidateRow("o3", "[\"okotlin\"]", "senior", "Oslo", false, true);
      String optOut = optIn.replace("\"job_alerts\":true", "\"job_alerts\":false");
      accepted(webhooks.bearer(CANDIDATES, update("candidates", versioned(optOut, V2), versioned(optIn, V1))));
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", versioned(optIn, V1))));
      // Sent twice under two webhook ids (no dedup by key): the same version again is harmless.
      String twice = insert("candidates", versioned(candidateRow("o4", "[\"okotlin\"]", "senior", "Oslo", false, true), V1));
      accepted(webhooks.standard(CANDIDATES, twice, "msg-o4-a", Instant.now()));
      accepted(webhooks.standard(CANDIDATES, twice, "msg-o4-b", Instant.now()));
      // Without updated_at, arrival order as ever: deleted, then inserted again, it is back.
      String unversioned = candidateRow("o5", "[\"okotlin\"]", "senior", "Oslo", false, true);
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", unversioned)));
      accepted(webhooks.bearer(ANY, delete("candidates", "o5")));
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", unversioned.replace("Ana", "Ana B."))));

      // A job closed at V3 whose older edit arrives after; a job deleted whose older UPDATE arrives after.
      String open = jobRow("job-o1", "[\"okotlin\"]", "senior", "Oslo", false);
      String closed = open.replace("\"status\":\"open\"", "\"status\":\"filled\"");
      accepted(webhooks.bearer(JOBS, update("jobs", versioned(closed, V3), versioned(open, V2))));
      accepted(webhooks.bearer(JOBS, update("jobs", versioned(open, V2), versioned(open, V1))));
      String deletedJob = jobRow("job-o2", "[\"okotlin\"]", "senior", "Oslo", false);
      accepted(webhooks.bearer(ANY, delete("jobs", "job-o2")));
      accepted(webhooks.bearer(JOBS, update("jobs", versioned(deletedJob, V2), versioned(deletedJob, V1))));
      awaitStale(api, 5);

      assertThat(jobs.find("job-o1").open()).as("job-o1 stays filled").isFalse();
      assertThat(jobs.find("job-o2").open()).as("job-o2 stays deleted").isFalse();
      String matching = jobRow("job-o3", "[\"okotlin\"]", "senior", "Oslo", false);
      accepted(webhooks.bearer(JOBS, insert("jobs", versioned(matching, V1))));
      accepted(webhooks.standard(JOBS, insert("jobs", versioned(matching, V1)), "msg-job-o3", Instant.now()));
      notifier.awaitCalls(2, WAIT);
      WebhookProjections.awaitProcessed(database, node);

      assertThat(notifier.calls()).extracting(Call::userId).containsExactlyInAnyOrder("user-o4", "user-o5");
      assertThat(notifier.calls()).extracting(c -> c.match().jobId()).containsOnly("job-o3");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aVersionInTheFutureOrNotATimestampNeitherFreezesTheRowNorLosesItsEvents(String kind) {
    RecordingNotifier notifier = new RecordingNotifier();
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database, WebhookClient.config(), notifier)) {
      HttpApi api = new HttpApi(node::uri);
      WebhookClient webhooks = new WebhookClient(api);

      // Inserted from a phone whose clock says 9999; opted out a moment later, by the trigger's clock.
      String optIn = candidateRow("f1", "[\"fkotlin\"]", "senior", "Oslo", false, true);
      String optOut = optIn.replace("\"job_alerts\":true", "\"job_alerts\":false");
      String now = Instant.now().toString();
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", versioned(optIn, "9999-12-31T00:00:00+00:00"))));
      accepted(webhooks.bearer(CANDIDATES,
          update("candidates", versioned(optOut, now), versioned(optIn, "9999-12-31T00:00:00+00:00"))));
      // Stale only once the opt-out holds: counted, f1 is as it stays before the job is matched.
      accepted(webhooks.bearer(CANDIDATES, update("candidates", versioned(optIn, V1), versioned(optIn, V1))));
      awaitStale(api, 1);
      // A table whose updated_at is a bigint: not a version, and not the sender's error either.
      String epoch = candidateRow("f2", "[\"fkotlin\"]", "senior", "Oslo", false, true)
          .replaceFirst("}$", ",\"updated_at\":1732269600}");
      accepted(webhooks.bearer(CANDIDATES, insert("candidates", epoch)));

      String job = jobRow("job-f1", "[\"fkotlin\"]", "senior", "Oslo", false);
      accepted(webhooks.bearer(JOBS, insert("jobs", versioned(job, Instant.now().toString()))));
      notifier.awaitCalls(1, WAIT);
      WebhookProjections.awaitProcessed(database, node);

      assertThat(notifier.calls()).extracting(Call::userId).containsExactly("user-f2");
    }
  }

  private static void accepted(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(202);
  }

  /** The stale events are counted once processed: then the row holds what it will hold. */
  private static void awaitStale(HttpApi api, long count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    long stale = 0;
    while (System.nanoTime() < deadline) {
      stale = api.get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("stale").asLong();
      if (stale >= count) break;
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    assertThat(stale).as("stale events counted").isEqualTo(count);
  }
}
