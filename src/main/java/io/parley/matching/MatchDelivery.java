package io.parley.matching;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.pattern.Patterns;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import io.parley.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notifies candidates of their matches, never twice for the same job. Each (job, candidate) pair is claimed in
 * {@code parley_job_match} by the webhook event that found it first, before the notifier is called, and marked
 * notified once it has answered. Only the claiming event notifies (a job and a candidate processed at once on two
 * slices may both find the pair; the primary key lets one claim it), and it does so again on a replay until the mark
 * is set. A crash between the answer and the mark sends the same idempotency key again, for which the receiving
 * side stores nobody twice. A claim left unnotified for {@code claim-timeout} (its event failed to notify, and on its
 * retry no longer found the pair, which had stopped matching) is taken over by the next event that finds the pair.
 * The {@code matched} and {@code notified} counters in {@code parley_match_counter} move by the rows that actually
 * changed, so replays do not inflate them; {@code failed} counts every failed attempt.
 */
public final class MatchDelivery {
  private static final Logger log = LoggerFactory.getLogger(MatchDelivery.class);
  private static final Duration RETRY_DELAY = Duration.ofMillis(200);

  /** One notification to send: a candidate and the job that matches them. */
  public record Pending(String userId, JobMatch match) {}

  /** The durable counters of matching. */
  public record Counters(long matched, long notified, long failed, long stale) {}

  private final ActorSystem<?> system;
  private final DataSource dataSource;
  private final MatchNotifier notifier;
  private final MatchingSettings settings;
  private final Executor blocking;

  public MatchDelivery(
      ActorSystem<?> system, DataSource dataSource, MatchNotifier notifier, MatchingSettings settings, Executor blocking) {
    this.system = system;
    this.dataSource = dataSource;
    this.notifier = notifier;
    this.settings = settings;
    this.blocking = blocking;
  }

  /** The candidates already notified of a job. */
  public Set<String> notifiedCandidates(String jobId) {
    return Transactions.run(
        dataSource,
        c -> strings(c, "SELECT candidate_id FROM parley_job_match WHERE job_id = ? AND notified_at IS NOT NULL", jobId));
  }

  /** The jobs a candidate was already notified of. */
  public Set<String> notifiedJobs(String userId) {
    return Transactions.run(
        dataSource,
        c -> strings(c, "SELECT job_id FROM parley_job_match WHERE candidate_id = ? AND notified_at IS NOT NULL", userId));
  }

  /**
   * Claims the matches for the event {@code claimKey}, notifies the candidates of the pairs it holds, a group per
   * job (with retries), and marks the groups that succeeded. Completes with the number of notifications that still
   * failed: those pairs stay unmarked and go out when the event is replayed.
   */
  public CompletionStage<Integer> deliver(String claimKey, List<Pending> pending) {
    if (pending.isEmpty()) return CompletableFuture.completedFuture(0);
    return CompletableFuture.supplyAsync(() -> claim(claimKey, pending), blocking)
        .thenCompose(claimed -> send(claimed).thenApplyAsync(sent -> {
          markNotified(sent);
          int failed = claimed.size() - sent.size();
          if (failed > 0) count("failed", failed);
          return failed;
        }, blocking));
  }

  /**
   * The notifications that went through: the claimed ones in a group per job, each notified at once, with bounded
   * parallelism; a group whose notification still fails after the retries is logged and left out whole.
   */
  private CompletionStage<List<Pending>> send(List<Pending> claimed) {
    return Source.from(byJob(claimed).entrySet())
        .mapAsyncUnordered(
            settings.notifyParallelism(),
            job -> send(job.getKey(), job.getValue()).handle((done, failure) -> failure == null ? job.getValue() : List.<Pending>of()))
        .runWith(
            Sink.fold(new ArrayList<Pending>(), (sent, group) -> {
              sent.addAll(group);
              return sent;
            }),
            system)
        .thenApply(List::copyOf);
  }

  public void countFailure() {
    count("failed", 1);
  }

  /** A webhook event ignored because its row was already stored at a newer version; a replay may count it twice. */
  public void countStale() {
    count("stale", 1);
  }

