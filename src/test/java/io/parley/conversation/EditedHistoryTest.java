package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import akka.projection.ProjectionId;
import akka.projection.javadsl.ProjectionManagement;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * History older than the conversation's window comes from the read side, which applies an edit a moment after the
 * conversation acknowledged it: until then a page waits for it (and answers 503 after the wait, as for a gap) rather
 * than show the text from before the edit.
 */
class EditedHistoryTest {
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aPageBelowTheWindowNeverShowsTheTextFromBeforeAnAcknowledgedEdit(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database, ConfigFactory.parseString("parley.conversation.recent-window = 3"))) {
      HttpApi api = new HttpApi(node::uri);
      String conversation = direct(api);
      String first = postFive(api, conversation)[1];
      String history = "/api/conversations/" + conversation + "/messages?limit=5";
      // The read side stops before the edit, as if it lagged.
      ProjectionId slice = readSideOf(node, conversation);
      ProjectionManagement management = ProjectionManagement.get(node.node().system());
      management.pause(slice).toCompletableFuture().get(10, TimeUnit.SECONDS);
      HttpApi.Response edited =
          api.patch("/api/conversations/" + conversation + "/messages/" + first, ANA, "{\"content\":\"fixed\"}");
      assertThat(edited.status()).as(edited.body()).isEqualTo(200);

      HttpApi.Response whileBehind = api.get(history, BO);
      assertThat(whileBehind.body()).doesNotContain("message 1");
      assertThat(whileBehind.status()).isEqualTo(503);
      assertThat(whileBehind.code()).isEqualTo("unavailable");

      management.resume(slice).toCompletableFuture().get(10, TimeUnit.SECONDS);
      JsonNode caughtUp =
          Eventually.await("the page once the read side has the edit", () -> api.get(history, BO), r -> r.status() == 200)
              .json();
      assertThat(caughtUp.get("messages").get(0).get("content").asText()).isEqualTo("fixed");
      assertThat(caughtUp.get("messages").get(0).get("editedAt").isNull()).isFalse();
    }
  }

  /** The same for a retry of a message older than the window: its original is never shown as it was before. */
  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aRetryBelowTheWindowNeverShowsTextTakenBack(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database, ConfigFactory.parseString("parley.conversation.recent-window = 3"))) {
      HttpApi api = new HttpApi(node::uri);
      String conversation = direct(api);
      String messages = "/api/conversations/" + conversation + "/messages";
      String[] ids = postFive(api, conversation);
      ProjectionId slice = readSideOf(node, conversation);
      ProjectionManagement management = ProjectionManagement.get(node.node().system());
      management.pause(slice).toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(api.delete(messages + "/" + ids[1], ANA).status()).isEqualTo(200);
      assertThat(api.patch(messages + "/" + ids[2], ANA, "{\"content\":\"fixed\"}").status()).isEqualTo(200);

      for (int i = 1; i <= 2; i++) {
        HttpApi.Response retry = api.post(messages, ANA, "{\"clientMsgId\":\"r-" + i + "\",\"content\":\"again\"}");
        assertThat(retry.body()).as("retry of r-" + i).doesNotContain("message " + i);
        assertThat(retry.status()).as("retry of r-" + i).isEqualTo(503);
      }

      management.resume(slice).toCompletableFuture().get(10, TimeUnit.SECONDS);
      JsonNode deleted =
          Eventually.await(
                  "the deleted original",
                  () -> api.post(messages, ANA, "{\"clientMsgId\":\"r-1\",\"content\":\"again\"}"),
                  r -> r.status() == 200)
              .json();
      assertThat(deleted.get("id").asText()).isEqualTo(ids[1]);
      assertThat(deleted.get("deleted").asBoolean()).isTrue();
      JsonNode edited = api.post(messages, ANA, "{\"clientMsgId\":\"r-2\",\"content\":\"again\"}").json();
      assertThat(edited.get("content").asText()).isEqualTo("fixed");
      assertThat(api.get(messages + "?limit=10", ANA).json().get("lastSeq").asLong()).as("nothing posted twice").isEqualTo(5);
    }
  }

  private static String direct(HttpApi api) {
    return api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"bo\"}").json().get("id").asText();
  }

  /** Posts r-1..r-5 as ana and waits until the read side holds the two below the window; their ids by number. */
  private static String[] postFive(HttpApi api, String conversation) {
    String messages = "/api/conversations/" + conversation + "/messages";
    String[] ids = new String[6];
    for (int i = 1; i <= 5; i++) {
      HttpApi.Response posted =
          api.post(messages, ANA, "{\"clientMsgId\":\"r-" + i + "\",\"content\":\"message " + i + "\"}");
      assertThat(posted.status()).as(posted.body()).isEqualTo(201);
      ids[i] = posted.json().get("id").asText();
    }
    Eventually.await("the read side to hold messages 1 and 2", () -> api.get(messages + "?limit=5", BO).status(), s -> s == 200);
    return ids;
  }

  /** The read side's projection of the conversation's slice. */
  private static ProjectionId readSideOf(TestNode node, String conversation) {
    int slices = ConversationSettings.fromConfig(node.node().system().settings().config()).tagSlices();
    return ProjectionId.of(ConversationProjection.NAME, Conversation.tagFor(conversation, slices));
  }
}
