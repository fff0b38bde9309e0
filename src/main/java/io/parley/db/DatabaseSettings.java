package io.parley.db;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Where the journal and the read side live, derived once from {@code parley.database}: the dialect, a JDBC URL with
 * its credentials, and the Akka persistence and projection settings that follow from them.
 */
public record DatabaseSettings(
    Dialect dialect,
    String jdbcUrl,
    String user,
    String password,
    boolean createSchema,
    int journalPoolSize,
    int readPoolSize,
    Duration connectionTimeout) {

  public enum Dialect {
    H2("org.h2.Driver", "slick.jdbc.H2Profile$", "h2-dialect", "schema/h2.sql", Map.of()),
    // A JDBC batch of INSERTs becomes one multi-row INSERT: the journal's and the projection's writes are batches.
    // Every statement is planned with its actual parameters: a cached generic plan of the read journal's
    // events-by-tag query cannot see that its ordering range is narrow, scans all of event_tag, and took 10 s a call.
    POSTGRES(
        "org.postgresql.Driver",
        "slick.jdbc.PostgresProfile$",
        "postgres-dialect",
        "schema/postgres.sql",
        Map.of("reWriteBatchedInserts", "true", "options", "-c plan_cache_mode=force_custom_plan"));

    final String driver;
    final String slickProfile;
    final String projectionDialect;
    final String schemaResource;
    final Map<String, String> driverProperties;

    Dialect(
        String driver,
        String slickProfile,
        String projectionDialect,
        String schemaResource,
        Map<String, String> driverProperties) {
      this.driver = driver;
      this.slickProfile = slickProfile;
      this.projectionDialect = projectionDialect;
      this.schemaResource = schemaResource;
      this.driverProperties = driverProperties;
    }

    /**
     * An INSERT of one row that does nothing when a row with the same {@code key} is there already, which it leaves
     * as it is: an event a projection sees again finds the row it wrote the first time, maybe changed since by later
     * events. PostgreSQL's form stays a plain INSERT that the driver still batches into multi-row ones; H2 knows
     * {@code ON CONFLICT} only in its PostgreSQL mode, and takes the standard MERGE.
     */
    public String insertUnlessPresent(String table, List<String> key, String... columns) {
      String names = String.join(", ", columns);
      String parameters = String.join(", ", Collections.nCopies(columns.length, "?"));
      if (this == POSTGRES) {
        return "INSERT INTO " + table + " (" + names + ") VALUES (" + parameters + ") ON CONFLICT ("
            + String.join(", ", key) + ") DO NOTHING";
      }
      return "MERGE INTO " + table + " t USING (VALUES (" + parameters + ")) AS v(" + names + ") ON "
          + key.stream().map(column -> "t." + column + " = v." + column).collect(Collectors.joining(" AND "))
          + " WHEN NOT MATCHED THEN INSERT (" + names + ") VALUES ("
          + Arrays.stream(columns).map(column -> "v." + column).collect(Collectors.joining(", ")) + ")";
    }
  }

  public static DatabaseSettings fromConfig(Config config) {
    Config db = config.getConfig("parley.database");
    String url = db.getString("url").trim();
    if (url.isEmpty()) {
      throw new IllegalStateException(
          "parley.database.url is empty: set DATABASE_URL (jdbc:postgresql://..., postgres://user:pass@host/db or jdbc:h2:...)");
    }
    String user = db.getString("user");
    String password = db.getString("password");
    if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
      ParsedUrl parsed = parsePostgresUri(url);
      url = parsed.jdbcUrl;
      if (user.isEmpty()) user = parsed.user;
      if (password.isEmpty()) password = parsed.password;
    }
    Dialect dialect;
    if (url.startsWith("jdbc:postgresql:")) {
      dialect = Dialect.POSTGRES;
    } else if (url.startsWith("jdbc:h2:")) {
      dialect = Dialect.H2;
      // The journal plugin quotes its lower-case table names; H2 would otherwise fold ours to upper case.
      if (!url.toUpperCase(Locale.ROOT).contains("DATABASE_TO_UPPER")) url = url + ";DATABASE_TO_UPPER=false";
      // An in-memory database lives as long as a connection to it, and the schema is created through a pool of its
      // own that closes: without this, the node would go on with an empty database.
      if (url.startsWith("jdbc:h2:mem:") && !url.toUpperCase(Locale.ROOT).contains("DB_CLOSE_DELAY")) {
        url = url + ";DB_CLOSE_DELAY=-1";
      }
    } else {
      throw new IllegalStateException("Unsupported database URL (expected PostgreSQL or H2): " + redact(url));
    }
    return new DatabaseSettings(
        dialect,
        url,
        user,
        password,
        db.getBoolean("create-schema"),
        db.getInt("journal-pool-size"),
        db.getInt("read-pool-size"),
        db.getDuration("connection-timeout"));
  }

  /** The Akka settings that follow from this database; they take precedence over the loaded configuration. */
  public Config akkaOverrides() {
    Map<String, Object> values = new HashMap<>();
    String slick = "akka-persistence-jdbc.shared-databases.slick.";
    values.put(slick + "profile", dialect.slickProfile);
    values.put(slick + "db.url", jdbcUrl);
    values.put(slick + "db.user", user);
    values.put(slick + "db.password", password);
    values.put(slick + "db.driver", dialect.driver);
    values.put(slick + "db.numThreads", journalPoolSize);
    values.put(slick + "db.maxConnections", journalPoolSize);
    values.put(slick + "db.minConnections", journalPoolSize);
    values.put(slick + "db.connectionTimeout", connectionTimeout.toMillis());
    dialect.driverProperties.forEach((key, value) -> values.put(slick + "db.properties." + key, value));
    values.put("akka.projection.jdbc.dialect", dialect.projectionDialect);
    values.put("akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size", readPoolSize);
    // A thread per read connection: fewer would leave connections idle, more would only wait up to
    // connection-timeout for one.
    values.put("parley.blocking-dispatcher.thread-pool-executor.fixed-pool-size", readPoolSize);
    return ConfigFactory.parseMap(values, "parley.database");
  }

  /** The URL without credentials, for logs and health reports. */
  public String describe() {
    return dialect + " " + redact(jdbcUrl);
  }

  private record ParsedUrl(String jdbcUrl, String user, String password) {}

  /** Accepts the {@code postgres://user:pass@host:port/db?params} form that Supabase and Heroku hand out. */
  static ParsedUrl parsePostgresUri(String url) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      // The message would quote the URL, password and all.
      throw new IllegalStateException(
          "DATABASE_URL is not a valid URI (percent-encode special characters of the password): " + redact(url));
    }
    if (uri.getHost() == null) throw new IllegalStateException("DATABASE_URL has no host: " + redact(url));
    String user = "";
    String password = "";
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      user = percentDecoded(parts[0]);
      if (parts.length > 1) password = percentDecoded(parts[1]);
    }
    String port = uri.getPort() > 0 ? ":" + uri.getPort() : "";
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/postgres" : uri.getRawPath();
    String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
    return new ParsedUrl("jdbc:postgresql://" + uri.getHost() + port + path + query, user, password);
  }

  /** The user part of a URI decoded as libpq does: percent escapes only; a {@code +} is a plus, not a space. */
  private static String percentDecoded(String raw) {
    return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** Everything between {@code //} and the last {@code @} before the path is credentials, whatever it holds. */
  static String redact(String url) {
    return url.replaceAll("//[^@]*@", "//***@").replaceAll("(?i)(password=)[^&;]*", "$1***");
  }
}
