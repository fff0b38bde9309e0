package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.gateway.WebSocketCloseCodes.Close;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsFrames;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A session that fails in a way nobody foresaw closes its socket with 1011, instead of leaving it open and unread. */
class SessionFailureTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  @Test
  void aSessionStoppedByAnUnexpectedFailureClosesItsSocket() throws Exception {
    // No conversations service at all: the first join fails with a NullPointerException inside the session.
    DetachedSession detached =
        new DetachedSession(
            live.node().node(),
            "session-failure",
            TestTokens.user("sf-1"),
            deps ->
                new Session.Context(
                    deps.verifier(), null, deps.sharding(), null, deps.notifications(), deps.settings(), deps.connects()));
    detached.session.tell(
        new Session.Incoming(WsFrames.frame("join", "ref", "j", "conversationId", "g_" + "0".repeat(32))));
    assertThat(detached.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new Close(1011, "internal_error"));
  }
}
