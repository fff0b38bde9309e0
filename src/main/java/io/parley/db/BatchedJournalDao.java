package io.parley.db;

import akka.persistence.jdbc.config.EventJournalTableColumnNames;
import akka.persistence.jdbc.config.EventTagTableColumnNames;
import akka.persistence.jdbc.config.JournalConfig;
import akka.persistence.jdbc.journal.dao.DefaultJournalDao;
import akka.persistence.jdbc.journal.dao.JournalTables.JournalAkkaSerializationRow;
import akka.serialization.Serialization;
import akka.stream.Materializer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import scala.Option;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.PostgresProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The journal of akka-persistence-jdbc, writing each batch on PostgreSQL in one statement: its events in one insert
 * and their tags in another, joined in a single statement that commits on its own. The plugin inserts tagged events
 * one row at a time (it needs each row's generated {@code ordering} for the tag table, and Slick asks for generated
 * keys row by row), so a batch of n events cost n + 2 round trips to the database, each one a wake-up of a PostgreSQL
 * backend and of a pool thread (docs/benchmarks.md). Here the rows travel as one array per column, unnested in their
 * order, so the orderings are drawn in the order the plugin would draw them, and each tag finds its event's ordering
 * by the event's persistence id and sequence number inside the statement. One statement is one transaction, so a
 * batch's events are never committed without their tags, and it costs one round trip instead of three (insert,
 * insert, commit). H2, in the same process, has no round trip to save and keeps the plugin's writes.
 */
public final class BatchedJournalDao extends DefaultJournalDao {
  /** The element type of each column's array, in the order of the insert's columns and of the values bound to it. */
  private static final List<String> ARRAY_TYPES =
      List.of("bool", "varchar", "int8", "varchar", "int8", "varchar", "int4", "varchar", "bytea", "int4", "varchar", "bytea");

  private final JdbcBackend.DatabaseDef db;
  private final boolean postgres;
  final String insertBatch;

  public BatchedJournalDao(
      JdbcBackend.DatabaseDef db,
      JdbcProfile profile,
      JournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.db = db;
    this.postgres = profile instanceof PostgresProfile;
    EventJournalTableColumnNames journal = config.eventJournalTableConfiguration().columnNames();
    EventTagTableColumnNames tags = config.eventTagTableConfiguration().columnNames();
    String journalTable =
        Identifiers.qualified(config.eventJournalTableConfiguration().schemaName(), config.eventJournalTableConfiguration().tableName());
    String tagTable =
        Identifiers.qualified(config.eventTagTableConfiguration().schemaName(), config.eventTagTableConfiguration().tableName());
    List<String> columns =
        List.of(
            journal.deleted(),
            journal.persistenceId(),
            journal.sequenceNumber(),
            journal.writer(),
            journal.writeTimestamp(),
            journal.adapterManifest(),
            journal.eventSerId(),
            journal.eventSerManifest(),
            journal.eventPayload(),
            journal.metaSerId(),
            journal.metaSerManifest(),
            journal.metaPayload());
    String quotedColumns = String.join(", ", columns.stream().map(Identifiers::quoted).toList());
    String arrays = String.join(", ", ARRAY_TYPES.stream().map(type -> "?::" + type + "[]").toList());
    String ordering = Identifiers.quoted(journal.ordering());
    String persistenceId = Identifiers.quoted(journal.persistenceId());
    String sequenceNumber = Identifiers.quoted(journal.sequenceNumber());
    this.insertBatch =
        "WITH parley_events AS (INSERT INTO " + journalTable + " (" + quotedColumns + ")"
            + " SELECT " + quotedColumns + " FROM unnest(" + arrays + ") WITH ORDINALITY AS row (" + quotedColumns
            + ", parley_position) ORDER BY parley_position"
            + " RETURNING " + ordering + ", " + persistenceId + ", " + sequenceNumber + "),"
            + " parley_tags AS (INSERT INTO " + tagTable + " (" + Identifiers.quoted(tags.eventId()) + ", "
            + Identifiers.quoted(tags.tag()) + ")"
            + " SELECT parley_events." + ordering + ", tag.parley_tag"
            + " FROM unnest(?::varchar[], ?::int8[], ?::varchar[]) AS tag (parley_persistence_id, parley_sequence_number, parley_tag)"
            + " JOIN parley_events ON parley_events." + persistenceId + " = tag.parley_persistence_id"
            + " AND parley_events." + sequenceNumber + " = tag.parley_sequence_number"
            + " RETURNING 1)"
            + " SELECT (SELECT count(*) FROM parley_events), (SELECT count(*) FROM parley_tags)";
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalAkkaSerializationRow, Set<String>>> rows) {
    if (!postgres) return super.writeJournalRows(rows);
    List<Tuple2<JournalAkkaSerializationRow, Set<String>>> sorted = new ArrayList<>(CollectionConverters.asJava(rows));
    // As the plugin does: a persistence id's events get their orderings in the order of their sequence numbers.
    sorted.sort(Comparator.comparingLong(row -> row._1().sequenceNumber()));
    SimpleJdbcAction<BoxedUnit> action =
        SimpleJdbcAction.apply(
            context -> {
              inOneStatement(context.connection(), sorted);
              return BoxedUnit.UNIT;
            });
    // The action's effect type is Effect.All; run's parameter is invariant in Java's eyes, not in Scala's.
    return db.run((DBIOAction) action);
  }

