package io.parley.logging;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

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

  /**
   * A variable of logback.xml read as {@code reading} says, or {@code fallback} with a warning in logback's status
   * output. It is looked up where logback itself looks: its context, the system properties, then the environment.
   */
  private abstract static class Definer extends PropertyDefinerBase {
    private final String variable;
    private final Function<String, Optional<String>> reading;
    private final String fallback;
    private final String meaningful;

    Definer(String variable, Function<String, Optional<String>> reading, String fallback, String meaningful) {
      this.variable = variable;
      this.reading = reading;
      this.fallback = fallback;
      this.meaningful = meaningful;
    }

    @Override
    public String getPropertyValue() {
      String value = getContext().getProperty(variable);
      if (value == null) value = System.getProperty(variable);
      if (value == null) value = System.getenv(variable);
      String given = value;
      return reading.apply(given)
          .orElseGet(
              () -> {
                addWarn(variable + "=" + given + " is none of " + meaningful + "; using " + fallback);
                return fallback;
              });
    }
  }

  /** {@code <define name="LOG_APPENDER" class="io.parley.logging.LogSettings$Format"/>} */
  public static final class Format extends Definer {
    public Format() {
      super("LOG_FORMAT", LogSettings::format, DEFAULT_FORMAT, "json, text");
    }
  }

  /** {@code <define name="LOG_ROOT_LEVEL" class="io.parley.logging.LogSettings$Level"/>} */
  public static final class Level extends Definer {
    public Level() {
      super("LOG_LEVEL", LogSettings::level, DEFAULT_LEVEL, "TRACE, DEBUG, INFO, WARN, ERROR, OFF");
    }
  }
}