  public Counters counters() {
    return Transactions.run(
        dataSource,
        c -> {
          Map<String, Long> values = new LinkedHashMap<>();
          try (PreparedStatement s = c.prepareStatement("SELECT name, counter_value FROM parley_match_counter");
              ResultSet rows = s.executeQuery()) {
            while (rows.next()) values.put(rows.getString(1), rows.getLong(2));
          }
          return new Counters(
              values.getOrDefault("matched", 0L), values.getOrDefault("notified", 0L), values.getOrDefault("failed", 0L),
              values.getOrDefault("stale", 0L));
        });
  }

  private CompletionStage<Done> send(String jobId, List<Pending> matches) {
    return Patterns.retry(
            () -> notifier.notifyMatches(matches, MatchNotifier.idempotencyKey(jobId)),
            settings.notifyAttempts() - 1, // Akka counts the retries after the first try
            RETRY_DELAY,
            system.classicSystem().scheduler(),
            system.executionContext())
        .whenComplete(
            (done, failure) -> {
              if (failure != null) {
                log.warn("job_match for {} candidate(s) about job {} failed: {}", matches.size(), jobId, failure.toString());
              }
            });
  }

  /**
   * Inserts the pairs nobody has claimed yet, and answers those of {@code pending} that this event holds and that
   * are not notified yet. The number inserted is what "matched" grows by. Two events inserting the same pair at
   * once (two pages of a job whose candidates share a user, a job's event and a candidate's): the primary key fails
   * one of them (they take the pairs in the same order, so they never deadlock), and its claim runs again, finding
   * the pair claimed.
   */
  private List<Pending> claim(String claimKey, List<Pending> unordered) {
    // Two events claiming the same pairs at once lock them in the same order: one waits, neither deadlocks.
    List<Pending> pending =
        unordered.stream()
            .sorted(java.util.Comparator.comparing((Pending p) -> p.match().jobId()).thenComparing(Pending::userId))
            .toList();
    return Transactions.runRetryingLostRaces(
        dataSource,
        c -> {
          Instant now = Instant.now();
          // The pairs already in the table are read a page at a time; the others are inserted as one batch, which
          // the PostgreSQL driver sends as multi-row INSERTs. A pair inserted meanwhile by another event fails the
          // batch on the primary key, and the claim runs again.
          Set<String> existing = pairsIn(c, pending, "SELECT candidate_id FROM parley_job_match WHERE job_id = ? AND candidate_id");
          // Two candidate rows of one user may be in the same page: their pair is inserted once.
          Map<String, Pending> freshByPair = new LinkedHashMap<>();
          for (Pending p : pending) if (!existing.contains(pairKey(p))) freshByPair.putIfAbsent(pairKey(p), p);
          List<Pending> fresh = List.copyOf(freshByPair.values());
          batch(c, "INSERT INTO parley_job_match (job_id, candidate_id, score, reasons, matched_at, claimed_by)"
                  + " VALUES (?, ?, ?, ?, ?, ?)",
              fresh, p -> new Object[] {p.match().jobId(), p.userId(), p.match().score(), p.match().summary(), now,
                  claimKey});
          try (Sql sql = new Sql(c)) {
            add(sql, "matched", fresh.size());
          }
          batch(c, "UPDATE parley_job_match SET claimed_by = ?, matched_at = ? WHERE job_id = ? AND candidate_id = ?"
                  + " AND notified_at IS NULL AND claimed_by <> ? AND matched_at < ?",
              pending.stream().filter(p -> existing.contains(pairKey(p))).toList(),
              p -> new Object[] {claimKey, now, p.match().jobId(), p.userId(), claimKey,
                  now.minus(settings.claimTimeout())});
          // Only this page's pairs: other pages of the same event hold pairs under the same key.
          Set<String> held =
              pairsIn(c, pending, "SELECT candidate_id FROM parley_job_match WHERE job_id = ? AND claimed_by = ?"
                  + " AND notified_at IS NULL AND candidate_id", claimKey);
          // One notification per pair however many candidate rows of the user the page holds: the first, as inserted.
          Map<String, Pending> heldByPair = new LinkedHashMap<>();
          for (Pending p : pending) if (held.contains(pairKey(p))) heldByPair.putIfAbsent(pairKey(p), p);
          return List.copyOf(heldByPair.values());
        });
  }

  private static String pairKey(Pending p) {
    return p.match().jobId() + "\n" + p.userId();
  }

