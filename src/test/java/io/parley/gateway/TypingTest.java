package io.parley.gateway;

import static io.parley.testkit.WsFrames.typing;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.metrics.GatewayStats;
import io.parley.testkit.Eventually;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Typing indicators start, renew, and always end: on expiry, on send, on leave, and when the last session drops. */
class TypingTest {
  /** Long enough for a step or two of a test on a loaded machine, short enough to wait for an expiry. */
  private static final Duration TYPING_TIMEOUT = Duration.ofSeconds(3);

  @RegisterExtension
  static final LiveNode live =
      new LiveNode("parley.conversation.typing-timeout = " + TYPING_TIMEOUT.toMillis() + "ms");


  private static String direct(String a, String b) {
    return live.api().post("/api/conversations", TestTokens.user(a), "{\"type\":\"direct\",\"userId\":\"" + b + "\"}")
        .json()
        .get("id")
        .asText();
  }

  private static JsonNode nextTyping(WsClient client) {
    return client.until("typing");
  }

  /** The ttlMs of the typing frame {@code reader} gets when {@code typist} types again. */
  private static long nextTypingTtl(WsClient typist, WsClient reader, String conversationId) {
    typist.send(typing(conversationId, false));
    nextTyping(reader);
    typist.send(typing(conversationId, true));
    return nextTyping(reader).get("ttlMs").asLong();
  }

  @Test
  void typingExpiresOnItsOwnAndEveryoneHearsItEnded() {
    String id = direct("ty1", "ty2");
    try (WsClient typist = WsClient.signedIn(live.node(), TestTokens.user("ty1"));
        WsClient reader = WsClient.signedIn(live.node(), TestTokens.user("ty2"))) {
      typist.send(typing(id, true));
      JsonNode started = nextTyping(reader);
      assertThat(started.get("userId").asText()).isEqualTo("ty1");
      assertThat(started.get("isTyping").asBoolean()).isTrue();
      assertThat(started.get("ttlMs").asLong()).isEqualTo(TYPING_TIMEOUT.toMillis());
      // The typist never says it stopped: the server ends it.
      JsonNode ended = nextTyping(reader);
      assertThat(ended.get("isTyping").asBoolean()).isFalse();
      typist.expectNothing(Duration.ofMillis(200));
    }
  }

  @Test
  void sendingEndsTypingBeforeTheMessageArrives() {
    String id = direct("ty3", "ty4");
    try (WsClient typist = WsClient.signedIn(live.node(), TestTokens.user("ty3"));
        WsClient reader = WsClient.signedIn(live.node(), TestTokens.user("ty4"))) {
      typist.send(typing(id, true));
      assertThat(nextTyping(reader).get("isTyping").asBoolean()).isTrue();
      typist.send("{\"type\":\"send\",\"conversationId\":\"" + id + "\",\"clientMsgId\":\"t\",\"content\":\"done\"}");
      JsonNode stopped = reader.next("typing");
      assertThat(stopped.get("isTyping").asBoolean()).isFalse();
      assertThat(reader.next("message").get("content").asText()).isEqualTo("done");
    }
  }

  @Test
  void theLastSessionDroppingEndsTypingButAnotherSessionKeepsIt() {
    String id = direct("ty5", "ty6");
    AtomicLong connections = GatewayStats.get(live.node().node().system()).connections;
    try (WsClient reader = WsClient.signedIn(live.node(), TestTokens.user("ty6"))) {
      WsClient phone = WsClient.signedIn(live.node(), TestTokens.user("ty5"));
      WsClient laptop = WsClient.signedIn(live.node(), TestTokens.user("ty5"));
      // The sessions of earlier tests are gone: the counts below are these three's.
      Eventually.await("only this test's three sessions", connections::get, open -> open == 3);
      phone.send(typing(id, true));
      laptop.send(typing(id, true));
      assertThat(nextTyping(reader).get("isTyping").asBoolean()).isTrue();

      // The laptop renews its typing, so that it cannot expire meanwhile; its join answers once the conversation
      // has taken the renewal.
      laptop.send(typing(id, true));
      laptop.send(join(id, "l"));
      laptop.until("joined");

      phone.abort();
      // A session is counted out once it has stopped, after telling the conversation it stopped typing: whatever
      // reaches the conversation through this node from now on comes after that.
      Eventually.await("the phone's session gone", connections::get, open -> open == 2);
      List<JsonNode> beforeJoined = new ArrayList<>();
      reader.send(join(id, "r"));
      JsonNode joined = reader.until(frame -> frame.path("type").asText().equals("joined"), beforeJoined);
      assertThat(joined.get("typing")).as("the laptop still types").extracting(JsonNode::asText).containsExactly("ty5");
      assertThat(beforeJoined).as("no stop while the laptop types").noneMatch(TypingTest::isStop);
      assertThat(reader.drain()).as("no stop while the laptop types").noneMatch(TypingTest::isStop);

      laptop.abort();
      JsonNode ended = nextTyping(reader);
      while (ended.get("isTyping").asBoolean()) ended = nextTyping(reader);
      assertThat(ended.get("userId").asText()).isEqualTo("ty5");
    }
  }

