package io.parley.gateway;

import static io.parley.testkit.WsFrames.frame;
import static io.parley.testkit.WsFrames.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NodeReadiness;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestJwksServer;
import io.parley.testkit.TestKeys;
import io.parley.testkit.TestNode;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client may send frames as soon as its socket opens, while the server is still verifying its token: they are
 * answered as from the token's user once it is verified, not refused as unauthenticated. The token is an ES256 one
 * whose key the node must first fetch from a JWKS endpoint that holds its answer, so the verification is slow for
 * certain.
 */
class EarlyFramesTest {
  private static final TestKeys KEYS = new TestKeys();
  private static TestJwksServer jwks;
  private static TestDatabase database;
  private static TestNode node;

  @BeforeAll
  static void start() {
    jwks = new TestJwksServer(KEYS.jwks());
    database = TestDatabase.h2();
    node =
        TestNode.start(
            database,
            ConfigFactory.parseMap(
                Map.of(
                    "parley.auth.jwt-secret", TestNode.JWT_SECRET,
                    "parley.auth.supabase-url", jwks.supabaseUrl())));
  }

  @AfterAll
  static void stop() {
    try {
      if (node != null) NodeReadiness.awaitSettled(node.node());
    } finally {
      if (node != null) node.close();
      if (database != null) database.close();
      if (jwks != null) jwks.close();
    }
  }

  /** Signed with the project's HS256 secret: verified without the JWKS. */
  private static String hs256(String userId) {
    return TestKeys.sign(Algorithm.HMAC256(TestNode.JWT_SECRET), null, claims(userId));
  }

  /** Signed with a key of the JWKS. */
  private static String es256(String userId) {
    return TestKeys.sign(KEYS.ecSigner(), TestKeys.EC_KID, claims(userId));
  }

  /** The claims of a Supabase access token of this project. */
  private static Map<String, Object> claims(String userId) {
    long now = Instant.now().getEpochSecond();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", "authenticated");
    claims.put("exp", now + 3600);
    claims.put("iat", now);
    claims.put("iss", jwks.supabaseUrl() + "/auth/v1");
    claims.put("sub", userId);
    claims.put("email", userId + "@example.test");
    claims.put("role", "authenticated");
    return claims;
  }

  @Test
  void framesSentWhileTheTokenIsVerifiedAreAnsweredInOrderOnceItIs() {
    HttpApi.Response created =
        new HttpApi(node::uri)
            .post(
                "/api/conversations",
                hs256("early-a"),
                "{\"type\":\"group\",\"title\":\"early\",\"participantIds\":[\"early-b\",\"early-c\"]}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = created.json().get("id").asText();

    CountDownLatch held = jwks.holdAnswers();
    // One signs in with the upgrade's header, the other with an auth frame; both go on at once, like a phone
    // resuming after a reconnect.
    try (WsClient byHeader = WsClient.connect(node.wsUri("/ws"), Map.of("Authorization", "Bearer " + es256("early-b")));
        WsClient byFrame = WsClient.connect(node.wsUri("/ws"), Map.of())) {
      byHeader.send(frame("join", "ref", "j", "conversationId", id, "since", 0));
      byHeader.send(frame("ping", "ref", "p"));
      byFrame.send(frame("auth", "token", es256("early-c")));
      byFrame.send(frame("join", "ref", "j", "conversationId", id));
      byHeader.expectNothing(Duration.ofMillis(500));
      byFrame.expectNothing(Duration.ofMillis(10));
      held.countDown();

      assertThat(byHeader.next("connected").get("userId").asText()).isEqualTo("early-b");
      // The ping is answered at once; the join once the conversation has answered.
      assertThat(byHeader.next("pong").get("ref").asText()).isEqualTo("p");
      assertThat(byHeader.next("joined").get("conversationId").asText()).isEqualTo(id);
      assertThat(byFrame.next("connected").get("userId").asText()).isEqualTo("early-c");
      assertThat(byFrame.next("joined").get("conversationId").asText()).isEqualTo(id);

      // Both are now in the conversation from its first message on.
      try (WsClient sender = WsClient.signedIn(node, hs256("early-a"))) {
        sender.send(send(id, "m1", "hello", "s"));
        assertThat(sender.until("sent").get("seq").asLong()).isEqualTo(1);
      }
      for (WsClient device : List.of(byHeader, byFrame)) {
        JsonNode message = device.next("message");
        assertThat(message.get("seq").asLong()).isEqualTo(1);
      }
    } finally {
      held.countDown();
    }
  }
}
