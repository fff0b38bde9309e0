package io.parley.gateway;

import akka.Done;
import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.ClusterEvent;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Subscribe;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket sessions of this node, for what concerns all of them at once: on coordinated shutdown it stops
 * accepting connections and closes every session with 1012 (service restart) before HTTP unbinds and the shards are
 * handed off; after a member crashed it has every session register with its user entity again, so that entities
 * restarted elsewhere learn their sessions without waiting for a heartbeat.
 */
public final class LocalSessions implements Extension {
  private static final Logger log = LoggerFactory.getLogger(LocalSessions.class);

  public static final ExtensionId<LocalSessions> ID =
      new ExtensionId<>() {
        @Override
        public LocalSessions createExtension(ActorSystem<?> system) {
          return new LocalSessions(system);
        }
      };

  public static LocalSessions get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final Set<ActorRef<Session.Command>> sessions = ConcurrentHashMap.newKeySet();
  private final ActorSystem<?> system;
  private volatile boolean draining;

  private LocalSessions(ActorSystem<?> system) {
    this.system = system;
    Duration reregisterAfter =
        system.settings().config().getDuration("parley.cluster.reregister-after-member-removed");
    ActorRef<ClusterEvent.MemberRemoved> removals =
        system.systemActorOf(
            Behaviors.receiveMessage(
                removed -> {
                  system
                      .scheduler()
                      .scheduleOnce(reregisterAfter, () -> tellAll(Session.NodeNotice.REREGISTER), system.executionContext());
                  return Behaviors.same();
                }),
            "parley-member-removals",
            Props.empty());
    Cluster.get(system).subscriptions().tell(Subscribe.create(removals, ClusterEvent.MemberRemoved.class));
    // Before HTTP unbinds: the sessions' close frames must go out while their connections are still served.
    CoordinatedShutdown.get(system)
        .addTask(CoordinatedShutdown.PhaseBeforeServiceUnbind(), "parley-close-sessions", this::drain);
  }

  /** Adds a session; false when the node is draining and the session must close at once. */
  boolean add(ActorRef<Session.Command> session) {
    sessions.add(session);
    return !draining;
  }

  void remove(ActorRef<Session.Command> session) {
    sessions.remove(session);
  }

  /** Whether new connections are refused: coordinated shutdown has begun. */
  public boolean draining() {
    return draining;
  }

  public int size() {
    return sessions.size();
  }

  private void tellAll(Session.NodeNotice notice) {
    for (ActorRef<Session.Command> session : sessions) session.tell(notice);
  }

  /** Closes every session with 1012 and waits for them to stop, within the phase's timeout. */
  private CompletionStage<Done> drain() {
    draining = true;
    int open = sessions.size();
    tellAll(Session.NodeNotice.RESTARTING);
    CompletableFuture<Done> drained = new CompletableFuture<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(4).toNanos();
    awaitEmpty(drained, deadline);
    return drained.thenApply(
        done -> {
          log.info("Closed {} WebSocket sessions with 1012 (service restart); {} left", open, sessions.size());
          return done;
        });
  }

  private void awaitEmpty(CompletableFuture<Done> drained, long deadline) {
    if (sessions.isEmpty() || System.nanoTime() > deadline) {
      drained.complete(Done.getInstance());
      return;
    }
    system
        .scheduler()
        .scheduleOnce(Duration.ofMillis(50), () -> awaitEmpty(drained, deadline), system.executionContext());
  }
}
