package io.parley.tools;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One WebSocket connection of the load generator, whichever client carries it. {@link #connected} completes on the
 * {@code connected} frame, or fails with the reason the connection did not get there; {@link #closed} completes when
 * the connection ends. Every text frame the server sends goes to the generator's frame handler.
 */
abstract class LoadClient {
  /** Outgoing frames one connection may hold before {@link #send} refuses more. */
  static final int OUTGOING_BUFFER = 256;

  final int index;
  final String userId;
  final InetSocketAddress localAddress;
  final CompletableFuture<Void> connected = new CompletableFuture<>();
  final CompletableFuture<Void> closed = new CompletableFuture<>();

  LoadClient(int index, String userId, InetSocketAddress localAddress) {
    this.index = index;
    this.userId = userId;
    this.localAddress = localAddress;
  }

  /** Starts the connection; the returned stage is {@link #connected}, failed after {@code timeout} at the latest. */
  abstract CompletionStage<Void> open(String token, Duration timeout);

  /** Queues a text frame; false when the queue is full or the connection is not open. */
  abstract boolean send(String text);

  /** Ends the connection with a close frame. */
  abstract void close();

  /** Called by the frame handler on the {@code connected} frame. */
  void markConnected() {
    connected.complete(null);
  }

  boolean isOpen() {
    return connected.isDone() && !connected.isCompletedExceptionally() && !closed.isDone();
  }
}
