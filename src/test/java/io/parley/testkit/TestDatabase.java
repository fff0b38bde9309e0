package io.parley.testkit;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A database of its own for one test: an H2 file in a temporary folder, or a fresh schema in the local PostgreSQL.
 * Under {@code CI=true} a missing PostgreSQL fails the test instead of skipping it.
 */
public record TestDatabase(String kind, String url, String user, Runnable cleanup) implements AutoCloseable {
  public static final String POSTGRES_URL = "jdbc:postgresql://127.0.0.1:5432/test";
  public static final String POSTGRES_USER = "postgres";

  public static TestDatabase h2() {
    try {
      Path dir = Files.createTempDirectory("parley-h2-");
      return new TestDatabase(
          "h2", "jdbc:h2:file:" + dir.resolve("parley") + ";DATABASE_TO_UPPER=false", "", () -> deleteRecursively(dir));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      // Deepest first, so that each folder is empty when its turn comes.
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException ignored) {
      // A leftover folder only costs disk in the temporary directory.
    }
  }

  public static TestDatabase postgres() {
    String schema = "parley_t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection connection = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, "");
        Statement statement = connection.createStatement()) {
      statement.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      if ("true".equals(System.getenv("CI"))) {
        fail("PostgreSQL must be reachable at 127.0.0.1:5432 under CI=true: " + e.getMessage());
      }
      Assumptions.abort("PostgreSQL is not reachable at 127.0.0.1:5432: " + e.getMessage());
    }
    return new TestDatabase(
        "postgres",
        POSTGRES_URL + "?currentSchema=" + schema,
        POSTGRES_USER,
        () -> {
          try (Connection connection = DriverManager.getConnection(POSTGRES_URL, POSTGRES_USER, "");
              Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
          } catch (SQLException ignored) {
            // A leftover schema only costs disk; the next run uses a new name.
          }
        });
  }

  public static TestDatabase named(String kind) {
    return "postgres".equals(kind) ? postgres() : h2();
  }

  @Override
  public void close() {
    cleanup.run();
  }
}
