package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.ProjectionOffsets;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.tools.FakeFcmTransport;
import io.parley.user.User;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A push is at least once for a stored notification: a node that stops between storing and pushing loses nothing. */
class PushDurabilityTest {
  /** The first node stores but never pushes, as if it died right after answering 202. */
  private static final Config NEVER_PUSHES = ConfigFactory.parseString("parley.push.projection.enabled = off");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aNotificationStoredBeforeACrashIsPushedAfterTheRestartExactlyOnce(String kind) {
    try (TestDatabase database = TestDatabase.named(kind)) {
      FakeFcmTransport before = new FakeFcmTransport();
      try (TestNode first = TestNode.start(database, NEVER_PUSHES, before)) {
        HttpApi api = new HttpApi(first::uri);
        assertThat(api.post("/api/devices", TestTokens.user("cr1"), "{\"token\":\"cr1-phone\",\"platform\":\"ios\"}").status())
            .isEqualTo(204);
        send(api, "j-7");
      }
      assertThat(before.count()).isZero();

      FakeFcmTransport after = new FakeFcmTransport();
      try (TestNode second = TestNode.start(database, ConfigFactory.empty(), after)) {
        Eventually.await("the push after the restart", after::count, count -> count >= 1);
        // Its offset is stored once the push is settled: past it, a second push would have shown.
        ProjectionOffsets.awaitPastLastEvent(database, "push", pushTags(second));
        assertThat(after.requests()).singleElement().satisfies(push -> {
          assertThat(push.token()).isEqualTo("cr1-phone");
          assertThat(push.message().path("data").path("jobId").asText()).isEqualTo("j-7");
          assertThat(push.message().path("apns").path("payload").path("aps").path("category").asText())
              .isEqualTo("OPEN_JOB_MATCH");
        });
      }

      FakeFcmTransport third = new FakeFcmTransport();
      try (TestNode again = TestNode.start(database, ConfigFactory.empty(), third)) {
        // A second notification, to the same user and so through the same push slice: once it is pushed and its
        // offset stored, the projection has run past the first one, which it would have pushed again by now had it
        // started from before it.
        send(new HttpApi(again::uri), "j-8");
        Eventually.await("the push of the notification sent after another restart", () -> jobIds(third),
            sent -> sent.contains("j-8"));
        ProjectionOffsets.awaitPastLastEvent(database, "push", pushTags(again));
        assertThat(jobIds(third)).as("a push already settled is not sent again after another restart")
            .containsExactly("j-8");
      }
    }
  }

  /** A job match for cr1, offline, which pushes it to every device of theirs. */
  private static void send(HttpApi api, String jobId) {
    HttpApi.Response sent =
        api.post(
            "/api/admin/notifications",
            TestTokens.serviceRole(),
            "{\"userIds\":[\"cr1\"],\"notification\":{\"kind\":\"job_match\",\"title\":\"Senior Java, Paris\","
                + "\"data\":{\"jobId\":\"" + jobId + "\"}}}");
    assertThat(sent.status()).as(sent.body()).isEqualTo(202);
  }

  private static List<String> jobIds(FakeFcmTransport fcm) {
    return fcm.requests().stream().map(push -> push.message().path("data").path("jobId").asText()).toList();
  }

  private static List<String> pushTags(TestNode node) {
    return ProjectionOffsets.tags(node.node().system().settings().config().getInt("parley.push.tag-slices"), User::pushTag);
  }
}
