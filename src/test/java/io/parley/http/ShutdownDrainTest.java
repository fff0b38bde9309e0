package io.parley.http;

import static akka.http.javadsl.server.Directives.*;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.ServerBinding;
import akka.pattern.Patterns;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A request in flight when the node begins to shut down is still answered, for longer than Akka's default 5 s for
 * the phase that waits for requests: an admin send or a slow history page is not cut off.
 */
class ShutdownDrainTest {
  @Test
  void aRequestInFlightAtShutdownIsAnsweredAfterFiveSeconds() throws Exception {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(), "drain",
            ParleyConfig.load(ConfigFactory.parseMap(Map.of("akka.remote.artery.canonical.port", 0))));
    try {
      Duration slow = Duration.ofMillis(6_500);
      CountDownLatch arrived = new CountDownLatch(1);
      var route =
          path("slow", () -> {
            arrived.countDown();
            return completeOKWithFutureString(
                Patterns.after(slow, system.classicSystem().scheduler(), system.executionContext(),
                    () -> CompletableFuture.completedFuture("done")));
          });
      ServerBinding binding =
          HttpServer.bind(system, ConfigFactory.parseMap(Map.of("interface", "127.0.0.1", "port", 0)), route, "Test")
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      CompletableFuture<HttpResponse<String>> answer =
          HttpClient.newHttpClient()
              .sendAsync(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + "/slow")).build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(arrived.await(10, TimeUnit.SECONDS)).as("the request reached the route").isTrue();
      CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
      HttpResponse<String> response = answer.get(15, TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("done");
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
