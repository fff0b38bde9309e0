package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * History, watermarks and the read side survive a full stop of the actor system: a new one on the same database
 * finds everything. Runs on the embedded H2 and on the real PostgreSQL.
 */
class DurableHistoryTest {
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void historyWatermarksAndReadSideSurviveARestart(String kind) {
    try (TestDatabase database = TestDatabase.named(kind)) {
      String id;
      List<String> idsBefore;
      try (TestNode first = TestNode.start(database)) {
        HttpApi api = new HttpApi(first::uri);
        Response created = api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"bo\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        id = created.json().get("id").asText();
        // Bo writes the even messages up to 30, so his read watermark follows his own; Ana writes 31 and 32 alone.
        for (int i = 1; i <= 32; i++) {
          String token = i % 2 == 0 && i <= 30 ? BO : ANA;
          Response posted =
              api.post("/api/conversations/" + id + "/messages", token, "{\"clientMsgId\":\"m" + i + "\",\"content\":\"n" + i + "\"}");
          assertThat(posted.status()).as(posted.body()).isEqualTo(201);
        }
        assertThat(api.post("/api/conversations/" + id + "/read", BO, "{\"seq\":31}").status()).isEqualTo(200);
        idsBefore = messageIds(api.get("/api/conversations/" + id + "/messages?limit=200", BO).json());
        assertThat(idsBefore).hasSize(32);
        awaitUnread(api, BO, id, 1);
      }

      try (TestNode second = TestNode.start(database)) {
        HttpApi api = new HttpApi(second::uri);
        Response restored = api.get("/api/conversations/" + id, BO);
        assertThat(restored.status()).as(restored.body()).isEqualTo(200);
        JsonNode conversation = restored.json();
        assertThat(conversation.get("lastSeq").asLong()).isEqualTo(32);
        List<String> watermarks = new ArrayList<>();
        conversation.get("participants").forEach(p -> watermarks.add(
            p.get("userId").asText() + ":" + p.get("deliveredUpTo").asLong() + ":" + p.get("readUpTo").asLong()));
        assertThat(watermarks).containsExactlyInAnyOrder("ana:32:32", "bo:31:31");
        Response page = api.get("/api/conversations/" + id + "/messages?limit=200", ANA);
        assertThat(messageIds(page.json())).isEqualTo(idsBefore);
        // A retry after the restart is still recognised.
        Response retry = api.post("/api/conversations/" + id + "/messages", ANA, "{\"clientMsgId\":\"m29\",\"content\":\"n29\"}");
        assertThat(retry.status()).isEqualTo(200);
        assertThat(retry.json().get("seq").asLong()).isEqualTo(29);
        // The read side kept its rows and its offsets: nothing is projected twice.
        awaitUnread(api, BO, id, 1);
        Response next = api.post("/api/conversations/" + id + "/messages", ANA, "{\"clientMsgId\":\"m33\",\"content\":\"n33\"}");
        assertThat(next.json().get("seq").asLong()).isEqualTo(33);
        awaitUnread(api, BO, id, 2);
        // Ids the server never issued reach no query: PostgreSQL fails a statement given a NUL character.
        Response forgedMessage = api.patch("/api/conversations/" + id + "/messages/%00", ANA, "{\"content\":\"x\"}");
        assertThat(forgedMessage.status()).as(forgedMessage.body()).isEqualTo(404);
        assertThat(api.delete("/api/conversations/" + id + "/messages/m%00", ANA).status()).isEqualTo(404);
        String cursor =
            Base64.getUrlEncoder().withoutPadding().encodeToString("2024-01-01T00:00:00Z|\0".getBytes(StandardCharsets.UTF_8));
        Response forgedCursor = api.get("/api/conversations?cursor=" + cursor, ANA);
        assertThat(forgedCursor.status()).as(forgedCursor.body()).isEqualTo(400);
      }
    }
  }

  private static void awaitUnread(HttpApi api, String token, String id, long expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    long unread = -1;
    while (System.nanoTime() < deadline) {
      for (JsonNode row : api.get("/api/conversations", token).json().get("conversations")) {
        if (row.get("id").asText().equals(id)) unread = row.get("unreadCount").asLong();
      }
      if (unread == expected) return;
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
    assertThat(unread).as("unread count of " + id).isEqualTo(expected);
  }

  private static List<String> messageIds(JsonNode history) {
    List<String> ids = new ArrayList<>();
    history.get("messages").forEach(m -> ids.add(m.get("id").asText()));
    return ids;
  }
}
