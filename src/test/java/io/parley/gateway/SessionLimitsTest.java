package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sessions per user are bounded, silent sessions are dropped, and the newest sessions keep working. */
class SessionLimitsTest {
  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          "parley.gateway.max-sessions-per-user = 2\n"
              + "parley.gateway.heartbeat = 300ms\n"
              + "parley.gateway.idle-timeout = 1200ms");

  @Test
  void theOldestSessionIsClosedWhenAUserOpensOneTooMany() {
    String token = TestTokens.user("many");
    try (WsClient first = WsClient.signedIn(live.node(), token);
        WsClient second = WsClient.signedIn(live.node(), token);
        WsClient third = WsClient.signedIn(live.node(), token)) {
      assertThat(first.next("error").get("code").asText()).isEqualTo("forbidden");
      WsClient.Closed closed = first.awaitClose();
      assertThat(closed.code()).isEqualTo(1008);
      assertThat(closed.reason()).isEqualTo("session_limit");
      assertThat(second.send("{\"type\":\"ping\"}").next("pong")).isNotNull();
      assertThat(third.send("{\"type\":\"ping\"}").next("pong")).isNotNull();
    }
  }

  @Test
  void aSilentSessionIsDroppedAndAPingingOneIsNot() throws InterruptedException {
    try (WsClient silent = WsClient.signedIn(live.node(), TestTokens.user("quiet"));
        WsClient chatty = WsClient.signedIn(live.node(), TestTokens.user("chatty"))) {
      for (int i = 0; i < 8; i++) {
        chatty.send("{\"type\":\"ping\"}");
        Thread.sleep(300);
      }
      WsClient.Closed closed = silent.awaitClose();
      assertThat(closed.code()).isEqualTo(1001);
      assertThat(closed.reason()).isEqualTo("idle_timeout");
      assertThat(chatty.isClosed()).isFalse();
    }
  }

  @Test
  void withoutAnyTokenTheSessionIsClosedAfterTheAuthTimeout() {
    try (TestDatabase db = TestDatabase.h2();
        TestNode quick = TestNode.start(db, ConfigFactory.parseString("parley.gateway.auth-timeout = 500ms"));
        WsClient anonymous = WsClient.connect(quick.wsUri("/ws"), Map.of())) {
      assertThat(anonymous.next("error").get("code").asText()).isEqualTo("token_missing");
      assertThat(anonymous.awaitClose().code()).isEqualTo(4001);
    }
  }
}
