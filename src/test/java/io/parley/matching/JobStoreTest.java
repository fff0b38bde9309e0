package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.db.Database;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The stored jobs a candidate who signs up is matched against: those that opened within the rematch window. */
class JobStoreTest {
  private static final Instant NOW = Instant.now();
  private static final Instant SINCE = NOW.minus(Duration.ofDays(30));
  private static final Instant LONG_AGO = NOW.minus(Duration.ofDays(60));
  private static final Instant LAST_WEEK = NOW.minus(Duration.ofDays(7));
  private static final Instant YESTERDAY = NOW.minus(Duration.ofDays(1));

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aJobPublishedOrReopenedWithinTheWindowIsFoundAndAnEditDoesNotMakeAJobNew(String kind) {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
      // Saved as a draft two months ago, published yesterday.
      jobs.upsert(job("published", false), LONG_AGO);
      jobs.upsert(job("published", true), YESTERDAY);
      // Posted two months ago, closed last week (deleted, then inserted again), reopened yesterday.
      jobs.upsert(job("deleted-and-reposted", true), LONG_AGO);
      jobs.close("deleted-and-reposted", LAST_WEEK);
      jobs.upsert(job("deleted-and-reposted", true), YESTERDAY);
      // Posted two months ago, its status set to closed and then open again yesterday.
      jobs.upsert(job("reopened", true), LONG_AGO);
      jobs.upsert(job("reopened", false), LAST_WEEK);
      jobs.upsert(job("reopened", true), YESTERDAY);
      // Open since two months ago and only edited since: not new.
      jobs.upsert(job("edited", true), LONG_AGO);
      jobs.upsert(job("edited", true), YESTERDAY);
      // A draft edited yesterday has not opened.
      jobs.upsert(job("draft", false), LONG_AGO);
      jobs.upsert(job("draft", false), YESTERDAY);

      List<JobPosting> found = jobs.openJobsFor(candidate(), SINCE, false);

      assertThat(found).extracting(JobPosting::jobId)
          .containsExactlyInAnyOrder("published", "deleted-and-reposted", "reopened");
    }
  }

  private static JobPosting job(String id, boolean open) {
    return new JobPosting(id, "Backend engineer", "Acme", List.of("java"), Level.SENIOR, "paris", "Paris", false, null,
        open);
  }

  private static CandidateProfile candidate() {
    return new CandidateProfile("c1", "user-c1", List.of("java"), Level.SENIOR, "paris", "Paris", false, true);
  }
}
