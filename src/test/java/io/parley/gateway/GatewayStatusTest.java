package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The admin view of the gateway: only the platform's backend may read it, and it counts what is connected. */
class GatewayStatusTest {
  private static final String ADMIN_TOKEN = "admin-token-for-tests-0123456789";

  @RegisterExtension
  static final LiveNode live = new LiveNode("parley.auth.admin-token = \"" + ADMIN_TOKEN + "\"");

  /** Supabase's service_role key: HS256 with the project secret, no sub, no aud. */
  private static String serviceRoleKey() {
    return JWT.create()
        .withIssuer("supabase")
        .withClaim("ref", "project")
        .withClaim("role", "service_role")
        .withIssuedAt(Instant.now())
        .withExpiresAt(Instant.now().plusSeconds(3600))
        .sign(Algorithm.HMAC256(TestNode.JWT_SECRET));
  }

  @Test
  void countsConnectionsUsersAndFramesForTheBackendOnly() throws InterruptedException {
    try (WsClient a1 = WsClient.signedIn(live.node(), TestTokens.user("st1"));
        WsClient a2 = WsClient.signedIn(live.node(), TestTokens.user("st1"));
        WsClient b = WsClient.signedIn(live.node(), TestTokens.user("st2"))) {
      for (int i = 0; i < 5; i++) a1.send("{\"type\":\"ping\"}").next("pong");
      Thread.sleep(Duration.ofMillis(1200).toMillis());
      JsonNode status = live.api().get("/api/ws/status", ADMIN_TOKEN).json();
      assertThat(status.get("connections").asLong()).isEqualTo(3);
      assertThat(status.get("onlineUsers").asLong()).isEqualTo(2);
      assertThat(status.get("framesInPerSecond").asDouble()).isPositive();
      assertThat(status.get("nodes")).hasSize(1);
      assertThat(live.api().get("/api/ws/status", serviceRoleKey()).status()).isEqualTo(200);
    }
    HttpApi.Response user = live.api().get("/api/ws/status", TestTokens.user("st1"));
    assertThat(user.status()).isEqualTo(403);
    assertThat(user.code()).isEqualTo("forbidden");
    assertThat(live.api().get("/api/ws/status", "not-the-admin-token").status()).isEqualTo(401);
    assertThat(live.api().get("/api/ws/status", null).status()).isEqualTo(401);
  }
}
