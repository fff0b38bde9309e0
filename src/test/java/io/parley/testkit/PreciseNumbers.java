package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.stream.Collectors;

/** Numbers no double holds, for message metadata that must come back as it was sent. */
public final class PreciseNumbers {
  /** By name, each with the value it must keep. */
  private static final Map<String, String> NUMBERS =
      Map.of(
          "huge", "1e400",
          "tiny", "1E-400",
          "precise", "0.1000000000000000055511151231257827",
          "price", "1.50",
          "count", "123456789012345678901234567890");

  private PreciseNumbers() {}

  /** A metadata object holding them all. */
  public static String metadata() {
    return NUMBERS.entrySet().stream()
        .map(number -> "\"" + number.getKey() + "\":" + number.getValue())
        .collect(Collectors.joining(",", "{", "}"));
  }

  /** The message (read by {@link HttpApi.Response#exactJson}) has every one of them in its metadata, with its value. */
  public static void assertKeptIn(JsonNode message) {
    JsonNode metadata = message.get("metadata");
    NUMBERS.forEach(
        (name, value) ->
            assertThat(metadata.get(name).decimalValue()).as(name + " in " + metadata).isEqualByComparingTo(value));
  }
}
