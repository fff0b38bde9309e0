package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A user who starts sessions faster than their budget allows is told to come back later; nobody else is. */
class ConnectBudgetTest {
  @RegisterExtension
  static final LiveNode live = new LiveNode("parley.gateway.rate-limit { connects-per-second = 0.01, connect-burst = 3 }");

  @Test
  void aSessionPastTheBudgetIsClosedWithTryAgainLater() {
    List<WsClient> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) open.add(WsClient.signedIn(live.node(), TestTokens.user("cb-looper")));
      // A fresh token on a session that is open already starts nothing.
      JsonNode refreshed =
          open.get(0).send("{\"type\":\"auth\",\"ref\":\"r\",\"token\":\"" + TestTokens.user("cb-looper") + "\"}").next("ok");
      assertThat(refreshed.get("ref").asText()).isEqualTo("r");

      try (WsClient fourth =
          WsClient.connect(
              live.node().wsUri("/ws"), Map.of("Authorization", "Bearer " + TestTokens.user("cb-looper")))) {
        assertThat(fourth.next("error").get("code").asText()).isEqualTo("rate_limited");
        WsClient.Closed closed = fourth.awaitClose();
        assertThat(closed.code()).isEqualTo(1013);
        assertThat(closed.reason()).isEqualTo("try_again_later");
      }
      try (WsClient other = WsClient.signedIn(live.node(), TestTokens.user("cb-other"))) {
        assertThat(other).isNotNull();
      }
    } finally {
      open.forEach(WsClient::close);
    }
  }
}
