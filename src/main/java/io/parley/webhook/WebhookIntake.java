package io.parley.webhook;

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
import io.parley.Sha256;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One of {@code parley.webhook.partitions} intake partitions, sharded and event-sourced. It stores every webhook it
 * accepts in the journal before it answers, so a 202 means the event is durable; processing reads the journal by
 * tag. All events of one row go to the same partition, so they are stored and processed in the order they came, which
 * is not always the order they happened: processing lets the row's version decide (WebhookProcessor).
 * A redelivery (same key among the newest {@code dedup-window}) is stored too, for the audit, but marked as such.
 */
public final class WebhookIntake
    extends EventSourcedBehaviorWithEnforcedReplies<WebhookIntake.Command, WebhookIntake.Event, WebhookIntake.State> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "WebhookIntake");

  /** Which of Parley's tables a row belongs to, whatever the platform calls it. */
  public enum Kind {
    JOB,
    CANDIDATE
  }

  // ---------------------------------------------------------------- commands and replies

  public sealed interface Command extends CborSerializable {}

  /** A webhook whose authentication and body have been checked. */
  public record Accept(Delivery delivery, ActorRef<Accepted> replyTo) implements Command {}

  public record GetStats(ActorRef<Stats> replyTo) implements Command {}

  /** What the route stores, once checked: the key it is deduplicated on, and the row as it came. */
  public record Delivery(
      String key,
      String webhookId,
      Kind kind,
      String table,
      String schema,
      String type,
      String rowId,
      String record,
      String oldRecord,
      String authenticatedBy)
      implements CborSerializable {}

  public record Accepted(boolean duplicate, Instant at) implements CborSerializable {}

  /** {@code received} counts every delivery, redeliveries included; {@code duplicates} counts the redeliveries. */
  public record Stats(long received, long duplicates, Instant lastEventAt) implements CborSerializable {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {
    Instant at();
  }

  public record WebhookReceived(Delivery delivery, Instant at) implements Event {}

  /** The same event again (a retry by the sender); kept for the audit, never processed. */
  public record WebhookRedelivered(String key, Kind kind, String rowId, String type, String authenticatedBy, Instant at)
      implements Event {}

  // ---------------------------------------------------------------- state

  /** Mutated in place by the event handler; a snapshot gets a {@link Snapshot} copy. */
  public static final class State {
    private final DigestWindow window;
    private long received;
    private long duplicates;
    private Instant lastEventAt;

    State(int dedupWindow) {
      this.window = new DigestWindow(dedupWindow);
    }

    boolean seen(String key) {
      ByteBuffer digest = digestOf(key);
      return window.contains(digest.getLong(), digest.getLong());
    }

    void remember(String key) {
      ByteBuffer digest = digestOf(key);
      window.add(digest.getLong(), digest.getLong());
    }

    Stats stats() {
      return new Stats(received, duplicates, lastEventAt);
    }

    Snapshot snapshot() {
      // keys stays an empty list, not null: a node of the version before digests (a rolling upgrade, a rollback) then
      // recovers with an empty window, which processing's own idempotence covers, instead of failing recovery.
      return new Snapshot(List.of(), window.toBytes(), received, duplicates, lastEventAt);
    }

    static State of(Snapshot snapshot, int dedupWindow) {
      State state = new State(dedupWindow);
      if (snapshot.keys() != null) snapshot.keys().forEach(state::remember);
      if (snapshot.keyDigests() != null) state.window.addAll(snapshot.keyDigests());
      state.received = snapshot.received();
      state.duplicates = snapshot.duplicates();
      state.lastEventAt = snapshot.lastEventAt();
      return state;
    }

    /**
     * A key's digest: the first 128 bits of its SHA-256. Keys run to hundreds of characters, and every snapshot of a
     * partition carries its whole window: as keys, 10,000 of them made a megabyte to serialize and write every 1,000
     * webhooks. Two keys of one window sharing a digest (a redelivery that is not one) has a chance of about 10^-31.
     */
    private static ByteBuffer digestOf(String key) {
      return ByteBuffer.wrap(Sha256.digest(key));
    }
  }

  /**
   * {@code keyDigests}: 16 bytes per remembered key (the first 128 bits of its SHA-256), oldest first. {@code keys}:
   * the keys themselves in snapshots taken before the digests; now always empty, for nodes of that version to read.
   */
  public record Snapshot(List<String> keys, byte[] keyDigests, long received, long duplicates, Instant lastEventAt)
      implements CborSerializable {}

  // ---------------------------------------------------------------- setup

  public static void init(ActorSystem<?> system, WebhookSettings settings) {
    // A handful of partitions take every webhook; keeping them in memory spares a recovery per burst.
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> create(Integer.parseInt(ctx.getEntityId()), settings))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  public static Behavior<Command> create(int partition, WebhookSettings settings) {
    return new WebhookIntake(partition, settings);
  }

  /** All events of a row go to one partition: the hash of its kind and primary key. */
  public static int partitionOf(Kind kind, String rowId, int partitions) {
    return Math.floorMod((kind.name() + ":" + rowId).hashCode(), partitions);
  }

  public static String sliceTag(int slice) {
    return "webhook-" + slice;
  }

  private final WebhookSettings settings;
  private final Set<String> tags;

  private WebhookIntake(int partition, WebhookSettings settings) {
    super(PersistenceId.of(ENTITY_KEY.name(), Integer.toString(partition)));
    this.settings = settings;
    this.tags = Set.of(sliceTag(partition % settings.tagSlices()));
  }

  /** By default a journal of the same tables with a single, batching writer: see parley-akka.conf. */
  @Override
  public String journalPluginId() {
    return settings.journalPlugin();
  }

  @Override
  public State emptyState() {
    return new State(settings.dedupWindow());
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  @Override
  public SnapshotAdapter<State> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(State state) {
        return state.snapshot();
      }

      @Override
      public State fromJournal(Object from) {
        return State.of((Snapshot) from, settings.dedupWindow());
      }
    };
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Accept.class, this::accept)
        .onCommand(GetStats.class, (state, get) -> Effect().reply(get.replyTo(), state.stats()))
        .build();
  }

  private ReplyEffect<Event, State> accept(State state, Accept command) {
    Delivery d = command.delivery();
    Instant now = Instant.now();
    if (state.seen(d.key())) {
      return Effect()
          .persist(new WebhookRedelivered(d.key(), d.kind(), d.rowId(), d.type(), d.authenticatedBy(), now))
          .thenReply(command.replyTo(), s -> new Accepted(true, now));
    }
    return Effect()
        .persist(new WebhookReceived(d, now))
        .thenReply(command.replyTo(), s -> new Accepted(false, now));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            WebhookReceived.class,
            (state, event) -> {
              state.remember(event.delivery().key());
              state.received++;
              state.lastEventAt = event.at();
              return state;
            })
        .onEvent(
            WebhookRedelivered.class,
            (state, event) -> {
              state.received++;
              state.duplicates++;
              state.lastEventAt = event.at();
              return state;
            })
        .build();
  }
}
