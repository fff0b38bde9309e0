package io.parley.gateway;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.parley.ParleyNode;
import io.parley.UserBudgets;
import io.parley.auth.AuthSettings;
import io.parley.auth.TokenVerifier;
import io.parley.conversation.ConversationReadModel;
import io.parley.gateway.WebSocketCloseCodes.Close;
import io.parley.user.Presences;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * A real {@link Session} on a running node with no socket: what it writes, the close it asks for and the frames it
 * takes are recorded instead.
 */
final class DetachedSession implements Session.Outgoing {
  final BlockingQueue<String> sent = new LinkedBlockingQueue<>();
  final CompletableFuture<Close> closed = new CompletableFuture<>();
  final AtomicInteger taken = new AtomicInteger();
  final ActorRef<Session.Command> session;

  /** {@code deps} may take parts away from the node's own, to see how the session copes. */
  DetachedSession(ParleyNode node, String name, String token, UnaryOperator<Session.Context> deps) {
    ActorSystem<Void> system = node.system();
    Session.Context full =
        new Session.Context(
            TokenVerifier.create(AuthSettings.fromConfig(system.settings().config())),
            node.conversations(),
            ClusterSharding.get(system),
            new Presences(system, new ConversationReadModel(system)),
            node.notifications(),
            GatewaySettings.fromConfig(system.settings().config()),
            new UserBudgets(0, 0));
    this.session = system.systemActorOf(Session.create(deps.apply(full), this, Optional.of(token)), name, Props.empty());
  }

  @Override
  public void send(String text) {
    sent.add(text);
  }

  @Override
  public void close(Close close) {
    closed.complete(close);
  }

  @Override
  public void taken() {
    taken.incrementAndGet();
  }
}
