package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import org.junit.jupiter.api.Test;

/** A client that stops reading is closed with 1008, and its queue never grows past the configured bound. */
class SlowConsumerTest {

  @Test
  void aClientThatStopsReadingIsClosedWith1008() {
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(
            database,
            ConfigFactory.parseString(
                "parley.gateway.outgoing-buffer = 8\nparley.conversation.max-content-length = 60000\n"
                    // One user posts 500 messages as fast as the node takes them.
                    + "parley.http.rate-limit.requests-per-second = 0"))) {
      HttpApi api = new HttpApi(node::uri);
      String nan = TestTokens.user("nan");
      String id =
          api.post("/api/conversations", nan, "{\"type\":\"direct\",\"userId\":\"oz\"}").json().get("id").asText();
      String big = "x".repeat(60_000);
      try (WsClient slow = WsClient.signedIn(node, TestTokens.user("oz"))) {
        slow.pauseReading();
        // Enough large messages to fill the socket buffers on both sides and then the session's queue.
        for (int i = 0; i < 500; i++) {
          HttpApi.Response posted =
              api.post("/api/conversations/" + id + "/messages", nan, "{\"content\":\"" + big + "\"}");
          assertThat(posted.status()).isEqualTo(201);
        }
        // The close frame waits behind everything the client has not read; reading again reaches it.
        slow.resumeReading();
        WsClient.Closed closed = slow.awaitClose();
        assertThat(closed.code()).isEqualTo(1008);
        assertThat(closed.reason()).isEqualTo("slow_consumer");
      }
      // Nothing was lost: every message is in the history for the client to resume from.
      assertThat(api.get("/api/conversations/" + id, nan).json().get("lastSeq").asLong()).isPositive();
    }
  }
}