  @Test
  void leavingEndsTypingAndAConversationTheUserIsNotInIsNotFoundWhetherItExistsOrNot() {
    String id = direct("ty10", "ty11");
    try (WsClient typist = WsClient.signedIn(live.node(), TestTokens.user("ty10"));
        WsClient reader = WsClient.signedIn(live.node(), TestTokens.user("ty11"));
        WsClient stranger = WsClient.signedIn(live.node(), TestTokens.user("ty12"))) {
      typist.send(typing(id, true));
      assertThat(nextTyping(reader).get("isTyping").asBoolean()).isTrue();
      assertThat(typist.send(leave(id, "l")).next("ok").get("ref").asText()).isEqualTo("l");
      JsonNode ended = nextTyping(reader);
      assertThat(ended.get("isTyping").asBoolean()).isFalse();
      assertThat(reader.send(leave(id, "r")).next("ok").get("ref").asText()).as("not typing there").isEqualTo("r");

      JsonNode notIn = stranger.send(leave(id, "a")).next("error");
      JsonNode nowhere = stranger.send(leave("g_" + "0".repeat(32), "b")).next("error");
      JsonNode garbage = stranger.send(leave("garbage", "c")).next("error");
      for (JsonNode refused : List.of(notIn, nowhere, garbage)) {
        assertThat(refused.get("code").asText()).isEqualTo("not_found");
        assertThat(refused.get("message")).as("no telling which exists").isEqualTo(notIn.get("message"));
      }
      assertThat(List.of(notIn, nowhere, garbage))
          .extracting(f -> f.get("ref").asText())
          .containsExactly("a", "b", "c");
    }
  }

  private static String leave(String conversationId, String ref) {
    return "{\"type\":\"leave\",\"ref\":\"" + ref + "\",\"conversationId\":\"" + conversationId + "\"}";
  }

  private static String join(String conversationId, String ref) {
    return "{\"type\":\"join\",\"ref\":\"" + ref + "\",\"conversationId\":\"" + conversationId + "\"}";
  }

  private static boolean isStop(JsonNode frame) {
    return frame.path("type").asText().equals("typing") && !frame.path("isTyping").asBoolean();
  }

  @Test
  void joinReportsWhoIsTypingAndStrangersCannotType() {
    String id = direct("ty7", "ty8");
    try (WsClient typist = WsClient.signedIn(live.node(), TestTokens.user("ty7"));
        WsClient reader = WsClient.signedIn(live.node(), TestTokens.user("ty8"));
        WsClient stranger = WsClient.signedIn(live.node(), TestTokens.user("ty9"))) {
      typist.send(typing(id, true));
      nextTyping(reader);
      reader.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\"}");
      JsonNode joined = reader.until("joined");
      assertThat(joined.get("typing")).extracting(JsonNode::asText).containsExactly("ty7");
      assertThat(joined.get("typingTtlMs").asLong())
          .as("the indicators a join lists expire on the client too, as a typing frame's do")
          .isEqualTo(nextTypingTtl(typist, reader, id));
      stranger.send(typing(id, true).replace("}", ",\"ref\":\"s\"}"));
      JsonNode error = stranger.next("error");
      assertThat(error.get("code").asText()).isEqualTo("not_found");
      assertThat(error.get("ref").asText()).isEqualTo("s");
      stranger.send("{\"type\":\"typing\",\"conversationId\":\"" + id + "\"}");
      assertThat(stranger.next("error").get("code").asText()).isEqualTo("bad_request");
    }
  }
}
