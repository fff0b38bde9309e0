package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.api.Json;
import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.ProjectionOffsets;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import io.parley.tools.FakeFcmTransport;
import io.parley.user.User;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A message reaches the inbox and the phone of a recipient who had no session from the journal, not from the tell
 * the conversation sends its participants: a node that stored messages and died before any inbox heard of them loses
 * no notification and no push, and doubles none.
 */
class MessageInboxesTest {
  /** No presence settle: the restarted node's pushes leave at once rather than 5 s after each entity starts. */
  private static final Config NO_SETTLE = ConfigFactory.parseString("parley.user.presence-settle = 0s");

  /** The first node stores messages and never puts them into inboxes, as if it died right after each was stored. */
  private static final Config STORES_ONLY =
      ConfigFactory.parseString("parley.notifications.messages.enabled = off").withFallback(NO_SETTLE);

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void messagesStoredBeforeACrashReachTheOfflineInboxAndPhoneOnceAfterTheRestart(String kind) {
    String direct;
    String group;
    try (TestDatabase database = TestDatabase.named(kind)) {
      FakeFcmTransport before = new FakeFcmTransport();
      try (TestNode first = TestNode.start(database, STORES_ONLY, before)) {
        HttpApi api = new HttpApi(first::uri);
        new NotificationApi(api).registerDevice("mc2", "mc2-phone");
        new NotificationApi(api).registerDevice("mc3", "mc3-phone");
        direct = api.post("/api/conversations", TestTokens.user("mc1"), "{\"type\":\"direct\",\"userId\":\"mc2\"}")
            .json().get("id").asText();
        group = api.post("/api/conversations", TestTokens.user("mc1"),
                "{\"type\":\"group\",\"title\":\"Team\",\"participantIds\":[\"mc2\",\"mc3\"]}")
            .json().get("id").asText();
        try (WsClient mc3 = WsClient.signedIn(first, TestTokens.user("mc3"))) {
          post(api, direct, "first");
          post(api, direct, "second");
          String deleted = post(api, direct, "deleted before any inbox heard of it");
          assertThat(api.delete("/api/conversations/" + direct + "/messages/" + deleted, TestTokens.user("mc1"))
              .status()).isEqualTo(200);
          post(api, group, "to the team");
          // mc3 is online and says so: their watermark passes the message, so no notification is owed to them.
          JsonNode live = mc3.until("message");
          mc3.send("{\"type\":\"delivered\",\"ref\":\"d1\",\"conversationId\":\"" + group + "\",\"seq\":"
              + live.get("seq").asLong() + "}");
          Eventually.await(
              "mc3's delivered watermark",
              () -> api.get("/api/conversations/" + group, TestTokens.user("mc1")).json(),
              view -> deliveredUpTo(view, "mc3") >= live.get("seq").asLong());
        }
        assertThat(api.get("/api/notifications", TestTokens.user("mc2")).json().get("notifications"))
            .as("nothing reaches an inbox while the projection is off")
            .isEmpty();
      }
      assertThat(before.count()).isZero();

      FakeFcmTransport after = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, NO_SETTLE, after)) {
        HttpApi api = new HttpApi(second::uri);
        // A user's messages reach the inbox in order, but the projection may take them in more than one group.
        JsonNode inbox =
            Eventually.await(
                "mc2's notifications of both conversations, the direct one counting both messages",
                () -> api.get("/api/notifications", TestTokens.user("mc2")).json(),
                page -> page.get("notifications").size() >= 2 && about(page, direct).get("count").asInt() >= 2);
        assertThat(inbox.get("unreadCount").asInt()).isEqualTo(2);
        JsonNode ofDirect = about(inbox, direct);
        assertThat(ofDirect.get("count").asInt()).as("the deleted message is not counted").isEqualTo(2);
        assertThat(ofDirect.get("body").asText()).isEqualTo("2 new messages from mc1");
        assertThat(about(inbox, group).path("body").asText()).isEqualTo("to the team");

        List<FakeFcmTransport.Request> pushes =
            Eventually.await(
                "the pushes after the restart",
                () -> after.requests().stream().filter(r -> r.token().equals("mc2-phone")).toList(),
                sent -> sent.stream().anyMatch(r -> r.message().path("data").path("conversationId").asText().equals(group))
                    && sent.stream().anyMatch(r -> r.message().path("data").path("count").asText().equals("2")));
        assertThat(pushes).hasSizeBetween(2, 3);
        // Offsets are stored once the inboxes and pushes are settled: past them, another push would have shown.
        awaitSettled(database, second);
        assertThat(after.requests()).extracting(FakeFcmTransport.Request::token).containsOnly("mc2-phone");
        JsonNode settled = api.get("/api/notifications", TestTokens.user("mc2")).json();
        assertThat(about(settled, direct).get("count").asInt()).as("the deleted message, later, not counted either").isEqualTo(2);
        assertThat(settled.get("unreadCount").asInt()).isEqualTo(2);
        assertThat(api.get("/api/notifications", TestTokens.user("mc3")).json().get("notifications"))
            .as("mc3 had the message delivered")
            .isEmpty();
      }

