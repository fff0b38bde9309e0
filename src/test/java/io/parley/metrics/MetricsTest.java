package io.parley.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.push.PushOutcome;
import io.parley.push.PushStats;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** GET /metrics in Prometheus' text format on the metrics listener, with what the node really did behind each figure. */
class MetricsTest {
  @RegisterExtension
  static final LiveNode live =
      new LiveNode("parley.metrics.shard-refresh = 200ms\nparley.webhook.secret = \"metrics-test-webhook-secret\"");

  @Test
  void countsConnectionsFramesLatenciesWebhooksShardsAndTheJvm() {
    HttpApi api = live.api();
    String conversation =
        api.post("/api/conversations", TestTokens.user("mt1"), "{\"type\":\"direct\",\"userId\":\"mt2\"}")
            .json().get("id").asText();
    try (WsClient sender = WsClient.signedIn(live.node(), TestTokens.user("mt1"));
        WsClient receiver = WsClient.signedIn(live.node(), TestTokens.user("mt2"))) {
      sender.send(
          "{\"type\":\"send\",\"ref\":\"s1\",\"conversationId\":\"" + conversation
              + "\",\"clientMsgId\":\"m-1\",\"content\":\"hello\"}");
      sender.until("sent");
      receiver.until("message");
      HttpApi.Response refused =
          api.send(
              api.request("/api/webhooks/jobs/notify", "wrong-secret")
                  .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"INSERT\",\"table\":\"jobs\"}")));
      assertThat(refused.status()).isEqualTo(401);

      HttpApi.Response metrics = scraper().get("/metrics", null);
      assertThat(metrics.status()).isEqualTo(200);
      assertThat(metrics.contentType()).startsWith("text/plain");
      String text = metrics.body();
      assertThat(value(text, "parley_connections")).isEqualTo(2);
      assertThat(value(text, "parley_frames_in_total")).isGreaterThanOrEqualTo(1);
      assertThat(value(text, "parley_frames_out_total")).isGreaterThanOrEqualTo(4);
      assertThat(value(text, "parley_persist_latency_seconds_count")).isEqualTo(1);
      assertThat(value(text, "parley_delivery_latency_seconds_count")).isGreaterThanOrEqualTo(2);
      assertThat(value(text, "parley_webhooks_total{outcome=\"unauthorized\",}")).isEqualTo(1);
      assertThat(text).contains("parley_push_results_total{reason=\"unregistered\",}");
      assertThat(value(text, "jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\",}")).isPositive();
    }
    Eventually.await(
        "the conversation's shard counted",
        () -> value(scraper().get("/metrics", null).body(), "parley_shards{entity=\"Conversation\",}"),
        shards -> shards >= 1);
    Eventually.await(
        "both connections closed", () -> value(scraper().get("/metrics", null).body(), "parley_connections"), open -> open == 0);
  }

  @Test
  void figuresReadFromSuppliersSurviveGarbageCollection() throws InterruptedException {
    // Micrometer holds what it reads only weakly: a supplier nobody else holds reads NaN, or stops counting, after a
    // collection.
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(50);
    }
    String before = scraper().get("/metrics", null).body();
    assertThat(value(before, "parley_conversation_admission_limit")).isNotNaN().isGreaterThanOrEqualTo(1);
    double sent = value(before, "parley_push_results_total{reason=\"sent\",}");
    PushStats.get(live.node().node().system()).record(PushOutcome.SENT);
    String after = scraper().get("/metrics", null).body();
    assertThat(value(after, "parley_push_results_total{reason=\"sent\",}")).isEqualTo(sent + 1);
  }

  /** The clients' port shows no metrics: a scraper reaches them on a listener of their own. */
  @Test
  void metricsAreNotServedOnTheClientsPort() {
    HttpApi.Response onClientsPort = live.api().get("/metrics", null);
    assertThat(onClientsPort.status()).isEqualTo(404);
    assertThat(onClientsPort.code()).isEqualTo("not_found");
    assertThat(scraper().get("/metrics", null).status()).isEqualTo(200);
    assertThat(scraper().get("/api/conversations", TestTokens.user("mt1")).status()).isEqualTo(404);
  }

  private static HttpApi scraper() {
    InetSocketAddress metrics = live.node().node().metricsAddress().orElseThrow();
    return new HttpApi(path -> URI.create("http://127.0.0.1:" + metrics.getPort() + path));
  }

  /** The value of the sample named exactly {@code series} (name and labels as Prometheus prints them). */
  private static double value(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) return Double.parseDouble(line.substring(series.length() + 1).trim());
    }
    throw new AssertionError("no sample " + series + " in:\n" + text.lines().filter(l -> l.startsWith("parley")).toList());
  }
}
