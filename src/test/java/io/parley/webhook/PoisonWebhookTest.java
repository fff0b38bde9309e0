package io.parley.webhook;

import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.db.Database;
import io.parley.matching.JobStore;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.sql.Connection;
import java.sql.Statement;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * A stored webhook whose row the database refuses is counted as failed and passed over, on PostgreSQL, instead of
 * being retried forever in front of every webhook stored after it in its slice. Intake refuses the rows known to do
 * that; here an operator has narrowed a column since.
 */
class PoisonWebhookTest {
  @Test
  void aRowTheDatabaseRefusesIsCountedAsFailedAndTheWebhooksAfterItAreProcessed() throws Exception {
    try (TestDatabase database = TestDatabase.postgres();
        TestNode node = TestNode.start(database, WebhookClient.config(), new RecordingNotifier())) {
      DataSource dataSource = Database.get(node.node().system()).dataSource();
      try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
        s.execute("ALTER TABLE parley_job ALTER COLUMN title TYPE VARCHAR(10)");
        if (!c.getAutoCommit()) c.commit();
      }
      int partitions = node.node().system().settings().config().getInt("parley.webhook.partitions");
      int partition = WebhookIntake.partitionOf(WebhookIntake.Kind.JOB, "poison-1", partitions);
      String healthy = "healthy-0";
      for (int i = 1; WebhookIntake.partitionOf(WebhookIntake.Kind.JOB, healthy, partitions) != partition; i++) {
        healthy = "healthy-" + i;
      }
      WebhookClient webhooks = new WebhookClient(new HttpApi(node::uri));
      // "Backend Engineer poison-1" no longer fits the column; "Dev" does.
      assertThat(webhooks.bearer("/api/jobs/notify", insert("jobs", jobRow("poison-1", "[\"java\"]", "senior", "Paris", false)))
          .status()).isEqualTo(202);
      String shortTitled = jobRow(healthy, "[\"java\"]", "senior", "Paris", false)
          .replace("\"title\":\"Backend Engineer " + healthy + "\"", "\"title\":\"Dev\"");
      assertThat(webhooks.bearer("/api/jobs/notify", insert("jobs", shortTitled)).status()).isEqualTo(202);

      JobStore jobs = new JobStore(dataSource);
      String stored = healthy;
      Eventually.await("the job stored after the refused one, in the same slice", () -> jobs.find(stored), job -> job != null);
      assertThat(jobs.find("poison-1")).isNull();
      assertThat(new HttpApi(node::uri).get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("failed").asLong())
          .isGreaterThanOrEqualTo(1);
    }
  }
}
