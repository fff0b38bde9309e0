package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** A client that stops reading is closed with 1008, and its queue never grows past the configured bound. */
class SlowConsumerTest {
  private static final int POSTS = 500;

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
        for (int i = 0; i < POSTS; i++) {
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
      assertThat(api.get("/api/conversations/" + id, nan).json().get("lastSeq").asLong()).isEqualTo(POSTS);
      assertThat(historySeqs(api, TestTokens.user("oz"), id))
          .as("every message, once")
          .containsExactlyInAnyOrderElementsOf(LongStream.rangeClosed(1, POSTS).boxed().toList());
    }
  }

  /** The seq of every message in the conversation's history, page by page from the newest. */
  private static List<Long> historySeqs(HttpApi api, String token, String conversation) {
    List<Long> seqs = new ArrayList<>();
    String page = "/api/conversations/" + conversation + "/messages?limit=200";
    while (page != null) {
      HttpApi.Response response = api.get(page, token);
      assertThat(response.status()).as(response.body()).isEqualTo(200);
      JsonNode history = response.json();
      history.get("messages").forEach(message -> seqs.add(message.get("seq").asLong()));
      page = history.get("hasMore").asBoolean()
          ? "/api/conversations/" + conversation + "/messages?limit=200&before=" + history.get("nextBefore").asLong()
          : null;
      assertThat(seqs).as("pages of history").hasSizeLessThanOrEqualTo(POSTS);
    }
    return seqs;
  }
}
