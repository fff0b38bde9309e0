package io.parley.gateway;

import static io.parley.testkit.WsFrames.frame;
import static io.parley.testkit.WsFrames.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.ApiError;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.SupabaseProject;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
  private static SupabaseProject project;

  @BeforeAll
  static void start() {
    project = SupabaseProject.start();
  }

  @AfterAll
  static void stop() {
    if (project != null) project.close();
  }

  @Test
  void framesSentWhileTheTokenIsVerifiedAreAnsweredInOrderOnceItIs() {
    HttpApi.Response created =
        new HttpApi(project.node()::uri)
            .post(
                "/api/conversations",
                project.hs256(project.userClaims("early-a")),
                "{\"type\":\"group\",\"title\":\"early\",\"participantIds\":[\"early-b\",\"early-c\"]}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = created.json().get("id").asText();

    CountDownLatch held = project.jwks().holdAnswers();
    // One signs in with the upgrade's header, the other with an auth frame; both go on at once, like a phone
    // resuming after a reconnect.
    String tokenOfB = project.es256(project.userClaims("early-b"));
    try (WsClient byHeader = WsClient.connect(project.node().wsUri("/ws"), Map.of("Authorization", "Bearer " + tokenOfB));
        WsClient byFrame = WsClient.connect(project.node().wsUri("/ws"), Map.of())) {
      byHeader.send(frame("join", "ref", "j", "conversationId", id, "since", 0));
      byHeader.send(frame("ping", "ref", "p"));
      byFrame.send(frame("auth", "token", project.es256(project.userClaims("early-c"))));
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
      try (WsClient sender = WsClient.signedIn(project.node(), project.hs256(project.userClaims("early-a")))) {
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

  @Test
  void eachFrameIsTakenFromTheSocketOnceEvenWhenItWaitedForTheToken() throws Exception {
    CountDownLatch held = project.jwks().holdAnswers();
    try {
      DetachedSession detached =
          new DetachedSession(
              project.node().node(), "early-frames-count", project.es256(project.userClaims("early-d")), deps -> deps);
      for (int i = 0; i < 5; i++) detached.session.tell(new Session.Incoming(frame("ping", "ref", "p" + i)));
      detached.session.tell(new Session.IncomingRejected(ApiError.TOO_LARGE, "too large"));
      Eventually.await("each frame taken as it reached the session", detached.taken::get, taken -> taken == 6);
      assertThat(detached.sent).as("nothing answered before the token is verified").isEmpty();
      held.countDown();
      for (int i = 0; i < 5; i++) {
        String pong = detached.sent.poll(10, TimeUnit.SECONDS);
        while (pong != null && !pong.contains("\"pong\"")) pong = detached.sent.poll(10, TimeUnit.SECONDS);
        assertThat(pong).as("pong " + i).contains("\"p" + i + "\"");
      }
      assertThat(detached.taken.get()).as("replaying them after the verification takes none again").isEqualTo(6);
      detached.session.tell(Session.ClientGone.INSTANCE);
    } finally {
      held.countDown();
    }
  }
}
