package io.parley.http;

import static akka.http.javadsl.server.Directives.*;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.receptionist.Receptionist;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.Futures;
import io.parley.api.Json;
import io.parley.metrics.GatewayStats;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** {@code GET /api/ws/status} (admin): connections, online users and frames per second, per node and in all. */
public final class GatewayStatusRoutes {
  public record Status(
      long connections,
      long onlineUsers,
      double framesInPerSecond,
      double framesOutPerSecond,
      List<GatewayStats.NodeStats> nodes) {}

  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private final ActorSystem<?> system;
  private final Authentication authentication;

  public GatewayStatusRoutes(ActorSystem<?> system, Authentication authentication) {
    this.system = system;
    this.authentication = authentication;
  }

  public Route route() {
    return path(
        segment("ws").slash("status"),
        () ->
            get(
                () ->
                    authentication.admin(
                        () -> onSuccess(status(), status -> complete(StatusCodes.OK, status, Json.marshaller())))));
  }

  private CompletionStage<Status> status() {
    return AskPattern.<Receptionist.Command, Receptionist.Listing>ask(
            system.receptionist(),
            replyTo -> Receptionist.find(GatewayStats.REPORTERS, replyTo),
            TIMEOUT,
            system.scheduler())
        .thenCompose(
            listing -> {
              List<CompletableFuture<GatewayStats.NodeStats>> answers = new ArrayList<>();
              for (var reporter : listing.getServiceInstances(GatewayStats.REPORTERS)) {
                answers.add(
                    AskPattern.<GatewayStats.Ask, GatewayStats.NodeStats>ask(
                            reporter, GatewayStats.Ask::new, TIMEOUT, system.scheduler())
                        .toCompletableFuture()
                        // A node that does not answer is left out rather than failing the whole report.
                        .exceptionally(failure -> null));
              }
              return Futures.all(answers)
                  .thenApply(
                      answered -> {
                        List<GatewayStats.NodeStats> nodes =
                            answered.stream()
                                .filter(java.util.Objects::nonNull)
                                .sorted(Comparator.comparing(GatewayStats.NodeStats::node))
                                .toList();
                        return new Status(
                            nodes.stream().mapToLong(GatewayStats.NodeStats::connections).sum(),
                            nodes.stream().mapToLong(GatewayStats.NodeStats::onlineUsers).sum(),
                            nodes.stream().mapToDouble(GatewayStats.NodeStats::framesInPerSecond).sum(),
                            nodes.stream().mapToDouble(GatewayStats.NodeStats::framesOutPerSecond).sum(),
                            nodes);
                      });
            });
  }
}
