package io.parley.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.typed.ActorSystem;
import akka.persistence.jdbc.config.JournalConfig;
import akka.persistence.jdbc.db.SlickDatabase;
import akka.persistence.jdbc.db.SlickExtension;
import akka.persistence.jdbc.db.SlickExtensionImpl;
import akka.persistence.jdbc.journal.dao.DefaultJournalDao;
import akka.persistence.jdbc.journal.dao.JournalTables.JournalAkkaSerializationRow;
import akka.serialization.SerializationExtension;
import akka.stream.Materializer;
import com.typesafe.config.Config;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;

/**
 * The batched journal writes exactly the rows, orderings and tags the plugin's own journal writes for the same batch,
 * on both databases, and a batch that fails writes nothing of itself.
 */
class BatchedJournalDaoTest {
  /** Strings a text array could mangle if quoted wrongly, all written as they are by the plugin. */
  private static final String[] AWKWARD = {
    "", "NULL", "null", "a\"b", "a\\b", "{x,y}", " padded ", "ünï🎉", "a,b", "'", "tab\tnew\nline", "Manifest'\"$1"
  };

  private static final java.util.Set<Integer> BINARY =
      java.util.Set.of(Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB);

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void writesWhatThePluginsJournalWrites(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      ActorSystem<?> system = node.node().system();
      DefaultJournalDao plugin = dao(system, false);
      DefaultJournalDao batched = dao(system, true);
      Random random = new Random(11);
      for (int batch = 0; batch < 5; batch++) {
        List<int[]> events = new ArrayList<>();
        for (int entity = 0; entity < 7; entity++) {
          for (int seq = 1; seq <= 1 + random.nextInt(6); seq++) events.add(new int[] {entity, batch * 10 + seq});
        }
        Collections.shuffle(events, random);
        long seed = random.nextLong();
        write(plugin, rows("plugin-", events, new Random(seed)));
        write(batched, rows("batched-", events, new Random(seed)));
      }
      List<String> written = journal(database, "plugin-");
      assertThat(written).hasSizeGreaterThan(100);
      assertThat(journal(database, "batched-")).isEqualTo(written);
      assertThat(tags(database, "batched-")).isEqualTo(tags(database, "plugin-")).isNotEmpty();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aBatchThatFailsWritesNothingOfItself(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      ActorSystem<?> system = node.node().system();
      DefaultJournalDao batched = dao(system, true);
      write(batched, rows("failing-", List.of(new int[] {1, 1}), new Random(1)));
      // Two new events of another entity, and the first entity's first event a second time: the events' insert fails.
      List<Tuple2<JournalAkkaSerializationRow, Set<String>>> again =
          rows("failing-", List.of(new int[] {2, 1}, new int[] {2, 2}, new int[] {1, 1}), new Random(2));
      assertThatThrownBy(() -> write(batched, again)).hasRootCauseInstanceOf(SQLException.class);
      // New events with a tag longer than event_tag.tag allows: the events' insert succeeds, the tags' insert fails,
      // and the statement with it.
      List<Tuple2<JournalAkkaSerializationRow, Set<String>>> tooLongTag =
          rows("failing-", List.of(new int[] {3, 1}, new int[] {3, 2}), new Random(3));
      tooLongTag.set(1, new Tuple2<>(tooLongTag.get(1)._1(), tagSet(java.util.Set.of("t".repeat(300)))));
      for (int attempt = 0; attempt < 12; attempt++) {
        assertThatThrownBy(() -> write(batched, tooLongTag)).hasRootCauseInstanceOf(SQLException.class);
      }
      assertThat(journal(database, "failing-")).hasSize(1).allSatisfy(row -> assertThat(row).startsWith("1/1 "));
      assertThat(tags(database, "failing-")).allSatisfy(tag -> assertThat(tag).startsWith("1/1 "));
      // The pool's connections came back usable: more writes than it has connections all commit.
      for (int entity = 10; entity < 30; entity++) write(batched, rows("failing-", List.of(new int[] {entity, 1}), new Random(entity)));
      assertThat(journal(database, "failing-")).hasSize(21);
    }
  }

