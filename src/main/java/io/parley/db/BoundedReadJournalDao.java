package io.parley.db;

import static io.parley.db.Identifiers.qualified;
import static io.parley.db.Identifiers.quoted;

import akka.NotUsed;
import akka.persistence.PersistentRepr;
import akka.persistence.jdbc.AkkaSerialization;
import akka.persistence.jdbc.config.EventJournalTableColumnNames;
import akka.persistence.jdbc.config.EventTagTableColumnNames;
import akka.persistence.jdbc.config.ReadJournalConfig;
import akka.persistence.jdbc.journal.dao.JournalTables.JournalAkkaSerializationRow;
import akka.persistence.jdbc.query.dao.DefaultReadJournalDao;
import akka.serialization.Serialization;
import akka.stream.Materializer;
import akka.stream.scaladsl.Source;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;
import slick.jdbc.SimpleJdbcAction;

/**
 * The read journal of akka-persistence-jdbc with its two polling queries bounded so that PostgreSQL reads index
 * ranges whatever its statistics say (docs/benchmarks.md: before, every poll read whole tables, and grew with them).
 * <ul>
 *   <li>Events by tag: the plugin bounds the ordering on the journal's side of the join only, and PostgreSQL carries
 *       no range across a join, so it read every row of the tag, or all of {@code event_tag}, on each poll of each
 *       projection. The tag table's {@code event_id} is now bounded too.
 *   <li>The journal sequence ("orderings after o, at most n of them", every 100 ms): without an upper bound a table
 *       with no statistics yet is scanned and sorted whole. It now asks for orderings in (o, o + n]: the same rows when
 *       there is no gap, a prefix of them when there is one, which the sequence actor takes as a smaller batch.
 * </ul>
 */
public final class BoundedReadJournalDao extends DefaultReadJournalDao {
  private final JdbcBackend.DatabaseDef db;
  private final Serialization serialization;
  final String eventsByTagQuery;
  final String journalSequenceQuery;
  final String nextOrderingQuery;

