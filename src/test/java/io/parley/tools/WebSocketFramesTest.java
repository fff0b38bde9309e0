package io.parley.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The load client's RFC 6455 codec and handshake, on the RFC's own examples and on input cut at every byte. */
class WebSocketFramesTest {

  @Test
  void masksAClientFrameAsTheRfcExampleDoes() {
    ByteBuffer frame = WebSocketFrames.encode(WebSocketFrames.TEXT, ascii("Hello"), 0x37fa213d);

    assertThat(bytes(frame))
        .containsExactly(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58);
  }

  @Test
  void writesSevenSixteenAndSixtyFourBitLengths() {
    Random random = new Random(3);
    for (int length : new int[] {0, 125, 126, 65_535, 65_536, 200_000}) {
      byte[] payload = new byte[length];
      random.nextBytes(payload);
      int mask = random.nextInt();
      int[] b = bytes(WebSocketFrames.encode(WebSocketFrames.BINARY, payload, mask));

      assertThat(b[0]).isEqualTo(0x82);
      assertThat(b[1] & 0x80).as("mask bit").isEqualTo(0x80);
      int header;
      if (length <= 125) {
        assertThat(b[1] & 0x7f).isEqualTo(length);
        header = 2;
      } else if (length <= 65_535) {
        assertThat(b[1] & 0x7f).isEqualTo(126);
        assertThat((b[2] << 8) | b[3]).isEqualTo(length);
        header = 4;
      } else {
        assertThat(b[1] & 0x7f).isEqualTo(127);
        long declared = 0;
        for (int i = 2; i < 10; i++) declared = (declared << 8) | b[i];
        assertThat(declared).isEqualTo(length);
        header = 10;
      }
      assertThat(b).hasSize(header + 4 + length);
      int[] key = {b[header], b[header + 1], b[header + 2], b[header + 3]};
      assertThat((key[0] << 24) | (key[1] << 16) | (key[2] << 8) | key[3]).isEqualTo(mask);
      byte[] unmasked = new byte[length];
      for (int i = 0; i < length; i++) unmasked[i] = (byte) (b[header + 4 + i] ^ key[i & 3]);
      assertThat(unmasked).isEqualTo(payload);
    }
  }

  @Test
  void decodesTheRfcExamplesWhicheverWayTheBytesArrive() throws Exception {
    byte[] stream =
        concat(
            frame(0x81, ascii("Hello")), // one unmasked text frame
            frame(0x01, ascii("Hel")), // a fragmented text message ...
            frame(0x89, ascii("ping!")), // ... with a ping between its fragments
            frame(0x80, ascii("lo")),
            frame(0x8A, ascii("pong")),
            frame(0x82, new byte[256]), // 16-bit length
            frame(0x81, repeat('x', 65_536)), // 64-bit length
            frame(0x88, concat(new byte[] {0x03, (byte) 0xE9}, ascii("going away")))); // close 1001

    List<String> whole = decode(stream, new int[] {stream.length});
    assertThat(whole)
        .containsExactly(
            "text Hello", "ping ping!", "text Hello", "pong", "binary 256", "text x*65536", "close 1001 going away");
    for (int piece : new int[] {1, 2, 3, 7, 100, 4096}) {
      int[] pieces = new int[(stream.length + piece - 1) / piece];
      Arrays.fill(pieces, piece);
      pieces[pieces.length - 1] = stream.length - piece * (pieces.length - 1);
      assertThat(decode(stream, pieces)).as("in pieces of %d bytes", piece).isEqualTo(whole);
    }
    Random random = new Random(11);
    List<Integer> cuts = new ArrayList<>();
    for (int left = stream.length; left > 0; ) {
      int n = Math.min(left, 1 + random.nextInt(300));
      cuts.add(n);
      left -= n;
    }
    assertThat(decode(stream, cuts.stream().mapToInt(Integer::intValue).toArray())).isEqualTo(whole);
  }

  @Test
  void readsACloseFrameWithoutBody() throws Exception {
    assertThat(decode(frame(0x88, new byte[0]), new int[] {2})).containsExactly("close 1005 ");
  }

  @Test
  void refusesWhatAServerMayNotSend() {
    assertProtocolError(concat(new byte[] {(byte) 0x81, (byte) 0x81}, new byte[] {1, 2, 3, 4, 'a'}), 1002, "masked");
    assertProtocolError(frame(0xC1, ascii("a")), 1002, "reserved bits");
    assertProtocolError(frame(0x09, ascii("a")), 1002, "control frame");
    assertProtocolError(frame(0x89, new byte[126]), 1002, "control frame");
    assertProtocolError(frame(0x80, ascii("a")), 1002, "continuation without a message");
    assertProtocolError(concat(frame(0x01, ascii("a")), frame(0x81, ascii("b"))), 1002, "inside a fragmented");
    assertProtocolError(frame(0x83, ascii("a")), 1002, "unknown opcode");
    assertProtocolError(frame(0x88, new byte[] {3}), 1002, "1-byte body");
    assertProtocolError(frame(0x81, new byte[1025]), 1009, "over 1024");
    assertProtocolError(concat(frame(0x01, new byte[1000]), frame(0x80, new byte[100])), 1009, "fragmented message");
  }

