package io.parley.user;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.Effect;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import akka.persistence.typed.javadsl.RetentionCriteria;
import akka.persistence.typed.javadsl.SignalHandler;
import io.parley.gateway.GatewayStats;
import io.parley.CborSerializable;
import io.parley.conversation.Conversation;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One user, sharded: the registry of their connected devices, through which every conversation reaches all of them,
 * and their presence. The chosen status and when they were last seen are persisted; the sessions and the watchers
 * of their presence live in memory only. Sessions and watchers register again on a heartbeat, so a user that moved
 * to another node after a rebalance or a crash knows them again within one heartbeat.
 */
public final class User extends EventSourcedBehavior<User.Command, User.Event, User.State> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "User");

  public enum Status {
    ONLINE,
    AWAY,
    BUSY,
    INVISIBLE,
    OFFLINE
  }

  // ---------------------------------------------------------------- commands

  public sealed interface Command extends CborSerializable {}

  /** Registers a session, or refreshes it; sent on connect and then on every heartbeat. */
  public record Connect(String sessionId, ActorRef<ToSession> session, long connectedAtMillis) implements Command {}

  public record Disconnect(String sessionId) implements Command {}

  /** A conversation's notice, for every device of this user. */
  public record Deliver(Conversation.Notice notice) implements Command {}

  public record SetStatus(Status status) implements Command {}

  /** Sends this user's presence to {@code watcher} now and on every change; sent again on every heartbeat. */
  public record Watch(ActorRef<ToSession> watcher) implements Command {}

  public record Unwatch(ActorRef<ToSession> watcher) implements Command {}

  public record GetPresence(ActorRef<Presence> replyTo) implements Command {}

  private record SessionStopped(String sessionId) implements Command {}

  private record WatcherStopped(ActorRef<ToSession> watcher) implements Command {}

  private enum Internal implements Command {
    IDLE_CHECK,
    GRACE_OVER
  }

  // ---------------------------------------------------------------- what sessions hear

  public sealed interface ToSession extends CborSerializable {}

  public record Delivered(Conversation.Notice notice) implements ToSession {}

  /** The user opened more sessions than allowed; this one, the oldest, must close. */
  public record Evicted(String reason) implements ToSession {}

  /** The entity registered a session it did not know: notices sent before may not have reached it. */
  public record Welcome(String sessionId) implements ToSession {}

  /** The entity is stopping with this session registered (its shard moves): register again. */
  public record Moving(String userId) implements ToSession {}

  /** Presence as others see it: invisible shows as offline. {@code lastSeenAt} is null for someone never seen. */
  public record Presence(String userId, Status status, Instant lastSeenAt) implements ToSession {}

  // ---------------------------------------------------------------- events and state

  public sealed interface Event extends CborSerializable {}

  public record StatusChosen(Status status) implements Event {}

  public record LastSeen(Instant at) implements Event {}

  public record State(Status chosen, Instant lastSeenAt) implements CborSerializable {}

  // ---------------------------------------------------------------- setup

  /** Timings of a user entity, from {@code parley.gateway}. */
  public record Settings(int maxSessions, Duration idleTimeout, Duration offlineGrace) {}

  public static void init(ActorSystem<?> system) {
    var config = system.settings().config().getConfig("parley.gateway");
    Settings settings =
        new Settings(
            config.getInt("max-sessions-per-user"),
            config.getDuration("user-idle-timeout"),
            config.getDuration("offline-grace"));
    // The registry is in memory, so sharding must not passivate an entity that still has sessions; it stops
    // itself once it has had none, and no watchers, for a while.
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), ctx.getShard(), settings))
                .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** Sends a notice to every device of each user, wherever in the cluster their entities live. */
  public static Conversation.Fanout fanout(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return (Collection<String> userIds, Conversation.Notice notice) -> {
      Deliver deliver = new Deliver(notice);
      for (String userId : userIds) sharding.entityRefFor(ENTITY_KEY, userId).tell(deliver);
    };
  }

  static Behavior<Command> create(String userId, ActorRef<ClusterSharding.ShardCommand> shard, Settings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Internal.IDLE_CHECK, settings.idleTimeout());
                  return new User(userId, context, timers, shard, settings);
                }));
  }

  private record Registered(ActorRef<ToSession> session, long connectedAtMillis) {}

  private final String userId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Settings settings;
  /** In connection order, oldest first. */
  private final Map<String, Registered> sessions = new LinkedHashMap<>();
  private final Map<ActorRef<ToSession>, Boolean> watchers = new HashMap<>();
  /** What watchers were last told, so that they hear changes only. */
  private Presence published;
  private boolean idleSinceLastCheck = true;
  private final GatewayStats stats;

  private User(
      String userId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard,
      Settings settings) {
    super(PersistenceId.of(ENTITY_KEY.name(), userId));
    this.userId = userId;
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    this.settings = settings;
    this.stats = GatewayStats.get(context.getSystem());
  }

  /** An entity stopped with sessions (its node leaving) no longer counts them here; their next heartbeat does elsewhere. */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            PostStop.instance(),
            state -> {
              if (!sessions.isEmpty()) stats.onlineUsers.decrementAndGet();
              for (Registered registered : sessions.values()) registered.session().tell(new Moving(userId));
            })
        .build();
  }

  @Override
  public State emptyState() {
    return new State(Status.ONLINE, null);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(Connect.class, this::onConnect)
        .onCommand(Disconnect.class, (state, d) -> forget(state, d.sessionId()))
        .onCommand(SessionStopped.class, (state, s) -> forget(state, s.sessionId()))
        .onCommand(Deliver.class, this::onDeliver)
        .onCommand(SetStatus.class, this::onSetStatus)
        .onCommand(Watch.class, this::onWatch)
        .onCommand(Unwatch.class, (state, u) -> unwatch(u.watcher()))
        .onCommand(WatcherStopped.class, (state, w) -> unwatch(w.watcher()))
        .onCommand(GetPresence.class, (state, get) -> Effect().none().thenReply(get.replyTo(), this::presence))
        .onCommand(Internal.class, this::onInternal)
        .build();
  }

  private Effect<Event, State> onConnect(State state, Connect connect) {
    idleSinceLastCheck = false;
    if (sessions.containsKey(connect.sessionId())) return Effect().none();
    if (sessions.isEmpty()) stats.onlineUsers.incrementAndGet();
    sessions.put(connect.sessionId(), new Registered(connect.session(), connect.connectedAtMillis()));
    context.watchWith(connect.session(), new SessionStopped(connect.sessionId()));
    connect.session().tell(new Welcome(connect.sessionId()));
    timers.cancel(Internal.GRACE_OVER);
    while (sessions.size() > settings.maxSessions()) {
      String oldest = sessions.keySet().iterator().next();
      Registered evicted = sessions.remove(oldest);
      context.unwatch(evicted.session());
      evicted.session().tell(new Evicted("more than " + settings.maxSessions() + " sessions"));
    }
    return Effect().none().thenRun(this::publish);
  }

  private Effect<Event, State> forget(State state, String sessionId) {
    Registered removed = sessions.remove(sessionId);
    if (removed == null) return Effect().none();
    context.unwatch(removed.session());
    // A page reload must not flap the user offline and back: going offline waits for the grace period.
    if (sessions.isEmpty()) {
      stats.onlineUsers.decrementAndGet();
      timers.startSingleTimer(Internal.GRACE_OVER, settings.offlineGrace());
    }
    return Effect().none();
  }

  private Effect<Event, State> onDeliver(State state, Deliver deliver) {
    Delivered delivered = new Delivered(deliver.notice());
    for (Registered registered : sessions.values()) registered.session().tell(delivered);
    return Effect().none();
  }

  private Effect<Event, State> onSetStatus(State state, SetStatus set) {
    if (set.status() == Status.OFFLINE) return Effect().none();
    if (set.status() == state.chosen()) return Effect().none();
    return Effect().persist(new StatusChosen(set.status())).thenRun(this::publish);
  }

  private Effect<Event, State> onWatch(State state, Watch watch) {
    idleSinceLastCheck = false;
    if (watchers.put(watch.watcher(), Boolean.TRUE) == null) {
      context.watchWith(watch.watcher(), new WatcherStopped(watch.watcher()));
    }
    return Effect().none().thenRun(s -> watch.watcher().tell(presence(s)));
  }

  private Effect<Event, State> unwatch(ActorRef<ToSession> watcher) {
    if (watchers.remove(watcher) != null) context.unwatch(watcher);
    return Effect().none();
  }

  private Effect<Event, State> onInternal(State state, Internal signal) {
    if (signal == Internal.GRACE_OVER) {
      if (!sessions.isEmpty()) return Effect().none();
      return Effect().persist(new LastSeen(Instant.now().truncatedTo(ChronoUnit.MILLIS))).thenRun(this::publish);
    }
    if (sessions.isEmpty() && watchers.isEmpty() && idleSinceLastCheck) {
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }
    idleSinceLastCheck = sessions.isEmpty();
    return Effect().none();
  }

  /** Online while a session is open (or within the grace period after the last one); invisible shows as offline. */
  private Presence presence(State state) {
    boolean connected = !sessions.isEmpty() || timers.isTimerActive(Internal.GRACE_OVER);
    Status shown = !connected || state.chosen() == Status.INVISIBLE ? Status.OFFLINE : state.chosen();
    Instant lastSeen = connected && shown != Status.OFFLINE ? null : state.lastSeenAt();
    return new Presence(userId, shown, lastSeen);
  }

  private void publish(State state) {
    Presence now = presence(state);
    if (now.equals(published)) return;
    published = now;
    for (ActorRef<ToSession> watcher : watchers.keySet()) watcher.tell(now);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(StatusChosen.class, (state, e) -> new State(e.status(), state.lastSeenAt()))
        .onEvent(LastSeen.class, (state, e) -> new State(state.chosen(), e.at()))
        .build();
  }
}