  public BoundedReadJournalDao(
      JdbcBackend.DatabaseDef db,
      JdbcProfile profile,
      ReadJournalConfig config,
      Serialization serialization,
      ExecutionContext ec,
      Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.db = db;
    this.serialization = serialization;
    EventJournalTableColumnNames journal = config.eventJournalTableConfiguration().columnNames();
    EventTagTableColumnNames tags = config.eventTagTableConfiguration().columnNames();
    String journalTable =
        qualified(config.eventJournalTableConfiguration().schemaName(), config.eventJournalTableConfiguration().tableName());
    String tagTable =
        qualified(config.eventTagTableConfiguration().schemaName(), config.eventTagTableConfiguration().tableName());
    String ordering = "j." + quoted(journal.ordering());
    String eventId = "t." + quoted(tags.eventId());
    this.eventsByTagQuery =
        "SELECT "
            + String.join(
                ", ",
                ordering,
                "j." + quoted(journal.deleted()),
                "j." + quoted(journal.persistenceId()),
                "j." + quoted(journal.sequenceNumber()),
                "j." + quoted(journal.writer()),
                "j." + quoted(journal.writeTimestamp()),
                "j." + quoted(journal.adapterManifest()),
                "j." + quoted(journal.eventPayload()),
                "j." + quoted(journal.eventSerId()),
                "j." + quoted(journal.eventSerManifest()),
                "j." + quoted(journal.metaPayload()),
                "j." + quoted(journal.metaSerId()),
                "j." + quoted(journal.metaSerManifest()))
            + " FROM " + journalTable + " j JOIN " + tagTable + " t ON " + ordering + " = " + eventId
            + " WHERE t." + quoted(tags.tag()) + " = ?"
            + " AND " + eventId + " > ? AND " + eventId + " <= ?"
            + " AND " + ordering + " > ? AND " + ordering + " <= ?"
            + " AND j." + quoted(journal.deleted()) + " = FALSE"
            + " ORDER BY " + ordering
            + " LIMIT ?";
    this.journalSequenceQuery =
        "SELECT " + quoted(journal.ordering()) + " FROM " + journalTable
            + " WHERE " + quoted(journal.ordering()) + " > ? AND " + quoted(journal.ordering()) + " <= ?"
            + " ORDER BY " + quoted(journal.ordering());
    this.nextOrderingQuery =
        "SELECT MIN(" + quoted(journal.ordering()) + ") FROM " + journalTable + " WHERE " + quoted(journal.ordering()) + " > ?";
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(
      String tag, long offset, long maxOffset, long max) {
    long limit = correctMaxForH2Driver(max);
    return select(context -> rows(context, eventsByTagQuery, BoundedReadJournalDao::row, tag, offset, maxOffset, offset, maxOffset, limit))
        .map(
            row ->
                AkkaSerialization.fromRow(serialization, row)
                    .map(
                        reprAndOrdering ->
                            new Tuple3<PersistentRepr, Set<String>, Object>(
                                reprAndOrdering._1(), scala.collection.immutable.Set$.MODULE$.empty(), reprAndOrdering._2())))
        .asScala();
  }

  /**
   * An empty range with orderings after it (a jump of the sequence, or a long run of rolled-back writes) answers the
   * next ordering alone, as the plugin's query would begin: the sequence actor then waits out the gap and moves on,
   * where an empty answer would keep it asking for the same empty range forever.
   */
  @Override
  public Source<Object, NotUsed> journalSequence(long offset, long limit) {
    long upTo = limit >= Long.MAX_VALUE - offset ? Long.MAX_VALUE : offset + limit;
    return select(
            context -> {
              List<Object> orderings = rows(context, journalSequenceQuery, result -> result.getLong(1), offset, upTo);
              if (!orderings.isEmpty()) return orderings;
              List<Object> next = rows(context, nextOrderingQuery, result -> result.getObject(1) == null ? null : result.getLong(1), offset);
              return next.get(0) == null ? List.of() : next;
            })
        .asScala();
  }

  private interface RowReader<T> {
    T read(ResultSet result) throws SQLException;
  }

  private interface Reads<T> {
    List<T> on(Connection connection);
  }

  /** Runs the reads on the plugin's own pool and threads, as its Slick queries run. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private <T> akka.stream.javadsl.Source<T, NotUsed> select(Reads<T> reads) {
    SimpleJdbcAction<List<T>> action = SimpleJdbcAction.apply(context -> reads.on(context.connection()));
    // The action's effect type is Effect.All; run's parameter is invariant in Java's eyes, not in Scala's.
    scala.concurrent.Future<List<T>> rows = db.run((DBIOAction) action);
    return akka.stream.javadsl.Source.completionStage(FutureConverters.asJava(rows)).mapConcat(page -> page);
  }

  private static <T> List<T> rows(Connection connection, String sql, RowReader<T> reader, Object... parameters) {
    try (PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) statement.setObject(i + 1, parameters[i]);
      try (ResultSet result = statement.executeQuery()) {
        List<T> rows = new ArrayList<>();
        while (result.next()) rows.add(reader.read(result));
        return rows;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("A read journal query failed: " + sql, e);
    }
  }

  private static JournalAkkaSerializationRow row(ResultSet result) throws SQLException {
    byte[] metaPayload = result.getBytes(11);
    int metaSerId = result.getInt(12);
    Option<Object> metaSerIdOption = result.wasNull() ? Option.empty() : Option.apply(metaSerId);
    return new JournalAkkaSerializationRow(
        result.getLong(1),
        result.getBoolean(2),
        result.getString(3),
        result.getLong(4),
        result.getString(5),
        result.getLong(6),
        result.getString(7),
        result.getBytes(8),
        result.getInt(9),
        result.getString(10),
        Option.apply(metaPayload),
        metaSerIdOption,
        Option.apply(result.getString(13)));
  }
}