  @Test
  void acceptsOnlyAnUpgradeThatAnswersItsKey() {
    // RFC 6455 1.3's example.
    assertThat(WebSocketHandshake.acceptFor("dGhlIHNhbXBsZSBub25jZQ==")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    String key = WebSocketHandshake.newKey(new Random(5));
    assertThat(java.util.Base64.getDecoder().decode(key)).hasSize(16);

    String good =
        "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
            + "Sec-WebSocket-Accept: " + WebSocketHandshake.acceptFor(key) + "\r\n\r\n";
    assertThat(check(good + "\u0081\u0002{}", key)).isNull();
    assertThat(check(good.replace(WebSocketHandshake.acceptFor(key), "AAAA"), key)).contains("wrong Sec-WebSocket-Accept");
    assertThat(check(good.replace("upgrade: WebSocket\r\n", ""), key)).contains("Upgrade: websocket");
    assertThat(check(good.replace("keep-alive, Upgrade", "keep-alive"), key)).contains("Connection: Upgrade");
    assertThat(check("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", key))
        .isEqualTo("upgrade refused: HTTP 401");
    assertThat(WebSocketHandshake.endOfHead(ascii("HTTP/1.1 101 OK\r\nA: b\r\n"), 23)).isEqualTo(-1);

    String request = new String(WebSocketHandshake.request("127.0.0.1:80", "/ws", key, "tok"), StandardCharsets.US_ASCII);
    assertThat(request)
        .startsWith("GET /ws HTTP/1.1\r\n")
        .contains("Host: 127.0.0.1:80\r\n", "Upgrade: websocket\r\n", "Connection: Upgrade\r\n",
            "Sec-WebSocket-Key: " + key + "\r\n", "Sec-WebSocket-Version: 13\r\n", "Authorization: Bearer tok\r\n")
        .endsWith("\r\n\r\n");
  }

  private static String check(String response, String key) {
    byte[] b = response.getBytes(StandardCharsets.ISO_8859_1);
    int end = WebSocketHandshake.endOfHead(b, b.length);
    assertThat(end).isPositive();
    return WebSocketHandshake.check(b, end, key);
  }

  private static void assertProtocolError(byte[] stream, int code, String message) {
    WebSocketFrames.Decoder decoder = new WebSocketFrames.Decoder(1024);
    assertThatThrownBy(() -> decoder.feed(stream, 0, stream.length, new Recorder()))
        .isInstanceOf(WebSocketFrames.ProtocolException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((WebSocketFrames.ProtocolException) e).code).isEqualTo(code));
  }

  /** Feeds {@code stream} in pieces of the given sizes, each from a fresh array with junk around it. */
  private static List<String> decode(byte[] stream, int[] pieces) throws Exception {
    WebSocketFrames.Decoder decoder = new WebSocketFrames.Decoder(1 << 20);
    Recorder recorder = new Recorder();
    int at = 0;
    for (int piece : pieces) {
      byte[] buffer = new byte[piece + 10];
      Arrays.fill(buffer, (byte) 0x7f);
      System.arraycopy(stream, at, buffer, 5, piece);
      decoder.feed(buffer, 5, piece, recorder);
      at += piece;
    }
    assertThat(at).isEqualTo(stream.length);
    return recorder.events;
  }

  private static final class Recorder implements WebSocketFrames.Listener {
    final List<String> events = new ArrayList<>();

    @Override
    public void onText(byte[] payload, int offset, int length) {
      String text = new String(payload, offset, length, StandardCharsets.UTF_8);
      boolean allX = length > 100 && text.chars().allMatch(c -> c == 'x');
      events.add("text " + (allX ? "x*" + length : text));
    }

    @Override
    public void onBinary(byte[] payload, int offset, int length) {
      events.add("binary " + length);
    }

    @Override
    public void onPing(byte[] payload) {
      events.add("ping " + new String(payload, StandardCharsets.UTF_8));
    }

    @Override
    public void onPong() {
      events.add("pong");
    }

    @Override
    public void onClose(int code, String reason) {
      events.add("close " + code + " " + reason);
    }
  }

  /** An unmasked frame as a server writes it, with the shortest length encoding. */
  static byte[] frame(int firstByte, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(firstByte);
    int n = payload.length;
    if (n <= 125) {
      out.write(n);
    } else if (n <= 0xFFFF) {
      out.write(126);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(127);
      for (int shift = 56; shift >= 0; shift -= 8) out.write((int) ((long) n >>> shift));
    }
    out.writeBytes(payload);
    return out.toByteArray();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) out.writeBytes(part);
    return out.toByteArray();
  }

  private static byte[] repeat(char c, int n) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) c);
    return b;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static int[] bytes(ByteBuffer buffer) {
    int[] b = new int[buffer.remaining()];
    for (int i = 0; i < b.length; i++) b[i] = buffer.get(buffer.position() + i) & 0xff;
    return b;
  }
}
