package io.parley.tools;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/** The client's half of the RFC 6455 opening handshake: the HTTP/1.1 upgrade request and the check of its answer. */
final class WebSocketHandshake {
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final byte[] END_OF_HEAD = {'\r', '\n', '\r', '\n'};

  private WebSocketHandshake() {}

  /** A fresh Sec-WebSocket-Key: 16 random bytes in base64. */
  static String newKey(Random random) {
    byte[] nonce = new byte[16];
    random.nextBytes(nonce);
    return Base64.getEncoder().encodeToString(nonce);
  }

  /** The Sec-WebSocket-Accept a server must answer {@code key} with. */
  static String acceptFor(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }

  /** {@code GET path} with the upgrade headers and a Bearer token. */
  static byte[] request(String hostAndPort, String path, String key, String bearerToken) {
    String head =
        "GET " + path + " HTTP/1.1\r\n"
            + "Host: " + hostAndPort + "\r\n"
            + "Upgrade: websocket\r\n"
            + "Connection: Upgrade\r\n"
            + "Sec-WebSocket-Key: " + key + "\r\n"
            + "Sec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer " + bearerToken + "\r\n"
            + "\r\n";
    return head.getBytes(StandardCharsets.US_ASCII);
  }

  /** The index just past the blank line that ends an HTTP head in {@code b[0, length)}, or -1 if not there yet. */
  static int endOfHead(byte[] b, int length) {
    outer:
    for (int i = 0; i + END_OF_HEAD.length <= length; i++) {
      for (int j = 0; j < END_OF_HEAD.length; j++) {
        if (b[i + j] != END_OF_HEAD[j]) continue outer;
      }
      return i + END_OF_HEAD.length;
    }
    return -1;
  }

  /**
   * Checks the server's response head against the key that was sent; returns null when the connection is upgraded,
   * otherwise why not ("upgrade refused: HTTP 401", as the Akka client words it, or what is wrong with a 101).
   */
  static String check(byte[] b, int headLength, String key) {
    String[] lines = new String(b, 0, headLength, StandardCharsets.ISO_8859_1).split("\r\n");
    String[] status = lines[0].split(" ", 3);
    if (status.length < 2 || !status[0].startsWith("HTTP/1.")) return "not an HTTP response: " + truncate(lines[0]);
    if (!status[1].equals("101")) return "upgrade refused: HTTP " + status[1];
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    if (!"websocket".equalsIgnoreCase(headers.getOrDefault("upgrade", ""))) return "101 without Upgrade: websocket";
    boolean upgrade = false;
    for (String token : headers.getOrDefault("connection", "").split(",")) {
      upgrade |= token.trim().equalsIgnoreCase("upgrade");
    }
    if (!upgrade) return "101 without Connection: Upgrade";
    if (!acceptFor(key).equals(headers.get("sec-websocket-accept"))) return "101 with a wrong Sec-WebSocket-Accept";
    if (headers.containsKey("sec-websocket-extensions")) return "101 with an extension that was not asked for";
    return null;
  }

  private static String truncate(String s) {
    return s.length() > 60 ? s.substring(0, 60) : s;
  }
}
