package io.parley.notification;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import io.parley.CborSerializable;
import io.parley.PersistenceIds;
import io.parley.user.User;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An admin send to many users, stored once per chunk of users instead of once per inbox: the 202 costs one journal
 * write per chunk, and the inboxes ({@link BatchFanout}) and the pushes ({@code push.PushProjection}) follow from
 * the journal, each at its own pace. One entity per batch id (the request's idempotency key, else a random id), so
 * a retry with the same key stores no user twice, however long ago the first try was.
 */
public final class NotificationBatch
    extends EventSourcedBehaviorWithEnforcedReplies<NotificationBatch.Command, NotificationBatch.Event, NotificationBatch.State> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "NotificationBatch");

  public sealed interface Command extends CborSerializable {}

  /** Stores {@code draft} for those of {@code userIds} this batch does not hold yet; {@code pushed} as decided by the route. */
  public record Store(User.Draft draft, boolean pushed, List<String> userIds, ActorRef<StatusReply<Stored>> replyTo)
      implements Command {}

  /** How many of the chunk's users were new to the batch, and how many it held already. */
  public record Stored(int accepted, int duplicates) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  /**
   * {@code draft} for each of {@code userIds}, decided at {@code at}. {@code pushed}: the push projection pushes it to
   * those of them with no session open; the push is decided when the batch is stored, so that a change of
   * configuration before it is pushed does not change it.
   */
  public record BatchStored(String batchId, User.Draft draft, boolean pushed, List<String> userIds, Instant at)
      implements Event {}

  /** Every user this batch was stored for: a retry of the same key skips them. */
  public record State(Set<String> userIds) implements CborSerializable {}

  /** The tag the inbox fan-out reads; one of {@code slices}, each with its own projection instance. */
  public static String inboxTag(int slice) {
    return "batch-inbox-" + slice;
  }

  private static int sliceOf(String key, int slices) {
    return Math.floorMod(key.hashCode(), slices);
  }

  public static void init(ActorSystem<?> system) {
    int inboxSlices = system.settings().config().getInt("parley.notifications.batch.tag-slices");
    int pushSlices = system.settings().config().getInt("parley.push.tag-slices");
    ClusterSharding.get(system)
        .init(Entity.of(ENTITY_KEY, ctx -> new NotificationBatch(ctx.getEntityId(), inboxSlices, pushSlices)));
  }

  private final String batchId;
  private final int inboxSlices;
  private final int pushSlices;

  NotificationBatch(String batchId, int inboxSlices, int pushSlices) {
    super(PersistenceIds.of(ENTITY_KEY, batchId));
    this.batchId = batchId;
    this.inboxSlices = inboxSlices;
    this.pushSlices = pushSlices;
  }

  @Override
  public State emptyState() {
    return new State(new HashSet<>());
  }

  /**
   * The chunks of one batch are spread over the slices (by their first user), so that every instance of the push
   * and inbox projections takes part in a large batch; the chunks are independent of each other.
   */
  @Override
  public Set<String> tagsFor(Event event) {
    if (!(event instanceof BatchStored stored)) return Set.of();
    String spread = stored.userIds().get(0);
    String inbox = inboxTag(sliceOf(spread, inboxSlices));
    return stored.pushed() ? Set.of(inbox, User.pushTag(sliceOf(spread, pushSlices))) : Set.of(inbox);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Store.class,
            (state, store) -> {
              List<String> fresh = new ArrayList<>(store.userIds().size());
              for (String userId : store.userIds()) if (!state.userIds().contains(userId)) fresh.add(userId);
              Stored stored = new Stored(fresh.size(), store.userIds().size() - fresh.size());
              if (fresh.isEmpty()) return Effect().reply(store.replyTo(), StatusReply.success(stored));
              return Effect()
                  .persist(
                      new BatchStored(
                          batchId, store.draft(), store.pushed(), List.copyOf(fresh),
                          Instant.now().truncatedTo(ChronoUnit.MILLIS)))
                  .thenReply(store.replyTo(), s -> StatusReply.success(stored));
            })
        .build();
  }

  /** The set is the entity's own and never leaves it, so it grows in place rather than by a copy per chunk. */
  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            BatchStored.class,
            (state, e) -> {
              state.userIds().addAll(e.userIds());
              return state;
            })
        .build();
  }
}
