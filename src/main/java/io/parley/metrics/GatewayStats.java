package io.parley.metrics;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.receptionist.Receptionist;
import akka.actor.typed.receptionist.ServiceKey;
import akka.cluster.typed.Cluster;
import io.parley.CborSerializable;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's share of the gateway's numbers: open sessions, users whose entity lives here and who are online, and
 * frames in and out per second over the last ten seconds. One reporter per node answers for the cluster view.
 */
public final class GatewayStats implements Extension {
  public static final ServiceKey<Ask> REPORTERS = ServiceKey.create(Ask.class, "parley-gateway-stats");
  private static final int WINDOW_SECONDS = 10;

  public static final ExtensionId<GatewayStats> ID =
      new ExtensionId<>() {
        @Override
        public GatewayStats createExtension(ActorSystem<?> system) {
          return new GatewayStats(system);
        }
      };

  public static GatewayStats get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  public record Ask(ActorRef<NodeStats> replyTo) implements CborSerializable {}

  public record NodeStats(
      String node, long connections, long onlineUsers, double framesInPerSecond, double framesOutPerSecond)
      implements CborSerializable {}

  public final AtomicLong connections = new AtomicLong();
  public final AtomicLong onlineUsers = new AtomicLong();
  public final AtomicLong framesIn = new AtomicLong();
  public final AtomicLong framesOut = new AtomicLong();
  private final long[] inPerSecond = new long[WINDOW_SECONDS];
  private final long[] outPerSecond = new long[WINDOW_SECONDS];
  private long lastIn;
  private long lastOut;
  private int slot;
  private final String address;

  private GatewayStats(ActorSystem<?> system) {
    this.address = Cluster.get(system).selfMember().address().toString();
    system
        .scheduler()
        .scheduleAtFixedRate(Duration.ofSeconds(1), Duration.ofSeconds(1), this::tick, system.executionContext());
    ActorRef<Ask> reporter = system.systemActorOf(reporter(), "gateway-stats", akka.actor.typed.Props.empty());
    system.receptionist().tell(Receptionist.register(REPORTERS, reporter));
  }

  private synchronized void tick() {
    long in = framesIn.get();
    long out = framesOut.get();
    slot = (slot + 1) % WINDOW_SECONDS;
    inPerSecond[slot] = in - lastIn;
    outPerSecond[slot] = out - lastOut;
    lastIn = in;
    lastOut = out;
  }

  public synchronized NodeStats snapshot() {
    long in = 0;
    long out = 0;
    for (int i = 0; i < WINDOW_SECONDS; i++) {
      in += inPerSecond[i];
      out += outPerSecond[i];
    }
    return new NodeStats(
        address, connections.get(), onlineUsers.get(), in / (double) WINDOW_SECONDS, out / (double) WINDOW_SECONDS);
  }

  private Behavior<Ask> reporter() {
    return Behaviors.receiveMessage(
        ask -> {
          ask.replyTo().tell(snapshot());
          return Behaviors.same();
        });
  }
}
