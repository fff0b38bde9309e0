package io.parley.gateway;

import static io.parley.testkit.WsFrames.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.Json;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.PreciseNumbers;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The WebSocket gateway against a real node, with real clients over real sockets. */
class GatewayTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  /** A frame that needs the session's user, answered with ok. */
  private static final String PRESENCE_SET = "{\"type\":\"presence.set\",\"ref\":\"%s\",\"status\":\"%s\"}";

  /** When the node's verifier starts refusing {@code token}: its exp plus {@code parley.auth.leeway} (10 s). */
  private static Instant refusedFrom(String token) {
    Duration leeway = live.node().node().system().settings().config().getDuration("parley.auth.leeway");
    return JWT.decode(token).getExpiresAtAsInstant().plus(leeway);
  }


  private static String group(String creator, String... others) {
    String body =
        "{\"type\":\"group\",\"title\":\"ws\",\"participantIds\":[\""
            + String.join("\",\"", others)
            + "\"]}";
    HttpApi.Response created = live.api().post("/api/conversations", TestTokens.user(creator), body);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().get("id").asText();
  }

  @Test
  void authenticatesByHeaderQueryOrFirstFrame() {
    try (WsClient byHeader = WsClient.signedIn(live.node(), TestTokens.user("h1"))) {
      JsonNode connected = byHeader.send("{\"type\":\"ping\",\"ref\":\"p\"}").next("pong");
      assertThat(connected.get("ref").asText()).isEqualTo("p");
    }
    try (WsClient byQuery = WsClient.connect(live.node().wsUri("/ws?access_token=" + TestTokens.user("h2")), Map.of())) {
      JsonNode connected = byQuery.next("connected");
      assertThat(connected.get("userId").asText()).isEqualTo("h2");
      assertThat(connected.get("heartbeatMs").asLong()).isPositive();
      assertThat(connected.get("sessionId").asText()).isNotBlank();
    }
    try (WsClient byFrame = WsClient.connect(live.node().wsUri("/ws"), Map.of())) {
      byFrame.send("{\"type\":\"join\",\"conversationId\":\"g_" + "0".repeat(32) + "\",\"ref\":\"early\"}");
      assertThat(byFrame.next("error").get("code").asText()).isEqualTo("unauthorized");
      byFrame.send("{\"type\":\"auth\",\"token\":\"" + TestTokens.user("h3") + "\"}");
      assertThat(byFrame.next("connected").get("userId").asText()).isEqualTo("h3");
    }
  }

  @Test
  void aBadTokenGetsAnErrorFrameThenClose4001() {
    try (WsClient client = WsClient.connect(live.node().wsUri("/ws?access_token=garbage"), Map.of())) {
      assertThat(client.next("error").get("code").asText()).isEqualTo("token_malformed");
      assertThat(client.awaitClose().code()).isEqualTo(4001);
    }
    String expired = TestTokens.user("late", TestNode.JWT_SECRET, Instant.now().minusSeconds(120));
    try (WsClient client = WsClient.connect(live.node().wsUri("/ws"), Map.of())) {
      client.send("{\"type\":\"auth\",\"token\":\"" + expired + "\"}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("token_expired");
      WsClient.Closed closed = client.awaitClose();
      assertThat(closed.code()).isEqualTo(4001);
      assertThat(closed.reason()).isEqualTo("token_expired");
    }
  }

  @Test
  void aTokenValidForLongerThanTheSchedulerCanWaitStillGivesAWorkingSession() {
    // Akka's scheduler refuses delays past about 248 days; the expiry timer must not take the session down with it.
    String longLived = TestTokens.user("lasting", TestNode.JWT_SECRET, Instant.now().plus(java.time.Duration.ofDays(300)));
    try (WsClient client = WsClient.signedIn(live.node(), longLived)) {
      assertThat(client.send("{\"type\":\"ping\",\"ref\":\"p\"}").next("pong").get("ref").asText()).isEqualTo("p");
      client.send("{\"type\":\"auth\",\"ref\":\"again\",\"token\":\"" + longLived + "\"}");
      assertThat(client.next("ok").get("ref").asText()).isEqualTo("again");
      assertThat(client.send("{\"type\":\"ping\",\"ref\":\"q\"}").next("pong").get("ref").asText()).isEqualTo("q");
    }
  }

  @Test
  void aTokenPastItsExpButWithinTheLeewayServesUntilTheVerifierWouldRefuseItThenCloses4001() {
    // Expired 5 to 6 s ago (exp counts whole seconds): the verifier's 10 s leeway takes it for 4 to 5 more seconds,
    // long enough to sign in on a loaded machine, and so does REST.
    String late = TestTokens.user("brief", TestNode.JWT_SECRET, Instant.now().minusSeconds(5));
    Instant refusedFrom = refusedFrom(late);
    assertThat(live.api().get("/api/conversations", late).status()).isEqualTo(200);
    try (WsClient client = WsClient.signedIn(live.node(), late)) {
      assertThat(client.send(PRESENCE_SET.formatted("p", "away")).next("ok").get("ref").asText())
          .as("the session serves its user")
          .isEqualTo("p");
      assertThat(client.until("error").get("code").asText()).isEqualTo("token_expired");
      WsClient.Closed closed = client.awaitClose();
      assertThat(Instant.now()).as("closed once the verifier refuses the token, not before")
          .isAfterOrEqualTo(refusedFrom);
      assertThat(closed.code()).isEqualTo(4001);
      assertThat(closed.reason()).isEqualTo("token_expired");
    }
  }

  @Test
  void aRefreshWithAnExpiredTokenKeepsTheCurrentOneAndOneWithinTheLeewayIsInForceUntilItsEnd() {
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("refreshing"))) {
      String expired = TestTokens.user("refreshing", TestNode.JWT_SECRET, Instant.now().minusSeconds(60));
      assertThat(client.send("{\"type\":\"auth\",\"ref\":\"old\",\"token\":\"" + expired + "\"}").next("error")
          .get("code").asText()).isEqualTo("token_expired");
      assertThat(client.send(PRESENCE_SET.formatted("p", "away")).next("ok").get("ref").asText())
          .isEqualTo("p");

      // Taken, as REST would take it, though it expires sooner than the token it replaces: it is in force until the
      // verifier would refuse it.
      String late = TestTokens.user("refreshing", TestNode.JWT_SECRET, Instant.now().minusSeconds(6));
      Instant refusedFrom = refusedFrom(late);
      assertThat(client.send("{\"type\":\"auth\",\"ref\":\"late\",\"token\":\"" + late + "\"}").next("ok")
          .get("ref").asText()).isEqualTo("late");
      assertThat(client.send(PRESENCE_SET.formatted("q", "busy")).next("ok").get("ref").asText())
          .isEqualTo("q");
      assertThat(client.until("error").get("code").asText()).isEqualTo("token_expired");
      assertThat(client.awaitClose().code()).isEqualTo(4001);
      assertThat(Instant.now()).isAfterOrEqualTo(refusedFrom);
    }
  }

  @Test
  void aFreshTokenKeepsTheSessionOpenPastTheFirstOnesExpiry() throws InterruptedException {
    Instant firstExpires = Instant.now().plusSeconds(5);
    String shortLived = TestTokens.user("renew", TestNode.JWT_SECRET, firstExpires);
    try (WsClient client = WsClient.signedIn(live.node(), shortLived)) {
      client.send("{\"type\":\"auth\",\"ref\":\"a\",\"token\":\"" + TestTokens.user("renew") + "\"}");
      assertThat(client.next("ok").get("of").asText()).isEqualTo("auth");
      Thread.sleep(Math.max(0, Duration.between(Instant.now(), firstExpires.plusSeconds(1)).toMillis()));
      assertThat(client.send("{\"type\":\"ping\",\"ref\":\"still\"}").next("pong").get("ref").asText()).isEqualTo("still");
      // Another user's token cannot take over the session.
      client.send("{\"type\":\"auth\",\"token\":\"" + TestTokens.user("someone-else") + "\"}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("forbidden");
      assertThat(client.awaitClose().code()).isEqualTo(4001);
    }
  }

  @Test
  void deliversToEveryDeviceOfEachParticipantInSeqOrder() {
    String id = group("ana", "bo");
    try (WsClient anaPhone = WsClient.signedIn(live.node(), TestTokens.user("ana"));
        WsClient anaLaptop = WsClient.signedIn(live.node(), TestTokens.user("ana"));
        WsClient boPhone = WsClient.signedIn(live.node(), TestTokens.user("bo"))) {
      for (int i = 1; i <= 5; i++) anaPhone.send(send(id, "c" + i, "hello " + i, "r" + i));
      List<Long> sentSeqs = new ArrayList<>();
      List<Long> anaPhoneSeqs = new ArrayList<>();
      while (sentSeqs.size() < 5 || anaPhoneSeqs.size() < 5) {
        JsonNode frame = anaPhone.next();
        if (frame.get("type").asText().equals("sent")) sentSeqs.add(frame.get("seq").asLong());
        if (frame.get("type").asText().equals("message")) anaPhoneSeqs.add(frame.get("seq").asLong());
      }
      assertThat(sentSeqs).containsExactly(1L, 2L, 3L, 4L, 5L);
      assertThat(anaPhoneSeqs).containsExactly(1L, 2L, 3L, 4L, 5L);
      for (WsClient device : List.of(anaLaptop, boPhone)) {
        List<Long> seqs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          JsonNode message = device.next("message");
          assertThat(message.get("senderId").asText()).isEqualTo("ana");
          assertThat(message.get("conversationId").asText()).isEqualTo(id);
          seqs.add(message.get("seq").asLong());
        }
        assertThat(seqs).containsExactly(1L, 2L, 3L, 4L, 5L);
      }
    }
  }

  @Test
  void aRetriedClientMsgIdGetsTheOriginalSentAndNoDuplicate() {
    String id = group("cy", "di");
    try (WsClient cy = WsClient.signedIn(live.node(), TestTokens.user("cy"));
        WsClient di = WsClient.signedIn(live.node(), TestTokens.user("di"))) {
      JsonNode first = cy.send(send(id, "same", "once", "a")).until("sent");
      JsonNode retry = cy.send(send(id, "same", "once", "b")).until("sent");
      assertThat(retry.get("messageId")).isEqualTo(first.get("messageId"));
      assertThat(retry.get("seq").asLong()).isEqualTo(1);
      assertThat(retry.get("ref").asText()).isEqualTo("b");
      assertThat(di.next("message").get("seq").asLong()).isEqualTo(1);
      di.expectNothing(Duration.ofMillis(500));
    }
  }

  /** A send's metadata is kept as REST keeps it, its numbers exact: read as doubles, 1e400 was stored as "Infinity". */
  @Test
  void aSendsMetadataKeepsItsNumbersExactly() {
    String id = group("pn1", "pn2");
    String frame = send(id, "figures-1", "figures", "s1");
    String withMetadata = frame.substring(0, frame.length() - 1) + ",\"metadata\":" + PreciseNumbers.metadata() + "}";
    try (WsClient sender = WsClient.signedIn(live.node(), TestTokens.user("pn1"))) {
      assertThat(sender.send(withMetadata).next("sent").get("seq").asLong()).isEqualTo(1);
    }
    HttpApi.Response history = live.api().get("/api/conversations/" + id + "/messages", TestTokens.user("pn2"));
    PreciseNumbers.assertKeptIn(history.exactJson().get("messages").get(0));
  }

  @Test
  void anotherUsersConversationIsNotFound() {
    String id = group("el", "fa");
    try (WsClient eve = WsClient.signedIn(live.node(), TestTokens.user("eve"))) {
      JsonNode error = eve.send(send(id, "x", "intrude", "r")).next("error");
      assertThat(error.get("code").asText()).isEqualTo("not_found");
      assertThat(error.get("ref").asText()).isEqualTo("r");
      eve.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\"}");
      assertThat(eve.next("error").get("code").asText()).isEqualTo("not_found");
    }
  }

  @Test
  void aDroppedDeviceResumesWithExactlyWhatItMissed() {
    String id = group("gil", "hal");
    try (WsClient gil = WsClient.signedIn(live.node(), TestTokens.user("gil"))) {
      WsClient hal = WsClient.signedIn(live.node(), TestTokens.user("hal"));
      gil.send(send(id, "m1", "one", "1")).until("sent");
      assertThat(hal.next("message").get("seq").asLong()).isEqualTo(1);
      hal.abort();
      for (int i = 2; i <= 6; i++) gil.send(send(id, "m" + i, "n" + i, "" + i)).until("sent");
      try (WsClient back = WsClient.signedIn(live.node(), TestTokens.user("hal"))) {
        back.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\",\"since\":1}");
        // Live messages sent while the join is answered must come after the missed ones, without duplicates.
        gil.send(send(id, "m7", "n7", "7"));
        List<Long> seqs = new ArrayList<>();
        JsonNode joined = back.until("joined");
        joined.get("messages").forEach(m -> seqs.add(m.get("seq").asLong()));
        assertThat(joined.get("participants")).hasSize(2);
        while (!seqs.contains(7L)) seqs.add(back.next("message").get("seq").asLong());
        assertThat(seqs).containsExactly(2L, 3L, 4L, 5L, 6L, 7L);
        back.expectNothing(Duration.ofMillis(500));
      }
    }
  }

  @Test
  void receiptsReachEveryParticipantAndEditsAndDeletesToo() {
    String id = group("ivy", "jo");
    try (WsClient ivy = WsClient.signedIn(live.node(), TestTokens.user("ivy"));
        WsClient jo = WsClient.signedIn(live.node(), TestTokens.user("jo"))) {
      JsonNode sent = ivy.send(send(id, "r1", "read me", "s")).until("sent");
      jo.next("message");
      jo.send("{\"type\":\"read\",\"ref\":\"rd\",\"conversationId\":\"" + id + "\",\"seq\":1}");
      JsonNode receipt = ivy.until("receipt");
      assertThat(receipt.get("userId").asText()).isEqualTo("jo");
      assertThat(receipt.get("kind").asText()).isEqualTo("read");
      assertThat(receipt.get("seq").asLong()).isEqualTo(1);
      String messageId = sent.get("messageId").asText();
      ivy.send("{\"type\":\"edit\",\"ref\":\"e\",\"conversationId\":\"" + id + "\",\"messageId\":\"" + messageId
          + "\",\"content\":\"read me, please\"}");
      assertThat(jo.until("message.updated").get("content").asText()).isEqualTo("read me, please");
      ivy.send("{\"type\":\"delete\",\"ref\":\"d\",\"conversationId\":\"" + id + "\",\"messageId\":\"" + messageId + "\"}");
      assertThat(jo.until("message.deleted").get("seq").asLong()).isEqualTo(1);
    }
  }

  @Test
  void aStormOfMalformedFramesGetsErrorsAndHarmsNoOne() {
    String id = group("kai", "lu");
    try (WsClient storm = WsClient.signedIn(live.node(), TestTokens.user("kai"));
        WsClient bystander = WsClient.signedIn(live.node(), TestTokens.user("lu"))) {
      List<String> garbage =
          List.of(
              "{not json",
              "[]",
              "42",
              "null",
              "{\"type\":7}",
              "{\"type\":\"nonsense\"}",
              "{\"type\":\"send\",\"conversationId\":5,\"content\":\"x\"}",
              // Each conversation frame without its conversation.
              "{\"type\":\"send\",\"clientMsgId\":\"a\",\"content\":\"hi\"}",
              "{\"type\":\"send\",\"conversationId\":null,\"clientMsgId\":\"a\",\"content\":\"hi\"}",
              "{\"type\":\"edit\",\"messageId\":\"m\",\"content\":\"hi\"}",
              "{\"type\":\"delete\",\"messageId\":\"m\"}",
              "{\"type\":\"join\"}",
              "{\"type\":\"leave\"}",
              "{\"type\":\"typing\",\"isTyping\":true}",
              "{\"type\":\"read\",\"seq\":1}",
              "{\"type\":\"delivered\",\"seq\":1}",
              "{\"type\":\"read\",\"conversationId\":\"" + id + "\",\"seq\":\"seven\"}",
              "{\"type\":\"ping\",\"ref\":{\"a\":1}}",
              // Text no encoding can hold: stored, the conversation's journal would refuse it and stop the entity.
              "{\"type\":\"send\",\"conversationId\":\"" + id + "\",\"clientMsgId\":\"lone\",\"content\":\"a\\"
                  + "ud800b\"}",
              "{\"type\":\"read\",\"conversationId\":\"" + id + "\",\"seq\":1.5}",
              "{\"type\":\"ping\",\"n\":" + "9".repeat(60_000) + "}",
              // Under the frame limit, and deep enough to overflow a stack that writes it back.
              "{\"type\":\"ping\",\"p\":" + "[".repeat(30_000) + "]".repeat(30_000) + "}");
      for (String frame : garbage) {
        storm.send(frame);
        assertThat(storm.next("error").get("code").asText()).as(frame).isEqualTo("bad_request");
      }
      storm.sendBinary(new byte[] {1, 2, 3});
      assertThat(storm.next("error").get("code").asText()).isEqualTo("bad_request");
      storm.send("{\"type\":\"ping\",\"pad\":\"" + "x".repeat(1_000_000) + "\"}");
      assertThat(storm.next("error").get("code").asText()).isEqualTo("too_large");
      // Both sessions still work.
      storm.send(send(id, "ok", "still here", "ok")).until("sent");
      assertThat(bystander.next("message").get("content").asText()).isEqualTo("still here");
      storm.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\",\"since\":" + Long.MAX_VALUE + "}");
      JsonNode joined = storm.until("joined");
      assertThat(joined.get("messages")).as("nothing is after a seq past the last").isEmpty();
      assertThat(joined.get("hasMore").asBoolean()).isFalse();
    }
  }

  @Test
  void anUnknownFrameTypeIsQuotedCutBetweenCharactersNotWithinOne() {
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("emoji-typer"))) {
      // One char, then emoji of two chars each: a cut after 40 chars would split the twentieth.
      client.send("{\"type\":\"x" + "🙂".repeat(50) + "\"}");
      JsonNode error = client.next("error");
      assertThat(error.get("code").asText()).isEqualTo("bad_request");
      assertThat(error.get("message").asText()).isEqualTo("unknown frame type 'x" + "🙂".repeat(38) + "…'");
    }
  }

  @Test
  void aJoinAndAHistoryPageOverTheLongestMessagesGetEveryOneInOrder() {
    String id = group("lo1", "lo2");
    String longest = "語".repeat(4000);
    int count = 30;
    for (int i = 0; i < count; i++) {
      HttpApi.Response posted =
          live.api().post("/api/conversations/" + id + "/messages", TestTokens.user("lo1"), Json.write(Map.of("content", longest)));
      assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    }
    try (WsClient reader = WsClient.signedIn(live.node(), TestTokens.user("lo2"))) {
      reader.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\",\"since\":0}");
      List<JsonNode> frames = new ArrayList<>();
      JsonNode joined = reader.until("joined");
      assertThat(joined.get("hasMore").asBoolean()).as("a page of this much text is cut short").isTrue();
      frames.add(joined);
      if (joined.get("messages").size() < count) {
        frames.add(reader.until(f -> f.path("type").asText().equals("message") && f.get("seq").asLong() == count, frames));
      }
      List<JsonNode> messages = new ArrayList<>();
      joined.get("messages").forEach(messages::add);
      frames.stream().filter(f -> f.path("type").asText().equals("message")).forEach(messages::add);
      assertThat(messages).extracting(m -> m.get("seq").asLong())
          .containsExactlyElementsOf(LongStream.rangeClosed(1, count).boxed().toList());
      assertThat(messages).allMatch(m -> m.get("content").asText().equals(longest));
    }
    // Over REST, pages of this much text are cut short too, and page on to the oldest.
    List<Long> paged = new ArrayList<>();
    String before = "";
    while (true) {
      HttpApi.Response page =
          live.api().get("/api/conversations/" + id + "/messages?limit=50" + before, TestTokens.user("lo2"));
      assertThat(page.status()).as(page.body()).isEqualTo(200);
      List<Long> seqs = new ArrayList<>();
      page.json().get("messages").forEach(m -> seqs.add(m.get("seq").asLong()));
      assertThat(seqs).isNotEmpty().hasSizeLessThan(count);
      paged.addAll(0, seqs);
      if (!page.json().get("hasMore").asBoolean()) break;
      before = "&before=" + page.json().get("nextBefore").asLong();
    }
    assertThat(paged).containsExactlyElementsOf(LongStream.rangeClosed(1, count).boxed().toList());
  }

  @Test
  void theRateLimitAnswersRateLimitedAndRecovers() {
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("mo"))) {
      for (int i = 0; i < 100; i++) client.send("{\"type\":\"ping\",\"ref\":\"" + i + "\"}");
      int pongs = 0;
      int limited = 0;
      for (int i = 0; i < 100; i++) {
        JsonNode frame = client.next();
        if (frame.get("type").asText().equals("pong")) pongs++;
        else if (frame.get("code").asText().equals("rate_limited")) limited++;
      }
      assertThat(limited).isPositive();
      assertThat(pongs).isGreaterThanOrEqualTo(40);
      sleep(1500);
      assertThat(client.send("{\"type\":\"ping\",\"ref\":\"after\"}").next("pong").get("ref").asText()).isEqualTo("after");
    }
  }

  @Test
  void aRequestToTheSocketPathWithoutAnUpgradeIs400() {
    HttpApi.Response plain = live.api().get("/ws", null);
    assertThat(plain.status()).isEqualTo(400);
    assertThat(plain.code()).isEqualTo("bad_request");
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
