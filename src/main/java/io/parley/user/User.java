package io.parley.user;

import io.parley.TokenBucket;
import akka.Done;
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
import akka.persistence.typed.RecoveryCompleted;
import akka.persistence.typed.javadsl.CommandHandler;
import akka.persistence.typed.javadsl.Effect;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehavior;
import akka.persistence.typed.javadsl.RetentionCriteria;
import akka.persistence.typed.javadsl.SignalHandler;
import akka.pattern.StatusReply;
import io.parley.user.Inbox.Notification;
import io.parley.metrics.GatewayStats;
import io.parley.CborSerializable;
import io.parley.PersistenceIds;
import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One user, sharded: the registry of their connected devices, through which every conversation reaches all of them,
 * their presence, their notification inbox and the device tokens their pushes go to. The chosen status, last-seen
 * time, inbox and device tokens are persisted; the sessions and the watchers of their presence live in memory only.
 * Sessions and watchers register again on a heartbeat, so a user that moved to another node after a rebalance or a
 * crash knows them again within one heartbeat.
 */
public final class User extends EventSourcedBehavior<User.Command, User.Event, User.State> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "User");

  public enum Platform {
    ANDROID,
    IOS,
    WEB
  }

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

  /**
   * A message posted while this user may have had no session, from the journal ({@code notification.MessageInboxes}). It becomes
   * the conversation's message notification, pushed as its kind is, unless a session of theirs is connected now or
   * was told the message live. Answered once that is stored, or found needless.
   */
  public record NotifyMessage(Conversation.MessageNotice notice, ActorRef<Done> replyTo) implements Command {}

  public record SetStatus(Status status) implements Command {}

  /** Sends this user's presence to {@code watcher} now and on every change; sent again on every heartbeat. */
  public record Watch(ActorRef<ToSession> watcher) implements Command {}

  public record Unwatch(ActorRef<ToSession> watcher) implements Command {}

  public record GetPresence(ActorRef<Presence> replyTo) implements Command {}

  /**
   * Stores a notification. A repeated {@code idempotencyKey} stores nothing and answers with the duplicate flag set.
   * {@code push} null leaves it to the kind; {@code batchId} groups the pushes of one admin request.
   */
  public record Notify(Draft draft, String idempotencyKey, String batchId, ActorRef<StatusReply<Notified>> replyTo)
      implements Command {}

  /**
   * A notification to store; {@code data} is a JSON object as text, {@code push} null means "as the kind says". A new
   * notification replaces the unread one with the same {@code collapseKey} (null: none), counting up.
   */
  public record Draft(String kind, String title, String body, String data, Boolean push, String collapseKey)
      implements CborSerializable {
    /** Whether it is pushed to a user with no session open: as the sender said, else as its kind is. */
    public boolean pushed(Set<String> pushedKinds) {
      return push != null ? push : pushedKinds.contains(kind);
    }

    /** The same notification, kept from the inbox's own push: a batch is pushed by the push projection itself. */
    public Draft withoutPush() {
      return new Draft(kind, title, body, data, false, collapseKey);
    }

    /** The notification this draft becomes, stored now under {@code id}. */
    public Notification toNotification(String id, int count) {
      return new Notification(
          id, kind, title, body, data == null ? "{}" : data, Instant.now().truncatedTo(ChronoUnit.MILLIS), null,
          collapseKey, count);
    }
  }

  public record Notified(String notificationId, boolean duplicate, int unreadCount) implements CborSerializable {}

  /** Notifications numbered below {@code beforeNumber}, newest first; fewer than {@code limit} when they are large. */
  public record ListNotifications(boolean unreadOnly, long beforeNumber, int limit, ActorRef<Inbox.Page> replyTo)
      implements Command {}

  /** Marks one notification read, or all of them when {@code notificationId} is null. */
  public record MarkNotificationsRead(String notificationId, ActorRef<StatusReply<UnreadCount>> replyTo)
      implements Command {}

  /** {@code registration} (null from nodes of earlier versions) names this registration: see {@link UnregisterDevice}. */
  public record RegisterDevice(
      String token, Platform platform, String registration, ActorRef<StatusReply<Done>> replyTo) implements Command {
    public RegisterDevice(String token, Platform platform, ActorRef<StatusReply<Done>> replyTo) {
      this(token, platform, null, replyTo);
    }
  }

  /**
   * Forgets a device token; {@code replyTo} may be null when nobody waits (a push found the token dead). With
   * {@code onlyIfRegistration}, only while the token held is from that registration, not a newer one of it; a token
   * held from a registration with no id (stored by a node of an earlier version) counts as that one. (A node of an
   * earlier version ignores the condition.)
   */
  public record UnregisterDevice(
      String token, String reason, String onlyIfRegistration, ActorRef<StatusReply<Done>> replyTo)
      implements Command {
    public UnregisterDevice(String token, String reason, ActorRef<StatusReply<Done>> replyTo) {
      this(token, reason, null, replyTo);
    }
  }

  public record GetDevices(ActorRef<Devices> replyTo) implements Command {}

  /**
   * Asked before a client registers or removes a device token: an app changes its token a few times a day, a script
   * can many times a second, and each change writes to the journal and may start a device owner entity.
   */
  public record TakeDeviceChange(ActorRef<DeviceChangeTaken> replyTo) implements Command {}

  /** {@code retryAfterMillis} 0: go ahead; otherwise refused, and the user may change a device again after it. */
  public record DeviceChangeTaken(long retryAfterMillis) implements CborSerializable {}

  /**
   * Asked by the push projection just before pushes of this user leave: which of {@code notificationIds} are still to
   * be pushed, as they are now. Those in {@code heldIds} were held while the entity settled
   * ({@code NotificationAdded.pushHeld}): the answer then waits for presence to settle. {@code notificationId} is
   * a held one for nodes of earlier versions, which know only it (null: none held); both lists are null from them.
   */
  public record ConfirmPush(
      String notificationId, ActorRef<PushConfirmed> replyTo, List<String> notificationIds, List<String> heldIds)
      implements Command {
    public ConfirmPush(String notificationId, ActorRef<PushConfirmed> replyTo) {
      this(notificationId, replyTo, null, null);
    }
  }

  /**
   * {@code push}: whether {@code notificationId} is pushed. {@code pushable}: the notifications asked about that are
   * still unread, as they are now (an edit shows), held ones only if no session came back; null when not asked, and
   * from nodes of earlier versions.
   */
  public record PushConfirmed(boolean push, List<Notification> pushable) implements CborSerializable {}

  public record Devices(List<Device> devices) implements CborSerializable {}

  private record SessionStopped(String sessionId) implements Command {}

  private record WatcherStopped(ActorRef<ToSession> watcher) implements Command {}

  private enum Internal implements Command {
    IDLE_CHECK,
    GRACE_OVER,
    SETTLED,
    STARTED
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

  /**
   * {@code replacedId}: the notification this one took the place of (collapsed into it), which devices drop; null
   * when none, or from nodes of earlier versions.
   */
  public record NotificationNotice(Notification notification, int unreadCount, String replacedId) implements ToSession {}

  /** The unread count changed on another device (or here), so that every device shows the same badge. */
  public record UnreadCount(int unreadCount) implements ToSession {}

  // ---------------------------------------------------------------- events and state

  public sealed interface Event extends CborSerializable {}

  public record StatusChosen(Status status) implements Event {}

  /** When others last saw the user online; it stays put while they are invisible. */
  public record LastSeen(Instant at) implements Event {}

  /**
   * {@code pushTo} holds the device tokens a push goes to, empty when there is none to send (the user was online,
   * or the kind is not pushed); such an event is tagged for the push projection. {@code replacedId} is the unread
   * notification this one collapses, if any. {@code evicted} (the notifications that fall off the inbox's end) and
   * {@code forgottenKeys} (the idempotency keys that leave the window) are decided with the command, so that a replay
   * under another configuration gives the same inbox; both are null in events written before they were recorded.
   * {@code keyWindow} is the window the key goes to (null in older events: the sends' window, the only one then).
   * {@code pushHeld}: the entity had just started and its sessions may not have registered again yet, so the push
   * projection asks it ({@link ConfirmPush}) before pushing; null or false pushes at once.
   */
  public record NotificationAdded(
      String userId,
      Notification notification,
      String idempotencyKey,
      String replacedId,
      List<Device> pushTo,
      String batchId,
      List<String> evicted,
      List<String> forgottenKeys,
      Inbox.KeyWindow keyWindow,
      Boolean pushHeld)
      implements Event {}

  public record NotificationsRead(List<String> ids, Instant at) implements Event {}

  /** A notification changed in place, keeping its id: the message it previews was edited or deleted. */
  public record NotificationRevised(Notification notification) implements Event {}

  public record DeviceRegistered(Device device) implements Event {}

  public record DeviceRemoved(String token, String reason) implements Event {}

  /** {@code registration}: see {@link RegisterDevice}; null in events stored before it existed. */
  public record Device(String token, Platform platform, Instant registeredAt, String registration)
      implements CborSerializable {}

  /** {@code devices} is oldest first. */
  public record State(Status chosen, Instant lastSeenAt, Inbox inbox, List<Device> devices)
      implements CborSerializable {
    State with(Inbox changed) {
      return new State(chosen, lastSeenAt, changed, devices);
    }

    State with(List<Device> changed) {
      return new State(chosen, lastSeenAt, inbox, List.copyOf(changed));
    }

    boolean hasDevice(String token) {
      return device(token) != null;
    }

    Device device(String token) {
      for (Device d : devices) if (d.token().equals(token)) return d;
      return null;
    }
  }

  // ---------------------------------------------------------------- setup

  /** A user entity's limits and timings, from {@code parley.gateway}, {@code parley.user} and {@code parley.notifications}. */
  public record Settings(
      int maxSessions,
      Duration idleTimeout,
      Duration offlineGrace,
      Duration presenceSettle,
      int inboxSize,
      int idempotencyWindow,
      int messageKeyWindow,
      int maxDevices,
      double deviceChangesPerMinute,
      int deviceChangeBurst,
      Set<String> pushedKinds,
      int pushSlices,
      int maxPageBytes) {
    public static Settings fromConfig(com.typesafe.config.Config root) {
      var gateway = root.getConfig("parley.gateway");
      var notifications = root.getConfig("parley.notifications");
      requireSettleAfterReregistration(root);
      if (notifications.getInt("max-devices-per-user") < 1) {
        throw new IllegalArgumentException(
            "parley.notifications.max-devices-per-user must be at least 1: a registration keeps its own token");
      }
      if (notifications.getDouble("device-changes.per-minute") <= 0 || notifications.getInt("device-changes.burst") < 1) {
        throw new IllegalArgumentException(
            "parley.notifications.device-changes needs a per-minute above 0 and a burst of at least 1");
      }
      return new Settings(
          gateway.getInt("max-sessions-per-user"),
          gateway.getDuration("user-idle-timeout"),
          gateway.getDuration("offline-grace"),
          root.getDuration("parley.user.presence-settle"),
          notifications.getInt("inbox-size"),
          notifications.getInt("idempotency-window"),
          notifications.getInt("message-idempotency-window"),
          notifications.getInt("max-devices-per-user"),
          notifications.getDouble("device-changes.per-minute"),
          notifications.getInt("device-changes.burst"),
          Set.copyOf(notifications.getStringList("pushed-kinds")),
          root.getInt("parley.push.tag-slices"),
          (int) Math.min(Integer.MAX_VALUE, notifications.getBytes("max-page-bytes")));
    }
  }

  /**
   * After a crash, sessions register again {@code reregister-after-member-removed} after the member is removed: a
   * settle no longer than that would confirm a held push just before they come back, and they would get the message
   * live too. 0s (no settle) is left as the explicit choice it is.
   */
  public static void requireSettleAfterReregistration(com.typesafe.config.Config root) {
    Duration settle = root.getDuration("parley.user.presence-settle");
    Duration reregister = root.getDuration("parley.cluster.reregister-after-member-removed");
    if (!settle.isZero() && settle.compareTo(reregister) <= 0) {
      throw new IllegalArgumentException(
          "parley.user.presence-settle (" + settle + ") must be longer than"
              + " parley.cluster.reregister-after-member-removed (" + reregister + "), or 0s: a push held after a"
              + " crash would be sent just before the user's sessions register again");
    }
  }

  /** The tag of a user's events that carry a push: one of {@code slices}, each with its own push projection. */
  public static String pushTag(int slice) {
    return "push-" + slice;
  }

  /** The push tag of this user's events: all of them in one slice, so that their pushes leave in order. */
  public static String pushTag(String userId, int slices) {
    return pushTag(Math.floorMod(userId.hashCode(), slices));
  }

  public static void init(ActorSystem<?> system) {
    Settings settings = Settings.fromConfig(system.settings().config());
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

  public static Behavior<Command> create(
      String userId, ActorRef<ClusterSharding.ShardCommand> shard, Settings settings) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Internal.IDLE_CHECK, settings.idleTimeout());
                  return new User(userId, context, timers, shard, settings);
                }));
  }

  private record Registered(ActorRef<ToSession> session, long connectedAtMillis) {}

  /** Far more messages than the journal-fed inbox falls behind the live ones by, in any but a broken node. */
  private static final int TOLD_LIVE_REMEMBERED = 1024;

  /**
   * Far more notices than reach one user in the seconds after a move; past it the oldest go, and a session that
   * registers later misses them unless it follows their conversation (its resync then fetches them).
   */
  private static final int REPLAYED_AFTER_START = 1000;

  /** Far more sessions than a user opens while a heartbeat is on its way. */
  private static final int EVICTIONS_REMEMBERED = 64;

  /**
   * Far more edits and deletes than reach an offline user while the message inboxes are between asking a
   * conversation and telling this entity, a moment (see {@link #earlyChanges}).
   */
  private static final int CHANGES_HEARD_EARLY = 256;

  /** A set that keeps the newest {@code bound} entries added, in memory only. */
  private static Set<String> newestOf(int bound) {
    return java.util.Collections.newSetFromMap(
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > bound;
          }
        });
  }

  private final String userId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final Settings settings;
  /** In the order they registered with this entity, which after a move is not the order they connected in. */
  private final Map<String, Registered> sessions = new LinkedHashMap<>();
  /** The newest sessions evicted for the session limit, which must not come back on a late heartbeat. */
  private final Set<String> evicted = newestOf(EVICTIONS_REMEMBERED);
  private final Map<ActorRef<ToSession>, Boolean> watchers = new HashMap<>();
  /** What watchers were last told, so that they hear changes only. */
  private Presence published;
  private boolean idleSinceLastCheck = true;
  /** Push confirmations asked for while presence settles; answered when it has. */
  private final List<ConfirmPush> confirmsAwaitingSettle = new ArrayList<>();
  /** A session registered while presence settled: the user was online when the held pushes were decided. */
  private boolean sessionCameBack;
  /**
   * Notifications stored while presence settled with no session known to tell: the session that comes back (and
   * so drops their pushes) is told them instead; its resync refetches conversations only.
   */
  private final Map<String, String> untoldWhileSettling = new java.util.LinkedHashMap<>();
  /**
   * What reached this user's devices since the entity started, until {@code presence-settle} after it: after a move
   * or a crash, sessions register again over that time, and a notice that came before a session registered would
   * otherwise be lost to it, a gap it could only find when a later message of that conversation came. Typing is left
   * out: it is renewed, and stale by the time it is replayed.
   */
  private final java.util.ArrayDeque<Conversation.Notice> deliveredSinceStart = new java.util.ArrayDeque<>();
  /**
   * The newest messages a session of this user was told live. Their inbox notification comes later, from the
   * journal, and must not be stored (nor pushed) because the user left in between; memory only, like the sessions.
   */
  private final Set<String> toldLive = newestOf(TOLD_LIVE_REMEMBERED);
  /**
   * Edits and deletes of messages not notified yet, heard while no session was open: the message inboxes may have
   * taken the message from its conversation before the change, and tell it here after. Memory only, like the
   * sessions: the gap is a moment, and the entity stays for an idle check after each; a move or a crash within it
   * loses them, and the notification then shows the text the inboxes took.
   */
  private final EarlyChanges earlyChanges = new EarlyChanges(CHANGES_HEARD_EARLY);
  private final GatewayStats stats;
  /** Memory only: the entity does not passivate before it is full again (see the idle check). */
  private final TokenBucket deviceChanges;

  private User(
      String userId,
      ActorContext<Command> context,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard,
      Settings settings) {
    super(PersistenceIds.of(ENTITY_KEY, userId));
    this.userId = userId;
    this.context = context;
    this.timers = timers;
    this.shard = shard;
    this.settings = settings;
    this.stats = GatewayStats.get(context.getSystem());
    this.deviceChanges = new TokenBucket(settings.deviceChangesPerMinute() / 60, settings.deviceChangeBurst());
  }

  /**
   * Presence settles from the end of recovery: sessions that register meanwhile wait in the stash, so a settle
   * counted from the start would lose the time a long journal takes to replay. An entity stopped with sessions (its
   * node leaving) no longer counts them here; their next heartbeat does elsewhere.
   */
  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(
            RecoveryCompleted.instance(),
            state -> {
              if (settings.presenceSettle().compareTo(Duration.ZERO) > 0) {
                timers.startSingleTimer(Internal.SETTLED, settings.presenceSettle());
                timers.startSingleTimer(Internal.STARTED, settings.presenceSettle());
              }
            })
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
    return new State(Status.ONLINE, null, Inbox.EMPTY, List.of());
  }

  @Override
  public Set<String> tagsFor(Event event) {
    if (event instanceof NotificationAdded added && !added.pushTo().isEmpty()) {
      return Set.of(pushTag(userId, settings.pushSlices()));
    }
    if (event instanceof DeviceRegistered || event instanceof DeviceRemoved) {
      return Set.of(DeviceDirectory.tag(Math.floorMod(userId.hashCode(), settings.pushSlices())));
    }
    return Set.of();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  /**
   * One dispatch method rather than a builder: the builder's cases and lambdas are made anew for every entity, about
   * a kilobyte for each user online.
   */
  @Override
  public CommandHandler<Command, Event, State> commandHandler() {
    return this::onCommand;
  }

  private Effect<Event, State> onCommand(State state, Command command) {
    if (command instanceof Connect connect) return onConnect(state, connect);
    if (command instanceof Disconnect d) return forget(state, d.sessionId());
    if (command instanceof SessionStopped stopped) return forget(state, stopped.sessionId());
    if (command instanceof Deliver deliver) return onDeliver(state, deliver);
    if (command instanceof NotifyMessage notify) return onNotifyMessage(state, notify);
    if (command instanceof SetStatus set) return onSetStatus(state, set);
    if (command instanceof Watch watch) return onWatch(state, watch);
    if (command instanceof Unwatch u) return unwatch(u.watcher());
    if (command instanceof WatcherStopped w) return unwatch(w.watcher());
    if (command instanceof GetPresence get) return Effect().none().thenReply(get.replyTo(), this::presence);
    if (command instanceof Notify notify) return onNotify(state, notify);
    if (command instanceof ListNotifications list) return onListNotifications(state, list);
    if (command instanceof MarkNotificationsRead mark) return onMarkNotificationsRead(state, mark);
    if (command instanceof RegisterDevice register) return onRegisterDevice(state, register);
    if (command instanceof UnregisterDevice unregister) return onUnregisterDevice(state, unregister);
    if (command instanceof GetDevices get) return Effect().reply(get.replyTo(), new Devices(state.devices()));
    if (command instanceof TakeDeviceChange take) {
      return Effect()
          .reply(
              take.replyTo(),
              new DeviceChangeTaken(deviceChanges.tryTake() ? 0 : Math.max(1, deviceChanges.untilNext().toMillis())));
    }
    if (command instanceof ConfirmPush confirm) return onConfirmPush(state, confirm);
    if (command instanceof Internal internal) return onInternal(state, internal);
    return Effect().unhandled();
  }

  private Effect<Event, State> onConnect(State state, Connect connect) {
    idleSinceLastCheck = false;
    if (sessions.containsKey(connect.sessionId())) return Effect().none();
    // A heartbeat of a session evicted a moment ago, sent before it heard so: taking it back would evict another.
    if (evicted.contains(connect.sessionId())) return Effect().none();
    if (sessions.isEmpty()) stats.onlineUsers.incrementAndGet();
    sessions.put(connect.sessionId(), new Registered(connect.session(), connect.connectedAtMillis()));
    context.watchWith(connect.session(), new SessionStopped(connect.sessionId()));
    connect.session().tell(new Welcome(connect.sessionId()));
    for (Conversation.Notice missed : deliveredSinceStart) connect.session().tell(new Delivered(missed));
    timers.cancel(Internal.GRACE_OVER);
    // The user is online: presence has settled, and no held push need wait any longer.
    if (settling()) {
      sessionCameBack = true;
      timers.cancel(Internal.SETTLED);
      tellUntold(state, connect.session());
    }
    // The oldest by the time each session connected: after the entity moved, sessions register in any order.
    while (sessions.size() > settings.maxSessions()) {
      String oldest = null;
      long oldestAt = Long.MAX_VALUE;
      for (Map.Entry<String, Registered> e : sessions.entrySet()) {
        if (e.getValue().connectedAtMillis() < oldestAt) {
          oldest = e.getKey();
          oldestAt = e.getValue().connectedAtMillis();
        }
      }
      Registered removed = sessions.remove(oldest);
      evicted.add(oldest);
      context.unwatch(removed.session());
      removed.session().tell(new Evicted("more than " + settings.maxSessions() + " sessions"));
    }
    return Effect().none().thenRun(s -> {
      publish(s);
      answerConfirms(s);
    });
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
    tellSessions(delivered);
    Conversation.Notice notice = deliver.notice();
    if (timers.isTimerActive(Internal.STARTED) && !(notice instanceof Conversation.TypingNotice)) {
      if (deliveredSinceStart.size() == REPLAYED_AFTER_START) deliveredSinceStart.removeFirst();
      deliveredSinceStart.addLast(notice);
    }
    // Reading a conversation, on any device, reads its message notification if it read that far.
    if (notice instanceof Conversation.ReceiptNotice receipt
        && receipt.kind() == Conversation.ReceiptKind.READ
        && receipt.userId().equals(userId)) {
      return markRead(state, MessageNotifications.readUpTo(state.inbox(), receipt.conversationId(), receipt.seq()), null);
    }
    if (notice instanceof Conversation.MessageChangedNotice changed) {
      Notification revised = MessageNotifications.revised(state.inbox(), changed.message());
      if (revised == null) {
        // No notification of it yet, and maybe one on its way. A user with a session open is not notified of
        // messages at all.
        // Nor of their own messages: the conversation tells every participant of a change, its sender included.
        if (sessions.isEmpty()
            && !changed.message().senderId().equals(userId)
            && !state.inbox().seen(messageKey(changed.message().messageId()))) {
          earlyChanges.remember(changed.message());
          // Passivating would forget it before the inboxes' notice, a moment behind, arrives.
          idleSinceLastCheck = false;
        }
        return Effect().none();
      }
      return Effect()
          .persist(new NotificationRevised(revised))
          .thenRun(s -> tellSessions(new NotificationNotice(revised, s.inbox().unreadCount(), null)));
    }
    if (notice instanceof Conversation.MessageNotice posted && !sessions.isEmpty()) {
      toldLive.add(posted.message().messageId());
    }
    return Effect().none();
  }

  /** Nobody was connected to see it: the message goes to the inbox, and to the phone when a device is registered. */
  private Effect<Event, State> onNotifyMessage(State state, NotifyMessage command) {
    MessageView message = command.notice().message();
    String key = messageKey(message.messageId());
    // Deleted since the inboxes took it: nothing is stored, so nothing is pushed. Nor is the key: a retry finds the
    // delete here, or, asking the conversation again, the message deleted.
    Optional<Conversation.MessageNotice> notice = earlyChanges.applyTo(command.notice());
    if (notice.isEmpty()
        || !sessions.isEmpty()
        || toldLive.contains(message.messageId())
        || message.senderId().equals(userId)
        || message.deleted()
        || state.inbox().seen(key)) {
      return Effect().none().thenRun(s -> command.replyTo().tell(Done.getInstance()));
    }
    Inbox.Collapse collapse = state.inbox().collapsing(message.conversationId());
    Draft draft = MessageNotifications.draft(notice.get(), collapse.count());
    NotificationAdded added = added(state, draft, collapse, key, Inbox.KeyWindow.MESSAGES, null, true);
    return Effect()
        .persist(added)
        .thenRun(
            s -> {
              earlyChanges.forget(message);
              // A session that comes back while presence settles is told it, as it would be of any other kind.
              if (sessions.isEmpty() && settling()) rememberUntold(added);
              command.replyTo().tell(Done.getInstance());
            });
  }

  /** The idempotency key of a message's notification: the message id, in the messages' window. */
  private static String messageKey(String messageId) {
    return "message:" + messageId;
  }

  private Effect<Event, State> onNotify(State state, Notify notify) {
    if (state.inbox().seen(notify.idempotencyKey())) {
      return Effect().none().thenRun(s -> notify.replyTo().tell(StatusReply.success(duplicateOf(s))));
    }
    Inbox.Collapse collapse = state.inbox().collapsing(notify.draft().collapseKey());
    NotificationAdded added =
        added(state, notify.draft(), collapse, notify.idempotencyKey(), Inbox.KeyWindow.SENDS, notify.batchId(), false);
    return Effect()
        .persist(added)
        .thenRun(
            s -> {
              int unread = s.inbox().unreadCount();
              if (sessions.isEmpty() && settling()) rememberUntold(added);
              tellSessions(new NotificationNotice(added.notification(), unread, added.replacedId()));
              notify.replyTo().tell(StatusReply.success(new Notified(added.notification().id(), false, unread)));
            });
  }

  /**
   * What a device back after the settle must drop for it: the notification it replaced, or, when that one was itself
   * untold, what that one replaced (the device never saw it).
   */
  private void rememberUntold(NotificationAdded added) {
    String replaced = added.replacedId();
    if (replaced != null && untoldWhileSettling.containsKey(replaced)) replaced = untoldWhileSettling.remove(replaced);
    untoldWhileSettling.put(added.notification().id(), replaced);
  }

  /** Those still unread, oldest first, as they would have been told. */
  private void tellUntold(State state, ActorRef<ToSession> session) {
    untoldWhileSettling.forEach(
        (id, replacedId) -> {
          Notification n = state.inbox().find(id);
          if (n != null && n.unread()) session.tell(new NotificationNotice(n, state.inbox().unreadCount(), replacedId));
        });
    untoldWhileSettling.clear();
  }

  private static Notified duplicateOf(State state) {
    return new Notified(null, true, state.inbox().unreadCount());
  }

  /**
   * The event for a new notification: its id, what it collapses and drops, and the devices to push to if nobody is
   * online. {@code presenceKnown}: the sender already found that no session of this user is connected on any node (as the
   * message inboxes do before they notify), so a push need not wait for presence to settle: an entity started by
   * that very notice (it had passivated, having no sessions) would otherwise hold its push, and with it every other
   * push of the same group, for the whole settle.
   */
  private NotificationAdded added(
      State state,
      Draft draft,
      Inbox.Collapse collapse,
      String idempotencyKey,
      Inbox.KeyWindow window,
      String batchId,
      boolean presenceKnown) {
    Notification notification = draft.toNotification(state.inbox().nextId(), collapse.count());
    boolean pushed = draft.pushed(settings.pushedKinds());
    List<Device> pushTo = pushed && sessions.isEmpty() ? state.devices() : List.of();
    Inbox inbox = state.inbox();
    return new NotificationAdded(
        userId, notification, idempotencyKey, collapse.replacedId(), pushTo, batchId,
        inbox.evictedBy(collapse.replacedId(), settings.inboxSize()),
        inbox.keys(window).forgottenBy(idempotencyKey, keyWindow(window)),
        window,
        !pushTo.isEmpty() && settling() && !presenceKnown);
  }

  /** Just started: sessions still connected to this user may not have registered again yet. */
  private boolean settling() {
    return timers.isTimerActive(Internal.SETTLED);
  }

  /** Pushes that were not held are answered at once: only a held one's answer depends on who comes back. */
  private Effect<Event, State> onConfirmPush(State state, ConfirmPush confirm) {
    boolean held = confirm.notificationId() != null || (confirm.heldIds() != null && !confirm.heldIds().isEmpty());
    if (held && settling()) confirmsAwaitingSettle.add(confirm);
    else confirm.replyTo().tell(confirmation(state, confirm));
    return Effect().none();
  }

  private void answerConfirms(State state) {
    for (ConfirmPush confirm : confirmsAwaitingSettle) confirm.replyTo().tell(confirmation(state, confirm));
    confirmsAwaitingSettle.clear();
  }

  /**
   * A push goes out if its notification is still there to push: unread (a deleted message's notification is a read
   * tombstone), and not replaced by a newer one (which has a push of its own); a held one only if no session came
   * back while presence settled.
   */
  private PushConfirmed confirmation(State state, ConfirmPush confirm) {
    Notification asked = confirm.notificationId() == null ? null : state.inbox().find(confirm.notificationId());
    boolean push = !sessionCameBack && asked != null && asked.unread();
    if (confirm.notificationIds() == null) return new PushConfirmed(push, null);
    List<String> held = confirm.heldIds() == null ? List.of() : confirm.heldIds();
    List<Notification> pushable = new ArrayList<>();
    for (String id : confirm.notificationIds()) {
      Notification n = state.inbox().find(id);
      if (n != null && n.unread() && !(sessionCameBack && held.contains(id))) pushable.add(n);
    }
    return new PushConfirmed(push, pushable);
  }

  private int keyWindow(Inbox.KeyWindow window) {
    return window == Inbox.KeyWindow.MESSAGES ? settings.messageKeyWindow() : settings.idempotencyWindow();
  }

  private Effect<Event, State> onListNotifications(State state, ListNotifications list) {
    return Effect()
        .reply(
            list.replyTo(),
            state.inbox().page(list.unreadOnly(), list.beforeNumber(), list.limit(), settings.maxPageBytes()));
  }

  private Effect<Event, State> onMarkNotificationsRead(State state, MarkNotificationsRead mark) {
    List<String> ids;
    if (mark.notificationId() == null) {
      ids = state.inbox().unreadIds();
    } else if (!state.inbox().contains(mark.notificationId())) {
      return Effect()
          .none()
          .thenRun(s -> mark.replyTo().tell(StatusReply.error("no such notification")));
    } else {
      ids = List.of(mark.notificationId());
    }
    return markRead(state, ids, mark.replyTo());
  }

  /** Marks these read (those already read stay as they were) and tells every device the new unread count. */
  private Effect<Event, State> markRead(State state, List<String> ids, ActorRef<StatusReply<UnreadCount>> replyTo) {
    boolean anyUnread = false;
    for (String id : ids) anyUnread |= state.inbox().unreadIds().contains(id);
    if (!anyUnread) {
      return Effect()
          .none()
          .thenRun(
              s -> {
                if (replyTo != null) replyTo.tell(StatusReply.success(new UnreadCount(s.inbox().unreadCount())));
              });
    }
    return Effect()
        .persist(new NotificationsRead(ids, Instant.now().truncatedTo(ChronoUnit.MILLIS)))
        .thenRun(
            s -> {
              UnreadCount count = new UnreadCount(s.inbox().unreadCount());
              tellSessions(count);
              if (replyTo != null) replyTo.tell(StatusReply.success(count));
            });
  }

  private Effect<Event, State> onRegisterDevice(State state, RegisterDevice register) {
    Device device =
        new Device(
            register.token(), register.platform(), Instant.now().truncatedTo(ChronoUnit.MILLIS), register.registration());
    if (state.hasDevice(register.token())) {
      // Stored again, as the newest: the device directory learns tokens only from these events, and tokens held since
      // before it existed reach it when their app registers them at its next start.
      return Effect().persist(new DeviceRegistered(device)).thenRun(s -> register.replyTo().tell(StatusReply.ack()));
    }
    List<Event> events = new ArrayList<>();
    // The oldest token makes room: a user who keeps reinstalling must not grow the list without bound.
    int over = state.devices().size() + 1 - settings.maxDevices();
    for (int i = 0; i < over; i++) events.add(new DeviceRemoved(state.devices().get(i).token(), "device_limit"));
    events.add(new DeviceRegistered(device));
    return Effect().persist(events).thenRun(s -> register.replyTo().tell(StatusReply.ack()));
  }

  private Effect<Event, State> onUnregisterDevice(State state, UnregisterDevice unregister) {
    Device held = state.device(unregister.token());
    if (held == null
        || (unregister.onlyIfRegistration() != null
            && held.registration() != null
            && !unregister.onlyIfRegistration().equals(held.registration()))) {
      return Effect().none().thenRun(s -> replyDone(unregister.replyTo()));
    }
    return Effect()
        .persist(new DeviceRemoved(unregister.token(), unregister.reason()))
        .thenRun(s -> replyDone(unregister.replyTo()));
  }

  private static void replyDone(ActorRef<StatusReply<Done>> replyTo) {
    if (replyTo != null) replyTo.tell(StatusReply.ack());
  }

  private void tellSessions(ToSession message) {
    for (Registered registered : sessions.values()) registered.session().tell(message);
  }

  private Effect<Event, State> onSetStatus(State state, SetStatus set) {
    if (set.status() == Status.OFFLINE) return Effect().none();
    if (set.status() == state.chosen()) return Effect().none();
    StatusChosen chosen = new StatusChosen(set.status());
    // To others, going invisible is going offline, last seen now: the time they were last seen before would tell
    // the two apart.
    if (set.status() == Status.INVISIBLE && presence(state).status() != Status.OFFLINE) {
      return Effect().persist(List.of(new LastSeen(Instant.now().truncatedTo(ChronoUnit.MILLIS)), chosen))
          .thenRun(this::publish);
    }
    return Effect().persist(chosen).thenRun(this::publish);
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
    if (signal == Internal.STARTED) {
      deliveredSinceStart.clear();
      return Effect().none();
    }
    if (signal == Internal.SETTLED) {
      // Nobody came back: those notifications are pushed, and a session opening now reads the inbox.
      untoldWhileSettling.clear();
      answerConfirms(state);
      return Effect().none();
    }
    if (signal == Internal.GRACE_OVER) {
      if (!sessions.isEmpty()) return Effect().none();
      // When an invisible user's last session ended is theirs to keep: others go on seeing what they saw.
      if (state.chosen() == Status.INVISIBLE) return Effect().none();
      return Effect().persist(new LastSeen(Instant.now().truncatedTo(ChronoUnit.MILLIS))).thenRun(this::publish);
    }
    // A bucket not yet full again would come back full after a restart: the entity stays until it is.
    if (sessions.isEmpty() && watchers.isEmpty() && idleSinceLastCheck && deviceChanges.isFull()) {
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
    return this::applyEvent;
  }

  private State applyEvent(State state, Event event) {
    if (event instanceof StatusChosen e) return new State(e.status(), state.lastSeenAt(), state.inbox(), state.devices());
    // Earlier versions stored the end of an invisible user's sessions too; it must not show after a replay either.
    if (event instanceof LastSeen e) {
      if (state.chosen() == Status.INVISIBLE) return state;
      return new State(state.chosen(), e.at(), state.inbox(), state.devices());
    }
    if (event instanceof NotificationAdded e) return state.with(withAdded(state.inbox(), e));
    if (event instanceof NotificationsRead e) return state.with(state.inbox().markRead(e.ids(), e.at()));
    if (event instanceof NotificationRevised e) return state.with(state.inbox().revise(e.notification()));
    if (event instanceof DeviceRegistered e) {
      List<Device> devices = new ArrayList<>(state.devices());
      devices.removeIf(d -> d.token().equals(e.device().token()));
      devices.add(e.device());
      return state.with(devices);
    }
    if (event instanceof DeviceRemoved e) {
      return state.with(state.devices().stream().filter(d -> !d.token().equals(e.token())).toList());
    }
    throw new IllegalStateException("unknown event " + event.getClass().getName());
  }

  /**
   * Events written before evictions were recorded drop what the bounds configured now say, as they always did, and
   * keep every key in the one window there was.
   */
  private Inbox withAdded(Inbox inbox, NotificationAdded e) {
    Inbox.KeyWindow window = e.keyWindow() == null ? Inbox.KeyWindow.SENDS : e.keyWindow();
    List<String> evicted = e.evicted() != null ? e.evicted() : inbox.evictedBy(e.replacedId(), settings.inboxSize());
    List<String> forgotten =
        e.forgottenKeys() != null
            ? e.forgottenKeys()
            : inbox.keys(window).forgottenBy(e.idempotencyKey(), settings.idempotencyWindow());
    return inbox.add(e.notification(), e.replacedId(), e.idempotencyKey(), window, evicted, forgotten);
  }
}
