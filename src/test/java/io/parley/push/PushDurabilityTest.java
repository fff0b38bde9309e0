package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.tools.FakeFcmTransport;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A push is at least once for a stored notification: a node that stops between storing and pushing loses nothing. */
class PushDurabilityTest {
  /** The first node stores but never pushes, as if it died right after answering 202. */
  private static final Config NEVER_PUSHES = ConfigFactory.parseString("parley.push.projection.enabled = off");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aNotificationStoredBeforeACrashIsPushedAfterTheRestartExactlyOnce(String kind) throws InterruptedException {
    try (TestDatabase database = TestDatabase.named(kind)) {
      FakeFcmTransport before = new FakeFcmTransport();
      try (TestNode first = TestNode.start(database, NEVER_PUSHES, before)) {
        HttpApi api = new HttpApi(first::uri);
        assertThat(api.post("/api/devices", TestTokens.user("cr1"), "{\"token\":\"cr1-phone\",\"platform\":\"ios\"}").status())
            .isEqualTo(204);
        HttpApi.Response sent =
            api.post(
                "/api/admin/notifications",
                TestTokens.serviceRole(),
                "{\"userIds\":[\"cr1\"],\"notification\":{\"kind\":\"job_match\",\"title\":\"Senior Java, Paris\","
                    + "\"data\":{\"jobId\":\"j-7\"}}}");
        assertThat(sent.status()).isEqualTo(202);
      }
      assertThat(before.count()).isZero();

      FakeFcmTransport after = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, ConfigFactory.empty(), after)) {
        Eventually.await("the push after the restart", after::count, count -> count >= 1);
        // Its offset is stored once the push is settled: nothing is sent twice while the node runs on.
        Thread.sleep(Duration.ofSeconds(1).toMillis());
        assertThat(after.requests()).singleElement().satisfies(push -> {
          assertThat(push.token()).isEqualTo("cr1-phone");
          assertThat(push.message().path("data").path("jobId").asText()).isEqualTo("j-7");
          assertThat(push.message().path("apns").path("payload").path("aps").path("category").asText())
              .isEqualTo("OPEN_JOB_MATCH");
        });
      }

      FakeFcmTransport third = new FakeFcmTransport();
      try (TestNode again = TestNode.start(database, ConfigFactory.empty(), third)) {
        new HttpApi(again::uri).get("/api/health", null);
        Thread.sleep(Duration.ofSeconds(2).toMillis());
        assertThat(third.count()).as("a push already settled is not sent again after another restart").isZero();
      }
    }
  }
}
