package io.parley.gateway;

import static akka.http.javadsl.server.Directives.*;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Props;
import akka.http.javadsl.server.Route;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * {@code GET /ws}: the WebSocket endpoint. It checks the browser's Origin, takes a token from the Authorization
 * header or {@code access_token} (or later from an auth frame), and wires the socket to a {@link Session}.
 */
public final class GatewayRoutes {
  private final ActorSystem<?> system;
  private final Predicate<String> originAllowed;
  private final WebSocketCloseCodes sockets;
  private final AtomicLong sessions = new AtomicLong();
  private final int maxSessions;

  /** {@code originAllowed} is the browser origin check, the same as CORS's. */
  public GatewayRoutes(ActorSystem<?> system, Session.Context deps, Predicate<String> originAllowed) {
    this.system = system;
    this.originAllowed = originAllowed;
    GatewaySettings settings = deps.settings();
    this.maxSessions = settings.maxSessions();
    this.sockets =
        new WebSocketCloseCodes(
            system,
            // Short names: the system guardian keeps one per open socket.
            (out, token) ->
                system.systemActorOf(
                    Session.create(deps, out, token), "ws-" + Long.toString(sessions.incrementAndGet(), 36), Props.empty()),
            settings.outgoingBuffer(),
            settings.maxFrameBytes(),
            settings.framesPerSecond(),
            settings.frameBurst());
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
                          // Each session keeps a file descriptor that Akka's max-connections no longer counts; a
                          // node with none left fails every accept and every database connection. A soft cap: a
                          // session is counted once its actor starts, so upgrades under way at the same moment may
                          // pass it together; the descriptors kept in reserve absorb that.
                          if (LocalSessions.get(system).size() >= maxSessions) {
                            throw new ApiException(
                                ApiError.UNAVAILABLE, "this node holds all the sessions it can; connect to another");
                          }
                          // Browsers always send Origin; servers and mobile apps need not.
                          if (origin.isPresent() && !originAllowed.test(origin.get())) {
                            throw new ApiException(ApiError.FORBIDDEN, "origin not allowed");
                          }
                          return extractWebSocketUpgrade(
                              upgrade ->
                                  optionalHeaderValueByName(
                                      "Authorization",
                                      header ->
                                          parameterOptional(
                                              "access_token",
                                              query ->
                                                  headerValueByName(
                                                      "Sec-WebSocket-Key",
                                                      key ->
                                                          complete(
                                                              sockets.accept(key, bearer(header).or(() -> query)))))));
                        })));
  }

  private static Optional<String> bearer(Optional<String> header) {
    return header
        .map(String::trim)
        .filter(value -> value.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(value -> value.substring(7).trim());
  }
}
