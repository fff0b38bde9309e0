package io.parley.user;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.ClusterShardingSettings;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import io.parley.CborSerializable;
import io.parley.conversation.Conversation;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One user, sharded: the registry of their connected devices, through which every conversation reaches all of them.
 * The registry lives in memory only; sessions register again on a heartbeat, so a user that moved to another node
 * after a rebalance or a crash knows its devices again within one heartbeat.
 */
public final class User {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "User");

  public sealed interface Command extends CborSerializable {}

  /** Registers a session, or refreshes it; sent on connect and then on every heartbeat. */
  public record Connect(String sessionId, ActorRef<ToSession> session, long connectedAtMillis) implements Command {}

  public record Disconnect(String sessionId) implements Command {}

  /** A conversation's notice, for every device of this user. */
  public record Deliver(Conversation.Notice notice) implements Command {}

  private record SessionStopped(String sessionId) implements Command {}

  private enum IdleCheck implements Command {
    INSTANCE
  }

  /** What a user entity tells a session. */
  public sealed interface ToSession extends CborSerializable {}

  public record Delivered(Conversation.Notice notice) implements ToSession {}

  /** The user opened more sessions than allowed; this one, the oldest, must close. */
  public record Evicted(String reason) implements ToSession {}

  public static void init(ActorSystem<?> system) {
    int maxSessions = system.settings().config().getInt("parley.gateway.max-sessions-per-user");
    Duration idle = system.settings().config().getDuration("parley.gateway.user-idle-timeout");
    // The registry is in memory, so sharding must not passivate an entity that still has sessions; it stops
    // itself once it has had none for a while.
    ClusterShardingSettings settings =
        ClusterShardingSettings.create(system).withNoPassivationStrategy();
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> create(ctx.getShard(), maxSessions, idle))
                .withSettings(settings));
  }

  /** Sends a notice to every device of each user, wherever in the cluster their entities live. */
  public static Conversation.Fanout fanout(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    return (Collection<String> userIds, Conversation.Notice notice) -> {
      Deliver deliver = new Deliver(notice);
      for (String userId : userIds) sharding.entityRefFor(ENTITY_KEY, userId).tell(deliver);
    };
  }

  private record Registered(ActorRef<ToSession> session, long connectedAtMillis) {}

  static Behavior<Command> create(
      ActorRef<ClusterSharding.ShardCommand> shard, int maxSessions, Duration idleTimeout) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(IdleCheck.INSTANCE, idleTimeout);
                  return new User(context, shard, maxSessions).running();
                }));
  }

  private final ActorContext<Command> context;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final int maxSessions;
  /** In connection order, oldest first. */
  private final Map<String, Registered> sessions = new LinkedHashMap<>();
  private boolean idleSinceLastCheck = true;

  private User(ActorContext<Command> context, ActorRef<ClusterSharding.ShardCommand> shard, int maxSessions) {
    this.context = context;
    this.shard = shard;
    this.maxSessions = maxSessions;
  }

  private Behavior<Command> running() {
    return Behaviors.receive(Command.class)
        .onMessage(Connect.class, this::onConnect)
        .onMessage(Disconnect.class, d -> forget(d.sessionId()))
        .onMessage(SessionStopped.class, s -> forget(s.sessionId()))
        .onMessage(Deliver.class, this::onDeliver)
        .onMessageEquals(IdleCheck.INSTANCE, this::onIdleCheck)
        .build();
  }

  private Behavior<Command> onConnect(Connect connect) {
    idleSinceLastCheck = false;
    if (!sessions.containsKey(connect.sessionId())) {
      sessions.put(connect.sessionId(), new Registered(connect.session(), connect.connectedAtMillis()));
      context.watchWith(connect.session(), new SessionStopped(connect.sessionId()));
      while (sessions.size() > maxSessions) {
        String oldest = sessions.keySet().iterator().next();
        Registered evicted = sessions.remove(oldest);
        context.unwatch(evicted.session());
        evicted.session().tell(new Evicted("more than " + maxSessions + " sessions"));
      }
    }
    return Behaviors.same();
  }

  private Behavior<Command> forget(String sessionId) {
    Registered removed = sessions.remove(sessionId);
    if (removed != null) context.unwatch(removed.session());
    return Behaviors.same();
  }

  private Behavior<Command> onDeliver(Deliver deliver) {
    Delivered delivered = new Delivered(deliver.notice());
    for (Registered registered : sessions.values()) registered.session().tell(delivered);
    return Behaviors.same();
  }

  private Behavior<Command> onIdleCheck() {
    if (sessions.isEmpty() && idleSinceLastCheck) {
      shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
    }
    idleSinceLastCheck = sessions.isEmpty();
    return Behaviors.same();
  }
}
