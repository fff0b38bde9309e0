package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.db.Database;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.ProjectionOffsets;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An admin send without an idempotencyKey that fails after part of it was stored: its 503 names the key it was
 * stored under, and the send retried with that key finishes it with nobody getting the notification twice. The
 * journal is held up for real, by a table lock on PostgreSQL, while the first chunk is being written. The send fails
 * either by its asks timing out, or by its own deadline (the admin request timeout) passing first.
 */
class KeylessSendRetryTest {
  private static final String SEND =
      "{\"userIds\":[\"kr1\",\"kr2\",\"kr3\"],\"notification\":{\"kind\":\"system\",\"title\":\"Maintenance\"}}";

  @ParameterizedTest(name = "ask-timeout {0}, admin-request-timeout {1}")
  @CsvSource({"1s, 45s", "5s, 2s"})
  void aFailedKeylessSendNamesItsKeyAndARetryWithItDuplicatesNothing(String askTimeout, String deadline)
      throws Exception {
    try (TestDatabase database = TestDatabase.postgres();
        TestNode node =
            TestNode.start(
                database,
                ConfigFactory.parseString(
                    "parley.http.ask-timeout = " + askTimeout + "\nparley.notifications.batch.chunk-size = 2\n"
                        + "parley.notifications.admin-request-timeout = " + deadline))) {
      HttpApi api = new HttpApi(node::uri);
      HttpApi.Response failed;
      try (Connection lock = Database.get(node.node().system()).dataSource().getConnection();
          Statement statement = lock.createStatement()) {
        lock.setAutoCommit(false);
        // Inserts wait for this lock; reads, and so the batch entity's recovery, do not.
        statement.execute("LOCK TABLE event_journal IN SHARE MODE");
        failed = api.post("/api/admin/notifications", TestTokens.serviceRole(), SEND);
        lock.commit();
      }

      assertThat(failed.status()).as(failed.body()).isEqualTo(503);
      assertThat(failed.code()).isEqualTo("timeout");
      String key = failed.json().get("idempotencyKey").asText();
      assertThat(key).isNotBlank();
      assertThat(failed.json().get("detail").asText()).contains(key);

      // The first chunk (kr1, kr2) is written once the lock goes; the second was never asked for.
      HttpApi.Response retried =
          api.post(
              "/api/admin/notifications",
              TestTokens.serviceRole(),
              SEND.replace("{\"userIds\"", "{\"idempotencyKey\":\"" + key + "\",\"userIds\""));
      assertThat(retried.status()).as(retried.body()).isEqualTo(202);
      assertThat(retried.json().get("batchId").asText()).isEqualTo(key);
      assertThat(retried.json().get("accepted").asInt()).isEqualTo(1);
      assertThat(retried.json().get("duplicates").asInt()).isEqualTo(2);

      for (String user : List.of("kr1", "kr2", "kr3")) assertThat(inbox(api, user, 1)).hasSize(1);
      // The inbox fan-out stores its offset once a chunk is in its inboxes: past every chunk, a second would show.
      ProjectionOffsets.awaitPastLastEvent(
          database,
          "batch-inbox",
          ProjectionOffsets.tags(
              node.node().system().settings().config().getInt("parley.notifications.batch.tag-slices"),
              NotificationBatch::inboxTag));
      for (String user : List.of("kr1", "kr2", "kr3")) assertThat(inbox(api, user, 0)).hasSize(1);
    }
  }

  /** The user's notifications once there are at least {@code atLeast}; a 503 of the short ask timeout is polled over. */
  private static JsonNode inbox(HttpApi api, String user, int atLeast) {
    return Eventually.await(
        user + "'s inbox",
        () -> api.get("/api/notifications", TestTokens.user(user)).json().get("notifications"),
        notifications -> notifications != null && notifications.size() >= atLeast);
  }
}
