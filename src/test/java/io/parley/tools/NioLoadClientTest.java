package io.parley.tools;

import static io.parley.tools.WebSocketFramesTest.concat;
import static io.parley.tools.WebSocketFramesTest.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The NIO load client against a hand-driven server on a real socket: what it puts on the wire (upgrade request,
 * masked frames, pong, close echo) and how it takes what a server may send (frames in the upgrade's segment,
 * fragments, pings, close). The generator's test runs it against a real node.
 */
@Timeout(30)
class NioLoadClientTest {
  private final SelectorLoop loop = new SelectorLoop("test-selector");
  private final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();

  @AfterEach
  void stopLoop() {
    loop.close();
  }

  @Test
  void upgradesAnswersPingsAndEchoesTheServersClose() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      NioLoadClient client = client(listener, new InetSocketAddress("127.0.0.2", 0));
      CompletableFuture<Void> connected = client.open("the-token", Duration.ofSeconds(10)).toCompletableFuture();

      try (Socket socket = listener.accept()) {
        assertThat(socket.getInetAddress().getHostAddress()).as("bound to its source address").isEqualTo("127.0.0.2");
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        Map<String, String> request = readHead(in);
        assertThat(request.get("")).isEqualTo("GET /ws HTTP/1.1");
        assertThat(request).containsEntry("authorization", "Bearer the-token")
            .containsEntry("upgrade", "websocket").containsEntry("sec-websocket-version", "13");
        // The 101 and the first frame in one write, as a server may well send them.
        out.write(concat(switching(request.get("sec-websocket-key")), frame(0x81, utf8("{\"type\":\"connected\"}"))));
        out.flush();
        connected.get(5, TimeUnit.SECONDS);
        assertThat(client.isOpen()).isTrue();

        out.write(frame(0x89, utf8("are you there")));
        out.flush();
        assertThat(readClientFrame(in)).isEqualTo(new ClientFrame(0xA, "are you there"));

        out.write(concat(frame(0x01, utf8("{\"type\":")), frame(0x00, utf8("\"mess")), frame(0x80, utf8("age\"}"))));
        out.flush();
        assertThat(texts.poll(5, TimeUnit.SECONDS)).isEqualTo("{\"type\":\"message\"}");

        String big = "{\"type\":\"send\",\"content\":\"" + "é".repeat(40_000) + "\"}";
        assertThat(client.send("{\"type\":\"ping\"}")).isTrue();
        assertThat(client.send(big)).isTrue();
        assertThat(readClientFrame(in)).isEqualTo(new ClientFrame(0x1, "{\"type\":\"ping\"}"));
        assertThat(readClientFrame(in)).isEqualTo(new ClientFrame(0x1, big));

        out.write(frame(0x88, concat(new byte[] {0x03, (byte) 0xE9}, utf8("idle_timeout"))));
        out.flush();
        ClientFrame echo = readClientFrame(in);
        assertThat(echo.opcode()).isEqualTo(0x8);
        assertThat(echo.payload().charAt(0) << 8 | echo.payload().charAt(1)).isEqualTo(1001);
        assertThat(in.read()).as("the client closes the socket after its close frame").isEqualTo(-1);
        client.closed.get(5, TimeUnit.SECONDS);
        assertThat(client.isOpen()).isFalse();
        assertThat(client.send("{}")).isFalse();
      }
    }
  }

  @Test
  void closesWithACloseFrameAndWaitsForTheServersEcho() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      NioLoadClient client = client(listener, null);
      CompletableFuture<Void> connected = client.open("t", Duration.ofSeconds(10)).toCompletableFuture();
      try (Socket socket = listener.accept()) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        out.write(switching(readHead(in).get("sec-websocket-key")));
        out.write(frame(0x81, utf8("{\"type\":\"connected\"}")));
        out.flush();
        connected.get(5, TimeUnit.SECONDS);

        client.close();
        ClientFrame close = readClientFrame(in);
        assertThat(close.opcode()).isEqualTo(0x8);
        assertThat(close.payload().charAt(0) << 8 | close.payload().charAt(1)).isEqualTo(1000);
        assertThat(client.send("{}")).as("nothing after a close frame").isFalse();
        assertThat(client.closed).isNotDone();
        out.write(frame(0x88, new byte[] {0x03, (byte) 0xE8}));
        out.flush();
        client.closed.get(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void failsToConnectOnARefusedOrForgedUpgrade() throws Exception {
    assertThat(upgradeFailure(key -> "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"))
        .hasMessageContaining("upgrade refused: HTTP 401");
    assertThat(upgradeFailure(
            key -> "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: " + WebSocketHandshake.acceptFor(key + "x") + "\r\n\r\n"))
        .hasMessageContaining("wrong Sec-WebSocket-Accept");
  }

  @Test
  void failsAConnectionThatIsClosedBeforeItsConnectedFrame() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      NioLoadClient client = client(listener, null);
      CompletableFuture<Void> connected = client.open("t", Duration.ofSeconds(10)).toCompletableFuture();
      try (Socket socket = listener.accept()) {
        InputStream in = socket.getInputStream();
        OutputStream out = socket.getOutputStream();
        out.write(switching(readHead(in).get("sec-websocket-key")));
        out.write(frame(0x88, concat(new byte[] {0x0F, (byte) 0xA1}, utf8("token_expired")))); // 4001
        out.flush();
        assertThatThrownBy(() -> connected.get(5, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .hasMessageContaining("closed before connected (4001 token_expired)");
        client.closed.get(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void timesOutAServerThatNeverAnswers() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      NioLoadClient client = client(listener, null);
      CompletableFuture<Void> connected = client.open("t", Duration.ofMillis(500)).toCompletableFuture();
      try (Socket socket = listener.accept()) {
        assertThatThrownBy(() -> connected.get(5, TimeUnit.SECONDS))
            .hasCauseInstanceOf(java.util.concurrent.TimeoutException.class);
        client.closed.get(5, TimeUnit.SECONDS);
        socket.setSoTimeout(5_000);
        InputStream in = socket.getInputStream();
        readHead(in);
        assertThat(in.read()).as("the socket is closed").isEqualTo(-1);
      }
    }
  }

  private Throwable upgradeFailure(java.util.function.Function<String, String> response) throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
      NioLoadClient client = client(listener, null);
      CompletableFuture<Void> connected = client.open("t", Duration.ofSeconds(10)).toCompletableFuture();
      try (Socket socket = listener.accept()) {
        socket.getOutputStream().write(
            response.apply(readHead(socket.getInputStream()).get("sec-websocket-key")).getBytes(StandardCharsets.US_ASCII));
        Throwable failure = connected.handle((ok, e) -> e).get(5, TimeUnit.SECONDS);
        client.closed.get(5, TimeUnit.SECONDS);
        assertThat(failure).isNotNull();
        return failure;
      }
    }
  }

  private NioLoadClient client(ServerSocket listener, InetSocketAddress local) {
    InetSocketAddress server = new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    return new NioLoadClient(
        0, "u0", local, loop, server, "/ws",
        (c, text) -> {
          if (text.contains("\"connected\"")) c.markConnected();
          else texts.add(text);
        });
  }

  private static byte[] switching(String key) {
    return ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + WebSocketHandshake.acceptFor(key) + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The request line under "" and the headers by lower-case name. */
  private static Map<String, String> readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) throw new IOException("closed in the head");
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("", lines[0]);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    return headers;
  }

  private record ClientFrame(int opcode, String payload) {}

  /** One client frame, which must be final and masked; a close payload comes back as ISO-8859-1 to read its code. */
  private static ClientFrame readClientFrame(InputStream stream) throws IOException {
    DataInputStream in = new DataInputStream(stream);
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    assertThat(b0 & 0x80).as("FIN").isEqualTo(0x80);
    assertThat(b1 & 0x80).as("masked").isEqualTo(0x80);
    long length = b1 & 0x7f;
    if (length == 126) length = in.readUnsignedShort();
    else if (length == 127) length = in.readLong();
    byte[] mask = in.readNBytes(4);
    byte[] payload = in.readNBytes((int) length);
    for (int i = 0; i < payload.length; i++) payload[i] ^= mask[i & 3];
    int opcode = b0 & 0x0f;
    return new ClientFrame(
        opcode, new String(payload, opcode == 0x8 ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8));
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
