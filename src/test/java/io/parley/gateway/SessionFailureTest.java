package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.parley.ParleyNode;
import io.parley.auth.AuthSettings;
import io.parley.auth.TokenVerifier;
import io.parley.gateway.WebSocketCloseCodes.Close;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsFrames;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A session that fails in a way nobody foresaw closes its socket with 1011, instead of leaving it open and unread. */
class SessionFailureTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  @Test
  void aSessionStoppedByAnUnexpectedFailureClosesItsSocket() throws Exception {
    ParleyNode node = live.node().node();
    ActorSystem<Void> system = node.system();
    // No conversations service at all: the first join fails with a NullPointerException inside the session.
    Session.Context broken =
        new Session.Context(
            TokenVerifier.create(AuthSettings.fromConfig(system.settings().config())),
            null,
            ClusterSharding.get(system),
            null,
            node.notifications(),
            GatewaySettings.fromConfig(system.settings().config()));
    CompletableFuture<Close> closed = new CompletableFuture<>();
    Session.Outgoing out =
        new Session.Outgoing() {
          @Override
          public void send(String text) {}

          @Override
          public void close(Close close) {
            closed.complete(close);
          }

          @Override
          public void taken() {}
        };
    ActorRef<Session.Command> session =
        system.systemActorOf(
            Session.create(broken, out, Optional.of(TestTokens.user("sf-1"))), "session-failure", Props.empty());
    session.tell(new Session.Incoming(WsFrames.frame("join", "ref", "j", "conversationId", "g_" + "0".repeat(32))));
    assertThat(closed.get(10, TimeUnit.SECONDS)).isEqualTo(new Close(1011, "internal_error"));
  }
}
