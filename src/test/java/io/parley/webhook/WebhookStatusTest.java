package io.parley.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The matching status over real HTTP, on PostgreSQL, while its counters cannot be read. */
class WebhookStatusTest {
  private static final String STATUS = "/api/jobs/notify/status";

  @Test
  void aDatabaseThatFailsTheCountersAnswers503UnavailableAndTheRouteRecoversWithIt() throws SQLException {
    try (TestDatabase database = TestDatabase.postgres();
        TestNode node = TestNode.start(database, WebhookClient.config(), new RecordingNotifier())) {
      HttpApi api = new HttpApi(node::uri);
      assertThat(api.get(STATUS, WebhookClient.SECRET).status()).isEqualTo(200);

      execute(database, "ALTER TABLE parley_match_counter RENAME TO parley_match_counter_away");
      Response failing = api.get(STATUS, WebhookClient.SECRET);
      execute(database, "ALTER TABLE parley_match_counter_away RENAME TO parley_match_counter");

      assertThat(failing.status()).isEqualTo(503);
      assertThat(failing.contentType()).contains("application/problem+json");
      assertThat(failing.code()).isEqualTo("unavailable");
      assertThat(api.get(STATUS, WebhookClient.SECRET).status()).isEqualTo(200);
    }
  }

  private static void execute(TestDatabase database, String statement) throws SQLException {
    try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "");
        Statement s = connection.createStatement()) {
      s.execute(statement);
    }
  }
}
