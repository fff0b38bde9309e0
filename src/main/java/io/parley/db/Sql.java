package io.parley.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Prepared statements reused for the length of one transaction, and consecutive runs of the same INSERT sent as one
 * JDBC batch: a projection group runs the same few statements hundreds of times.
 */
public final class Sql implements AutoCloseable {
  private final Connection connection;
  private final Map<String, PreparedStatement> prepared = new HashMap<>();

  public Sql(Connection connection) {
    this.connection = connection;
  }

  private PreparedStatement pendingBatch;

  /**
   * Runs an INSERT, UPDATE or DELETE and answers how many rows it touched. Batched statements go first, so that
   * statements run in the order they were given.
   */
  public int update(String sql, Object... parameters) throws SQLException {
    flush();
    PreparedStatement statement = statement(sql);
    bind(statement, parameters);
    return statement.executeUpdate();
  }

  /** Adds a statement to a JDBC batch that runs at the next {@link #update}, {@link #flush} or other batch. */
  public void batch(String sql, Object... parameters) throws SQLException {
    PreparedStatement statement = statement(sql);
    if (pendingBatch != statement) flush();
    bind(statement, parameters);
    statement.addBatch();
    pendingBatch = statement;
  }

  public void flush() throws SQLException {
    if (pendingBatch != null) {
      PreparedStatement batch = pendingBatch;
      pendingBatch = null;
      batch.executeBatch();
    }
  }

  private PreparedStatement statement(String sql) throws SQLException {
    PreparedStatement statement = prepared.get(sql);
    if (statement == null) {
      statement = connection.prepareStatement(sql);
      prepared.put(sql, statement);
    }
    return statement;
  }

  public static void bind(PreparedStatement statement, Object... parameters) throws SQLException {
    for (int i = 0; i < parameters.length; i++) {
      Object value = parameters[i];
      // As an offset time in UTC: a java.sql.Timestamp goes through the JVM's zone, and H2 stored an instant of the
      // hour repeated when summer time ends one hour early (a remembered edit time then never matched its row).
      statement.setObject(i + 1, value instanceof Instant instant ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC) : value);
    }
  }

  /** The instant in a {@code TIMESTAMP WITH TIME ZONE} column, read without the JVM's zone; null for NULL. */
  public static Instant instant(ResultSet rows, String column) throws SQLException {
    OffsetDateTime time = rows.getObject(column, OffsetDateTime.class);
    return time == null ? null : time.toInstant();
  }

  @Override
  public void close() throws SQLException {
    for (PreparedStatement statement : prepared.values()) statement.close();
  }
}
