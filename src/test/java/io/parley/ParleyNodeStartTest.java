package io.parley;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.parley.push.LoggingPushGateway;
import io.parley.push.PushGateway;
import io.parley.push.PushMessage;
import io.parley.push.PushResult;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A node that cannot start throws, and leaves nothing running behind it: no actor system, no port, no gateway. */
class ParleyNodeStartTest {
  @Test
  void aNodeWhoseHttpPortIsTakenThrowsAndStopsWhatItStarted() throws IOException {
    int remotingPort = freePort();
    AtomicBoolean pushClosed = new AtomicBoolean();
    PushGateway push = new ClosingGateway(pushClosed);

    try (TestDatabase database = TestDatabase.h2();
        ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      var settings =
          ConfigFactory.parseMap(
              Map.of("parley.http.port", taken.getLocalPort(), "akka.remote.artery.canonical.port", remotingPort));

      assertThatThrownBy(
              () -> TestNode.start(database, settings, ParleyNode.Parts.fromConfig().withPush(config -> push)))
          .hasMessageContaining("HTTP did not bind")
          .hasMessageContaining(String.valueOf(taken.getLocalPort()))
          .hasRootCauseInstanceOf(BindException.class);

      // Terminated before start returned: the remoting port is free, and the gateway closed in the last phase.
      assertThat(pushClosed).isTrue();
      try (ServerSocket remoting = new ServerSocket()) {
        remoting.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), remotingPort));
      }

      // And a node can start again in the same process, on the same database.
      try (TestNode again = TestNode.start(database)) {
        assertThat(new HttpApi(again::uri).get("/api/health", null).status()).isEqualTo(200);
      }
    }
  }

  @Test
  void aNodeWhosePresenceSettleIsShorterThanTheReregistrationAfterACrashRefusesToStart() {
    try (TestDatabase database = TestDatabase.h2()) {
      var settings = ConfigFactory.parseMap(Map.of("parley.user.presence-settle", "2s"));

      assertThatThrownBy(() -> TestNode.start(database, settings, ParleyNode.Parts.fromConfig()))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("parley.user.presence-settle (PT2S) must be longer than");
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Pushes to the log, and remembers being closed. */
  private static final class ClosingGateway implements PushGateway, AutoCloseable {
    private final LoggingPushGateway log = new LoggingPushGateway();
    private final AtomicBoolean closed;

    ClosingGateway(AtomicBoolean closed) {
      this.closed = closed;
    }

    @Override
    public CompletionStage<List<PushResult>> sendToDevices(PushMessage message, List<String> tokens) {
      return log.sendToDevices(message, tokens);
    }

    @Override
    public CompletionStage<PushResult> sendToTopic(PushMessage message, String topic) {
      return log.sendToTopic(message, topic);
    }

    @Override
    public String status() {
      return log.status();
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }
}
