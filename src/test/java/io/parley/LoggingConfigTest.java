package io.parley;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The production logback.xml: text by default, one JSON object per line with LOG_FORMAT=json. */
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
    assertThat(consoleOf(null).getName()).isEqualTo("text");
  }

  private static ConsoleAppender<?> consoleOf(String format) throws Exception {
    LoggerContext context = new LoggerContext();
    if (format != null) context.putProperty("LOG_FORMAT", format);
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    configurator.doConfigure(LoggingConfigTest.class.getResource("/logback.xml"));
    AsyncAppender async = (AsyncAppender) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("ASYNC");
    ConsoleAppender<?> console = (ConsoleAppender<?>) async.iteratorForAppenders().next();
    context.stop();
    return console;
  }
}
