package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.gateway.WebSocketCloseCodes.Close;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsFrames;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A session that fails in a way nobody foresaw: a frame whose handling fails is answered with an {@code internal}
 * error and the session goes on; a failure anywhere else stops the session, which closes its socket with 1011
 * instead of leaving it open and unread.
 */
class SessionFailureTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  @Test
  void aFrameWhoseHandlingFailsUnexpectedlyGetsAnInternalErrorAndTheSessionGoesOn() throws Exception {
    // No conversations service at all: a join fails with a NullPointerException inside the session.
    DetachedSession detached =
        new DetachedSession(
            live.node().node(),
            "frame-failure",
            TestTokens.user("sf-1"),
            deps ->
                new Session.Context(
                    deps.verifier(), null, deps.sharding(), deps.presences(), deps.notifications(), deps.settings(),
                    deps.connects()));
    detached.session.tell(
        new Session.Incoming(WsFrames.frame("join", "ref", "j", "conversationId", "g_" + "0".repeat(32))));
    assertThat(next(detached, "\"ref\":\"j\"")).contains("\"type\":\"error\"", "\"code\":\"internal\"");
    detached.session.tell(new Session.Incoming(WsFrames.frame("ping", "ref", "p")));
    assertThat(next(detached, "\"ref\":\"p\"")).contains("\"type\":\"pong\"");
    assertThat(detached.closed).isNotDone();
  }

  @Test
  void aSessionStoppedByAnUnexpectedFailureClosesItsSocket() throws Exception {
    // No sharding: registering with the user entity, once the token is verified, fails outside any frame.
    DetachedSession detached =
        new DetachedSession(
            live.node().node(),
            "session-failure",
            TestTokens.user("sf-2"),
            deps ->
                new Session.Context(
                    deps.verifier(), deps.conversations(), null, deps.presences(), deps.notifications(),
                    deps.settings(), deps.connects()));
    assertThat(detached.closed.get(10, TimeUnit.SECONDS)).isEqualTo(new Close(1011, "internal_error"));
  }

  /** The next frame the session wrote that holds {@code part}. */
  private static String next(DetachedSession detached, String part) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      String frame = detached.sent.poll(100, TimeUnit.MILLISECONDS);
      if (frame != null && frame.contains(part)) return frame;
    }
    throw new AssertionError("no frame with " + part);
  }
}
