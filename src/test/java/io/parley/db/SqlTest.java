package io.parley.db;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import java.util.TimeZone;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Instants go in and come back exactly, whatever the JVM's zone: the history compares a remembered edit time with
 * its row's, and a mismatch holds the page back for good.
 */
class SqlTest {
  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void instantsRoundTripExactlyInAZoneWithSummerTime(String kind) throws Exception {
    TimeZone zone = TimeZone.getDefault();
    TimeZone.setDefault(TimeZone.getTimeZone("Europe/Berlin"));
    try (TestDatabase database = TestDatabase.named(kind);
        Connection connection = DriverManager.getConnection(database.url(), database.user(), "")) {
      try (Statement statement = connection.createStatement()) {
        statement.execute("CREATE TABLE instants (id INT PRIMARY KEY, at TIMESTAMP WITH TIME ZONE)");
      }
      // The hour repeated when summer time ends in Berlin, a second of summer and one of winter, and a plain one.
      List<Instant> instants =
          List.of(
              Instant.parse("2026-10-25T00:30:00.123456Z"),
              Instant.parse("2026-10-25T01:30:00.123456Z"),
              Instant.parse("2026-03-29T01:15:00.000001Z"),
              Instant.parse("2026-07-01T12:00:00Z"));
      try (PreparedStatement insert = connection.prepareStatement("INSERT INTO instants (id, at) VALUES (?, ?)")) {
        for (int i = 0; i < instants.size(); i++) {
          Sql.bind(insert, i, instants.get(i));
          insert.executeUpdate();
        }
      }
      try (Statement statement = connection.createStatement();
          ResultSet rows = statement.executeQuery("SELECT id, at FROM instants ORDER BY id")) {
        for (Instant expected : instants) {
          assertThat(rows.next()).isTrue();
          assertThat(Sql.instant(rows, "at")).isEqualTo(expected);
        }
      }
    } finally {
      TimeZone.setDefault(zone);
    }
  }
}
