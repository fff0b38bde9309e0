package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.gateway.Frames;
import io.parley.notification.NotificationWire;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The wire JSON refuses, however they arrive, documents nested deeper than it can safely write back, numbers too long
 * to convert cheaply, and text no encoding can hold.
 */
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

  /** A JSON string escape of one UTF-16 unit, built here so that this source holds no unicode escape itself. */
  private static String escaped(int unit) {
    return "\\u" + String.format("%04x", unit);
  }

  record Mark(long seq, String content) {}

  @Test
  void textWithAnUnpairedSurrogateIsRefusedAsAValueOrAName() {
    String high = escaped(0xd83d);
    String low = escaped(0xde00);
    for (String body :
        new String[] {
          "{\"content\":\"a" + high + "b\"}",
          "{\"content\":\"a" + low + "\"}",
          "{\"content\":\"" + low + high + "\"}",
          "{\"content\":\"ok\",\"metadata\":{\"k" + high + "\":1}}",
          "{\"content\":\"ok\",\"ignored\":[\"" + high + "\"]}"
        }) {
      assertThatThrownBy(() -> Json.parse(body, Mark.class))
          .as(body)
          .isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST);
            assertThat(e.getMessage()).contains("unpaired UTF-16 surrogate");
          });
      assertThatThrownBy(() -> Json.MAPPER.readTree(body)).as(body).isInstanceOf(JsonProcessingException.class);
    }
    Mark paired = Json.parse("{\"seq\":1,\"content\":\"a" + high + low + "b\"}", Mark.class);
    assertThat(paired.content()).isEqualTo("a\uD83D\uDE00b").hasSize(4);
  }

  /**
   * Where Parley keeps JSON for a client (a message's metadata, REST or WebSocket), each number keeps its value, and
   * its spelling unless an exponent must be written E+; what no BigDecimal holds is malformed, as anywhere else.
   */
  @Test
  void metadataNumbersAreReadAndWrittenExactly() throws Exception {
    String sent =
        "{\"huge\":1e400,\"tiny\":1E-400,\"precise\":0.1000000000000000055511151231257827,\"price\":1.50,"
            + "\"round\":100.0,\"count\":123456789012345678901234567890,\"negative\":-7,\"e\":2.5e-3}";
    String kept =
        "{\"huge\":1E+400,\"tiny\":1E-400,\"precise\":0.1000000000000000055511151231257827,\"price\":1.50,"
            + "\"round\":100.0,\"count\":123456789012345678901234567890,\"negative\":-7,\"e\":0.0025}";
    Frames.Send frame =
        Json.parse("{\"type\":\"send\",\"conversationId\":\"c\",\"metadata\":" + sent + "}", Frames.Send.class);
    assertThat(Json.objectText(frame.metadata(), "metadata")).isEqualTo(kept);
    ConversationWire.PostMessage posted =
        Json.parse("{\"content\":\"x\",\"metadata\":" + sent + "}", ConversationWire.PostMessage.class);
    assertThat(Json.objectText(posted.metadata(), "metadata")).isEqualTo(kept);

    String unrepresentable = "{\"content\":\"x\",\"metadata\":{\"n\":1e9999999999}}";
    assertThatThrownBy(() -> Json.parse(unrepresentable, ConversationWire.PostMessage.class))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error()).isEqualTo(ApiError.BAD_REQUEST));
    assertThatThrownBy(() -> Json.parse("{\"conversationId\":\"c\",\"metadata\":{\"n\":1e9999999999}}", Frames.Send.class))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).startsWith("field 'metadata'"));
    assertThatThrownBy(() -> Json.readStoredExactly(nested(Json.MAX_DEPTH + 1)))
        .as("the limits of every parser hold")
        .isInstanceOf(IllegalStateException.class);
  }

  /**
   * A notification's data is read again after it is stored (for its push): BigDecimal writes a number up to 4
   * characters longer than it came (1222e9 as 1.222E+12), and the longest one accepted must still read back.
   */
  @Test
  void storedJsonReadsBackWithItsNumbersExactlyEvenWhenWrittenLonger() throws Exception {
    String longest = "1" + "2".repeat(Json.MAX_NUMBER_LENGTH - 3) + "e9";
    assertThat(longest).hasSize(Json.MAX_NUMBER_LENGTH);
    String sent = "{\"kind\":\"k\",\"data\":{\"n\":" + longest + ",\"p\":0.1000000000000000055511151231257827}}";
    String stored = Json.objectText(Json.parse(sent, NotificationWire.NotificationDraft.class).data(), "data");
    String written = "1." + "2".repeat(Json.MAX_NUMBER_LENGTH - 3) + "E+106";
    assertThat(written).hasSize(Json.MAX_NUMBER_LENGTH + 4);
    assertThat(stored).contains(":" + written + ",");

    JsonNode read = Json.readStoredExactly(stored);
    assertThat(read.get("n").decimalValue()).isEqualByComparingTo(longest);
    assertThat(read.get("p").decimalValue()).isEqualByComparingTo("0.1000000000000000055511151231257827");
    assertThatThrownBy(() -> Json.readStoredExactly("{\"n\":" + "9".repeat(Json.MAX_NUMBER_LENGTH + 5) + "}"))
        .as("only by the few characters BigDecimal may add")
        .isInstanceOf(IllegalStateException.class);
  }

  /**
   * A field the record does not know is skipped, whatever number it holds: buffered as Jackson buffers a record's
   * unknown fields, 1e9999999999 (no BigDecimal holds it) refused the whole body. The limits still hold in it.
   */
  @Test
  void aNumberNoDecimalHoldsIsSkippedInAnUnknownFieldAndRefusedInAKnownOne() {
    for (String number : new String[] {"1e9999999999", "-1E-9999999999", "0.1e-2147483648"}) {
      assertThat(Json.parse("{\"seq\":1,\"unknown\":" + number + ",\"deeper\":{\"a\":[" + number + "]}}", Mark.class))
          .as(number)
          .isEqualTo(new Mark(1, null));
      assertThatThrownBy(() -> Json.parse("{\"seq\":" + number + "}", Mark.class))
          .as(number)
          .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).startsWith("field 'seq'"));
    }
    assertThatThrownBy(() -> Json.parse("{\"seq\":1,\"unknown\":" + nested(Json.MAX_DEPTH + 1) + "}", Mark.class))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("nested deeper than"));
  }

  @Test
  void aNumberLongerThanTheLimitIsRefusedBeforeItIsConverted() {
    String longest = "9".repeat(Json.MAX_NUMBER_LENGTH);
    assertThat(Json.parse("{\"big\":" + longest + "}", Map.class)).containsKey("big");
    for (String number : new String[] {"9".repeat(Json.MAX_NUMBER_LENGTH + 1), "9".repeat(250_000), "1." + "5".repeat(500)}) {
      assertThatThrownBy(() -> Json.parse("{\"seq\":1,\"unknown\":" + number + "}", Mark.class))
          .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("number longer than"));
      assertThatThrownBy(() -> Json.MAPPER.readTree("[" + number + "]")).isInstanceOf(JsonProcessingException.class);
    }
  }

  @Test
  void aFractionIsNotAWholeNumber() {
    assertThatThrownBy(() -> Json.parse("{\"seq\":1.5}", Mark.class))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).startsWith("field 'seq'"));
    assertThat(Json.parse("{\"seq\":2}", Mark.class).seq()).isEqualTo(2);
  }
}
