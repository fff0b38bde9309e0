package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node with room for one outstanding ask to its conversations: a burst of sends is partly refused with 503
 * "unavailable" at once, the refused ones store nothing, and their retries (same clientMsgId) store each message
 * exactly once.
 */
class LoadSheddingTest {
  private static final String ANA = TestTokens.user("shed-ana");
  private static final int SENDERS = 24;
  private static final int EACH = 4;
  private static TestDatabase database;
  private static TestNode node;
  private static HttpApi api;

  @BeforeAll
  static void start() {
    database = TestDatabase.h2();
    // The burst comes from one user, faster than a user's REST budget allows.
    node =
        TestNode.start(
            database,
            ConfigFactory.parseString(
                "parley.conversation.max-pending-asks = 1\nparley.http.rate-limit.requests-per-second = 0"));
    api = new HttpApi(node::uri);
  }

  @AfterAll
  static void stop() {
    // Null when the start failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @Test
  void aBurstPastTheLimitIsRefusedAtOnceAndItsRetriesStoreEachMessageOnce() throws Exception {
    Response created =
        api.post("/api/conversations", ANA, "{\"type\":\"group\",\"title\":\"burst\",\"participantIds\":[\"shed-bo\"]}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = created.json().get("id").asText();

    List<String> refused = Collections.synchronizedList(new ArrayList<>());
    List<String> stored = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(SENDERS);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<?>> senders = new ArrayList<>();
    for (int s = 0; s < SENDERS; s++) {
      int sender = s;
      senders.add(pool.submit(() -> {
        go.await();
        for (int i = 0; i < EACH; i++) {
          String clientMsgId = "m-" + sender + "-" + i;
          Response posted = post(id, clientMsgId);
          if (posted.status() == 201) {
            stored.add(clientMsgId);
          } else {
            assertThat(posted.status()).as(posted.body()).isEqualTo(503);
            assertThat(posted.code()).isEqualTo("unavailable");
            refused.add(clientMsgId);
          }
        }
        return null;
      }));
    }
    go.countDown();
    for (Future<?> sender : senders) sender.get(60, TimeUnit.SECONDS);
    pool.shutdown();

    assertThat(refused).as("some sends of the burst are refused").isNotEmpty();
    assertThat(stored).as("and the node keeps serving the others").isNotEmpty();

    for (String clientMsgId : refused) {
      Response retried = post(id, clientMsgId);
      assertThat(retried.status()).as(retried.body()).isEqualTo(201);
    }
    List<String> history = new ArrayList<>();
    for (JsonNode message : api.get("/api/conversations/" + id + "/messages?limit=200", ANA).json().get("messages")) {
      history.add(message.get("clientMsgId").asText());
    }
    assertThat(history).hasSize(SENDERS * EACH).doesNotHaveDuplicates();
    assertThat(history).containsAll(stored).containsAll(refused);
  }

  private static Response post(String conversationId, String clientMsgId) {
    return api.post(
        "/api/conversations/" + conversationId + "/messages",
        ANA,
        "{\"clientMsgId\":\"" + clientMsgId + "\",\"content\":\"hello\"}");
  }
}
