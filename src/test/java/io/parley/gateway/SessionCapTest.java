package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.FileDescriptors;
import io.parley.testkit.Eventually;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node takes WebSocket sessions only up to its cap, which keeps their file descriptors (that Akka's
 * max-connections does not count) below the open-files limit; clients past it are sent to another node.
 */
class SessionCapTest {
  @RegisterExtension static final LiveNode live = new LiveNode("parley.gateway.max-sessions = 2");

  @Test
  void anUpgradePastTheCapIsRefusedWith503UntilASessionCloses() throws IOException {
    WsClient first = WsClient.signedIn(live.node(), TestTokens.user("cap-1"));
    try (WsClient second = WsClient.signedIn(live.node(), TestTokens.user("cap-2"))) {
      first.send("{\"type\":\"ping\"}").next("pong");
      second.send("{\"type\":\"ping\"}").next("pong");

      String refused = upgrade(TestTokens.user("cap-3"));
      assertThat(refused).as("a refused upgrade, not a 101").startsWith("HTTP/1.1 503 ");
      assertThat(refused).contains("Content-Type: application/problem+json");
      assertThat(refused).contains("\"code\":\"unavailable\"").contains("connect to another");
      // The sessions held are not disturbed by the refusal.
      second.send("{\"type\":\"ping\"}").next("pong");

      first.close();
      try (WsClient third =
          Eventually.await(
                  "a session once one of the two closed", () -> connect("cap-3"), Optional::isPresent)
              .orElseThrow()) {
        third.send("{\"type\":\"ping\"}").next("pong");
      }
    } finally {
      first.close();
    }
  }

  @Test
  void theCapIsWhatTheOpenFilesLimitLeavesAfterMaxConnectionsAndTheReserve() {
    OptionalLong twentyThousand = OptionalLong.of(20_000);
    assertThat(FileDescriptors.maxSessions(0, 10_000, twentyThousand)).as("auto").isEqualTo(8_000);
    assertThat(FileDescriptors.maxSessions(0, 10_000, OptionalLong.of(1_048_576))).isEqualTo(1_036_576);
    assertThat(FileDescriptors.maxSessions(0, 30_000, twentyThousand))
        .as("auto, after max-connections lowered to 18,000")
        .isEqualTo(100);
    assertThat(FileDescriptors.maxSessions(0, 10_000, OptionalLong.of(700))).as("auto, at least 100").isEqualTo(100);
    assertThat(FileDescriptors.maxSessions(5_000, 10_000, twentyThousand)).as("explicit").isEqualTo(5_000);
    assertThat(FileDescriptors.maxSessions(19_000, 10_000, twentyThousand)).as("explicit, lowered").isEqualTo(8_000);
    assertThat(FileDescriptors.maxSessions(19_000, 1_000, twentyThousand)).as("explicit, lowered").isEqualTo(17_000);
    assertThat(FileDescriptors.maxSessions(2, 10_000, OptionalLong.of(700))).as("explicit, small").isEqualTo(2);
    assertThat(FileDescriptors.maxSessions(0, 10_000, OptionalLong.empty())).as("limit unknown").isEqualTo(Integer.MAX_VALUE);
    assertThat(FileDescriptors.maxSessions(5_000, 10_000, OptionalLong.empty())).isEqualTo(5_000);
    assertThatThrownBy(() -> FileDescriptors.maxSessions(-1, 10_000, twentyThousand))
        .hasMessageContaining("parley.gateway.max-sessions");
  }

  private static Optional<WsClient> connect(String user) {
    try {
      return Optional.of(WsClient.signedIn(live.node(), TestTokens.user(user)));
    } catch (AssertionError refused) {
      return Optional.empty();
    }
  }

  /** The whole answer to an upgrade request sent over a raw socket, headers and body. */
  private static String upgrade(String token) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", live.node().node().httpAddress().getPort())) {
      socket.setSoTimeout(10_000);
      String request =
          "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              + "Authorization: Bearer " + token + "\r\n\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      while (!answer.toString(StandardCharsets.UTF_8).contains("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) break;
        answer.write(b);
      }
      String head = answer.toString(StandardCharsets.UTF_8);
      int length =
          head.lines()
              .filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, 15))
              .map(line -> Integer.parseInt(line.substring(15).trim()))
              .findFirst()
              .orElse(0);
      return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
  }
}
