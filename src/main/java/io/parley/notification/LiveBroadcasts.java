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
import akka.actor.typed.javadsl.AskPattern;
import io.parley.CborSerializable;
import io.parley.Futures;
import io.parley.user.Inbox.Notification;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Sends a broadcast live to every signed-in session of the cluster: one message to a relay on each member, which
 * tells its node's sessions. The relays also say which users have a session open, for pushes that must not go to
 * someone online. Where a broadcast goes is decided by cluster membership, not by a gossiped registry of
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

  /** Which of {@code userIds} have a signed-in session on the relay's node. */
  public record OnlineAmong(List<String> userIds, ActorRef<Online> replyTo) implements RelayCommand, CborSerializable {}

  public record Online(Set<String> userIds) implements CborSerializable {}

  private record Subscribe(ActorRef<Live> session, String userId) implements RelayCommand {}

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

  /** The session, signed in as {@code userId}, hears every broadcast from now until it stops. */
  public void subscribe(ActorRef<Live> session, String userId) {
    relay.tell(new Subscribe(session, userId));
  }

  /**
   * Those of {@code userIds} with a signed-in session anywhere in the cluster, as the nodes that hold the sockets
   * know it: no user entity is started or asked. A node that does not answer within {@code timeout} counts as having
   * none: it is unreachable, so its sessions could not be told anything live either.
   */
  public CompletionStage<Set<String>> onlineAmong(List<String> userIds, Duration timeout) {
    List<CompletableFuture<Set<String>>> answers = new ArrayList<>();
    for (ActorRef<RelayCommand> member : relays()) {
      for (int from = 0; from < userIds.size(); from += ONLINE_ASK_CHUNK) {
        List<String> chunk = userIds.subList(from, Math.min(userIds.size(), from + ONLINE_ASK_CHUNK));
        answers.add(
            Futures.direct(AskPattern.<RelayCommand, Online>ask(
                    member, replyTo -> new OnlineAmong(List.copyOf(chunk), replyTo), timeout, system.scheduler()))
                .thenApply(Online::userIds)
                .exceptionally(failure -> Set.of()));
      }
    }
    return Futures.all(answers)
        .thenApply(
            sets -> {
              Set<String> online = new HashSet<>();
              sets.forEach(online::addAll);
              return online;
            });
  }

  /**
   * User ids per ask: ids of 128 characters, a thousand of them, stay well under Artery's frame (256 KiB), past which
   * an ask to another node would be dropped and its node taken for having nobody online.
   */
  static final int ONLINE_ASK_CHUNK = 1000;

  /** Tells the relay of every member that is not down, this node's included even before it has joined. */
  public void publish(Notification notification) {
    Live live = new Live(notification);
    for (ActorRef<RelayCommand> member : relays()) member.tell(live);
  }

  /** The relay of every member that is not down, this node's included even before it has joined. */
  private List<ActorRef<RelayCommand>> relays() {
    List<ActorRef<RelayCommand>> relays = new ArrayList<>();
    relays.add(relay);
    Address self = Cluster.get(system).selfMember().address();
    ActorRefResolver resolver = ActorRefResolver.get(system);
    for (Member member : Cluster.get(system).state().getMembers()) {
      if (member.address().equals(self) || member.status() == MemberStatus.down()) continue;
      relays.add(resolver.resolveActorRef(member.address() + "/system/" + RELAY));
    }
    return relays;
  }

  private static Behavior<RelayCommand> relay() {
    return Behaviors.setup(
        context -> {
          // Each session with its user, and how many sessions each user has here.
          Map<ActorRef<Live>, String> sessions = new HashMap<>();
          Map<String, Integer> users = new HashMap<>();
          return Behaviors.receive(RelayCommand.class)
                .onMessage(
                    Subscribe.class,
                    subscribe -> {
                      if (sessions.putIfAbsent(subscribe.session(), subscribe.userId()) == null) {
                        users.merge(subscribe.userId(), 1, Integer::sum);
                        context.watchWith(subscribe.session(), new Unsubscribe(subscribe.session()));
                      }
                      return Behaviors.same();
                    })
                .onMessage(
                    Unsubscribe.class,
                    unsubscribe -> {
                      String userId = sessions.remove(unsubscribe.session());
                      if (userId != null) users.computeIfPresent(userId, (u, n) -> n == 1 ? null : n - 1);
                      return Behaviors.same();
                    })
                .onMessage(
                    Live.class,
                    live -> {
                      sessions.keySet().forEach(session -> session.tell(live));
                      return Behaviors.same();
                    })
                .onMessage(
                    OnlineAmong.class,
                    ask -> {
                      Set<String> online = new HashSet<>();
                      for (String userId : ask.userIds()) if (users.containsKey(userId)) online.add(userId);
                      ask.replyTo().tell(new Online(online));
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
