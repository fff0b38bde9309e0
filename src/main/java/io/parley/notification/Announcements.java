package io.parley.notification;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.Props;
import akka.actor.typed.pubsub.Topic;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.RetentionCriteria;
import io.parley.CborSerializable;
import io.parley.user.Inbox.Notification;
import io.parley.user.RecentKeys;
import io.parley.user.User;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Notifications for many users at once, stored once: a broadcast reaches every online session through one
 * cluster-wide pub-sub topic (never a message per user entity), and a topic announcement goes to the devices
 * subscribed to that FCM topic, pushed from the journal. One entity per channel ({@code broadcast}, or
 * {@code topic.<name>}).
 */
public final class Announcements
    extends EventSourcedBehaviorWithEnforcedReplies<Announcements.Command, Announcements.Event, Announcements.State> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Announcements");
  /** The tag of announcements that the push projection sends to an FCM topic. */
  public static final String TAG = "announcement";
  private static final int IDEMPOTENCY_WINDOW = 1000;

  public sealed interface Command extends CborSerializable {}

  /** {@code topic} null broadcasts to everyone online. */
  public record Announce(
      User.Draft draft, String topic, String idempotencyKey, ActorRef<StatusReply<Accepted>> replyTo)
      implements Command {}

  /** {@code duplicate}: the key was seen before, and nothing new was stored. */
  public record Accepted(String announcementId, boolean duplicate) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  /** {@code forgottenKeys}: the keys this one pushed out of the window (null in older events: worked out on replay). */
  public record Announced(String topic, Notification notification, String idempotencyKey, List<String> forgottenKeys)
      implements Event {}

  public record State(RecentKeys recentKeys) implements CborSerializable {}

  /** What every online session hears of a broadcast. */
  public record Live(Notification notification) implements CborSerializable {}

  public static String entityId(String topic) {
    return topic == null ? "broadcast" : "topic." + topic;
  }

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> new Announcements(ctx.getEntityId(), system)));
  }

  private final ActorRef<Topic.Command<Live>> live;

  private Announcements(String entityId, ActorSystem<?> system) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
    this.live = LiveTopic.get(system).ref();
  }

  @Override
  public State emptyState() {
    return new State(RecentKeys.EMPTY);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return event instanceof Announced announced && announced.topic() != null ? Set.of(TAG) : Set.of();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Announce.class,
            (state, announce) -> {
              if (state.recentKeys().contains(announce.idempotencyKey())) {
                return Effect().reply(announce.replyTo(), StatusReply.success(new Accepted(null, true)));
              }
              Notification notification = announce.draft().toNotification("a" + UUID.randomUUID(), 1);
              Announced announced =
                  new Announced(
                      announce.topic(),
                      notification,
                      announce.idempotencyKey(),
                      state.recentKeys().forgottenBy(announce.idempotencyKey(), IDEMPOTENCY_WINDOW));
              return Effect()
                  .persist(announced)
                  .thenRun(
                      s -> {
                        if (announced.topic() == null) live.tell(Topic.publish(new Live(notification)));
                      })
                  .thenReply(announce.replyTo(), s -> StatusReply.success(new Accepted(notification.id(), false)));
            })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            Announced.class,
            (state, e) -> {
              List<String> forgotten =
                  e.forgottenKeys() != null
                      ? e.forgottenKeys()
                      : state.recentKeys().forgottenBy(e.idempotencyKey(), IDEMPOTENCY_WINDOW);
              return new State(state.recentKeys().with(e.idempotencyKey(), forgotten));
            })
        .build();
  }

  /** This node's handle on the cluster-wide topic that broadcasts travel on; sessions subscribe to it. */
  public static final class LiveTopic implements Extension {
    private final ActorRef<Topic.Command<Live>> ref;

    private LiveTopic(ActorSystem<?> system) {
      this.ref = system.systemActorOf(Topic.create(Live.class, "parley-broadcast"), "parley-broadcast", Props.empty());
    }

    public ActorRef<Topic.Command<Live>> ref() {
      return ref;
    }

    public static LiveTopic get(ActorSystem<?> system) {
      return Id.INSTANCE.apply(system);
    }

    private static final class Id extends ExtensionId<LiveTopic> {
      static final Id INSTANCE = new Id();

      @Override
      public LiveTopic createExtension(ActorSystem<?> system) {
        return new LiveTopic(system);
      }
    }
  }
}
