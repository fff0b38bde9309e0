package io.parley.db;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.ActorSystem;
import akka.persistence.jdbc.AkkaSerialization;
import akka.persistence.jdbc.config.ReadJournalConfig;
import akka.persistence.jdbc.db.SlickDatabase;
import akka.persistence.jdbc.db.SlickExtension;
import akka.persistence.jdbc.db.SlickExtensionImpl;
import akka.persistence.jdbc.query.dao.DefaultReadJournalDao;
import akka.persistence.jdbc.query.dao.ReadJournalDao;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.stream.Materializer;
import akka.stream.javadsl.Sink;
import com.typesafe.config.Config;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The read journal's bounded queries answer exactly what the plugin's own answer, on both databases, and PostgreSQL
 * reads them as index ranges even on tables it has no statistics for, where the plugin's events-by-tag query read
 * all of {@code event_tag} on every poll.
 */
class BoundedReadJournalDaoTest {
  private static final String[] TAGS = {"bounded-a", "bounded-b", "bounded-c"};
  private static final long FIRST = 1_000_000;

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void answersWhatThePluginsQueriesAnswer(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      ActorSystem<?> system = node.node().system();
      List<Long> orderings = insertEvents(database, system, 600);
      ReadJournalDao plugin = dao(system, false);
      ReadJournalDao bounded = dao(system, true);
      long last = orderings.get(orderings.size() - 1);
      // After a jump of the sequence far beyond one look-up's range (a restored or restarted sequence).
      long farAway = last + 1_000_000;
      insertEvent(database, system, farAway, "after the jump", false, TAGS[0]);
      Random random = new Random(7);
      for (int i = 0; i < 60; i++) {
        String tag = TAGS[i % TAGS.length];
        long offset = FIRST - 5 + random.nextInt((int) (last - FIRST) + 10);
        long maxOffset = offset + random.nextInt(400);
        long max = 1 + random.nextInt(i % 2 == 0 ? 50 : 1000);
        assertThat(eventsByTag(bounded, system, tag, offset, maxOffset, max))
            .as("%s after %d up to %d, at most %d", tag, offset, maxOffset, max)
            .isEqualTo(eventsByTag(plugin, system, tag, offset, maxOffset, max))
            .allSatisfy(event -> assertThat(event).doesNotContain("deleted"));
      }
      for (int i = 0; i < 40; i++) {
        long offset = FIRST - 5 + random.nextInt((int) (last - FIRST) + 10);
        long limit = 1 + random.nextInt(200);
        List<Long> plugins = sequence(plugin, system, offset, limit);
        // The same orderings up to offset + limit: all of the plugin's when the range has no gap, a prefix otherwise,
        // and the plugin's first when the whole range is a gap.
        List<Long> expected = plugins.stream().filter(ordering -> ordering <= offset + limit).toList();
        assertThat(sequence(bounded, system, offset, limit))
            .isEqualTo(expected.isEmpty() ? plugins.stream().limit(1).toList() : expected);
      }
      assertThat(sequence(bounded, system, farAway, 50_000)).as("nothing after the last event").isEmpty();
      assertThat(sequence(bounded, system, last, 50_000))
          .as("a gap longer than the range is passed, not asked for again and again")
          .containsExactly(farAway);
      assertThat(sequence(bounded, system, FIRST - 1, 10)).containsExactly(FIRST, FIRST + 1, FIRST + 2, FIRST + 3,
          FIRST + 4, FIRST + 5, FIRST + 6, FIRST + 7, FIRST + 8, FIRST + 9);
    }
  }

  @Test
  void postgresReadsBothQueriesAsIndexRangesWithoutStatistics() throws Exception {
    try (TestDatabase database = TestDatabase.postgres();
        TestNode node = TestNode.start(database)) {
      BoundedReadJournalDao bounded = (BoundedReadJournalDao) dao(node.node().system(), true);
      try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "");
          Statement statement = connection.createStatement()) {
        // 60,000 events over four tags, as four projections' slices would have them, never analyzed.
        statement.execute(
            "INSERT INTO event_journal (ordering, persistence_id, sequence_number, writer, write_timestamp,"
                + " event_ser_id, event_ser_manifest, event_payload)"
                + " SELECT n, 'p-' || (n % 1000), n, 'w', 0, 1, '', '\\x00'::bytea FROM generate_series(2000001, 2060000) n");
        statement.execute("INSERT INTO event_tag (event_id, tag) SELECT n, 'slice-' || (n % 4) FROM generate_series(2000001, 2060000) n");
        String tagPlan = plan(connection, bounded.eventsByTagQuery, "slice-1", 2059000L, 2059500L, 2059000L, 2059500L, 2000L);
        String sequencePlan = plan(connection, bounded.journalSequenceQuery, 2059000L, 2109000L);
        assertThat(tagPlan).doesNotContain("Seq Scan").contains("event_tag_pkey").contains("event_journal_ordering_idx");
        assertThat(sequencePlan).doesNotContain("Seq Scan").contains("event_journal_ordering_idx");
      }
    }
  }

  private static String plan(Connection connection, String query, Object... parameters) throws SQLException {
    try (PreparedStatement explain = connection.prepareStatement("EXPLAIN " + query)) {
      for (int i = 0; i < parameters.length; i++) explain.setObject(i + 1, parameters[i]);
      StringBuilder plan = new StringBuilder();
      try (ResultSet rows = explain.executeQuery()) {
        while (rows.next()) plan.append(rows.getString(1)).append('\n');
      }
      return plan.toString();
    }
  }

  /**
   * Events with orderings from {@link #FIRST} with gaps, each with one or two of the tags, one in ten deleted
   * (its payload says so, and neither query may return it).
   */
  private static List<Long> insertEvents(TestDatabase database, ActorSystem<?> system, int count) throws SQLException {
    List<Long> orderings = new ArrayList<>();
    Random random = new Random(42);
    try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "")) {
      long ordering = FIRST;
      for (int i = 0; i < count; i++) {
        boolean deleted = i % 10 == 9;
        String first = TAGS[random.nextInt(TAGS.length)];
        String second = random.nextInt(4) == 0 ? TAGS[random.nextInt(TAGS.length)] : first;
        insert(connection, system, ordering, (deleted ? "deleted " : "event ") + ordering, deleted, first, second);
        orderings.add(ordering);
        ordering += i < 10 ? 1 : 1 + (random.nextInt(8) == 0 ? random.nextInt(5) : 0);
      }
    }
    return orderings;
  }

  private static void insertEvent(TestDatabase database, ActorSystem<?> system, long ordering, String payload, boolean deleted,
      String tag) throws SQLException {
    try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "")) {
      insert(connection, system, ordering, payload, deleted, tag);
    }
  }

  private static void insert(Connection connection, ActorSystem<?> system, long ordering, String payload, boolean deleted,
      String... tags) throws SQLException {
    AkkaSerialization.AkkaSerialized serialized =
        AkkaSerialization.serialize(SerializationExtension.get(system.classicSystem()), payload).get();
    try (PreparedStatement event =
            connection.prepareStatement(
                "INSERT INTO event_journal (ordering, persistence_id, sequence_number, deleted, writer, write_timestamp,"
                    + " adapter_manifest, event_ser_id, event_ser_manifest, event_payload)"
                    + " VALUES (?, ?, ?, ?, 'test', 0, '', ?, ?, ?)");
        PreparedStatement tag = connection.prepareStatement("INSERT INTO event_tag (event_id, tag) VALUES (?, ?)")) {
      event.setLong(1, ordering);
      event.setString(2, "bounded-" + (ordering % 7));
      event.setLong(3, ordering);
      event.setBoolean(4, deleted);
      event.setInt(5, serialized.serId());
      event.setString(6, serialized.serManifest());
      event.setBytes(7, serialized.payload());
      event.executeUpdate();
      for (String name : new java.util.LinkedHashSet<>(List.of(tags))) {
        tag.setLong(1, ordering);
        tag.setString(2, name);
        tag.executeUpdate();
      }
    }
  }

  private static ReadJournalDao dao(ActorSystem<?> system, boolean bounded) {
    Config config = system.settings().config().getConfig("jdbc-read-journal");
    SlickDatabase slick = ((SlickExtensionImpl) SlickExtension.get(system.classicSystem())).database(config);
    ReadJournalConfig readJournalConfig = new ReadJournalConfig(config);
    Serialization serialization = SerializationExtension.get(system.classicSystem());
    Materializer materializer = Materializer.matFromSystem(system);
    return bounded
        ? new BoundedReadJournalDao(slick.database(), slick.profile(), readJournalConfig, serialization, system.executionContext(), materializer)
        : new DefaultReadJournalDao(slick.database(), slick.profile(), readJournalConfig, serialization, system.executionContext(), materializer);
  }

  private static List<String> eventsByTag(ReadJournalDao dao, ActorSystem<?> system, String tag, long offset, long maxOffset, long max)
      throws Exception {
    return dao.eventsByTag(tag, offset, maxOffset, max)
        .asJava()
        .map(event -> event.get()._3() + ":" + event.get()._1().payload())
        .runWith(Sink.seq(), system)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private static List<Long> sequence(ReadJournalDao dao, ActorSystem<?> system, long offset, long limit) throws Exception {
    return dao.journalSequence(offset, limit)
        .asJava()
        .map(ordering -> (Long) ordering)
        .runWith(Sink.seq(), system)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }
}