  /**
   * The pairs of {@code pending} a query finds, a page of each job's users at a time: {@code query} selects
   * candidate_id, takes the job id and then {@code parameters}, and ends with the column its page of users is in.
   */
  private static Set<String> pairsIn(Connection c, List<Pending> pending, String query, Object... parameters)
      throws SQLException {
    Set<String> found = new HashSet<>();
    forEachJobPage(pending, (jobId, userIds) -> {
      List<Object> leading = new ArrayList<>(List.of(parameters));
      leading.add(0, jobId);
      try (PreparedStatement s = withUsers(c, query, leading, userIds);
          ResultSet rows = s.executeQuery()) {
        while (rows.next()) found.add(jobId + "\n" + rows.getString(1));
      }
    });
    return found;
  }

  /** {@code sql} with " IN (?, ...)" for {@code userIds} appended, bound to {@code leading}, then to the users. */
  private static PreparedStatement withUsers(Connection c, String sql, List<Object> leading, List<String> userIds)
      throws SQLException {
    PreparedStatement statement =
        c.prepareStatement(sql + " IN (" + String.join(", ", java.util.Collections.nCopies(userIds.size(), "?")) + ")");
    List<Object> values = new ArrayList<>(leading);
    values.addAll(userIds);
    try {
      Sql.bind(statement, values.toArray());
    } catch (SQLException e) {
      statement.close();
      throw e;
    }
    return statement;
  }

  private void markNotified(List<Pending> sent) {
    if (sent.isEmpty()) return;
    Transactions.run(
        dataSource,
        c -> {
          Instant now = Instant.now();
          int[] marked = {0};
          forEachJobPage(sent, (jobId, userIds) -> {
            try (PreparedStatement s = withUsers(c,
                "UPDATE parley_job_match SET notified_at = ? WHERE job_id = ? AND notified_at IS NULL AND candidate_id",
                List.of(now, jobId), userIds)) {
              marked[0] += s.executeUpdate();
            }
          });
          try (Sql sql = new Sql(c)) {
            add(sql, "notified", marked[0]);
          }
          return null;
        });
  }

  private interface JobPage {
    void accept(String jobId, List<String> userIds) throws SQLException;
  }

  /** The users of {@code pending} per job, at most 500 at a time: one statement per page instead of one per pair. */
  private static void forEachJobPage(List<Pending> pending, JobPage page) throws SQLException {
    for (Map.Entry<String, List<Pending>> job : byJob(pending).entrySet()) {
      List<String> users = job.getValue().stream().map(Pending::userId).toList();
      for (int from = 0; from < users.size(); from += 500) {
        page.accept(job.getKey(), users.subList(from, Math.min(users.size(), from + 500)));
      }
    }
  }

  private static Map<String, List<Pending>> byJob(List<Pending> pending) {
    Map<String, List<Pending>> byJob = new LinkedHashMap<>();
    for (Pending p : pending) byJob.computeIfAbsent(p.match().jobId(), job -> new ArrayList<>()).add(p);
    return byJob;
  }

  /** One JDBC batch of the statement per pending notification; answers how many rows it changed in all. */
  private static int batch(Connection c, String statement, List<Pending> pending,
      java.util.function.Function<Pending, Object[]> parameters) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(statement)) {
      for (Pending p : pending) {
        Sql.bind(s, parameters.apply(p));
        s.addBatch();
      }
      int changed = 0;
      for (int count : s.executeBatch()) changed += Math.max(count, 0);
      return changed;
    }
  }

  private void count(String name, long delta) {
    Transactions.run(
        dataSource,
        c -> {
          try (Sql sql = new Sql(c)) {
            add(sql, name, delta);
          }
          return null;
        });
  }

  private static void add(Sql sql, String name, long delta) throws SQLException {
    if (delta != 0) sql.update("UPDATE parley_match_counter SET counter_value = counter_value + ? WHERE name = ?", delta, name);
  }

  private static Set<String> strings(Connection c, String query, String parameter) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(query)) {
      s.setString(1, parameter);
      try (ResultSet rows = s.executeQuery()) {
        Set<String> values = new HashSet<>();
        while (rows.next()) values.add(rows.getString(1));
        return values;
      }
    }
  }
}
