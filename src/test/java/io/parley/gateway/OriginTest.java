package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Browsers may connect only from allowed origins; clients that send no Origin (servers, apps) always may. */
class OriginTest {
  @RegisterExtension
  static final LiveNode live = new LiveNode("parley.http.cors-origins = \"https://app.example.test\"");

  @Test
  void anAllowedOriginAndNoOriginConnect() {
    String token = TestTokens.user("or1");
    try (WsClient browser =
            WsClient.connect(
                live.node().wsUri("/ws?access_token=" + token), Map.of("Origin", "https://app.example.test"));
        WsClient server = WsClient.connect(live.node().wsUri("/ws?access_token=" + token), Map.of())) {
      assertThat(browser.next("connected").get("userId").asText()).isEqualTo("or1");
      assertThat(server.next("connected").get("userId").asText()).isEqualTo("or1");
    }
  }

  @Test
  void anotherOriginIsRefusedBeforeTheUpgrade() {
    CompletionException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            CompletionException.class,
            () ->
                HttpClient.newHttpClient()
                    .newWebSocketBuilder()
                    .header("Origin", "https://evil.example.test")
                    .buildAsync(live.node().wsUri("/ws?access_token=" + TestTokens.user("or2")), new WebSocket.Listener() {})
                    .join());
    assertThat(refused.getCause()).isInstanceOf(WebSocketHandshakeException.class);
    assertThat(((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode()).isEqualTo(403);
  }
}
