package io.parley.db;

import akka.actor.CoordinatedShutdown;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.Done;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.parley.metrics.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side's connection pool, one per actor system. The journal has its own pool inside the persistence plugin;
 * keeping them apart means a slow read-side query can never starve message writes.
 */
public final class Database implements Extension {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  public static final ExtensionId<Database> ID =
      new ExtensionId<>() {
        @Override
        public Database createExtension(ActorSystem<?> system) {
          return new Database(system);
        }
      };

  public static Database get(ActorSystem<?> system) {
    return ID.apply(system);
  }

  private final DatabaseSettings settings;
  private final HikariDataSource dataSource;
  private final AtomicLong reachabilityChecks = new AtomicLong();

  private Database(ActorSystem<?> system) {
    this.settings = DatabaseSettings.fromConfig(system.settings().config());
    this.dataSource = openPool(settings, settings.readPoolSize(), "parley-read");
    Metrics.get(system)
        .counter(
            "parley.database.checks",
            "Checks that the read side's database answers (for /api/health), each a connection from the read pool",
            reachabilityChecks::get);
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "close-read-pool",
            () -> {
              dataSource.close();
              return CompletableFuture.completedFuture(Done.getInstance());
            });
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public DatabaseSettings settings() {
    return settings;
  }

  /** Whether the database answers a trivial query within a second; for the health route. */
  public boolean isReachable() {
    reachabilityChecks.incrementAndGet();
    try (Connection connection = dataSource.getConnection()) {
      return connection.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }

  static HikariDataSource openPool(DatabaseSettings settings, int size, String name) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(name);
    config.setDriverClassName(settings.dialect().driver);
    config.setJdbcUrl(settings.jdbcUrl());
    if (!settings.user().isEmpty()) config.setUsername(settings.user());
    if (!settings.password().isEmpty()) config.setPassword(settings.password());
    config.setMaximumPoolSize(size);
    config.setMinimumIdle(Math.min(2, size));
    config.setConnectionTimeout(settings.connectionTimeout().toMillis());
    // Projections commit their handler's writes and the offset in one transaction.
    config.setAutoCommit(false);
    settings.dialect().driverProperties.forEach(config::addDataSourceProperty);
    return new HikariDataSource(config);
  }

  /**
   * Applies the dialect's DDL when {@code create-schema} is on. Runs before the actor system starts, so the journal
   * never sees a missing table.
   */
  /** The advisory lock key under which nodes apply the schema one at a time ("parley" in ASCII). */
  private static final long SCHEMA_LOCK = 0x7061726c6579L;

  public static void createSchemaIfConfigured(DatabaseSettings settings) {
    if (!settings.createSchema()) {
      log.info("Schema creation is off; expecting the tables of {} to exist", settings.dialect().schemaResource);
      return;
    }
    String ddl = readSchema(settings.dialect().schemaResource);
    try (HikariDataSource pool = openPool(settings, 1, "parley-schema");
        Connection connection = pool.getConnection();
        Statement statement = connection.createStatement()) {
      // Nodes of a cluster start together: concurrent CREATE ... IF NOT EXISTS can still collide on PostgreSQL's
      // catalog, so they take turns, each under a lock held until its transaction ends.
      if (settings.dialect() == DatabaseSettings.Dialect.POSTGRES) {
        statement.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
      }
      for (String sql : statements(ddl)) statement.execute(sql);
      connection.commit();
      log.info("Schema {} applied to {}", settings.dialect().schemaResource, settings.describe());
    } catch (SQLException e) {
      throw new IllegalStateException("Could not create the schema on " + settings.describe(), e);
    }
  }

  static String readSchema(String resource) {
    try (InputStream in = Database.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("Schema resource missing from the classpath: " + resource);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("Could not read " + resource, e);
    }
  }

  /** Splits a DDL file on the semicolons that end a line, dropping comments; the files never nest statements. */
  static java.util.List<String> statements(String ddl) {
    StringBuilder withoutComments = new StringBuilder();
    for (String line : ddl.split("\n")) {
      if (!line.trim().startsWith("--")) withoutComments.append(line).append('\n');
    }
    return java.util.Arrays.stream(withoutComments.toString().split(";\\s*\n"))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .toList();
  }
}
