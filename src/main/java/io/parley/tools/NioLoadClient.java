package io.parley.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One WebSocket connection of the load generator on a non-blocking {@link SocketChannel} ({@code --client nio}, the
 * default): the upgrade and RFC 6455 framing by hand, reads on the shared {@link SelectorLoop}. A frame is written
 * by the thread that sends it, straight to the socket; only what the socket cannot take at once waits for the loop.
 * This costs a connection a socket, a key and a few small objects, where the Akka client runs a stream per
 * connection.
 */
final class NioLoadClient extends LoadClient implements SelectorLoop.Handler, WebSocketFrames.Listener {
  /** Larger than any frame the generator provokes; a bigger one is the server misbehaving. */
  private static final int MAX_MESSAGE_BYTES = 16 << 20;
  private static final int MAX_RESPONSE_HEAD = 16 << 10;

  private enum State { CONNECTING, UPGRADING, OPEN, CLOSING, CLOSED }

  private final SelectorLoop loop;
  private final InetSocketAddress server;
  private final String path;
  private final BiConsumer<LoadClient, String> onFrame;

  // Guarded by this: written by senders and by the loop.
  private State state = State.CONNECTING;
  private final ArrayDeque<ByteBuffer> outgoing = new ArrayDeque<>();
  private boolean writeInterest;
  private SocketChannel channel;
  private SelectionKey key;

  // The loop thread's alone.
  private String wsKey;
  private byte[] head = new byte[1024];
  private int headLength;
  private WebSocketFrames.Decoder decoder;
  /** The server's close code and reason, or what else ended the connection. */
  private String endReason;

  NioLoadClient(
      int index,
      String userId,
      InetSocketAddress localAddress,
      SelectorLoop loop,
      InetSocketAddress server,
      String path,
      BiConsumer<LoadClient, String> onFrame) {
    super(index, userId, localAddress);
    this.loop = loop;
    this.server = server;
    this.path = path;
    this.onFrame = onFrame;
  }

