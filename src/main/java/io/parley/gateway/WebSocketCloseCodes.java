package io.parley.gateway;

import akka.actor.typed.ActorSystem;
import akka.event.Logging;
import akka.event.LoggingAdapter;
import akka.http.impl.engine.ws.FrameHandler;
import akka.http.impl.engine.ws.UpgradeToWebSocketLowLevel;
import akka.http.impl.engine.ws.WebSocket$;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.ws.WebSocketUpgrade;
import akka.http.scaladsl.model.ws.Message;
import akka.http.scaladsl.settings.ServerSettings;
import akka.http.scaladsl.settings.WebSocketSettings;
import akka.stream.javadsl.BidiFlow;
import akka.stream.javadsl.Flow;
import java.util.function.Supplier;
import scala.Option;
import scala.concurrent.duration.FiniteDuration;

/**
 * Akka HTTP 10.5 has no API to close a WebSocket with a code of the server's choosing (akka/akka-http#2458), and
 * Parley's protocol needs 4001 (token), 1008 (policy: slow reader, limits) and 1012 (restart). This assembles the
 * layers of Akka's own server-side WebSocket stack through its internal API, with one stage added: when the handler
 * completes or fails its outgoing side, the close frame carries the code the handler chose. Everything the handler
 * sent before is flushed first, because the completion travels behind the last message.
 */
public final class WebSocketCloseCodes {
  /** The close frame to send when the handler's outgoing side ends; normal closure when none was chosen. */
  public record Close(int code, String reason) {
    public static final Close NORMAL = new Close(1000, "");
  }

  private static final FiniteDuration CLOSE_TIMEOUT = FiniteDuration.apply(3, "seconds");

  private WebSocketCloseCodes() {}

  /**
   * Answers the upgrade with {@code handler}; {@code closeWith} is read once, when the handler's outgoing side ends.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static HttpResponse handle(
      WebSocketUpgrade upgrade,
      ActorSystem<?> system,
      Flow<Message, Message, ?> handler,
      Supplier<Close> closeWith) {
    WebSocketSettings settings =
        ((ServerSettings) ServerSettings.apply(system.classicSystem())).websocketSettings();
    LoggingAdapter log = Logging.getLogger(system.classicSystem(), WebSocketCloseCodes.class);
    WebSocket$ ws = WebSocket$.MODULE$;
    // Raw types: Java cannot see the variance that lets Scala stack these layers.
    akka.stream.scaladsl.BidiFlow stack =
        ws.masking(true, settings.randomFactory())
            .atop((akka.stream.Graph) ws.frameHandling(true, CLOSE_TIMEOUT, log))
            .atop((akka.stream.Graph) ws.periodicKeepAlive(settings))
            .atop((akka.stream.Graph) closeCodes(closeWith).asScala())
            .atop((akka.stream.Graph) ws.messageAPI(true, CLOSE_TIMEOUT));
    akka.stream.scaladsl.Flow frames = stack.join(handler.asScala());
    return ((UpgradeToWebSocketLowLevel) upgrade).handleFrames(frames, Option.empty());
  }

  private static BidiFlow<Object, Object, Object, Object, akka.NotUsed> closeCodes(Supplier<Close> closeWith) {
    return BidiFlow.fromFlows(
        Flow.create(),
        Flow.create()
            .map(
                event -> {
                  if (event == FrameHandler.UserHandlerCompleted$.MODULE$
                      || event instanceof FrameHandler.UserHandlerErredOut) {
                    Close close = closeWith.get();
                    if (close != null) {
                      return new FrameHandler.ActivelyCloseWithCode(Option.apply(close.code()), close.reason());
                    }
                  }
                  return event;
                }));
  }
}
