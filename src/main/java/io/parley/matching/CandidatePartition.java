package io.parley.matching;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
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
import io.parley.Texts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of {@code parley.matching.partitions} shares of the candidate index, sharded over the cluster and
 * event-sourced: a candidate belongs to the partition its id hashes to. Matching a job asks every partition for its
 * matches, page by page, each page within {@code max-page-bytes}, so that no message outgrows Artery's frame.
 */
public final class CandidatePartition
    extends EventSourcedBehaviorWithEnforcedReplies<CandidatePartition.Command, CandidatePartition.Event, CandidateIndex> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "CandidatePartition");

  // ---------------------------------------------------------------- commands, replies, events

  public sealed interface Command extends CborSerializable {}

  /**
   * Adds the candidate or replaces their profile, unless the index holds a newer {@code version} of them, or their
   * deletion at a version as new; replies whether it applied. A profile without a version is judged by {@code
   * receivedAt} and keeps the version the index holds ({@link RowVersions}); {@code receivedAt} null (a table without
   * versions, or a node of the version before it) applies it in arrival order. A profile identical to the indexed
   * one, of the same version, persists nothing.
   */
  public record Index(CandidateProfile profile, Instant version, Instant receivedAt, ActorRef<Boolean> replyTo)
      implements Command {}

  /**
   * Removes the candidate unless the index holds a newer version of them, and remembers the deletion (even of a
   * candidate it never held, whose INSERT may still arrive) at {@code version}, or when that is null at the newest
   * of their known version and {@code receivedAt}; {@code receivedAt} null (a table without versions) remembers
   * nothing. Replies whether it applied.
   */
  public record Remove(String candidateId, Instant version, Instant receivedAt, ActorRef<Boolean> replyTo)
      implements Command {}

  /**
   * The matches ranked after {@code after} (from the best when null), at most {@code limit}. A page resumes after the
   * last match delivered, not at a position: the matches computed again (after a restart, or a change of the index)
   * may have moved, and none ranked before the cursor is skipped or sent twice. A candidate indexed meanwhile is
   * sent if ranked after it.
   */
  public record FindMatches(JobPosting job, After after, int limit, ActorRef<MatchPage> replyTo) implements Command {}

  public record CountCandidates(ActorRef<Integer> replyTo) implements Command {}

  /** The score and candidate id of the last match of a page, where the next page starts. */
  public record After(double score, String candidateId) implements CborSerializable {}

  /**
   * One page of a job's matches, and where the next one starts: null after the last page. Matches that share a score
   * and reasons (a job gives only a few dozen) form one group, so a long reason, such as the job's location, crosses
   * the wire once per page rather than once per candidate.
   */
  public record MatchPage(List<MatchGroup> groups, After next) implements CborSerializable {
    public boolean isLast() {
      return next == null;
    }

    public List<CandidateMatch> toMatches() {
      List<CandidateMatch> matches = new ArrayList<>();
      for (MatchGroup group : groups) {
        for (String userId : group.userIds()) matches.add(new CandidateMatch(userId, group.score(), group.reasons()));
      }
      return matches;
    }
  }

  /** The users of a page's matches with this score and these reasons. */
  public record MatchGroup(double score, List<String> reasons, List<String> userIds) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  /** {@code version} is null in events persisted before versions, and for rows without one. */
  public record CandidateIndexed(CandidateProfile profile, Instant version) implements Event {}

  /** {@code tombstone}: the version the deletion is remembered at; null remembers nothing (and before versions). */
  public record CandidateRemoved(String candidateId, Instant tombstone) implements Event {}

  /**
   * The snapshot form of the index: its profiles, the postings being rebuilt from them; the version of each profile
   * in the same order; and the remembered deletions, oldest first. Snapshots taken before versions have neither (null).
   */
  public record Snapshot(List<CandidateProfile> profiles, List<Instant> versions, List<Tombstone> tombstones)
      implements CborSerializable {}

  public record Tombstone(String candidateId, Instant version) implements CborSerializable {}

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
    // Each incarnation starts with no paged results, as under sharding, where every start calls this factory anew.
    return Behaviors.setup(ctx -> new CandidatePartition(partition, settings));
  }

  /** The partition a candidate belongs to; String.hashCode is fixed by the language, so every node agrees. */
  public static String partitionOf(String candidateId, int partitions) {
    return Integer.toString(Math.floorMod(candidateId.hashCode(), partitions));
  }

  /** Far more jobs than page through one partition at once: one per webhook processing slice. */
  private static final int JOBS_PAGED_AT_ONCE = 16;

  private final MatchingSettings settings;
  /**
   * The matches of each job being paged through, computed at its first page, so that a popular job is matched once
   * rather than once per page. Several jobs page at once (one per webhook slice). Not persisted, and only a saving:
   * pages resume after a cursor, so matches computed anew (after a restart, or once evicted) continue where the
   * last page ended.
   */
  private final Map<JobPosting, List<CandidateIndex.Ranked>> paged =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<JobPosting, List<CandidateIndex.Ranked>> eldest) {
          return size() > JOBS_PAGED_AT_ONCE;
        }
      };

  private CandidatePartition(String partition, MatchingSettings settings) {
    super(PersistenceId.of(ENTITY_KEY.name(), partition));
    this.settings = settings;
  }

  @Override
  public CandidateIndex emptyState() {
    return new CandidateIndex(settings.tombstones());
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
        List<Tombstone> tombstones = new ArrayList<>();
        index.tombstones().forEach((id, version) -> tombstones.add(new Tombstone(id, version)));
        return new Snapshot(index.profiles(), index.versions(), tombstones);
      }

      @Override
      public CandidateIndex fromJournal(Object from) {
        return restore((Snapshot) from, settings.tombstones());
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

  /** The index a snapshot holds; one taken before versions restores with none, and no deletion remembered. */
  static CandidateIndex restore(Snapshot snapshot, int maxTombstones) {
    CandidateIndex index = new CandidateIndex(maxTombstones);
    List<CandidateProfile> profiles = snapshot.profiles();
    List<Instant> versions = snapshot.versions();
    boolean versioned = versions != null && versions.size() == profiles.size();
    for (int i = 0; i < profiles.size(); i++) index.put(profiles.get(i), versioned ? versions.get(i) : null);
    if (snapshot.tombstones() != null) {
      for (Tombstone tombstone : snapshot.tombstones()) index.remove(tombstone.candidateId(), tombstone.version());
    }
    return index;
  }

  private ReplyEffect<Event, CandidateIndex> index(CandidateIndex index, Index command) {
    CandidateProfile profile = command.profile();
    if (!index.isNewer(profile.candidateId(), command.version(), command.receivedAt())) {
      return Effect().reply(command.replyTo(), false);
    }
    Instant kept = RowVersions.kept(command.version(), index.versionOf(profile.candidateId()));
    if (index.holds(profile, kept)) return Effect().reply(command.replyTo(), true);
    return Effect()
        .persist(new CandidateIndexed(profile, kept))
        .thenReply(command.replyTo(), state -> true);
  }

  private ReplyEffect<Event, CandidateIndex> remove(CandidateIndex index, Remove command) {
    String id = command.candidateId();
    if (!index.isNewerDeletion(id, command.version())) return Effect().reply(command.replyTo(), false);
    Instant tombstone = RowVersions.tombstone(command.version(), index.versionOf(id), command.receivedAt());
    boolean changes = index.contains(id) || (tombstone != null && !tombstone.equals(index.versionOf(id)));
    if (!changes) return Effect().reply(command.replyTo(), true);
    return Effect()
        .persist(new CandidateRemoved(id, tombstone))
        .thenReply(command.replyTo(), state -> true);
  }

  private ReplyEffect<Event, CandidateIndex> findMatches(CandidateIndex index, FindMatches command) {
    After after = command.after();
    List<CandidateIndex.Ranked> matches = after == null ? null : paged.get(command.job());
    if (matches == null) {
      matches = index.match(command.job(), settings.scoring());
      paged.put(command.job(), matches);
    }
    int from = after == null ? 0 : firstAfter(matches, after);
    int limit = Math.max(1, command.limit());
    Map<Outcome, List<String>> groups = new LinkedHashMap<>();
    long bytes = PAGE_OVERHEAD_BYTES;
    int to = from;
    while (to < matches.size() && to - from < limit) {
      CandidateIndex.Ranked match = matches.get(to);
      // The matches may have been computed pages ago: one deleted or opted out of job alerts since is passed over.
      if (!index.wantsJobAlerts(match.candidateId())) {
        to++;
        continue;
      }
      Outcome outcome = new Outcome(match.score(), match.reasons());
      long size = STRING_OVERHEAD_BYTES + Texts.utf8Length(match.userId());
      if (!groups.containsKey(outcome)) size += estimatedBytes(outcome);
      // Counted as if it were the last, since the cursor that names it then travels too.
      long cursor = Texts.utf8Length(match.candidateId());
      if (to > from && bytes + size + cursor > settings.maxPageBytes()) break;
      groups.computeIfAbsent(outcome, o -> new ArrayList<>()).add(match.userId());
      bytes += size;
      to++;
    }
    List<MatchGroup> page = new ArrayList<>(groups.size());
    groups.forEach((outcome, userIds) -> page.add(new MatchGroup(outcome.score(), outcome.reasons(), userIds)));
    After next = null;
    if (to < matches.size()) {
      CandidateIndex.Ranked last = matches.get(to - 1);
      next = new After(last.score(), last.candidateId());
    } else {
      paged.remove(command.job());
    }
    return Effect().reply(command.replyTo(), new MatchPage(page, next));
  }

  /** What a group of a page shares. */
  private record Outcome(double score, List<String> reasons) {}

  /** Field names, the cursor's score and framing of a serialized page, generously. */
  private static final int PAGE_OVERHEAD_BYTES = 256;
  /** A CBOR string's header (at most 5 bytes) and an array's growth, generously. */
  private static final int STRING_OVERHEAD_BYTES = 8;
  /** A group's field names, score and framing, generously. */
  private static final int GROUP_OVERHEAD_BYTES = 64;

  /** An upper bound of the bytes a group takes in a serialized page before its user ids. */
  private static long estimatedBytes(Outcome outcome) {
    long bytes = GROUP_OVERHEAD_BYTES;
    for (String reason : outcome.reasons()) bytes += STRING_OVERHEAD_BYTES + Texts.utf8Length(reason);
    return bytes;
  }

  /** The position of the first match ranked after the cursor, by binary search of the ranked matches. */
  private static int firstAfter(List<CandidateIndex.Ranked> matches, After after) {
    int low = 0;
    int high = matches.size();
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (CandidateIndex.ranking(matches.get(mid), after.score(), after.candidateId()) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  @Override
  public EventHandler<CandidateIndex, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            CandidateIndexed.class,
            (index, event) -> {
              index.put(event.profile(), event.version());
              return index;
            })
        .onEvent(
            CandidateRemoved.class,
            (index, event) -> {
              index.remove(event.candidateId(), event.tombstone());
              return index;
            })
        .build();
  }
}
