package io.parley.tools;

import akka.Done;
import akka.event.LoggingAdapter;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.model.headers.Authorization;
import akka.http.javadsl.model.ws.Message;
import akka.http.javadsl.model.ws.TextMessage;
import akka.http.javadsl.model.ws.WebSocketRequest;
import akka.http.javadsl.model.ws.WebSocketUpgradeResponse;
import akka.http.javadsl.settings.ClientConnectionSettings;
import akka.japi.Pair;
import akka.stream.BoundedSourceQueue;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One WebSocket connection of the load generator, on the Akka HTTP client: a bounded queue of outgoing frames, and a
 * handler called with every text frame the server sends. {@link #connected} completes on the {@code connected} frame,
 * or fails with the reason the connection did not get there; {@link #closed} completes when the connection ends.
 */
final class LoadClient {
  /** Outgoing frames one connection may hold before {@link #send} refuses more. */
  private static final int OUTGOING_BUFFER = 256;

  final int index;
  final String userId;
  final InetSocketAddress localAddress;
  final CompletableFuture<Void> connected = new CompletableFuture<>();
  final CompletableFuture<Void> closed = new CompletableFuture<>();

  private volatile BoundedSourceQueue<Message> queue;

  LoadClient(int index, String userId, InetSocketAddress localAddress) {
    this.index = index;
    this.userId = userId;
    this.localAddress = localAddress;
  }

  /** Starts the connection; the returned stage is {@link #connected}, failed after {@code timeout} at the latest. */
  CompletionStage<Void> open(
      Http http,
      Materializer materializer,
      Uri wsUri,
      String token,
      ClientConnectionSettings settings,
      LoggingAdapter log,
      Duration timeout,
      BiConsumer<LoadClient, String> onFrame) {
    Sink<Message, CompletionStage<Done>> incoming =
        Sink.foreach(
            message -> {
              if (message.isText()) {
                TextMessage text = message.asTextMessage();
                if (text.isStrict()) {
                  onFrame.accept(this, text.getStrictText());
                } else {
                  text.toStrict(10_000, materializer)
                      .thenAccept(strict -> onFrame.accept(this, strict.text()));
                }
              } else {
                message.asBinaryMessage().getStreamedData().runWith(Sink.ignore(), materializer);
              }
            });
    Source<Message, BoundedSourceQueue<Message>> outgoing = Source.queue(OUTGOING_BUFFER);
    Flow<Message, Message, Pair<CompletionStage<Done>, BoundedSourceQueue<Message>>> flow =
        Flow.fromSinkAndSourceCoupledMat(incoming, outgoing, Keep.both());

    ClientConnectionSettings local = settings.withLocalAddress(Optional.ofNullable(localAddress));
    Pair<CompletionStage<WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, BoundedSourceQueue<Message>>> started =
        http.singleWebSocketRequest(
            WebSocketRequest.create(wsUri).addHeader(Authorization.oauth2(token)),
            flow,
            http.defaultClientHttpsContext(),
            Optional.ofNullable(localAddress),
            local,
            log,
            materializer);
    queue = started.second().second();

    started
        .first()
        .whenComplete(
            (response, failure) -> {
              if (failure != null) {
                connected.completeExceptionally(failure);
              } else if (!response.isValid()) {
                connected.completeExceptionally(
                    new IllegalStateException(
                        "upgrade refused: HTTP " + response.response().status().intValue()));
              }
            });
    started
        .second()
        .first()
        .whenComplete(
            (done, failure) -> {
              connected.completeExceptionally(
                  failure != null ? failure : new IllegalStateException("closed before connected"));
              closed.complete(null);
            });
    connected
        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete(
            (ok, failure) -> {
              if (failure instanceof TimeoutException) abort(failure);
            });
    return connected;
  }

  /** Called by the frame handler on the {@code connected} frame. */
  void markConnected() {
    connected.complete(null);
  }

  boolean isOpen() {
    return connected.isDone() && !connected.isCompletedExceptionally() && !closed.isDone();
  }

  /** Queues a text frame; false when the queue is full or the connection is gone. */
  boolean send(String text) {
    BoundedSourceQueue<Message> q = queue;
    return q != null && q.offer(TextMessage.create(text)).isEnqueued();
  }

  /** Ends the connection with a close frame. */
  void close() {
    BoundedSourceQueue<Message> q = queue;
    if (q != null && !closed.isDone()) q.complete();
  }

  private void abort(Throwable reason) {
    BoundedSourceQueue<Message> q = queue;
    if (q != null && !closed.isDone()) q.fail(reason);
  }
}
