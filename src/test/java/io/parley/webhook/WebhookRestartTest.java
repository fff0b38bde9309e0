package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.ProjectionOffsets;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.RecordingNotifier.Call;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A crash after the 202: a node that stores webhooks but stops before processing them, then a new node on the same
 * database. Every notification still goes out, exactly once, and neither the counters nor the offsets are lost.
 */
class WebhookRestartTest {
  /**
   * One intake slice, on every node: a webhook sent after the second restart then follows every earlier one through
   * the one processing projection, so that its notification shows that the projection has run past them.
   */
  private static final Config ONE_SLICE =
      ConfigFactory.parseString("parley.webhook.tag-slices = 1").withFallback(WebhookClient.config());

  private static final Config PROCESSING_OFF =
      ConfigFactory.parseString("parley.webhook.processing.enabled = off").withFallback(ONE_SLICE);

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void webhooksStoredBeforeACrashAreProcessedOnceAfterTheRestart(String kind) {
    try (TestDatabase database = TestDatabase.named(kind)) {
      RecordingNotifier beforeCrash = new RecordingNotifier();
      try (TestNode first = TestNode.start(database, PROCESSING_OFF, beforeCrash)) {
        WebhookClient webhooks = new WebhookClient(new HttpApi(first::uri));
        assertThat(webhooks.bearer("/api/webhooks/matching/update", insert("candidates",
            candidateRow("r1", "[\"java\",\"akka\"]", "senior", "Paris", false, true))).status()).isEqualTo(202);
        assertThat(webhooks.hmac("/api/webhooks/supabase", insert("candidates",
            candidateRow("r2", "[\"java\"]", "senior", "Paris", false, true))).status()).isEqualTo(202);
        String job = insert("jobs", jobRow("job-r1", "[\"java\",\"akka\"]", "senior", "Paris", false));
        assertThat(webhooks.bearer("/api/jobs/notify", job).status()).isEqualTo(202);
        assertThat(webhooks.bearer("/api/jobs/notify", job).json().get("duplicate").asBoolean()).isTrue();
        beforeCrash.settle(Duration.ofSeconds(1));
      }
      assertThat(beforeCrash.calls()).isEmpty();

      RecordingNotifier afterRestart = new RecordingNotifier();
      try (TestNode second = TestNode.start(database, ONE_SLICE, afterRestart)) {
        afterRestart.awaitCalls(2, Duration.ofSeconds(30));
        // The offset is stored once each event is processed: past the last one, a second call would have shown.
        ProjectionOffsets.awaitPastLastEvent(database, WebhookProcessor.NAME, List.of(WebhookIntake.sliceTag(0)));
        assertThat(afterRestart.calls())
            .extracting(Call::userId, Call::idempotencyKey)
            .containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("user-r1", "job_match:job-r1"),
                org.assertj.core.groups.Tuple.tuple("user-r2", "job_match:job-r1"));
        JsonNode status = awaitNotified(new HttpApi(second::uri), 2);
        assertThat(status.get("received").asLong()).isEqualTo(4);
        assertThat(status.get("duplicates").asLong()).isEqualTo(1);
        assertThat(status.get("matched").asLong()).isEqualTo(2);
      }

      RecordingNotifier afterSecondRestart = new RecordingNotifier();
      try (TestNode third = TestNode.start(database, ONE_SLICE, afterSecondRestart)) {
        // A second job matching both candidates, after every earlier webhook in the one slice: once it is notified
        // and its offset stored, the projection has run past the first job, which it would have notified again by
        // now had it started from before it.
        HttpApi api = new HttpApi(third::uri);
        assertThat(new WebhookClient(api).bearer("/api/jobs/notify",
            insert("jobs", jobRow("job-r2", "[\"java\",\"akka\"]", "senior", "Paris", false))).status()).isEqualTo(202);
        afterSecondRestart.awaitCalls(2, Duration.ofSeconds(30));
        ProjectionOffsets.awaitPastLastEvent(database, WebhookProcessor.NAME, List.of(WebhookIntake.sliceTag(0)));
        assertThat(afterSecondRestart.calls())
            .as("a job already notified is not notified again after another restart")
            .extracting(Call::userId, Call::idempotencyKey)
            .containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("user-r1", "job_match:job-r2"),
                org.assertj.core.groups.Tuple.tuple("user-r2", "job_match:job-r2"));
        JsonNode status = awaitNotified(api, 4);
        assertThat(status.get("received").asLong()).as("the counters are kept over restarts").isEqualTo(5);
      }
    }
  }

  private static JsonNode awaitNotified(HttpApi api, long notified) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (true) {
      JsonNode status = api.get("/api/jobs/notify/status", WebhookClient.SECRET).json();
      if (status.get("notified").asLong() >= notified || System.nanoTime() > deadline) {
        assertThat(status.get("notified").asLong()).isEqualTo(notified);
        return status;
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
