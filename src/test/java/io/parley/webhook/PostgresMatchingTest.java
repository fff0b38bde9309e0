package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.delete;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static io.parley.webhook.Payloads.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.db.Database;
import io.parley.matching.JobPosting;
import io.parley.matching.JobStore;
import io.parley.testkit.HttpApi;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.RecordingNotifier.Call;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.time.Duration;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The candidate side on PostgreSQL: jobs stored first, so that the candidate's own events find them through the job
 * store's skill index, and an update then notifies only the job that newly matches.
 */
class PostgresMatchingTest {
  // Generous: the first event waits for the processing projection of its slice to start, which on a loaded 2-core
  // machine has taken over 30 s once.
  private static final Duration WAIT = Duration.ofSeconds(60);

  @Test
  void aCandidateIsMatchedAgainstStoredJobsAndAnUpdateAddsOnlyTheNewMatch() {
    try (TestDatabase database = TestDatabase.postgres()) {
      RecordingNotifier notifier = new RecordingNotifier();
      try (TestNode node = TestNode.start(database, WebhookClient.config(), notifier)) {
        WebhookClient webhooks = new WebhookClient(new HttpApi(node::uri));
        JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
        webhooks.bearer("/api/jobs/notify", insert("jobs", jobRow("pg-1", "[\"Java\",\"Akka\"]", "senior", "Paris", false)));
        webhooks.bearer("/api/jobs/notify", insert("jobs", jobRow("pg-2", "[\"Python\",\"Django\"]", "senior", "Paris", false)));
        webhooks.bearer("/api/jobs/notify", insert("jobs", jobRow("pg-3", "[\"Go\"]", "senior", "Paris", false)));
        webhooks.bearer("/api/webhooks/supabase", delete("jobs", "pg-3"));
        awaitJob(jobs, "pg-1", j -> j != null);
        awaitJob(jobs, "pg-2", j -> j != null);
        awaitJob(jobs, "pg-3", j -> j != null && !j.open());

        String before = candidateRow("pg-c", "[\"java\",\"AKKA\",\"go\"]", "senior", "Paris", false, true);
        assertThat(webhooks.bearer("/api/webhooks/matching/update", insert("candidates", before)).status()).isEqualTo(202);
        notifier.awaitCalls(1, WAIT);
        String after = candidateRow("pg-c", "[\"java\",\"akka\",\"go\",\"python\",\"django\"]", "senior", "Paris", false, true);
        webhooks.bearer("/api/webhooks/matching/update", update("candidates", after, before));
        notifier.awaitCalls(2, WAIT);
        WebhookProjections.awaitProcessed(database, node);

        assertThat(notifier.calls()).extracting(c -> c.match().jobId()).containsExactly("pg-1", "pg-2");
        assertThat(notifier.calls()).extracting(Call::userId).containsOnly("user-pg-c");
        assertThat(notifier.calls().get(0).match().summary()).isEqualTo("2/2 skills, senior, Paris");
      }
    }
  }

  private static void awaitJob(JobStore jobs, String id, Predicate<JobPosting> condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.test(jobs.find(id)) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    assertThat(condition.test(jobs.find(id))).as("job " + id + " stored as expected").isTrue();
  }
}
