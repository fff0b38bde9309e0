package io.parley.gateway;

import akka.actor.typed.ActorSystem;
import akka.event.Logging;
import akka.event.LoggingAdapter;
import akka.http.impl.engine.server.UpgradeToOtherProtocolResponseHeader;
import akka.http.impl.engine.ws.Handshake;
import akka.http.impl.engine.ws.WebSocket$;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.scaladsl.settings.ServerSettings;
import akka.http.scaladsl.settings.WebSocketSettings;
import akka.stream.Attributes;
import akka.stream.javadsl.Flow;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import scala.concurrent.duration.FiniteDuration;

/**
 * The server side of Parley's WebSockets, built once per node. Akka HTTP 10.5 has no API to close a WebSocket with a
 * code of the server's choosing (akka/akka-http#2458), and Parley's protocol needs 4001 (token), 1008 (policy: slow
 * reader, limits) and 1012 (restart). Akka also builds its WebSocket stack anew for every socket, and keeps that
 * blueprint, inside the upgrade response, for the socket's life. So this assembles Akka's framing and frame handling
 * through its internal API once, with {@link SocketStage} on top, and answers every upgrade with that one blueprint:
 * a socket costs only its running stages.
 */
public final class WebSocketCloseCodes {
  /** The close frame to send when the handler's outgoing side ends. */
  public record Close(int code, String reason) {
    public static final Close NORMAL = new Close(1000, "");
  }

  /** RFC 6455, 4.2.2: the accept value is the SHA-1 of the client's key and this. */
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final Flow<akka.util.ByteString, akka.util.ByteString, ?> frames;

  /** {@code starter} starts the actor behind each socket. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  WebSocketCloseCodes(ActorSystem<?> system, SocketStage.Starter starter, int outgoingBuffer, int maxFrameBytes,
      double framesPerSecond, int frameBurst) {
    WebSocketSettings settings =
        ((ServerSettings) ServerSettings.apply(system.classicSystem())).websocketSettings();
    LoggingAdapter log = Logging.getLogger(system.classicSystem(), WebSocketCloseCodes.class);
    Duration keepAlive =
        settings.periodicKeepAliveMaxIdle() instanceof FiniteDuration idle ? Duration.ofNanos(idle.toNanos()) : null;
    SocketStage socket =
        new SocketStage(
            starter, new SocketStage.Limits(outgoingBuffer, maxFrameBytes, framesPerSecond, frameBurst, keepAlive));
    WebSocket$ ws = WebSocket$.MODULE$;
    FiniteDuration closeTimeout = FiniteDuration.apply(SocketStage.CLOSE_TIMEOUT.toMillis(), "millis");
    // Raw types: Java cannot see the variance that lets Scala stack these layers.
    akka.stream.scaladsl.BidiFlow stack =
        ws.framing()
            .atop((akka.stream.Graph) ws.masking(true, settings.randomFactory()))
            .atop((akka.stream.Graph) ws.frameHandling(true, closeTimeout, log));
    this.frames = ((akka.stream.scaladsl.Flow) stack.join(socket)).asJava();
  }

  /** The 101 answer to a valid upgrade request with this {@code Sec-WebSocket-Key}; the socket starts with it. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  HttpResponse accept(String key, Optional<String> token) {
    akka.stream.scaladsl.Flow socket =
        frames.addAttributes(Attributes.apply(new SocketStage.Token(token))).asScala();
    return HttpResponse.create()
        .withStatus(StatusCodes.SWITCHING_PROTOCOLS)
        .addHeaders(
            List.<HttpHeader>of(
                Handshake.UpgradeHeader(),
                Handshake.ConnectionUpgradeHeader(),
                RawHeader.create("Sec-WebSocket-Accept", acceptValue(key)),
                new UpgradeToOtherProtocolResponseHeader(socket)));
  }

  private static String acceptValue(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-1").digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-1", e);
    }
  }
}
