package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** When a user was last seen, and the status they chose, survive a restart of the whole node. */
class PresenceDurabilityTest {
  private static final Config QUICK_GRACE = ConfigFactory.parseString("parley.gateway.offline-grace = 300ms");

  @Test
  void lastSeenAndChosenStatusSurviveARestart() throws InterruptedException {
    try (TestDatabase database = TestDatabase.h2()) {
      JsonNode before;
      try (TestNode first = TestNode.start(database, QUICK_GRACE)) {
        HttpApi api = new HttpApi(first::uri);
        // du2 starts the conversation, and so may be seen by du1.
        api.post("/api/conversations", TestTokens.user("du2"), "{\"type\":\"direct\",\"userId\":\"du1\"}");
        try (WsClient du2 = WsClient.signedIn(first, TestTokens.user("du2"))) {
          du2.send("{\"type\":\"presence.set\",\"ref\":\"s\",\"status\":\"away\"}").next("ok");
        }
        before = awaitOffline(api);
        assertThat(before.get("lastSeenAt").isNull()).isFalse();
      }
      try (TestNode second = TestNode.start(database, QUICK_GRACE)) {
        HttpApi api = new HttpApi(second::uri);
        assertThat(awaitOffline(api).get("lastSeenAt")).isEqualTo(before.get("lastSeenAt"));
        try (WsClient du2 = WsClient.signedIn(second, TestTokens.user("du2"))) {
          JsonNode now = api.get("/api/presence?userIds=du2", TestTokens.user("du1")).json().get("presence").get(0);
          assertThat(now.get("status").asText()).isEqualTo("away");
        }
      }
    }
  }

  private static JsonNode awaitOffline(HttpApi api) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      JsonNode presence = api.get("/api/presence?userIds=du2", TestTokens.user("du1")).json().get("presence").get(0);
      if (presence.get("status").asText().equals("offline") && !presence.get("lastSeenAt").isNull()) return presence;
      assertThat(System.nanoTime()).as("offline with a last-seen time within 10 s").isLessThan(deadline);
      Thread.sleep(100);
    }
  }
}
