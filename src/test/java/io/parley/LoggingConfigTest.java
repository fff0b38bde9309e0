package io.parley;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.status.Status;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.parley.api.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The production logback.xml: text by default, one JSON object per line with LOG_FORMAT=json; LOG_LEVEL for logback and Akka. */
class LoggingConfigTest {
  @Test
  void logFormatJsonWritesOneJsonObjectPerLine() throws Exception {
    ConsoleAppender<?> console = consoleOf("json");
    @SuppressWarnings("unchecked")
    var encoder = ((ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent>) console).getEncoder();
    LoggingEvent event = new LoggingEvent("x", (Logger) org.slf4j.LoggerFactory.getLogger("io.parley.Test"), Level.WARN, "node {} left", null, new Object[] {"n1"});
    JsonNode line = Json.MAPPER.readTree(new String(encoder.encode(event), StandardCharsets.UTF_8));
    assertThat(line.get("message").asText()).isEqualTo("node n1 left");
    assertThat(line.get("level").asText()).isEqualTo("WARN");
  }

  @Test
  void textIsTheDefault() throws Exception {
    assertThat(consoleOf((String) null).getName()).isEqualTo("text");
    assertThat(consoleOf("").getName()).isEqualTo("text");
  }

  /** Logback alone would drop every line for an appender name it does not know, and say nothing. */
  @Test
  void aFormatIsReadInAnyCaseAndOneThatMeansNothingWritesText() throws Exception {
    assertThat(consoleOf(" JSON ").getName()).isEqualTo("json");
    assertThat(consoleOf("Text").getName()).isEqualTo("text");
    LoggerContext plain = configured("LOG_FORMAT", "plain");
    assertThat(consoleOf(plain).getName()).isEqualTo("text");
    assertThat(warnings(plain)).anyMatch(w -> w.contains("LOG_FORMAT=plain is none of json, text; using text"));
  }

  /** Logback alone would log at DEBUG for a level it does not know, such as Akka's WARNING. */
  @Test
  void theLevelIsReadInAnyCaseWithAkkasWarningAndOneThatMeansNothingIsInfo() throws Exception {
    assertThat(rootLevel(configured("LOG_LEVEL", null))).isEqualTo(Level.INFO);
    assertThat(rootLevel(configured("LOG_LEVEL", "debug"))).isEqualTo(Level.DEBUG);
    assertThat(rootLevel(configured("LOG_LEVEL", "Warning"))).isEqualTo(Level.WARN);
    assertThat(rootLevel(configured("LOG_LEVEL", "error"))).isEqualTo(Level.ERROR);
    LoggerContext verbose = configured("LOG_LEVEL", "verbose");
    assertThat(rootLevel(verbose)).isEqualTo(Level.INFO);
    assertThat(warnings(verbose)).anyMatch(w -> w.contains("LOG_LEVEL=verbose is none of TRACE, DEBUG, INFO, WARN, ERROR, OFF; using INFO"));
  }

  @Test
  void akkasOwnLevelFollowsLogLevel() {
    Map<String, String> expected =
        Map.of("trace", "DEBUG", "DEBUG", "DEBUG", "info", "INFO", "warn", "WARNING", "WARNING", "WARNING", "error",
            "ERROR", "off", "OFF", "verbose", "INFO", "", "INFO");
    expected.forEach(
        (logLevel, akka) -> {
          Config loaded = ParleyConfig.loadFile(Path.of("conf", "local.conf"), Map.of("LOG_LEVEL", logLevel));
          assertThat(loaded.getString("akka.loglevel")).as("LOG_LEVEL=%s", logLevel).isEqualTo(akka);
        });
    assertThat(ParleyConfig.loadFile(Path.of("conf", "local.conf"), Map.of()).getString("akka.loglevel")).isEqualTo("INFO");
  }

  private static ConsoleAppender<?> consoleOf(String format) throws Exception {
    return consoleOf(configured("LOG_FORMAT", format));
  }

  private static ConsoleAppender<?> consoleOf(LoggerContext context) {
    AsyncAppender async = (AsyncAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("ASYNC");
    return (ConsoleAppender<?>) async.iteratorForAppenders().next();
  }

  private static Level rootLevel(LoggerContext context) {
    return context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel();
  }

  private static List<String> warnings(LoggerContext context) {
    return context.getStatusManager().getCopyOfStatusList().stream()
        .filter(status -> status.getLevel() == Status.WARN)
        .map(Status::getMessage)
        .toList();
  }

  /** logback.xml configured with {@code name} set as logback looks it up first (null: not set). */
  private static LoggerContext configured(String name, String value) throws Exception {
    LoggerContext context = new LoggerContext();
    if (value != null) context.putProperty(name, value);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LoggingConfigTest.class.getResource("/logback.xml"));
    return context;
  }
}
