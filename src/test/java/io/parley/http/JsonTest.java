package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The wire JSON refuses documents nested deeper than it can safely write back, however they arrive. */
class JsonTest {
  private static String nested(int depth) {
    return "[".repeat(depth) + "]".repeat(depth);
  }

  @Test
  void aDocumentNestedDeeperThanTheLimitIsRefusedAsItIsRead() {
    assertThatThrownBy(() -> Json.parse("{\"a\":" + nested(100_000) + "}", Map.class))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
          assertThat(e.getMessage()).contains("nested deeper than " + Json.MAX_DEPTH + " levels");
        });
    // Webhook bodies arrive as bytes, WebSocket frames as text, both read as trees.
    byte[] deepBytes = nested(Json.MAX_DEPTH + 1).getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Json.MAPPER.readTree(deepBytes)).isInstanceOf(JsonProcessingException.class);
    assertThatThrownBy(() -> Json.MAPPER.readTree(nested(200_000)))
        .isInstanceOf(JsonProcessingException.class);
  }

  @Test
  void aDocumentAsDeepAsTheLimitReadsAndWritesBack() throws Exception {
    JsonNode deepest = Json.MAPPER.readTree(nested(Json.MAX_DEPTH));
    assertThat(Json.write(deepest)).isEqualTo(nested(Json.MAX_DEPTH));
    assertThat(Json.MAPPER.copy().readTree(nested(Json.MAX_DEPTH))).isEqualTo(deepest);
    assertThatThrownBy(() -> Json.MAPPER.copy().readTree(nested(Json.MAX_DEPTH + 1)))
        .as("a copy of the mapper keeps the limit")
        .isInstanceOf(JsonProcessingException.class);
  }
}
