package io.parley.matching;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/** One read-pool connection, one transaction: the pool hands out connections with auto-commit off. */
final class Transactions {
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
        connection.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("database failure: " + e.getMessage(), e);
    }
  }
}
