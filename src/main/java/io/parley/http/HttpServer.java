package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import akka.http.javadsl.settings.ServerSettings;
import com.typesafe.config.Config;
import io.parley.FileDescriptors;
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
            .withMaxConnections(maxConnections(http.getInt("max-connections"), FileDescriptors.openFilesLimit()));
    return bind(system, http, settings, sealed, "HTTP, REST and WebSocket");
  }

  /**
   * The most connections not upgraded to a WebSocket that the front end holds at once ({@code
   * parley.http.max-connections}); more wait in the kernel's backlog until one closes. It is lowered, with a warning,
   * to stay below the process's limit on open files ({@link FileDescriptors}), so that idle connections alone cannot
   * use up the node's descriptors.
   */
  static int maxConnections(int configured, OptionalLong openFilesLimit) {
    int fitted = FileDescriptors.fittedMaxConnections(configured, openFilesLimit);
    if (fitted < configured) {
      log.warn(
          "parley.http.max-connections is {}, but this process may open only {} files: at most {} connections are"
              + " taken at once, and WebSockets need descriptors of their own. Raise the limit (ulimit -n) to at"
              + " least the WebSockets a node holds plus max-connections plus {}",
          configured, openFilesLimit.getAsLong(), fitted, FileDescriptors.RESERVED);
    }
    return fitted;
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
