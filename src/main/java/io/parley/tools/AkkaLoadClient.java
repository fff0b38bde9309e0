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
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * One WebSocket connection of the load generator on the Akka HTTP client ({@code --client akka}): a materialized
 * stream per connection, with a bounded queue of outgoing frames. Kept to compare with {@link NioLoadClient}.
 */
final class AkkaLoadClient extends LoadClient {
  /** What every connection of this client shares. */
  record Akka(
      Http http, Materializer materializer, Uri wsUri, ClientConnectionSettings settings, LoggingAdapter log) {}

  private final Akka akka;
  private final BiConsumer<LoadClient, String> onFrame;
  private volatile BoundedSourceQueue<Message> queue;

  AkkaLoadClient(
      int index, String userId, InetSocketAddress localAddress, Akka akka, BiConsumer<LoadClient, String> onFrame) {
    super(index, userId, localAddress);
    this.akka = akka;
    this.onFrame = onFrame;
  }

  @Override
  CompletionStage<Void> open(String token, Duration timeout) {
    Http http = akka.http();
    Materializer materializer = akka.materializer();
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

    ClientConnectionSettings local = akka.settings().withLocalAddress(Optional.ofNullable(localAddress));
    Pair<CompletionStage<WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, BoundedSourceQueue<Message>>> started =
        http.singleWebSocketRequest(
            WebSocketRequest.create(akka.wsUri()).addHeader(Authorization.oauth2(token)),
            flow,
            http.defaultClientHttpsContext(),
            Optional.ofNullable(localAddress),
            local,
            akka.log(),
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

  @Override
  boolean send(String text) {
    BoundedSourceQueue<Message> q = queue;
    return q != null && q.offer(TextMessage.create(text)).isEnqueued();
  }

  @Override
  void close() {
    BoundedSourceQueue<Message> q = queue;
    if (q != null && !closed.isDone()) q.complete();
  }

  private void abort(Throwable reason) {
    BoundedSourceQueue<Message> q = queue;
    if (q != null && !closed.isDone()) q.fail(reason);
  }
}
