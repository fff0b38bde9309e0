package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import java.time.Duration;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A request past its timeout gets the usual problem+json, and an admin send has a timeout of its own. */
class RequestTimeoutTest {
  @RegisterExtension
  static final LiveNode impatient = new LiveNode("parley.notifications.admin-request-timeout = 1 ms");

  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          """
          akka.http.server.request-timeout = 300 ms
          parley.notifications.admin-request-timeout = 45 s
          parley.notifications.max-recipients = 500
          """);

  @Test
  void aSlowRequestGetsAProblemWithTheTimeoutCode() {
    // Ten chunks of 1,000, each a journal write: far longer than the deadline, even rounded up to the scheduler's tick
    // (a send of one chunk could finish before the timeout's first tick did).
    HttpApi.Response response = impatient.api().post("/api/admin/notifications", TestTokens.serviceRole(), send(10_000));

    assertThat(response.status()).isEqualTo(503);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.code()).isEqualTo("timeout");
  }

  /**
   * History older than the window of 2 waits for the read side, about 3 s, and here the read side never comes: the
   * request outlives its timeout of 2 s for certain.
   */
  @RegisterExtension
  static final LiveNode hasty =
      new LiveNode(
          """
          akka.http.server.request-timeout = 2 s
          parley.projection.enabled = off
          parley.conversation.recent-window = 2
          """);

  @Test
  void akkasOwnTimeoutAnswersWithAProblemABrowserMayRead() {
    String token = TestTokens.user("rt-browser");
    String conversation =
        hasty.api().post("/api/conversations", token, "{\"type\":\"direct\",\"userId\":\"rt-other\"}")
            .json().get("id").asText();
    for (int i = 1; i <= 5; i++) {
      String path = "/api/conversations/" + conversation + "/messages";
      assertThat(hasty.api().post(path, token, "{\"clientMsgId\":\"h" + i + "\",\"content\":\"x\"}").status())
          .isEqualTo(201);
    }
    HttpApi.Response response =
        hasty.api().send(
            hasty.api()
                .request("/api/conversations/" + conversation + "/messages?before=2", token)
                .header("Origin", "https://app.example.test")
                .GET());

    assertThat(response.status()).as(response.body()).isEqualTo(503);
    assertThat(response.code()).isEqualTo("timeout");
    assertThat(response.raw().headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.test");
  }

  @Test
  void anAdminSendToManyUsersOutlivesTheServersUsualTimeout() {
    HttpApi.Response response = live.api().post("/api/admin/notifications", TestTokens.serviceRole(), send(500));

    assertThat(response.status()).as(response.body()).isEqualTo(202);
    assertThat(response.json().get("accepted").asInt()).isEqualTo(500);
  }

  /** Akka resets a connection idle past akka.http.server.idle-timeout with no answer: the admin send must end first. */
  @Test
  void anAdminTimeoutThatOutlastsTheIdleTimeoutStopsTheNode() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new AdminNotificationRoutes(null, null, null, 0, Duration.ofMinutes(2), Duration.ofSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("akka.http.server.idle-timeout");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new AdminNotificationRoutes(null, null, null, 0, Duration.ofSeconds(50), Duration.ofSeconds(60)))
        .isInstanceOf(IllegalArgumentException.class);
    new AdminNotificationRoutes(null, null, null, 0, Duration.ofSeconds(45), Duration.ofSeconds(60));
    new AdminNotificationRoutes(null, null, null, 0, Duration.ofMinutes(2), null);
  }

  private static String send(int users) {
    String ids = IntStream.range(0, users).mapToObj(i -> "\"rt-u" + i + "\"").collect(Collectors.joining(","));
    return "{\"userIds\":[" + ids + "],\"notification\":{\"kind\":\"system\",\"title\":\"Hello all\"}}";
  }
}
