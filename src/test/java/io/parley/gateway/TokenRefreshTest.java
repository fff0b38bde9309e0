package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.SupabaseProject;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that refreshes its token just before it expires keeps its session, even when the fresh token's key must
 * first be fetched and the fetch outlasts the old token.
 */
class TokenRefreshTest {
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
  void aRefreshStillBeingVerifiedWhenTheOldTokenExpiresKeepsTheSessionOpen() throws InterruptedException {
    Map<String, Object> shortLived = project.userClaims("refresher");
    // The session ends at exp plus the verifier's leeway: far enough ahead that signing in on a slow machine ends well
    // before it.
    Duration leeway = project.node().node().system().settings().config().getDuration("parley.auth.leeway");
    Instant exp = Instant.ofEpochSecond(Instant.now().plusSeconds(6).minus(leeway).getEpochSecond());
    Instant expiry = exp.plus(leeway);
    shortLived.put("exp", exp.getEpochSecond());
    Map<String, Object> fresh = project.userClaims("refresher");
    try (WsClient client = WsClient.signedIn(project.node(), project.hs256(shortLived))) {
      Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiry).toMillis() - 2000));
      // The fresh token is signed with a key from the JWKS, which the node has not fetched yet; the fetch is held
      // until past the old token's expiry (and within the 5 s a fetch may take).
      CountDownLatch held = project.jwks().holdAnswers();
      client.send("{\"type\":\"auth\",\"ref\":\"refresh\",\"token\":\"" + project.rs256(fresh) + "\"}");
      Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiry).toMillis()) + 1500);
      held.countDown();

      assertThat(client.next("ok").get("ref").asText()).isEqualTo("refresh");
      assertThat(client.send("{\"type\":\"ping\",\"ref\":\"p\"}").next("pong").get("ref").asText()).isEqualTo("p");
    }
  }
}
