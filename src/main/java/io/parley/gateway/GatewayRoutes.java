package io.parley.gateway;

import static akka.http.javadsl.server.Directives.*;

import akka.NotUsed;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.http.javadsl.server.Route;
import akka.http.scaladsl.model.ws.BinaryMessage;
import akka.http.scaladsl.model.ws.Message;
import akka.http.scaladsl.model.ws.TextMessage;
import akka.japi.Pair;
import akka.stream.BufferOverflowException;
import akka.stream.OverflowStrategy;
import akka.stream.StreamLimitReachedException;
import akka.stream.ThrottleMode;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.stream.typed.javadsl.ActorSink;
import akka.stream.typed.javadsl.ActorSource;
import io.parley.gateway.WebSocketCloseCodes.Close;
import io.parley.http.ApiError;
import io.parley.http.ApiException;
import io.parley.http.Cors;
import io.parley.http.ErrorHandling;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code GET /ws}: the WebSocket endpoint. It checks the browser's Origin, takes a token from the Authorization
 * header or {@code access_token} (or later from an auth frame), and wires the socket to a {@link Session}.
 */
public final class GatewayRoutes {
  private static final Object COMPLETE = new Object();

  private final ActorSystem<?> system;
  private final Session.Context deps;
  private final Cors cors;

  public GatewayRoutes(ActorSystem<?> system, Session.Context deps, Cors cors) {
    this.system = system;
    this.deps = deps;
    this.cors = cors;
  }

  public Route route() {
    return path(
        "ws",
        () ->
            get(
                () ->
                    optionalHeaderValueByName(
                        "Origin",
                        origin -> {
                          // A node shutting down takes no new sessions: the client tries another node.
                          if (LocalSessions.get(system).draining()) {
                            throw new ApiException(ApiError.UNAVAILABLE, "this node is restarting; connect to another");
                          }
                          // Browsers always send Origin; servers and mobile apps need not.
                          if (origin.isPresent() && !cors.allows(origin.get())) {
                            throw new ApiException(ApiError.FORBIDDEN, "origin not allowed");
                          }
                          return extractWebSocketUpgrade(
                              upgrade ->
                                  optionalHeaderValueByName(
                                      "Authorization",
                                      header ->
                                          parameterOptional(
                                              "access_token",
                                              query -> {
                                                Connection connection = connect(bearer(header).or(() -> query));
                                                return complete(
                                                    WebSocketCloseCodes.handle(
                                                        upgrade, system, connection.flow(), connection.close()::get));
                                              })));
                        })));
  }

  private static Optional<String> bearer(Optional<String> header) {
    return header
        .map(String::trim)
        .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(value -> value.substring(7).trim());
  }

  /** The socket's handler, and the close code it chose once it ends. */
  private record Connection(Flow<Message, Message, NotUsed> flow, AtomicReference<Close> close) {}

  /** One socket: a session actor, its bounded outgoing queue, and the incoming side feeding it. */
  private Connection connect(Optional<String> token) {
    GatewaySettings settings = deps.settings();
    AtomicReference<Close> close = new AtomicReference<>();
    Pair<ActorRef<Object>, Source<Object, NotUsed>> queue =
        ActorSource.<Object>actorRef(
                message -> message == COMPLETE,
                message -> Optional.empty(),
                settings.outgoingBuffer(),
                OverflowStrategy.fail())
            .preMaterialize(system);
    ActorRef<Object> outgoing = queue.first();
    Session.Outgoing out =
        new Session.Outgoing() {
          @Override
          public void send(String text) {
            outgoing.tell(new TextMessage.Strict(text));
          }

          @Override
          public void close(Close reason) {
            close.compareAndSet(null, reason);
            outgoing.tell(COMPLETE);
          }
        };
    ActorRef<Session.Command> session =
        system.systemActorOf(Session.create(deps, out, token), "ws-" + UUID.randomUUID(), Props.empty());

    Source<Message, NotUsed> toClient =
        queue
            .second()
            .collectType(Message.class)
            // A client that reads slower than it is written to is closed, never buffered without bound.
            .recoverWithRetries(
                1,
                BufferOverflowException.class,
                () -> {
                  close.compareAndSet(null, new Close(1008, "slow_consumer"));
                  return Source.empty();
                });
    Sink<Message, NotUsed> fromClient =
        Flow.<Message>create()
            // Backpressure to the socket far above the rate limit, so that a flood costs the flooder, not memory.
            .throttle(
                (int) Math.ceil(settings.framesPerSecond() * 5) + settings.frameBurst(),
                Duration.ofSeconds(1),
                settings.frameBurst() * 5,
                ThrottleMode.shaping())
            .mapAsync(1, message -> toCommand(message, settings.maxFrameBytes()))
            .to(ActorSink.actorRef(session, Session.ClientGone.INSTANCE, failure -> Session.ClientGone.INSTANCE));
    return new Connection(Flow.fromSinkAndSourceCoupled(fromClient, toClient), close);
  }

  private CompletionStage<Session.Command> toCommand(Message message, int maxBytes) {
    if (message instanceof TextMessage.Strict strict) {
      return CompletableFuture.completedFuture(checked(strict.text(), maxBytes));
    }
    if (message instanceof TextMessage text) {
      return text.getStreamedText()
          .limitWeighted(maxBytes, part -> (long) part.length())
          .runFold(new StringBuilder(), StringBuilder::append, system)
          .<Session.Command>thenApply(builder -> checked(builder.toString(), maxBytes))
          .exceptionally(failure -> tooLarge(failure, maxBytes));
    }
    ((BinaryMessage) message).getStreamedData().runWith(Sink.ignore(), system);
    return CompletableFuture.completedFuture(
        new Session.IncomingRejected(ApiError.BAD_REQUEST, "binary frames are not supported; send JSON text"));
  }

  private static Session.Command checked(String text, int maxBytes) {
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so most frames are cleared without encoding them.
    if ((long) text.length() * 3 > maxBytes && text.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
      return new Session.IncomingRejected(ApiError.TOO_LARGE, "frame larger than " + maxBytes + " bytes");
    }
    return new Session.Incoming(text);
  }

  private static Session.Command tooLarge(Throwable failure, int maxBytes) {
    if (ErrorHandling.unwrap(failure) instanceof StreamLimitReachedException) {
      return new Session.IncomingRejected(ApiError.TOO_LARGE, "frame larger than " + maxBytes + " bytes");
    }
    return new Session.IncomingRejected(ApiError.BAD_REQUEST, "frame could not be read");
  }
}
