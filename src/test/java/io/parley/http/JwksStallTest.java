package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.parley.testkit.SupabaseProject;
import io.parley.testkit.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A slow JWKS endpoint stalls only the requests that need its keys, and holds no thread while it does. The node runs
 * Akka's default dispatcher on two threads, as a 2-core machine sized by core count would. Waiting in a blocking
 * call there would make the pool start a spare thread for each waiting request, and once the spares ran out, leave
 * none for anyone else.
 */
class JwksStallTest {
  private static final int WAITING_REQUESTS = 12;

  @Test
  void requestsWaitingForTheJwksHoldNoThreadOthersNeed() throws Exception {
    try (SupabaseProject project =
        SupabaseProject.start(
            ConfigFactory.parseMap(
                Map.of(
                    "akka.actor.default-dispatcher.fork-join-executor.parallelism-min", 2,
                    "akka.actor.default-dispatcher.fork-join-executor.parallelism-max", 2)))) {
      TestNode node = project.node();
      CountDownLatch held = project.jwks().holdAnswers();
      try {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String rs256 = project.rs256(project.userClaims("ana"));
        long threadsBefore = dispatcherThreads();
        List<CompletableFuture<HttpResponse<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < WAITING_REQUESTS; i++) {
          waiting.add(
              http.sendAsync(
                  get(node.uri("/api/conversations"), rs256, Duration.ofSeconds(20)), HttpResponse.BodyHandlers.ofString()));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (project.jwks().requests() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(project.jwks().requests()).as("the JWKS fetch started").isEqualTo(1);

        // Well inside the 5 s the fetch may take before it times out.
        HttpResponse<String> health =
            http.send(get(node.uri("/api/health"), null, Duration.ofSeconds(3)), HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(waiting).as("still waiting for the keys").noneMatch(CompletableFuture::isDone);
        // A thread blocked in a ForkJoinPool makes the pool start a spare one, so blocking would show as growth here
        // before it showed as starvation (once the pool's spares ran out).
        assertThat(dispatcherThreads()).as("default-dispatcher threads").isLessThanOrEqualTo(threadsBefore + 2);

        held.countDown();
        for (CompletableFuture<HttpResponse<String>> answer : waiting) {
          HttpResponse<String> response = answer.get(10, TimeUnit.SECONDS);
          assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        }
        assertThat(project.jwks().requests()).as("one fetch served them all").isEqualTo(1);
      } finally {
        held.countDown();
      }
    }
  }

  private static long dispatcherThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(thread -> thread.getName().contains("akka.actor.default-dispatcher"))
        .count();
  }

  private static HttpRequest get(URI uri, String token, Duration timeout) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(timeout).GET();
    if (token != null) request.header("Authorization", "Bearer " + token);
    return request.build();
  }
}
