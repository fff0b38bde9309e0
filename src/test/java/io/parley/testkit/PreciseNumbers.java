package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Numbers no double holds, for JSON Parley keeps for a client (a message's metadata, a notification's data), which
 * must come back as it was sent.
 */
public final class PreciseNumbers {
  /** By name, each with the value it must keep. */
  private static final Map<String, String> NUMBERS =
      Map.of(
          "huge", "1e400",
          "tiny", "1E-400",
          "precise", "0.1000000000000000055511151231257827",
          "price", "1.50",
          "count", "123456789012345678901234567890",
          "pastLong", "12345678901234567890",
          "pastDoubleInts", "9007199254740993");

  private PreciseNumbers() {}

  /** An object holding them all, as JSON text. */
  public static String object() {
    return NUMBERS.entrySet().stream()
        .map(number -> "\"" + number.getKey() + "\":" + number.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** A metadata object holding them all. */
  public static String metadata() {
    return object();
  }

  /** The message (read by {@link HttpApi.Response#exactJson}) has every one of them in its metadata, with its value. */
  public static void assertKeptIn(JsonNode message) {
    assertKept(message.get("metadata"));
  }

  /** The object (read exactly: {@link HttpApi#exactJson}) has every one of them, with its value. */
  public static void assertKept(JsonNode object) {
    NUMBERS.forEach(
        (name, value) ->
            assertThat(object.get(name).decimalValue()).as(name + " in " + object).isEqualByComparingTo(value));
  }

  /**
   * The object (a push's data, which FCM takes as strings only) has every one of them as the text of its exact value,
   * spelled as the stored JSON spells it (an exponent as E+).
   */
  public static void assertKeptAsText(JsonNode object) {
    NUMBERS.forEach(
        (name, value) ->
            assertThat(object.path(name).asText()).as(name + " in " + object).isEqualTo(new BigDecimal(value).toString()));
  }
}
