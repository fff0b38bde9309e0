package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import com.typesafe.config.ConfigFactory;
import io.parley.db.Database;
import io.parley.matching.MatchDelivery.Pending;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Claims of (job, candidate) pairs on a real database: one event notifies a pair, and none is left behind for good. */
class MatchDeliveryTest {
  @Test
  void aPairItsEventLeftUnnotifiedIsTakenOverByALaterEventOnceTheClaimIsStale() throws Exception {
    ExecutorService blocking = Executors.newSingleThreadExecutor();
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, ConfigFactory.parseString("parley.matching.notify-attempts = 1"))) {
      DataSource dataSource = Database.get(node.node().system()).dataSource();
      MatchingSettings settings = MatchingSettings.fromConfig(node.node().system().settings().config());
      AtomicInteger calls = new AtomicInteger();
      java.util.concurrent.atomic.AtomicBoolean inboxDown = new java.util.concurrent.atomic.AtomicBoolean(true);
      MatchNotifier notifier =
          (matches, key) -> {
            calls.incrementAndGet();
            return inboxDown.get()
                ? CompletableFuture.failedFuture(new IllegalStateException("the inbox did not answer"))
                : CompletableFuture.completedFuture(Done.getInstance());
          };
      MatchDelivery delivery = new MatchDelivery(node.node().system(), dataSource, notifier, settings, blocking);
      List<Pending> anaMatchesJob = List.of(new Pending("user-ana", new JobMatch("job-1", "T", "C", 0.9, List.of("x"))));

      assertThat(delivery.deliver("event-1", anaMatchesJob).toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(1);
      inboxDown.set(false);
      int triedWhileDown = calls.get();
      // Event 1 is retried and no longer finds the pair (ana changed her profile meanwhile): it completes without it.
      assertThat(delivery.deliver("event-1", List.of()).toCompletableFuture().get(10, TimeUnit.SECONDS)).isZero();
      // Another event finds the pair again while the claim is fresh: event 1 might still be sending it.
      assertThat(delivery.deliver("event-2", anaMatchesJob).toCompletableFuture().get(10, TimeUnit.SECONDS)).isZero();
      assertThat(calls.get()).isEqualTo(triedWhileDown);

      age(dataSource, settings.claimTimeout().toMinutes() + 1);
      assertThat(delivery.deliver("event-2", anaMatchesJob).toCompletableFuture().get(10, TimeUnit.SECONDS)).isZero();
      assertThat(calls.get()).as("the stale claim was taken over and ana notified").isEqualTo(triedWhileDown + 1);
      assertThat(delivery.notifiedCandidates("job-1")).containsExactly("user-ana");
      assertThat(delivery.deliver("event-3", anaMatchesJob).toCompletableFuture().get(10, TimeUnit.SECONDS)).isZero();
      assertThat(calls.get()).as("a notified pair is never sent again").isEqualTo(triedWhileDown + 1);
    } finally {
      blocking.shutdownNow();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void twoCandidateRowsOfOneUserInOnePageAreClaimedAndNotifiedOnce(String kind) throws Exception {
    ExecutorService blocking = Executors.newSingleThreadExecutor();
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      DataSource dataSource = Database.get(node.node().system()).dataSource();
      MatchingSettings settings = MatchingSettings.fromConfig(node.node().system().settings().config());
      List<String> notified = new CopyOnWriteArrayList<>();
      MatchNotifier notifier =
          (matches, key) -> {
            matches.forEach(m -> notified.add(m.userId()));
            return CompletableFuture.completedFuture(Done.getInstance());
          };
      MatchDelivery delivery = new MatchDelivery(node.node().system(), dataSource, notifier, settings, blocking);
      JobMatch job = new JobMatch("job-twice", "T", "C", 0.9, List.of("senior"));

      int failed =
          delivery
              .deliver("event-1", List.of(new Pending("user-ana", job), new Pending("user-ana", job), new Pending("user-ben", job)))
              .toCompletableFuture()
              .get(30, TimeUnit.SECONDS);

      assertThat(failed).isZero();
      assertThat(notified).as("each user once, though ana's row came twice").containsExactlyInAnyOrder("user-ana", "user-ben");
      assertThat(delivery.notifiedCandidates("job-twice")).containsExactlyInAnyOrder("user-ana", "user-ben");
      assertThat(delivery.counters()).isEqualTo(new MatchDelivery.Counters(2, 2, 0, 0));
    } finally {
      blocking.shutdownNow();
    }
  }

  @Test
  void anEventsMatchesGoToTheNotifierInAGroupPerJobAndAGroupThatFailsStaysUnmarkedWhole() throws Exception {
    ExecutorService blocking = Executors.newSingleThreadExecutor();
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, ConfigFactory.parseString("parley.matching.notify-attempts = 2"))) {
      DataSource dataSource = Database.get(node.node().system()).dataSource();
      MatchingSettings settings = MatchingSettings.fromConfig(node.node().system().settings().config());
      List<String> groups = new CopyOnWriteArrayList<>();
      MatchNotifier notifier =
          (matches, key) -> {
            groups.add(key + " " + matches.stream().map(Pending::userId).toList());
            return key.endsWith("job-down")
                ? CompletableFuture.failedFuture(new IllegalStateException("the inbox did not answer"))
                : CompletableFuture.completedFuture(Done.getInstance());
          };
      MatchDelivery delivery = new MatchDelivery(node.node().system(), dataSource, notifier, settings, blocking);
      JobMatch senior = new JobMatch("job-1", "T", "C", 0.9, List.of("4/5 skills", "senior"));
      JobMatch mid = new JobMatch("job-1", "T", "C", 0.7, List.of("4/5 skills", "mid (senior wanted)"));
      JobMatch down = new JobMatch("job-down", "T", "C", 0.9, List.of("senior"));

      int failed =
          delivery
              .deliver("event-1", List.of(new Pending("user-ana", senior), new Pending("user-ben", mid),
                  new Pending("user-ana", down), new Pending("user-cy", down)))
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);

      assertThat(failed).isEqualTo(2);
      assertThat(groups).containsOnly("job_match:job-1 [user-ana, user-ben]", "job_match:job-down [user-ana, user-cy]");
      assertThat(groups).filteredOn(group -> group.contains("job-1")).hasSize(1);
      assertThat(groups).as("the failed group, tried whole notify-attempts times").filteredOn(group -> group.contains("job-down")).hasSize(2);
      assertThat(delivery.notifiedCandidates("job-1")).containsExactlyInAnyOrder("user-ana", "user-ben");
      assertThat(delivery.notifiedCandidates("job-down")).isEmpty();
      assertThat(delivery.counters()).isEqualTo(new MatchDelivery.Counters(4, 2, 2, 0));
    } finally {
      blocking.shutdownNow();
    }
  }

  /**
   * Two events find the same users for a job at once (two pages sharing a user, or a job's event and a candidate's):
   * under READ COMMITTED neither sees the other's uncommitted claims, so one fails on the primary key, or they
   * deadlock when they meet in opposite orders; the loser claims again rather than failing its whole event.
   */
  @ParameterizedTest
  @ValueSource(strings = {"postgres", "h2"})
  void eventsClaimingTheSameUsersAtOnceBothCompleteAndEachUserIsNotifiedOnce(String kind) throws Exception {
    ExecutorService blocking = Executors.newFixedThreadPool(2);
    try (TestDatabase database = TestDatabase.named(kind); TestNode node = TestNode.start(database)) {
      DataSource dataSource = Database.get(node.node().system()).dataSource();
      MatchingSettings settings = MatchingSettings.fromConfig(node.node().system().settings().config());
      Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
      MatchNotifier notifier =
          (matches, key) -> {
            for (Pending p : matches) calls.computeIfAbsent(key + " " + p.userId(), k -> new AtomicInteger()).incrementAndGet();
            return CompletableFuture.completedFuture(Done.getInstance());
          };
      MatchDelivery delivery = new MatchDelivery(node.node().system(), dataSource, notifier, settings, blocking);
      int rounds = 10;
      int users = 10;

      for (int round = 0; round < rounds; round++) {
        JobMatch match = new JobMatch("job-" + round, "T", "C", 0.9, List.of("senior"));
        List<Pending> pending = new ArrayList<>();
        for (int u = 0; u < users; u++) pending.add(new Pending("user-" + u, match));
        // The same order meets on the primary key; opposite orders deadlock.
        List<Pending> other = new ArrayList<>(pending);
        if (round % 2 == 1) Collections.reverse(other);
        CompletableFuture<Integer> first = delivery.deliver("job-event-" + round, pending).toCompletableFuture();
        CompletableFuture<Integer> second = delivery.deliver("candidate-event-" + round, other).toCompletableFuture();

        assertThat(first.get(30, TimeUnit.SECONDS)).as("round " + round).isZero();
        assertThat(second.get(30, TimeUnit.SECONDS)).as("round " + round).isZero();
      }

      assertThat(calls).hasSize(rounds * users).allSatisfy((pair, count) -> assertThat(count.get()).as(pair).isEqualTo(1));
      assertThat(delivery.counters()).isEqualTo(new MatchDelivery.Counters(rounds * users, rounds * users, 0, 0));
    } finally {
      blocking.shutdownNow();
    }
  }

  private static void age(DataSource dataSource, long minutes) throws Exception {
    try (Connection c = dataSource.getConnection();
        PreparedStatement s = c.prepareStatement("UPDATE parley_job_match SET matched_at = ?")) {
      s.setObject(1, java.time.OffsetDateTime.ofInstant(Instant.now().minus(minutes, ChronoUnit.MINUTES), java.time.ZoneOffset.UTC));
      s.executeUpdate();
      if (!c.getAutoCommit()) c.commit();
    }
  }
}
