package io.parley.matching;

import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.japi.Pair;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import io.parley.Futures;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The candidate index as a whole: a candidate goes to the partition its id hashes to, and a job is matched by
 * asking every partition at once and merging their pages as they come (scatter, gather).
 */
public final class JobMatcher {
  private final ClusterSharding sharding;
  private final MatchingSettings settings;

  public JobMatcher(ActorSystem<?> system, MatchingSettings settings) {
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
  }

  /** Completes with whether the profile applied: false when the index holds a newer version; see {@link CandidatePartition.Index}. */
  public CompletionStage<Boolean> index(CandidateProfile profile, Instant version, Instant receivedAt) {
    return Futures.direct(partition(profile.candidateId())
        .ask(replyTo -> new CandidatePartition.Index(profile, version, receivedAt, replyTo), settings.askTimeout()));
  }

  /** Completes with whether the deletion applied; see {@link CandidatePartition.Remove}. */
  public CompletionStage<Boolean> remove(String candidateId, Instant version, Instant receivedAt) {
    return Futures.direct(partition(candidateId)
        .ask(replyTo -> new CandidatePartition.Remove(candidateId, version, receivedAt, replyTo), settings.askTimeout()));
  }

  /** Pages of the job's matches from all partitions, each page at most {@code page-size} long, none empty. */
  public Source<List<CandidateMatch>, NotUsed> matches(JobPosting job) {
    return Source.range(0, settings.partitions() - 1)
        .flatMapMerge(settings.partitions(), p -> pages(job, sharding.entityRefFor(
            CandidatePartition.ENTITY_KEY, Integer.toString(p))))
        .filter(page -> !page.isEmpty());
  }

  /** Every match of the job at once; for tests and benchmarks, since a popular job's matches can be many. */
  public CompletionStage<List<CandidateMatch>> allMatches(JobPosting job, ActorSystem<?> system) {
    return matches(job)
        .runWith(Sink.fold(new ArrayList<CandidateMatch>(), (all, page) -> {
          all.addAll(page);
          return all;
        }), system)
        .thenApply(List::copyOf);
  }

  public CompletionStage<Integer> countCandidates(ActorSystem<?> system) {
    return Source.range(0, settings.partitions() - 1)
        .mapAsyncUnordered(settings.partitions(), p -> sharding
            .entityRefFor(CandidatePartition.ENTITY_KEY, Integer.toString(p))
            .<Integer>ask(CandidatePartition.CountCandidates::new, settings.askTimeout()))
        .runWith(Sink.fold(0, Integer::sum), system);
  }

  /** Where a partition's next page starts ({@code after} null for the first), or that its last one has arrived. */
  private record Cursor(CandidatePartition.After after, boolean done) {}

  private Source<List<CandidateMatch>, NotUsed> pages(JobPosting job, EntityRef<CandidatePartition.Command> partition) {
    return Source.unfoldAsync(
        new Cursor(null, false),
        cursor -> {
          if (cursor.done()) return CompletableFuture.completedFuture(Optional.empty());
          return Futures.direct(partition
                  .<CandidatePartition.MatchPage>ask(
                      replyTo -> new CandidatePartition.FindMatches(job, cursor.after(), settings.pageSize(), replyTo),
                      settings.askTimeout()))
              .thenApply(page -> Optional.of(Pair.create(new Cursor(page.next(), page.isLast()), page.toMatches())));
        });
  }

  private EntityRef<CandidatePartition.Command> partition(String candidateId) {
    return sharding.entityRefFor(
        CandidatePartition.ENTITY_KEY, CandidatePartition.partitionOf(candidateId, settings.partitions()));
  }
}
