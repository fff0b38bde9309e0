package io.parley.notification;

import akka.actor.Address;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorRefResolver;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.Props;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import io.parley.CborSerializable;
import io.parley.user.Inbox.Notification;
import java.util.HashSet;
import java.util.Set;

/**
 * Sends a broadcast live to every signed-in session of the cluster: one message to a relay on each member, which
 * tells its node's sessions. Where a broadcast goes is decided by cluster membership, not by a gossiped registry of
 * subscribers (Akka's pub-sub {@code Topic}): that registry lagged whenever a node's first session came or its last
 * went, and a broadcast sent meanwhile never reached that node's sessions. A node is Up only once every member has
 * seen it join, so a broadcast accepted after that reaches the sessions signed in on it.
 */
public final class LiveBroadcasts implements Extension {
  /** The relay's name under {@code /system} on every node; the publishing node addresses the others' by it. */
  private static final String RELAY = "parley-broadcasts";

  /** What a node's relay hears. */
  public sealed interface RelayCommand {}

  /** A broadcast, on its way to every signed-in session; sessions receive it as it is. */
  public record Live(Notification notification) implements RelayCommand, CborSerializable {}

  private record Subscribe(ActorRef<Live> session) implements RelayCommand {}

  private record Unsubscribe(ActorRef<Live> session) implements RelayCommand {}

  private final ActorSystem<?> system;
  private final ActorRef<RelayCommand> relay;

  private LiveBroadcasts(ActorSystem<?> system) {
    this.system = system;
    this.relay = system.systemActorOf(relay(), RELAY, Props.empty());
  }

  public static LiveBroadcasts get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The session hears every broadcast from now until it stops. */
  public void subscribe(ActorRef<Live> session) {
    relay.tell(new Subscribe(session));
  }

  /** Tells the relay of every member that is not down, this node's included even before it has joined. */
  public void publish(Notification notification) {
    Live live = new Live(notification);
    relay.tell(live);
    Address self = Cluster.get(system).selfMember().address();
    ActorRefResolver resolver = ActorRefResolver.get(system);
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (member.address().equals(self) || member.status() == MemberStatus.down()) continue;
      resolver.<RelayCommand>resolveActorRef(member.address() + "/system/" + RELAY).tell(live);
    }
  }

  private static Behavior<RelayCommand> relay() {
    return Behaviors.setup(
        context -> {
          Set<ActorRef<Live>> sessions = new HashSet<>();
          return Behaviors.receive(RelayCommand.class)
                .onMessage(
                    Subscribe.class,
                    subscribe -> {
                      if (sessions.add(subscribe.session())) {
                        context.watchWith(subscribe.session(), new Unsubscribe(subscribe.session()));
                      }
                      return Behaviors.same();
                    })
                .onMessage(
                    Unsubscribe.class,
                    unsubscribe -> {
                      sessions.remove(unsubscribe.session());
                      return Behaviors.same();
                    })
                .onMessage(
                    Live.class,
                    live -> {
                      sessions.forEach(session -> session.tell(live));
                      return Behaviors.same();
                    })
                .build();
        });
  }

  private static final class Id extends ExtensionId<LiveBroadcasts> {
    static final Id INSTANCE = new Id();

    @Override
    public LiveBroadcasts createExtension(ActorSystem<?> system) {
      return new LiveBroadcasts(system);
    }
  }
}
