package io.parley.tools;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * RFC 6455 framing for the client side of the load generator: {@link #encode} writes masked client frames, and a
 * {@link Decoder} turns the server's byte stream, in whatever pieces it arrives, into text, ping, pong and close
 * events, assembling fragmented messages.
 */
final class WebSocketFrames {
  static final int CONTINUATION = 0x0;
  static final int TEXT = 0x1;
  static final int BINARY = 0x2;
  static final int CLOSE = 0x8;
  static final int PING = 0x9;
  static final int PONG = 0xA;

  static final int NORMAL_CLOSURE = 1000;
  static final int PROTOCOL_ERROR = 1002;
  static final int TOO_BIG = 1009;

  private WebSocketFrames() {}

  /** One final (FIN) client frame of {@code opcode}, its payload masked with {@code mask} as RFC 6455 5.3 asks. */
  static ByteBuffer encode(int opcode, byte[] payload, int mask) {
    int length = payload.length;
    int lengthBytes = length <= 125 ? 0 : length <= 0xFFFF ? 2 : 8;
    ByteBuffer frame = ByteBuffer.allocate(2 + lengthBytes + 4 + length);
    frame.put((byte) (0x80 | opcode));
    if (lengthBytes == 0) {
      frame.put((byte) (0x80 | length));
    } else if (lengthBytes == 2) {
      frame.put((byte) (0x80 | 126)).putShort((short) length);
    } else {
      frame.put((byte) (0x80 | 127)).putLong(length);
    }
    frame.putInt(mask);
    byte[] out = frame.array();
    int at = frame.position();
    for (int i = 0; i < length; i++) {
      out[at + i] = (byte) (payload[i] ^ (mask >>> (24 - 8 * (i & 3))));
    }
    frame.position(at + length);
    return frame.flip();
  }

  /** A close frame's payload: the code, then the reason in UTF-8 (cut to fit the 125 bytes of a control frame). */
  static byte[] closePayload(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + Math.min(text.length, 123)];
    payload[0] = (byte) (code >>> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, payload.length - 2);
    return payload;
  }

  /** What the decoder found in the stream. Payload arrays are only valid during the call. */
  interface Listener {
    void onText(byte[] payload, int offset, int length);

    void onBinary(byte[] payload, int offset, int length);

    void onPing(byte[] payload);

    void onPong();

    /** {@code code} is 1005 (no status received) for a close frame without a body. */
    void onClose(int code, String reason);
  }

  /** A violation of RFC 6455 by the server; {@link #code} is the close code to answer with. */
  static final class ProtocolException extends Exception {
    final int code;

    ProtocolException(int code, String message) {
      super(message);
      this.code = code;
    }
  }

  /**
   * Decodes one connection's incoming stream. Whole frames are handed over straight from the caller's array; only
   * the tail of a frame cut by a read boundary, and the fragments of a fragmented message, are copied. Not thread safe:
   * one connection, one reader.
   */
  static final class Decoder {
    private final int maxMessageBytes;
    /** Bytes of a frame not yet complete, carried over to the next {@link #feed}. */
    private byte[] carry = new byte[0];
    private int carried;
    /** The fragments so far of a message whose first frame had no FIN; {@code messageOpcode} -1 when none. */
    private byte[] message = new byte[0];
    private int messageLength;
    private int messageOpcode = -1;

    Decoder(int maxMessageBytes) {
      this.maxMessageBytes = maxMessageBytes;
    }

    /** Decodes {@code bytes[offset, offset + length)} after whatever earlier calls left over. */
    void feed(byte[] bytes, int offset, int length, Listener listener) throws ProtocolException {
      if (carried == 0) {
        int used = decode(bytes, offset, offset + length, listener);
        keep(bytes, offset + used, length - used);
      } else {
        ensure(carried + length);
        System.arraycopy(bytes, offset, carry, carried, length);
        int total = carried + length;
        int used = decode(carry, 0, total, listener);
        System.arraycopy(carry, used, carry, 0, total - used);
        carried = total - used;
      }
    }

    private void keep(byte[] bytes, int from, int count) {
      ensure(count);
      System.arraycopy(bytes, from, carry, 0, count);
      carried = count;
    }

    private void ensure(int size) {
      if (carry.length < size) carry = Arrays.copyOf(carry, Math.max(size, 2 * carry.length));
    }

    /** Decodes every whole frame in {@code b[from, to)}; returns how many bytes they took. */
    private int decode(byte[] b, int from, int to, Listener listener) throws ProtocolException {
      int at = from;
      while (to - at >= 2) {
        int b0 = b[at] & 0xFF;
        int b1 = b[at + 1] & 0xFF;
        boolean fin = (b0 & 0x80) != 0;
        int opcode = b0 & 0x0F;
        if ((b0 & 0x70) != 0) throw new ProtocolException(PROTOCOL_ERROR, "reserved bits set without an extension");
        if ((b1 & 0x80) != 0) throw new ProtocolException(PROTOCOL_ERROR, "masked frame from the server");
        int header = 2;
        long length = b1 & 0x7F;
        if (length == 126) {
          if (to - at < 4) break;
          length = ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
          header = 4;
        } else if (length == 127) {
          if (to - at < 10) break;
          length = 0;
          for (int i = 2; i < 10; i++) length = (length << 8) | (b[at + i] & 0xFF);
          if (length < 0) throw new ProtocolException(PROTOCOL_ERROR, "64-bit length with its top bit set");
          header = 10;
        }
        boolean control = opcode >= 0x8;
        if (control && (!fin || length > 125)) {
          throw new ProtocolException(PROTOCOL_ERROR, "control frame fragmented or longer than 125 bytes");
        }
        if (length > maxMessageBytes) {
          throw new ProtocolException(TOO_BIG, "frame of " + length + " bytes, over " + maxMessageBytes);
        }
        if (to - at - header < length) break;
        int start = at + header;
        int size = (int) length;
        at = start + size;
        switch (opcode) {
          case TEXT, BINARY -> {
            if (messageOpcode >= 0) throw new ProtocolException(PROTOCOL_ERROR, "new message inside a fragmented one");
            if (fin) {
              deliver(opcode, b, start, size, listener);
            } else {
              messageOpcode = opcode;
              messageLength = 0;
              append(b, start, size);
            }
          }
          case CONTINUATION -> {
            if (messageOpcode < 0) throw new ProtocolException(PROTOCOL_ERROR, "continuation without a message");
            append(b, start, size);
            if (fin) {
              int kind = messageOpcode;
              messageOpcode = -1;
              deliver(kind, message, 0, messageLength, listener);
            }
          }
          case PING -> listener.onPing(Arrays.copyOfRange(b, start, start + size));
          case PONG -> listener.onPong();
          case CLOSE -> {
            if (size == 1) throw new ProtocolException(PROTOCOL_ERROR, "close frame with a 1-byte body");
            int code = size == 0 ? 1005 : ((b[start] & 0xFF) << 8) | (b[start + 1] & 0xFF);
            String reason = size <= 2 ? "" : new String(b, start + 2, size - 2, StandardCharsets.UTF_8);
            listener.onClose(code, reason);
          }
          default -> throw new ProtocolException(PROTOCOL_ERROR, "unknown opcode " + opcode);
        }
      }
      return at - from;
    }

    private void append(byte[] b, int start, int size) throws ProtocolException {
      if ((long) messageLength + size > maxMessageBytes) {
        throw new ProtocolException(TOO_BIG, "fragmented message over " + maxMessageBytes + " bytes");
      }
      if (message.length < messageLength + size) {
        message = Arrays.copyOf(message, Math.max(messageLength + size, 2 * message.length));
      }
      System.arraycopy(b, start, message, messageLength, size);
      messageLength += size;
    }

    private static void deliver(int opcode, byte[] b, int start, int size, Listener listener) {
      if (opcode == TEXT) {
        listener.onText(b, start, size);
      } else {
        listener.onBinary(b, start, size);
      }
    }
  }
}