  private void inOneStatement(Connection connection, List<Tuple2<JournalAkkaSerializationRow, Set<String>>> rows) {
    try {
      // Slick runs an action that is not transactional on an auto-commit connection; inside a caller's transaction,
      // the statement would not commit on its own, and switching auto-commit on would commit the caller's work.
      if (!connection.getAutoCommit()) throw new IllegalStateException("The journal writes on auto-commit connections");
      insertBatch(connection, rows);
    } catch (SQLException e) {
      throw new IllegalStateException("The journal could not write " + rows.size() + " events", e);
    }
  }

  private void insertBatch(Connection connection, List<Tuple2<JournalAkkaSerializationRow, Set<String>>> rows)
      throws SQLException {
    int n = rows.size();
    Boolean[] deleted = new Boolean[n];
    String[] persistenceIds = new String[n];
    Long[] sequenceNumbers = new Long[n];
    String[] writers = new String[n];
    Long[] writeTimestamps = new Long[n];
    String[] adapterManifests = new String[n];
    Integer[] eventSerIds = new Integer[n];
    String[] eventSerManifests = new String[n];
    byte[][] eventPayloads = new byte[n][];
    Integer[] metaSerIds = new Integer[n];
    String[] metaSerManifests = new String[n];
    byte[][] metaPayloads = new byte[n][];
    List<String> taggedPersistenceIds = new ArrayList<>();
    List<Long> taggedSequenceNumbers = new ArrayList<>();
    List<String> tags = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      JournalAkkaSerializationRow row = rows.get(i)._1();
      deleted[i] = row.deleted();
      persistenceIds[i] = row.persistenceId();
      sequenceNumbers[i] = row.sequenceNumber();
      writers[i] = row.writer();
      writeTimestamps[i] = row.writeTimestamp();
      adapterManifests[i] = row.adapterManifest();
      eventSerIds[i] = row.eventSerId();
      eventSerManifests[i] = row.eventSerManifest();
      eventPayloads[i] = row.eventPayload();
      metaSerIds[i] = (Integer) orNull(row.metaSerId());
      metaSerManifests[i] = orNull(row.metaSerManifest());
      metaPayloads[i] = orNull(row.metaPayload());
      for (String tag : CollectionConverters.asJava(rows.get(i)._2())) {
        taggedPersistenceIds.add(persistenceIds[i]);
        taggedSequenceNumbers.add(sequenceNumbers[i]);
        tags.add(tag);
      }
    }
    Object[][] values = {
      deleted, persistenceIds, sequenceNumbers, writers, writeTimestamps, adapterManifests, eventSerIds, eventSerManifests,
      eventPayloads, metaSerIds, metaSerManifests, metaPayloads
    };
    try (PreparedStatement insert = connection.prepareStatement(insertBatch)) {
      for (int i = 0; i < values.length; i++) insert.setArray(i + 1, connection.createArrayOf(ARRAY_TYPES.get(i), values[i]));
      insert.setArray(values.length + 1, connection.createArrayOf("varchar", taggedPersistenceIds.toArray(String[]::new)));
      insert.setArray(values.length + 2, connection.createArrayOf("int8", taggedSequenceNumbers.toArray(Long[]::new)));
      insert.setArray(values.length + 3, connection.createArrayOf("varchar", tags.toArray(String[]::new)));
      try (ResultSet counts = insert.executeQuery()) {
        counts.next();
        long events = counts.getLong(1);
        long tagged = counts.getLong(2);
        // Committed already, so this cannot happen unless the statement itself is wrong; fail the write loudly.
        if (events != n || tagged != tags.size()) {
          throw new IllegalStateException(
              "The journal inserted " + events + " of " + n + " events and " + tagged + " of " + tags.size() + " tags");
        }
      }
    }
  }

  private static <T> T orNull(Option<T> option) {
    return option.isDefined() ? option.get() : null;
  }
}