      FakeFcmTransport third = new FakeFcmTransport();
      try (TestNode again = TestNode.start(database, NO_SETTLE, third)) {
        HttpApi api = new HttpApi(again::uri);
        // A third message in the direct conversation, so through the same slices: once it is pushed and the offsets
        // stored, the projections have run past the first messages, which they would have pushed again by now had
        // they started from before them.
        post(api, direct, "third, after another restart");
        Eventually.await("the push of the message posted after another restart", third::count, count -> count >= 1);
        awaitSettled(database, again);
        assertThat(third.requests())
            .as("messages already notified are not pushed again after another restart")
            .singleElement()
            .satisfies(push -> {
              assertThat(push.token()).isEqualTo("mc2-phone");
              assertThat(push.message().path("data").path("conversationId").asText()).isEqualTo(direct);
              assertThat(push.message().path("data").path("count").asText()).isEqualTo("3");
            });
        JsonNode inbox = api.get("/api/notifications", TestTokens.user("mc2")).json();
        assertThat(inbox.get("notifications")).hasSize(2);
        assertThat(about(inbox, direct).get("count").asInt()).as("each message counted once").isEqualTo(3);
      }
    }
  }

  @Test
  void aMessageIsNotifiedAsItIsNowAndNeverWithTextItsSenderTookBack() {
    Instant at = Instant.parse("2026-01-01T10:00:00Z");
    Conversation.MessagePosted posted =
        new Conversation.MessagePosted("c1", "m1", 7, "ana", "cm1", "secret", null, at, "Ana");
    Map<String, Conversation.Event> noChange = Map.of();
    Set<String> noneDeleted = Set.of();
    Map<String, Instant> noneEdited = Map.of();
    Conversation.MessageEdited edit = new Conversation.MessageEdited("c1", "m1", 7, "fixed", at.plusSeconds(2));
    Map<String, Conversation.Event> editedInTheGroup = Map.of("m1", edit);

    MessageView held = posted.view().edited("edited in the window", at.plusSeconds(3));
    assertThat(MessageInboxes.Filler.current(posted, Map.of(7L, held), noneDeleted, noneEdited, noChange))
        .hasValueSatisfying(now -> assertThat(now.content()).isEqualTo("edited in the window"));
    assertThat(MessageInboxes.Filler.current(posted, Map.of(7L, held), noneDeleted, noneEdited, editedInTheGroup))
        .as("the window has the edit after the group's")
        .hasValueSatisfying(now -> assertThat(now.content()).isEqualTo("edited in the window"));
    assertThat(
            MessageInboxes.Filler.current(
                posted, Map.of(7L, held.tombstone(at.plusSeconds(4))), noneDeleted, noneEdited, noChange))
        .isEmpty();

    assertThat(MessageInboxes.Filler.current(posted, Map.of(), noneDeleted, noneEdited, noChange))
        .as("it may have changed since it left the window")
        .hasValueSatisfying(now -> assertThat(now.content()).isNull());
    assertThat(MessageInboxes.Filler.current(posted, Map.of(), noneDeleted, Map.of("m1", edit.at()), editedInTheGroup))
        .as("the group's edit is the last")
        .hasValueSatisfying(now -> assertThat(now.content()).isEqualTo("fixed"));
    assertThat(
            MessageInboxes.Filler.current(
                posted, Map.of(), noneDeleted, Map.of("m1", at.plusSeconds(5)), editedInTheGroup))
        .as("edited again since, in a later group")
        .hasValueSatisfying(now -> assertThat(now.content()).isNull());
    assertThat(
            MessageInboxes.Filler.current(
                posted, Map.of(), noneDeleted, Map.of("m1", at.plusSeconds(1)), editedInTheGroup))
        .as("edited again since, by a node whose clock is behind")
        .hasValueSatisfying(now -> assertThat(now.content()).isNull());
    assertThat(MessageInboxes.Filler.current(posted, Map.of(), noneDeleted, noneEdited, editedInTheGroup))
        .as("the conversation no longer remembers the last edit")
        .hasValueSatisfying(now -> assertThat(now.content()).isNull());
    assertThat(MessageInboxes.Filler.current(posted, Map.of(), noneDeleted, null, editedInTheGroup))
        .as("a node of an earlier version does not say when it was last edited")
        .hasValueSatisfying(now -> assertThat(now.content()).isNull());

    Map<String, Conversation.Event> deletedInTheGroup =
        Map.of("m1", new Conversation.MessageDeleted("c1", "m1", 7, "ana", at.plusSeconds(3)));
    assertThat(MessageInboxes.Filler.current(posted, Map.of(), noneDeleted, noneEdited, deletedInTheGroup)).isEmpty();
    assertThat(MessageInboxes.Filler.current(posted, Map.of(), Set.of("m1"), Map.of("m1", edit.at()), editedInTheGroup))
        .as("deleted outside the window, in a later group")
        .isEmpty();
  }

  /** Waits until the inbox and push projections have stored offsets past every message and notification so far. */
  private static void awaitSettled(TestDatabase database, TestNode node) {
    Config config = node.node().system().settings().config();
    ProjectionOffsets.awaitPastLastEvent(
        database,
        "message-inboxes",
        ProjectionOffsets.tags(config.getInt("parley.conversation.tag-slices"), Conversation::sliceTag));
    ProjectionOffsets.awaitPastLastEvent(
        database, "push", ProjectionOffsets.tags(config.getInt("parley.push.tag-slices"), User::pushTag));
  }

  private static String post(HttpApi api, String conversation, String content) {
    HttpApi.Response posted =
        api.post("/api/conversations/" + conversation + "/messages", TestTokens.user("mc1"),
            "{\"content\":\"" + content + "\"}");
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    return posted.json().get("id").asText();
  }

  private static long deliveredUpTo(JsonNode conversation, String userId) {
    for (JsonNode p : conversation.get("participants")) {
      if (p.get("userId").asText().equals(userId)) return p.get("deliveredUpTo").asLong();
    }
    return -1;
  }

  private static JsonNode about(JsonNode inbox, String conversation) {
    for (JsonNode n : inbox.get("notifications")) {
      if (n.get("data").get("conversationId").asText().equals(conversation)) return n;
    }
    return Json.MAPPER.createObjectNode().put("count", 0);
  }
}
