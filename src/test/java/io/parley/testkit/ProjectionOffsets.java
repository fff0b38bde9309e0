package io.parley.testkit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * How far a projection has come through the journal, read from a test node's database: a test that claims nothing
 * was handled twice waits until the projection has settled everything stored, rather than sleeping and hoping it
 * started.
 */
public final class ProjectionOffsets {
  private ProjectionOffsets() {}

  /** The tags of slices {@code 0..slices-1}. */
  public static List<String> tags(int slices, IntFunction<String> tagOfSlice) {
    return IntStream.range(0, slices).mapToObj(tagOfSlice).toList();
  }

  /**
   * Waits until {@code projection} has stored, for each of {@code tags}, an offset at or past the last event tagged
   * with it, as the journal holds them when this is called.
   */
  public static void awaitPastLastEvent(TestDatabase database, String projection, List<String> tags) {
    for (String tag : tags) {
      long last = lastEvent(database, tag);
      Eventually.await(
          "the " + projection + " projection's offset of " + tag + " at " + last + " or past it",
          () -> offset(database, projection, tag),
          at -> at >= last);
    }
  }

  /** The journal ordering of the last event tagged {@code tag}; 0 when none is. */
  public static long lastEvent(TestDatabase database, String tag) {
    return query(database, "SELECT MAX(event_id) FROM event_tag WHERE tag = ?", tag);
  }

  /** The ordering {@code projection} has settled its events of {@code tag} up to; 0 before its first offset. */
  public static long offset(TestDatabase database, String projection, String tag) {
    return query(
        database,
        "SELECT current_offset FROM akka_projection_offset_store WHERE projection_name = ? AND projection_key = ?",
        projection,
        tag);
  }

  private static long query(TestDatabase database, String sql, String... parameters) {
    try (Connection connection = DriverManager.getConnection(database.url(), database.user(), "");
        PreparedStatement statement = connection.prepareStatement(sql)) {
      for (int i = 0; i < parameters.length; i++) statement.setString(i + 1, parameters[i]);
      try (ResultSet row = statement.executeQuery()) {
        return row.next() && row.getString(1) != null ? Long.parseLong(row.getString(1)) : 0;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
