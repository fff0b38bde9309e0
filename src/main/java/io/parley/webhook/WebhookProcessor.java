package io.parley.webhook;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import akka.stream.javadsl.Sink;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.api.ApiException;
import io.parley.db.Database;
import io.parley.db.TaggedProjections;
import io.parley.matching.CandidateProfile;
import io.parley.matching.JobMatch;
import io.parley.matching.JobMatcher;
import io.parley.matching.JobPosting;
import io.parley.matching.JobStore;
import io.parley.matching.MatchDelivery.Pending;
import io.parley.matching.MatchDelivery;
import io.parley.matching.MatchingSettings;
import io.parley.matching.RowVersions;
import io.parley.matching.Scoring;
import io.parley.webhook.WebhookIntake.Delivery;
import io.parley.webhook.WebhookIntake.Event;
import io.parley.webhook.WebhookIntake.WebhookReceived;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes the stored webhooks, one projection per tag slice under ShardedDaemonProcess, so it resumes after a
 * crash from the last event it finished. At least once: every effect is idempotent (an identical profile indexes
 * nothing, a notified pair is never notified again), and the offset is saved after each event. A row's events are
 * processed in the order they arrived, which need not be the order they happened: one older than what its row holds
 * (by the row's version, see {@link RowVersions}) is counted as stale and changes nothing.
 */
public final class WebhookProcessor extends Handler<EventEnvelope<Event>> {
  private static final Logger log = LoggerFactory.getLogger(WebhookProcessor.class);
  static final String NAME = "webhooks";

  private final WebhookSettings webhooks;
  private final MatchingSettings matching;
  private final JobMatcher matcher;
  private final JobStore jobs;
  private final MatchDelivery delivery;
  private final Executor blocking;
  private final ActorSystem<?> system;

  WebhookProcessor(
      ActorSystem<?> system,
      WebhookSettings webhooks,
      MatchingSettings matching,
      JobMatcher matcher,
      JobStore jobs,
      MatchDelivery delivery,
      Executor blocking) {
    this.system = system;
    this.webhooks = webhooks;
    this.matching = matching;
    this.matcher = matcher;
    this.jobs = jobs;
    this.delivery = delivery;
    this.blocking = blocking;
  }

  public static void init(ActorSystem<?> system, WebhookSettings webhooks, MatchingSettings matching,
      MatchDelivery delivery) {
    DataSource dataSource = Database.get(system).dataSource();
    Executor blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher"));
    JobMatcher matcher = new JobMatcher(system, matching);
    JobStore jobs = new JobStore(dataSource);
    TaggedProjections.<Event>run(
        system,
        "webhook-processing",
        webhooks.tagSlices(),
        WebhookIntake::sliceTag,
        (tag, events, sessions) ->
            JdbcProjection.atLeastOnceAsync(
                    ProjectionId.of(NAME, tag),
                    events,
                    sessions,
                    () -> new WebhookProcessor(system, webhooks, matching, matcher, jobs, delivery, blocking),
                    system)
                // An event's effects are idempotent, but a notification sent twice still costs a call.
                .withSaveOffset(1, Duration.ZERO));
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
    if (!(envelope.event() instanceof WebhookReceived received)) return done();
    Delivery d = received.delivery();
    try {
      CompletionStage<Done> processed =
          switch (d.kind()) {
            case JOB -> job(d, received.at());
            case CANDIDATE -> candidate(d, received.at());
          };
      return processed.exceptionallyCompose(
          failure ->
              refusedByTheDatabase(failure)
                  ? passOver(d, "is refused by the database", failure.toString())
                  : CompletableFuture.failedFuture(failure));
    } catch (ApiException unreadable) {
      // Checked at intake; only a mapping changed since then gets here.
      return passOver(d, "cannot be read any more", unreadable.getMessage());
    }
  }

  private CompletionStage<Done> job(Delivery d, Instant at) {
    RecordMapping mapping = webhooks.mapping();
    if (d.type().equals("DELETE")) {
      Instant version = trusted(mapping.jobVersion(row(d.oldRecord()), "old_record"), at);
      return CompletableFuture.supplyAsync(
          () -> {
            if (!jobs.close(d.rowId(), version, mapping.jobsVersioned(), at)) stale(d, version);
            return Done.getInstance();
          },
          blocking);
    }
    ObjectNode record = row(d.record());
    JobPosting job = mapping.job(record, "record", matching.skills());
    Instant version = trusted(mapping.jobVersion(record, "record"), at);
    return CompletableFuture.supplyAsync(
            () -> {
              if (!jobs.upsert(job, version, mapping.jobsVersioned(), at)) {
                stale(d, version);
                return null;
              }
              return job.open() ? delivery.notifiedCandidates(job.jobId()) : null;
            },
            blocking)
        .thenCompose(
            notified -> {
              if (notified == null) return CompletableFuture.completedFuture(0);
              return matcher
                  .matches(job)
                  .mapAsyncUnordered(matching.pageParallelism(), page -> {
                    List<Pending> pending = new ArrayList<>(page.size());
                    for (var m : page) if (!notified.contains(m.userId())) pending.add(new Pending(m.userId(), m.toJobMatch(job)));
                    return delivery.deliver(d.key(), pending);
                  })
                  .runWith(Sink.fold(0, Integer::sum), system);
            })
        .thenCompose(failed -> failIfAny(failed, "job " + job.jobId()));
  }

  private CompletionStage<Done> candidate(Delivery d, Instant at) {
    RecordMapping mapping = webhooks.mapping();
    if (d.type().equals("DELETE")) {
      Instant version = trusted(mapping.candidateVersion(row(d.oldRecord()), "old_record"), at);
      return matcher
          .remove(d.rowId(), version, mapping.candidatesVersioned() ? at : null)
          .thenApplyAsync(
              applied -> {
                if (!applied) stale(d, version);
                return Done.getInstance();
              },
              blocking);
    }
    ObjectNode record = row(d.record());
    CandidateProfile profile = mapping.candidate(record, "record", matching.skills());
    Instant version = trusted(mapping.candidateVersion(record, "record"), at);
    // Indexed first, then matched against the stored jobs: a job processed meanwhile on another slice either sees
    // this candidate in the index or is seen here, so no match falls between the two.
    return matcher
        .index(profile, version, mapping.candidatesVersioned() ? at : null)
        .thenComposeAsync(
            applied -> {
              if (!applied) {
                stale(d, version);
                return CompletableFuture.completedFuture(0);
              }
              if (!profile.jobAlerts()) return CompletableFuture.completedFuture(0);
              Scoring scoring = matching.scoring();
              Instant since = Instant.now().minus(matching.rematchWindow());
              List<JobPosting> recent = jobs.openJobsFor(profile, since, scoring.zeroSkillCanMatch());
              Set<String> notified = delivery.notifiedJobs(profile.userId());
              List<Pending> pending = new ArrayList<>();
              for (JobPosting job : recent) {
                if (notified.contains(job.jobId())) continue;
                Scoring.Result result = scoring.score(job, profile);
                if (!scoring.matches(result.percent())) continue;
                pending.add(new Pending(profile.userId(),
                    new JobMatch(job.jobId(), job.title(), job.company(), result.fraction(), result.reasons())));
              }
              return delivery.deliver(d.key(), pending);
            },
            blocking)
        .thenCompose(failed -> failIfAny(failed, "candidate " + profile.candidateId()));
  }

  /**
   * The database refused a value of the row itself (SQLState class 22, data exception: too long, out of range, a
   * character it cannot store). That fails the same way on every retry, and the projection would retry it forever,
   * holding up every webhook of its slice; intake refuses such rows, but a mapping changed since may still let one
   * through. Anything else (a connection lost, a claim two events raced for) is retried.
   */
  private static boolean refusedByTheDatabase(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("22")) {
        return true;
      }
    }
    return false;
  }

  /** A version ahead of the receipt time by more than the clocks may disagree counts as none (RowVersions). */
  private Instant trusted(Instant version, Instant receivedAt) {
    return RowVersions.trusted(version, receivedAt, webhooks.versionAllowance());
  }

  /** Blocking: counts in the database. */
  private void stale(Delivery d, Instant version) {
    log.debug("Webhook {} for {} {} ({} of version {}) is older than the stored row, and is ignored",
        d.key(), d.table(), d.rowId(), d.type(), version);
    delivery.countStale();
  }

  /** An event that would fail the same way on every retry: logged, counted as failed, and its offset moves on. */
  private CompletionStage<Done> passOver(Delivery d, String why, String detail) {
    log.warn("Webhook {} for {} {} {}, and is not processed: {}", d.key(), d.table(), d.rowId(), why, detail);
    return CompletableFuture.supplyAsync(() -> { delivery.countFailure(); return Done.getInstance(); }, blocking);
  }

  /** A failed notification fails the event, so the projection tries it again; notified pairs are skipped then. */
  private static CompletionStage<Done> failIfAny(int failed, String what) {
    if (failed == 0) return done();
    return CompletableFuture.failedFuture(
        new IllegalStateException(failed + " job_match notifications for " + what + " failed; the event is retried"));
  }

  private static ObjectNode row(String json) {
    return SupabasePayload.readRow(json);
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
