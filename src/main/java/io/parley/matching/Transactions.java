package io.parley.matching;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/** One read-pool connection, one transaction: the pool hands out connections with auto-commit off. */
final class Transactions {
  /**
   * SQLStates of a transaction that lost a race to a concurrent one: a unique key the other inserted first (23505 on
   * both databases), a deadlock (40P01 on PostgreSQL, 40001 on H2) and H2's lock timeout (HYT00), which is how H2
   * ends two inserts each waiting for a key the other has not committed.
   */
  private static final Set<String> LOST_RACE = Set.of("23505", "40P01", "40001", "HYT00");
  /** A few: each attempt finds more of the racing transactions committed. */
  private static final int RACE_ATTEMPTS = 5;
  private static final int MAX_RACE_PAUSE_MILLIS = 50;

  private Transactions() {}

  interface Work<T> {
    T apply(Connection connection) throws SQLException;
  }

  static <T> T run(DataSource dataSource, Work<T> work) {
    try (Connection connection = dataSource.getConnection()) {
      try {
        T result = work.apply(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        // A connection the pool closed for the failure (H2's lock timeout) cannot roll back: the failure is the news.
        try {
          connection.rollback();
        } catch (SQLException rollback) {
          e.addSuppressed(rollback);
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("database failure: " + e.getMessage(), e);
    }
  }

  /**
   * Runs {@code work} again when it lost a race to a concurrent transaction, after a short random pause that lets
   * the winner commit and keeps two losers from meeting again: under READ COMMITTED the rerun sees what won.
   */
  static <T> T runRetryingLostRaces(DataSource dataSource, Work<T> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return run(dataSource, work);
      } catch (IllegalStateException e) {
        if (attempt == RACE_ATTEMPTS || !(e.getCause() instanceof SQLException sql) || !lostRace(sql)) throw e;
        try {
          Thread.sleep(ThreadLocalRandom.current().nextInt(1, MAX_RACE_PAUSE_MILLIS + 1));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** A failed JDBC batch carries the statement's own error as its next exception. */
  private static boolean lostRace(SQLException failure) {
    for (SQLException e = failure; e != null; e = e.getNextException()) {
      if (e.getSQLState() != null && LOST_RACE.contains(e.getSQLState())) return true;
    }
    return false;
  }
}
