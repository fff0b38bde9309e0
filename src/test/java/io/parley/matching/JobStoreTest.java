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
      jobs.upsert(job("published", false), null, false, LONG_AGO);
      jobs.upsert(job("published", true), null, false, YESTERDAY);
      // Posted two months ago, closed last week (deleted, then inserted again), reopened yesterday.
      jobs.upsert(job("deleted-and-reposted", true), null, false, LONG_AGO);
      jobs.close("deleted-and-reposted", null, false, LAST_WEEK);
      jobs.upsert(job("deleted-and-reposted", true), null, false, YESTERDAY);
      // Posted two months ago, its status set to closed and then open again yesterday.
      jobs.upsert(job("reopened", true), null, false, LONG_AGO);
      jobs.upsert(job("reopened", false), null, false, LAST_WEEK);
      jobs.upsert(job("reopened", true), null, false, YESTERDAY);
      // Open since two months ago and only edited since: not new.
      jobs.upsert(job("edited", true), null, false, LONG_AGO);
      jobs.upsert(job("edited", true), null, false, YESTERDAY);
      // A draft edited yesterday has not opened.
      jobs.upsert(job("draft", false), null, false, LONG_AGO);
      jobs.upsert(job("draft", false), null, false, YESTERDAY);

      List<JobPosting> found = jobs.openJobsFor(candidate(), SINCE, false);

      assertThat(found).extracting(JobPosting::jobId)
          .containsExactlyInAnyOrder("published", "deleted-and-reposted", "reopened");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void anOlderEventDoesNotReopenOrOverwriteAJobAndADeletionIsNotUndone(String kind) {
    Instant v1 = Instant.parse("2026-11-22T10:00:00.123456Z");
    Instant v2 = v1.plusMillis(3);
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
      // Closed at v2; its edit at v1 arrives after.
      jobs.upsert(job("filled", false), v2, true, YESTERDAY);
      boolean olderEdit = jobs.upsert(job("filled", true), v1, true, NOW);
      // Deleted at v2 (REPLICA IDENTITY FULL), the UPDATE to v2 arriving after; the same version again is replayed.
      jobs.upsert(job("deleted", true), v1, true, YESTERDAY);
      jobs.close("deleted", v2, true, YESTERDAY);
      boolean lateUpdate = jobs.upsert(job("deleted", true), v2, true, NOW);
      // Deleted with only its key, before its INSERT arrived.
      jobs.close("key-only", null, true, YESTERDAY);
      boolean lateInsert = jobs.upsert(job("key-only", true), LAST_WEEK, true, NOW);
      // Edited twice at the same version: the later one still applies.
      jobs.upsert(job("edited", true), v1, true, YESTERDAY);
      boolean sameVersion = jobs.upsert(new JobPosting("edited", "Renamed", "Acme", List.of("java"), Level.SENIOR,
          "paris", "Paris", false, null, true), v1, true, NOW);

      assertThat(List.of(olderEdit, lateUpdate, lateInsert)).containsOnly(false);
      assertThat(sameVersion).isTrue();
      assertThat(jobs.find("filled").open()).isFalse();
      assertThat(jobs.find("deleted").open()).isFalse();
      assertThat(jobs.find("key-only").open()).isFalse();
      assertThat(jobs.find("edited").title()).isEqualTo("Renamed");
      assertThat(jobs.openJobsFor(candidate(), SINCE, false)).extracting(JobPosting::jobId).containsExactly("edited");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void anEventWithoutAVersionKeepsTheJobsVersionAndDoesNotUndoADeletionMadeAfterItWasReceived(String kind) {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
      // Closed at LAST_WEEK; an INSERT without updated_at, received yesterday, applies but forgets no version.
      jobs.upsert(job("kept", false), LAST_WEEK, true, LAST_WEEK);
      boolean unversioned = jobs.upsert(job("kept", true), null, true, YESTERDAY);
      boolean olderThanKept = jobs.upsert(job("kept", false), LONG_AGO, true, NOW);
      // Deleted yesterday; an INSERT without updated_at received last week comes after.
      jobs.close("deleted", YESTERDAY, true, YESTERDAY);
      boolean receivedBefore = jobs.upsert(job("deleted", true), null, true, LAST_WEEK);
      // Deleted with only its key, the same.
      jobs.close("key-only", null, true, YESTERDAY);
      boolean receivedBeforeKeyOnly = jobs.upsert(job("key-only", true), null, true, LAST_WEEK);

      assertThat(unversioned).isTrue();
      assertThat(List.of(olderThanKept, receivedBefore, receivedBeforeKeyOnly)).containsOnly(false);
      assertThat(jobs.find("kept").open()).isTrue();
      assertThat(jobs.find("deleted").open()).isFalse();
      assertThat(jobs.find("key-only").open()).isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void withoutVersionsTheLastEventToArriveWins(String kind) {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
      jobs.upsert(job("j", true), Instant.parse("2026-11-22T10:00:00Z"), false, LAST_WEEK);
      jobs.close("j", null, false, YESTERDAY);
      boolean reinserted = jobs.upsert(job("j", true), null, false, NOW);
      jobs.close("never-seen", null, false, NOW);

      assertThat(reinserted).isTrue();
      assertThat(jobs.find("j").open()).isTrue();
      assertThat(jobs.find("never-seen")).isNull();
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