  /**
   * Each event of an entity, with zero to two tags, a payload of up to 3 KB (bytes 0 to 255), and metadata on one in
   * three.
   */
  private static List<Tuple2<JournalAkkaSerializationRow, Set<String>>> rows(
      String prefix, List<int[]> events, Random random) {
    List<Tuple2<JournalAkkaSerializationRow, Set<String>>> rows = new ArrayList<>();
    for (int[] event : events) {
      byte[] payload = new byte[random.nextInt(3000)];
      random.nextBytes(payload);
      boolean meta = random.nextInt(3) == 0;
      LinkedHashSet<String> tags = new LinkedHashSet<>();
      for (int i = random.nextInt(3); i > 0; i--) tags.add("tag-" + AWKWARD[random.nextInt(AWKWARD.length)]);
      JournalAkkaSerializationRow row =
          new JournalAkkaSerializationRow(
              Long.MIN_VALUE,
              false,
              prefix + event[0],
              event[1],
              "writer-" + AWKWARD[event[0] % AWKWARD.length],
              1_700_000_000_000L + random.nextInt(1000),
              AWKWARD[random.nextInt(AWKWARD.length)],
              payload,
              random.nextInt(100),
              AWKWARD[random.nextInt(AWKWARD.length)],
              meta ? Option.apply("meta".getBytes(StandardCharsets.UTF_8)) : Option.empty(),
              meta ? Option.apply((Object) 7) : Option.empty(),
              meta ? Option.apply("meta-manifest") : Option.empty());
      rows.add(new Tuple2<>(row, tagSet(tags)));
    }
    return rows;
  }

  private static Set<String> tagSet(java.util.Set<String> tags) {
    return CollectionConverters.asScala(tags).toSet();
  }

  private static void write(DefaultJournalDao dao, List<Tuple2<JournalAkkaSerializationRow, Set<String>>> rows)
      throws Exception {
    Seq<Tuple2<JournalAkkaSerializationRow, Set<String>>> seq = CollectionConverters.asScala(rows).toList();
    Future<?> written = dao.writeJournalRows(seq);
    FutureConverters.asJava(written).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** The prefix's events in the order of their orderings, every column but the ordering itself. */
  private static List<String> journal(TestDatabase database, String prefix) throws SQLException {
    return select(
        database,
        "SELECT persistence_id, sequence_number, deleted, writer, write_timestamp, adapter_manifest, event_ser_id,"
            + " event_ser_manifest, event_payload, meta_ser_id, meta_ser_manifest, meta_payload FROM event_journal"
            + " WHERE persistence_id LIKE ? ORDER BY ordering",
        prefix);
  }

  /** The prefix's tags by event, with the tagged event's position among the prefix's events. */
  private static List<String> tags(TestDatabase database, String prefix) throws SQLException {
    return select(
        database,
        "SELECT j.persistence_id, j.sequence_number, t.tag,"
            + " (SELECT COUNT(*) FROM event_journal e WHERE e.persistence_id LIKE ? AND e.ordering < j.ordering)"
            + " FROM event_tag t JOIN event_journal j ON j.ordering = t.event_id WHERE j.persistence_id LIKE ?"
            + " ORDER BY j.ordering, t.tag",
        prefix,
        prefix);
  }

  private static List<String> select(TestDatabase database, String sql, String... prefixes) throws SQLException {
    List<String> rows = new ArrayList<>();
    try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "");
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < prefixes.length; i++) statement.setString(i + 1, prefixes[i] + "%");
      try (ResultSet result = statement.executeQuery()) {
        int columns = result.getMetaData().getColumnCount();
        while (result.next()) {
          StringBuilder row =
              new StringBuilder(result.getString(1).substring(prefixes[0].length()) + "/" + result.getLong(2));
          for (int column = 3; column <= columns; column++) {
            // H2 answers getObject of a binary column with a Blob, PostgreSQL with bytes.
            boolean binary = BINARY.contains(result.getMetaData().getColumnType(column));
            byte[] bytes = binary ? result.getBytes(column) : null;
            row.append(' ').append(binary ? bytes == null ? "null" : HexFormat.of().formatHex(bytes) : result.getObject(column));
          }
          rows.add(row.toString());
        }
      }
    }
    return rows;
  }

  private static DefaultJournalDao dao(ActorSystem<?> system, boolean batched) {
    Config config = system.settings().config().getConfig("jdbc-journal");
    SlickDatabase slick = ((SlickExtensionImpl) SlickExtension.get(system.classicSystem())).database(config);
    JournalConfig journalConfig = new JournalConfig(config);
    var serialization = SerializationExtension.get(system.classicSystem());
    Materializer materializer = Materializer.matFromSystem(system);
    return batched
        ? new BatchedJournalDao(slick.database(), slick.profile(), journalConfig, serialization, system.executionContext(), materializer)
        : new DefaultJournalDao(slick.database(), slick.profile(), journalConfig, serialization, system.executionContext(), materializer);
  }
}
