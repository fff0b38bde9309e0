package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.Json;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * Bodies broken on the wire (bad chunk framing, a chunk past Akka's limit, a connection closed mid-body) are the
 * client's fault, and reach the webhook routes before any credential is checked: a clear 400 or 413, never a 500
 * with an ERROR and a stack trace that anyone could flood the log with. Sent over a raw socket, as no client library
 * sends them.
 */
class MalformedBodiesTest {
  @RegisterExtension static final LiveNode live = new LiveNode();

  private static final String TOKEN = TestTokens.user("mb-ana");
  private static final List<String> ROUTES = List.of("/api/jobs/notify", "/api/webhooks/test", "/api/conversations");

  private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

  @BeforeEach
  void recordLogs() {
    logged.start();
    root.addAppender(logged);
  }

  @AfterEach
  void stopRecording() {
    root.detachAppender(logged);
  }

  @Test
  void aBodyWithBrokenChunkFramingIsABadRequest() throws IOException {
    for (String route : ROUTES) {
      Answer answer = exchange(post(route, "Transfer-Encoding: chunked") + "zz\r\nabc\r\n0\r\n\r\n", false);
      assertThat(answer.status()).as(route + ": " + answer).isEqualTo(400);
      assertThat(answer.code()).as(route).isEqualTo("bad_request");
      assertThat(answer.detail()).as(route).contains("chunk");
    }
    assertNothingLoggedAsAnError();
  }

  @Test
  void aChunkPastTheParsersLimitIsTooLarge() throws IOException {
    for (String route : ROUTES) {
      Answer answer =
          exchange(post(route, "Transfer-Encoding: chunked") + "FFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n", false);
      assertThat(answer.status()).as(route + ": " + answer).isEqualTo(413);
      assertThat(answer.code()).as(route).isEqualTo("too_large");
    }
    assertNothingLoggedAsAnError();
  }

  @Test
  void aBodyCutShortByTheClientIsABadRequest() throws IOException {
    for (String route : ROUTES) {
      // 5 of the 1,000 bytes announced, then the client stops sending (and still reads the answer).
      Answer answer = exchange(post(route, "Content-Length: 1000") + "{\"a\":", true);
      assertThat(answer.status()).as(route + ": " + answer).isEqualTo(400);
      assertThat(answer.code()).as(route).isEqualTo("bad_request");
    }
    assertNothingLoggedAsAnError();
  }

  /** The WebSocket closes with 1007 and the webhook routes answer 400 for the same bytes; so does REST. */
  @Test
  void aJsonBodyThatIsNotUtf8IsABadRequestAndNothingIsStored() {
    HttpApi api = live.api();
    String conversation =
        api.post("/api/conversations", TOKEN, "{\"type\":\"direct\",\"userId\":\"mb-bo\"}").json().get("id").asText();
    String messages = "/api/conversations/" + conversation + "/messages";
    // "caf" and a Latin-1 é, then a UTF-8 lead byte followed by "(" instead of a continuation byte.
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes("{\"content\":\"caf".getBytes(StandardCharsets.US_ASCII));
    body.writeBytes(new byte[] {(byte) 0xe9, ' ', (byte) 0xc3, '('});
    body.writeBytes("\"}".getBytes(StandardCharsets.US_ASCII));

    HttpApi.Response refused =
        api.send(
            api.request(messages, TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));

    assertThat(refused.status()).as(refused.body()).isEqualTo(400);
    assertThat(refused.code()).isEqualTo("bad_request");
    assertThat(refused.json().get("detail").asText()).contains("UTF-8");
    assertThat(api.get(messages, TOKEN).json().get("messages")).isEmpty();
  }

  /** Headers anyone can send without a token: a malformed one is ignored, not logged (a WARN each, 64 a request). */
  @Test
  void malformedHeadersAreServedWithoutAWarningEach() throws IOException {
    String request =
        "GET /api/health HTTP/1.1\r\nHost: parley.test\r\nAccept: ///\r\nContent-Type: garbage;;\r\n"
            + "If-Modified-Since: yesterday\r\n\r\n";
    assertThat(exchange(request, false).status()).isEqualTo(200);
    assertThat(logged.list)
        .filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
        .extracting(ILoggingEvent::getFormattedMessage)
        .isEmpty();
  }

  private void assertNothingLoggedAsAnError() {
    assertThat(logged.list)
        .filteredOn(event -> event.getLevel().isGreaterOrEqual(Level.ERROR) || event.getThrowableProxy() != null)
        .extracting(ILoggingEvent::getFormattedMessage)
        .isEmpty();
  }

  private static String post(String route, String framing) {
    String auth = route.equals("/api/conversations") ? "Authorization: Bearer " + TOKEN + "\r\n" : "";
    return "POST " + route + " HTTP/1.1\r\nHost: parley.test\r\n" + auth + "Content-Type: application/json\r\n"
        + framing + "\r\n\r\n";
  }

  record Answer(int status, String body) {
    JsonNode json() {
      return Json.parse(body, JsonNode.class);
    }

    String code() {
      return json().path("code").asText();
    }

    String detail() {
      return json().path("detail").asText();
    }
  }

  /** Writes {@code request} as it is, half-closes when asked, and reads one answer (its status and body). */
  private static Answer exchange(String request, boolean halfClose) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", live.node().node().httpAddress().getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      if (halfClose) socket.shutdownOutput();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) throw new IOException("connection closed before an answer: " + head);
        head.write(b);
      }
      String headers = head.toString(StandardCharsets.ISO_8859_1);
      int status = Integer.parseInt(headers.substring(9, 12));
      int length =
          headers.lines()
              .filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, 15))
              .map(line -> Integer.parseInt(line.substring(15).trim()))
              .findFirst()
              .orElseThrow(() -> new IOException("no Content-Length: " + headers));
      return new Answer(status, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }
  }
}
