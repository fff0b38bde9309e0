package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Connections that never send a request do not lock new clients out of a node. */
class IdleConnectionsTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  /** More than Akka's own ceiling of 1,024 connections, which a node used to keep. */
  private static final int IDLE_SOCKETS = 1_100;

  @Test
  void newClientsAreServedWhileMoreThanAThousandSocketsSitIdle() throws IOException {
    InetSocketAddress node = new InetSocketAddress("127.0.0.1", live.node().node().httpAddress().getPort());
    List<SocketChannel> idle = new ArrayList<>();
    try {
      for (int i = 0; i < IDLE_SOCKETS; i++) idle.add(SocketChannel.open(node));

      HttpApi.Response health =
          live.api().send(live.api().request("/api/health", null).timeout(Duration.ofSeconds(10)).GET());
      assertThat(health.status()).as(health.body()).isEqualTo(200);
      try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("idle-sockets-ws"))) {
        client.send("{\"type\":\"ping\"}");
        client.next("pong");
      }
      // The node held them all the while: none was refused or dropped to make room.
      ByteBuffer nothing = ByteBuffer.allocate(1);
      for (SocketChannel socket : idle) {
        socket.configureBlocking(false);
        assertThat(socket.read(nothing)).as("an idle socket, still open").isZero();
      }
    } finally {
      for (SocketChannel socket : idle) socket.close();
    }
  }

  @Test
  void theCeilingLeavesTheNodeDescriptorsOfItsOwnBelowTheOpenFilesLimit() {
    assertThat(HttpServer.maxConnections(10_000, OptionalLong.of(1_048_576))).isEqualTo(10_000);
    assertThat(HttpServer.maxConnections(10_000, OptionalLong.empty())).isEqualTo(10_000);
    assertThat(HttpServer.maxConnections(20_000, OptionalLong.of(20_000))).isEqualTo(18_000);
    assertThat(HttpServer.maxConnections(10_000, OptionalLong.of(1_024))).as("half of a small limit").isEqualTo(512);
    assertThatThrownBy(() -> HttpServer.maxConnections(0, OptionalLong.empty()))
        .hasMessageContaining("parley.http.max-connections");
  }
}
