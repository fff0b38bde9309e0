package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.actor.typed.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import com.typesafe.config.Config;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Binds the HTTP front end, with errors mapped once for every route, and unbinds it on coordinated shutdown. */
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
                cors.route(
                    () ->
                        handleExceptions(
                            ErrorHandling.EXCEPTIONS, () -> handleRejections(ErrorHandling.REJECTIONS, () -> routes))));
    return Http.get(system)
        .newServerAt(http.getString("interface"), http.getInt("port"))
        .bind(sealed)
        .thenApply(binding -> binding.addToCoordinatedShutdown(Duration.ofSeconds(10), system))
        .whenComplete(
            (binding, failure) -> {
              if (failure != null) {
                log.error("Could not bind HTTP on {}:{}; shutting down", http.getString("interface"), http.getInt("port"), failure);
                system.terminate();
              } else {
                log.info("HTTP, REST and WebSocket listening on {}", binding.localAddress());
              }
            });
  }
}
