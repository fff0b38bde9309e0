package io.parley.matching;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.SnapshotAdapter;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.RetentionCriteria;
import io.parley.CborSerializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of {@code parley.matching.partitions} shares of the candidate index, sharded over the cluster and
 * event-sourced: a candidate belongs to the partition its id hashes to. Matching a job asks every partition for its
 * matches, page by page, so that no message grows with the number of candidates.
 */
public final class CandidatePartition
    extends EventSourcedBehaviorWithEnforcedReplies<CandidatePartition.Command, CandidatePartition.Event, CandidateIndex> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "CandidatePartition");

  // ---------------------------------------------------------------- commands, replies, events

  public sealed interface Command extends CborSerializable {}

  /** Adds the candidate or replaces their profile; a profile identical to the indexed one persists nothing. */
  public record Index(CandidateProfile profile, ActorRef<Done> replyTo) implements Command {}

  public record Remove(String candidateId, ActorRef<Done> replyTo) implements Command {}

  /**
   * The matches from {@code offset} on, at most {@code limit}. The partition computes them at offset 0 and pages
   * through that result, so a job's pages are consistent even while candidates change.
   */
  public record FindMatches(JobPosting job, int offset, int limit, ActorRef<MatchPage> replyTo) implements Command {}

  public record CountCandidates(ActorRef<Integer> replyTo) implements Command {}

  public record MatchPage(List<CandidateMatch> matches, int offset, int total) implements CborSerializable {
    public boolean isLast() {
      return offset + matches.size() >= total;
    }
  }

  public sealed interface Event extends CborSerializable {}

  public record CandidateIndexed(CandidateProfile profile) implements Event {}

  public record CandidateRemoved(String candidateId) implements Event {}

  /** The snapshot form of the index: its profiles; the postings are rebuilt from them. */
  public record Snapshot(List<CandidateProfile> profiles) implements CborSerializable {}

  // ---------------------------------------------------------------- setup

  public static void init(ActorSystem<?> system) {
    MatchingSettings settings = MatchingSettings.fromConfig(system.settings().config());
    // A partition holds its share of the index in memory; passivating it would cost a recovery on the next job.
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  public static Behavior<Command> create(String partition, MatchingSettings settings) {
    return new CandidatePartition(partition, settings);
  }

  /** The partition a candidate belongs to; String.hashCode is fixed by the language, so every node agrees. */
  public static String partitionOf(String candidateId, int partitions) {
    return Integer.toString(Math.floorMod(candidateId.hashCode(), partitions));
  }

  /** Far more jobs than page through one partition at once: one per webhook processing slice. */
  private static final int JOBS_PAGED_AT_ONCE = 16;

  private final MatchingSettings settings;
  /**
   * The matches of each job being paged through, computed at its offset 0. Several jobs page at once (one per
   * webhook slice); each keeps its own result, or a change of the index between two pages of one job, computed
   * anew because another job had replaced it, would shift candidates past the page boundary and skip them. Not
   * persisted: a partition that restarts between two pages computes them anew.
   */
  private final Map<JobPosting, List<CandidateMatch>> paged =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<JobPosting, List<CandidateMatch>> eldest) {
          return size() > JOBS_PAGED_AT_ONCE;
        }
      };

  private CandidatePartition(String partition, MatchingSettings settings) {
    super(PersistenceId.of(ENTITY_KEY.name(), partition));
    this.settings = settings;
  }

  @Override
  public CandidateIndex emptyState() {
    return new CandidateIndex();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SnapshotAdapter<CandidateIndex> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(CandidateIndex index) {
        return new Snapshot(index.profiles());
      }

      @Override
      public CandidateIndex fromJournal(Object from) {
        CandidateIndex index = new CandidateIndex();
        for (CandidateProfile profile : ((Snapshot) from).profiles()) index.put(profile);
        return index;
      }
    };
  }

  @Override
  public CommandHandlerWithReply<Command, Event, CandidateIndex> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Index.class, this::index)
        .onCommand(Remove.class, this::remove)
        .onCommand(FindMatches.class, this::findMatches)
        .onCommand(CountCandidates.class, (index, count) -> Effect().reply(count.replyTo(), index.size()))
        .build();
  }

  private ReplyEffect<Event, CandidateIndex> index(CandidateIndex index, Index command) {
    if (index.holds(command.profile())) return Effect().reply(command.replyTo(), Done.getInstance());
    return Effect()
        .persist(new CandidateIndexed(command.profile()))
        .thenReply(command.replyTo(), state -> Done.getInstance());
  }

  private ReplyEffect<Event, CandidateIndex> remove(CandidateIndex index, Remove command) {
    if (!index.contains(command.candidateId())) return Effect().reply(command.replyTo(), Done.getInstance());
    return Effect()
        .persist(new CandidateRemoved(command.candidateId()))
        .thenReply(command.replyTo(), state -> Done.getInstance());
  }

  private ReplyEffect<Event, CandidateIndex> findMatches(CandidateIndex index, FindMatches command) {
    List<CandidateMatch> matches = command.offset() == 0 ? null : paged.get(command.job());
    if (matches == null) {
      matches = index.match(command.job(), settings.scoring());
      paged.put(command.job(), matches);
    }
    int total = matches.size();
    int from = Math.min(command.offset(), total);
    int to = Math.min(total, from + Math.max(1, command.limit()));
    List<CandidateMatch> page = List.copyOf(matches.subList(from, to));
    if (to >= total) paged.remove(command.job());
    return Effect().reply(command.replyTo(), new MatchPage(page, from, total));
  }

  @Override
  public EventHandler<CandidateIndex, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            CandidateIndexed.class,
            (index, event) -> {
              index.put(event.profile());
              return index;
            })
        .onEvent(
            CandidateRemoved.class,
            (index, event) -> {
              index.remove(event.candidateId());
              return index;
            })
        .build();
  }
}
