package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.settings.ServerSettings;
import com.sun.management.UnixOperatingSystemMXBean;
import com.typesafe.config.Config;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the HTTP front end, with errors mapped once for every route, and the metrics listener beside it. */
public final class HttpServer {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private HttpServer() {}

  /**
   * Every answer, errors included, carries {@code cors}'s headers: errors become responses inside them, and Akka's
   * answer to a request past its timeout, made outside the routes, is decorated with them.
   */
  public static CompletionStage<ServerBinding> start(ActorSystem<?> system, Route routes, Cors cors) {
    Config http = system.settings().config().getConfig("parley.http");
    Route sealed =
        withRequestTimeoutResponse(
            request -> cors.decorate(request, ErrorHandling.timedOut(request)),
            () ->
                cors.route(() -> withErrors(routes)));
    ServerSettings settings =
        ServerSettings.create(system.classicSystem())
            .withMaxConnections(maxConnections(http.getInt("max-connections"), openFilesLimit()));
    return bind(system, http, settings, sealed, "HTTP, REST and WebSocket");
  }

  /**
   * Descriptors a node keeps for itself, out of reach of its clients' connections: database pools, cluster sockets,
   * FCM's connections, Akka Management, the metrics listener (up to Akka's default of 1,024 connections), jars and
   * logs. A node with none left fails every accept, and Akka's listener then retries and logs an ERROR with its
   * stack trace thousands of times a second, while the database pool cannot open a connection either.
   */
  static final long RESERVED_FILE_DESCRIPTORS = 2_000;

  /**
   * The most connections not upgraded to a WebSocket that the front end holds at once ({@code
   * parley.http.max-connections}); more wait in the kernel's backlog until one closes. It is lowered, with a warning,
   * to leave {@link #RESERVED_FILE_DESCRIPTORS} (or half the limit, when that is small) below the process's limit on
   * open files, so that idle connections alone cannot use up the node's descriptors.
   */
  static int maxConnections(int configured, OptionalLong openFilesLimit) {
    int fitted = fittedMaxConnections(configured, openFilesLimit);
    if (fitted < configured) {
      log.warn(
          "parley.http.max-connections is {}, but this process may open only {} files: at most {} connections are"
              + " taken at once, and WebSockets need descriptors of their own. Raise the limit (ulimit -n) to at"
              + " least the WebSockets a node holds plus max-connections plus {}",
          configured, openFilesLimit.getAsLong(), fitted, RESERVED_FILE_DESCRIPTORS);
    }
    return fitted;
  }

  private static int fittedMaxConnections(int configured, OptionalLong openFilesLimit) {
    if (configured < 1) {
      throw new IllegalArgumentException("parley.http.max-connections must be at least 1, not " + configured);
    }
    if (openFilesLimit.isEmpty()) return configured;
    long limit = openFilesLimit.getAsLong();
    return (int) Math.min(configured, Math.max(1, limit - reserve(limit)));
  }

  private static long reserve(long openFilesLimit) {
    return Math.min(RESERVED_FILE_DESCRIPTORS, openFilesLimit / 2);
  }

  /**
   * Fewest WebSocket sessions a node takes whatever its limit on open files: a node that took none would be of no use.
   */
  static final int MIN_SESSIONS = 100;

  /** Below this many sessions, an automatic cap is worth a warning: the node will refuse clients early. */
  private static final int FEW_SESSIONS = 1_000;

  /**
   * The most WebSocket sessions a node holds at once ({@code parley.gateway.max-sessions}; 0 for {@code auto}).
   * Akka's {@code max-connections} stops counting a connection once it is upgraded, yet each session keeps its
   * descriptor, so sessions get what the open-files limit leaves after {@link #RESERVED_FILE_DESCRIPTORS} and the
   * effective {@code max-connections} ({@code auto}, at least {@link #MIN_SESSIONS}), and a configured number is
   * lowered, with a warning, to fit there too. Without a known limit, {@code auto} sets no cap.
   */
  public static int maxSessions(int configured, int configuredMaxConnections, OptionalLong openFilesLimit) {
    if (configured < 0) {
      throw new IllegalArgumentException("parley.gateway.max-sessions must be auto, 0 or more, not " + configured);
    }
    if (openFilesLimit.isEmpty()) return configured == 0 ? Integer.MAX_VALUE : configured;
    long limit = openFilesLimit.getAsLong();
    int connections = fittedMaxConnections(configuredMaxConnections, openFilesLimit);
    long room = Math.max(MIN_SESSIONS, limit - reserve(limit) - connections);
    int fitted = (int) Math.min(configured == 0 ? Integer.MAX_VALUE : configured, room);
    if (configured == 0 ? fitted < FEW_SESSIONS : fitted < configured) {
      log.warn(
          "This process may open only {} files: with parley.http.max-connections at {} and {} kept for the node"
              + " itself, it takes at most {} WebSocket sessions (parley.gateway.max-sessions is {}), and answers"
              + " more upgrades with 503. Raise the limit (ulimit -n) to at least the WebSockets a node should hold"
              + " plus max-connections plus {}, or lower max-connections",
          limit, connections, reserve(limit), fitted, configured == 0 ? "auto" : configured,
          RESERVED_FILE_DESCRIPTORS);
    }
    return fitted;
  }

  /** The process's limit on open files, where the JVM can tell (Unix). */
  public static OptionalLong openFilesLimit() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        ? OptionalLong.of(unix.getMaxFileDescriptorCount())
        : OptionalLong.empty();
  }

  /** {@code routes} with every failure and rejection answered as problem+json. */
  public static Route withErrors(Route routes) {
    return handleExceptions(ErrorHandling.EXCEPTIONS, () -> handleRejections(ErrorHandling.REJECTIONS, () -> routes));
  }

  /**
   * Binds {@code route} on {@code listener}'s {@code interface} and {@code port}, and unbinds it on coordinated
   * shutdown. A listener that cannot bind terminates the node: better an exit and a restart than a node half served.
   */
  public static CompletionStage<ServerBinding> bind(ActorSystem<?> system, Config listener, Route route, String what) {
    return bind(system, listener, ServerSettings.create(system.classicSystem()), route, what);
  }

  private static CompletionStage<ServerBinding> bind(
      ActorSystem<?> system, Config listener, ServerSettings settings, Route route, String what) {
    return Http.get(system)
        .newServerAt(listener.getString("interface"), listener.getInt("port"))
        .withSettings(settings)
        .bind(route)
        .thenApply(binding -> binding.addToCoordinatedShutdown(requestsDoneDeadline(system.settings().config()), system))
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                log.error("Could not bind {} on {}:{}; shutting down", what, listener.getString("interface"),
                    listener.getInt("port"), failure);
                system.terminate();
              } else {
                log.info("{} listening on {}", what, binding.localAddress());
              }
            });
  }

  /**
   * How long requests in flight may still run once shutdown begins: nine tenths of the phase that waits for them, so
   * that they end within it instead of being abandoned when the phase times out.
   */
  static Duration requestsDoneDeadline(Config config) {
    String phase = "akka.coordinated-shutdown.phases.service-requests-done.timeout";
    Duration timeout =
        config.getDuration(config.hasPath(phase) ? phase : "akka.coordinated-shutdown.default-phase-timeout");
    return timeout.multipliedBy(9).dividedBy(10);
  }
}
