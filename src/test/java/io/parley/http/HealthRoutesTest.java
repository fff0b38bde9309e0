package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** A node that has not joined a cluster is not ready, and says which part is down; asking costs the node little. */
class HealthRoutesTest {

  @Test
  void answers503UntilTheNodeIsAClusterMember() throws IOException {
    int nobody;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = socket.getLocalPort();
    }
    // Its seed node does not answer, so it keeps trying to join.
    String unreachableSeed =
        "parley.cluster.join-self = off\nparley.cluster.seed-nodes = \"akka://parley@127.0.0.1:" + nobody + "\"";
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, ConfigFactory.parseString(unreachableSeed))) {
      HttpApi.Response health = new HttpApi(node::uri).get("/api/health", null);
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().get("status").asText()).isEqualTo("down");
      assertThat(health.json().get("database").get("status").asText()).isEqualTo("up");
      assertThat(health.json().get("cluster").get("status").asText()).isNotEqualTo("up");
      assertThat(health.json().get("push").get("status").asText()).as("no Firebase credentials in tests").isEqualTo("disabled");
    }
  }

  /**
   * The route is anonymous, and each database check takes a connection from the read pool that history queries
   * use: however many ask at once, the database is checked at most once a second, and they share its answer.
   */
  @Test
  void aFloodOfRequestsChecksTheDatabaseAtMostOnceASecond() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(50);
    try (TestDatabase database = TestDatabase.h2(); TestNode node = TestNode.start(database, ConfigFactory.empty())) {
      HttpApi api = new HttpApi(node::uri);
      double before = databaseChecks(node);
      long started = System.nanoTime();
      List<Future<HttpApi.Response>> requests = new ArrayList<>();
      for (int i = 0; i < 300; i++) requests.add(clients.submit(() -> api.get("/api/health", null)));
      for (Future<HttpApi.Response> request : requests) {
        HttpApi.Response health = request.get(30, TimeUnit.SECONDS);
        assertThat(health.json().get("database").get("status").asText()).as(health.body()).isEqualTo("up");
      }
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

      assertThat(databaseChecks(node) - before)
          .as("checks in %d s or so", seconds + 1)
          .isLessThanOrEqualTo(seconds + 2);
    } finally {
      clients.shutdownNow();
    }
  }

  private static final Pattern DATABASE_CHECKS = Pattern.compile("(?m)^parley_database_checks_total (\\S+)$");

  /** The node's count of database checks, as Prometheus scrapes it from the metrics listener. */
  private static double databaseChecks(TestNode node) {
    InetSocketAddress metrics = node.node().metricsAddress().orElseThrow();
    HttpApi scraper = new HttpApi(path -> URI.create("http://127.0.0.1:" + metrics.getPort() + path));
    Matcher count = DATABASE_CHECKS.matcher(scraper.get("/metrics", null).body());
    assertThat(count.find()).as("parley_database_checks_total in /metrics").isTrue();
    return Double.parseDouble(count.group(1));
  }
}
