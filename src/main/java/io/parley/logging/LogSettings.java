package io.parley.logging;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code LOG_FORMAT} and {@code LOG_LEVEL}, read once for logback.xml and for Akka. Logback alone takes either
 * value as it is: an appender name it does not know ({@code JSON}, {@code plain}) drops every log line without a
 * word, and a level it does not know ({@code WARNING}) turns into DEBUG. Here a value is read in any case, and one
 * that means nothing falls back to the default with a warning in logback's status output.
 */
public final class LogSettings {
  private LogSettings() {}

  static final String DEFAULT_FORMAT = "text";
  static final String DEFAULT_LEVEL = "INFO";

  /** Logback's level names, with Akka's {@code WARNING} as a synonym. */
  private static final Map<String, String> LEVELS =
      Map.of("TRACE", "TRACE", "DEBUG", "DEBUG", "INFO", "INFO", "WARN", "WARN", "WARNING", "WARN", "ERROR", "ERROR",
          "OFF", "OFF");

  /** The appender logback.xml writes through: {@code json} or {@code text}; empty when the value means neither. */
  static Optional<String> format(String value) {
    if (value == null || value.isBlank()) return Optional.of(DEFAULT_FORMAT);
    String format = value.trim().toLowerCase(Locale.ROOT);
    return format.equals("json") || format.equals("text") ? Optional.of(format) : Optional.empty();
  }

  /** Logback's name of the level {@code value} means; empty when it means none. */
  static Optional<String> level(String value) {
    if (value == null || value.isBlank()) return Optional.of(DEFAULT_LEVEL);
    return Optional.ofNullable(LEVELS.get(value.trim().toUpperCase(Locale.ROOT)));
  }

  /**
   * Akka's {@code akka.loglevel} for {@code LOG_LEVEL}, so that Akka's own cluster, remoting and sharding logs follow
   * it too (Akka has no TRACE, and refuses WARN).
   */
  public static String akkaLevel(String value) {
    return switch (level(value).orElse(DEFAULT_LEVEL)) {
      case "TRACE", "DEBUG" -> "DEBUG";
      case "WARN" -> "WARNING";
      default -> level(value).orElse(DEFAULT_LEVEL);
    };
  }

  /** Where logback itself looks a variable up: its context, the system properties, then the environment. */
  private abstract static class Definer extends PropertyDefinerBase {
    String lookUp(String name) {
      String value = getContext().getProperty(name);
      if (value == null) value = System.getProperty(name);
      return value != null ? value : System.getenv(name);
    }
  }

  /** {@code <define name="LOG_APPENDER" class="io.parley.logging.LogSettings$Format"/>} */
  public static final class Format extends Definer {
    @Override
    public String getPropertyValue() {
      String value = lookUp("LOG_FORMAT");
      return format(value)
          .orElseGet(
              () -> {
                addWarn("LOG_FORMAT=" + value + " is neither json nor text; writing text");
                return DEFAULT_FORMAT;
              });
    }
  }

  /** {@code <define name="LOG_ROOT_LEVEL" class="io.parley.logging.LogSettings$Level"/>} */
  public static final class Level extends Definer {
    @Override
    public String getPropertyValue() {
      String value = lookUp("LOG_LEVEL");
      return level(value)
          .orElseGet(
              () -> {
                addWarn("LOG_LEVEL=" + value + " is no level (TRACE, DEBUG, INFO, WARN, ERROR, OFF); logging at INFO");
                return DEFAULT_LEVEL;
              });
    }
  }
}