  @Override
  CompletionStage<Void> open(String token, Duration timeout) {
    loop.execute(() -> start(token));
    connected
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, failure) -> {
              if (failure instanceof TimeoutException) loop.execute(() -> end("connect timeout"));
            });
    return connected;
  }

  private void start(String token) {
    try {
      SocketChannel ch = SocketChannel.open();
      synchronized (this) {
        channel = ch;
        if (state != State.CONNECTING) { // closed before it started
          ch.close();
          return;
        }
      }
      ch.configureBlocking(false);
      // Nagle would hold a small frame back until the previous one is acknowledged: tens of ms of false latency.
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      if (localAddress != null) ch.bind(localAddress);
      wsKey = WebSocketHandshake.newKey(ThreadLocalRandom.current());
      byte[] request = WebSocketHandshake.request(server.getHostString() + ":" + server.getPort(), path, wsKey, token);
      synchronized (this) {
        outgoing.add(ByteBuffer.wrap(request));
        key = loop.register(ch, SelectionKey.OP_CONNECT, this);
      }
      if (ch.connect(server)) onConnected();
    } catch (IOException e) {
      fail(e);
    }
  }

  @Override
  public void onReady(SelectionKey k) {
    try {
      if (k.isConnectable()) {
        if (!channel.finishConnect()) return;
        onConnected();
      }
      if (k.isValid() && k.isWritable()) {
        synchronized (this) {
          flush();
        }
      }
      if (k.isValid() && k.isReadable()) read();
    } catch (IOException e) {
      fail(e);
    }
  }

  private void onConnected() {
    synchronized (this) {
      if (state != State.CONNECTING) return;
      state = State.UPGRADING;
      writeInterest = false;
      key.interestOps(SelectionKey.OP_READ);
      flush(); // the upgrade request
    }
  }

  private void read() throws IOException {
    ByteBuffer buffer = loop.readBuffer.clear();
    int n = channel.read(buffer);
    if (n < 0) {
      end(decoder == null ? "closed during the upgrade" : "connection closed by the server without a close frame");
      return;
    }
    if (decoder == null) {
      upgrade(buffer.array(), n);
    } else {
      decode(buffer.array(), 0, n);
    }
  }

  /** Gathers the server's response head; once whole and right, the connection is open and the rest is frames. */
  private void upgrade(byte[] bytes, int n) {
    if (headLength + n > head.length) {
      if (headLength + n > MAX_RESPONSE_HEAD) {
        fail(new IllegalStateException("upgrade response head over " + MAX_RESPONSE_HEAD + " bytes"));
        return;
      }
      head = Arrays.copyOf(head, Math.max(headLength + n, 2 * head.length));
    }
    System.arraycopy(bytes, 0, head, headLength, n);
    headLength += n;
    int end = WebSocketHandshake.endOfHead(head, headLength);
    if (end < 0) return;
    String problem = WebSocketHandshake.check(head, end, wsKey);
    if (problem != null) {
      fail(new IllegalStateException(problem));
      return;
    }
    synchronized (this) {
      if (state != State.UPGRADING) return;
      state = State.OPEN;
    }
    decoder = new WebSocketFrames.Decoder(MAX_MESSAGE_BYTES);
    byte[] rest = head;
    head = null;
    decode(rest, end, headLength - end); // the server's first frames may share the response's segment
  }

  private void decode(byte[] bytes, int offset, int length) {
    try {
      decoder.feed(bytes, offset, length, this);
    } catch (WebSocketFrames.ProtocolException e) {
      synchronized (this) {
        if (state == State.OPEN) {
          state = State.CLOSING;
          outgoing.add(frame(WebSocketFrames.CLOSE, WebSocketFrames.closePayload(e.code, "protocol error")));
          flush();
        }
      }
      fail(new IllegalStateException("protocol error: " + e.getMessage()));
    }
  }

  @Override
  public void onText(byte[] payload, int offset, int length) {
    onFrame.accept(this, new String(payload, offset, length, StandardCharsets.UTF_8));
  }

  @Override
  public void onBinary(byte[] payload, int offset, int length) {
    // Parley sends none; the Akka client drops them too.
  }

  @Override
  public void onPing(byte[] payload) {
    synchronized (this) {
      if (state != State.OPEN) return;
      outgoing.add(frame(WebSocketFrames.PONG, payload));
      flush();
    }
  }

  @Override
  public void onPong() {
    // Only answers to pings; the generator sends protocol pings, not WebSocket ones.
  }

  @Override
  public void onClose(int code, String reason) {
    endReason = reason.isEmpty() ? String.valueOf(code) : code + " " + reason;
    synchronized (this) {
      if (state == State.OPEN) {
        // Echo the code, as RFC 6455 5.5.1 asks; 1005 means there was none, and may not be sent.
        byte[] body = code == 1005 ? new byte[0] : WebSocketFrames.closePayload(code, "");
        state = State.CLOSING;
        outgoing.add(frame(WebSocketFrames.CLOSE, body));
        flush();
      }
    }
    end(endReason);
  }

  @Override
  boolean send(String text) {
    ByteBuffer frame = frame(WebSocketFrames.TEXT, text.getBytes(StandardCharsets.UTF_8));
    synchronized (this) {
      if (state != State.OPEN || outgoing.size() >= OUTGOING_BUFFER) return false;
      outgoing.add(frame);
      flush();
      return true;
    }
  }

  @Override
  void close() {
    synchronized (this) {
      switch (state) {
        case OPEN -> {
          state = State.CLOSING;
          outgoing.add(frame(WebSocketFrames.CLOSE, WebSocketFrames.closePayload(WebSocketFrames.NORMAL_CLOSURE, "")));
          flush();
        }
        case CONNECTING, UPGRADING -> loop.execute(() -> end("closed by the generator"));
        default -> {
          // Closing or closed already.
        }
      }
    }
  }

  /**
   * Writes what the socket takes now; asks the loop to watch for room when something is left. A write error ends
   * the connection on the loop.
   */
  private void flush() {
    assert Thread.holdsLock(this);
    try {
      while (!outgoing.isEmpty()) {
        ByteBuffer first = outgoing.peek();
        channel.write(first);
        if (first.hasRemaining()) break;
        outgoing.poll();
      }
    } catch (IOException e) {
      outgoing.clear();
      loop.execute(() -> fail(e));
    }
    boolean want = !outgoing.isEmpty();
    if (want != writeInterest) {
      writeInterest = want;
      if (loop.inLoop()) {
        applyInterest();
      } else {
        loop.execute(this::applyInterest);
      }
    }
  }

  private synchronized void applyInterest() {
    if (key != null && key.isValid() && state != State.CONNECTING) {
      key.interestOps(SelectionKey.OP_READ | (writeInterest ? SelectionKey.OP_WRITE : 0));
    }
  }

  /** Client frames are masked (RFC 6455 5.3); the key only has to be unforeseeable to proxies, none here. */
  private static ByteBuffer frame(int opcode, byte[] payload) {
    return WebSocketFrames.encode(opcode, payload, ThreadLocalRandom.current().nextInt());
  }

  private void fail(Throwable failure) {
    connected.completeExceptionally(failure);
    end(String.valueOf(failure.getMessage()));
  }

  /** Closes the socket; the connection is over. A connection not yet {@code connected} fails with why. */
  private void end(String why) {
    SocketChannel ch;
    synchronized (this) {
      if (state == State.CLOSED) return;
      state = State.CLOSED;
      outgoing.clear();
      ch = channel;
    }
    if (endReason == null) endReason = why;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Closed either way.
      }
    }
    connected.completeExceptionally(new IllegalStateException("closed before connected (" + endReason + ")"));
    closed.complete(null);
  }

  @Override
  public void onShutdown() {
    end("generator shut down");
  }
}
