package io.parley.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DATABASE_URL in every form operators paste, and what the node derives from it. */
class DatabaseSettingsTest {

  private static DatabaseSettings settings(Map<String, Object> database) {
    Map<String, Object> prefixed = new java.util.HashMap<>();
    database.forEach((key, value) -> prefixed.put("parley.database." + key, value));
    return DatabaseSettings.fromConfig(ParleyConfig.load(ConfigFactory.parseMap(prefixed)));
  }

  @Test
  void acceptsSupabaseStylePostgresUrlsWithCredentials() {
    DatabaseSettings s =
        settings(Map.of("url", "postgres://parley:p%40ss%3Aword@db.example.com:6543/postgres?sslmode=require"));
    assertThat(s.dialect()).isEqualTo(DatabaseSettings.Dialect.POSTGRES);
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://db.example.com:6543/postgres?sslmode=require");
    assertThat(s.user()).isEqualTo("parley");
    assertThat(s.password()).isEqualTo("p@ss:word");
    assertThat(s.describe()).doesNotContain("p@ss").doesNotContain("word");
  }

  @Test
  void aPasswordIsDecodedAsLibpqDoesAndNeverShownWhenTheUrlIsBroken() {
    assertThat(settings(Map.of("url", "postgres://app:s3cr+t@db.example.com/parley")).password())
        .as("a plus in the user part is a plus, not a space")
        .isEqualTo("s3cr+t");
    assertThat(settings(Map.of("url", "postgres://app:a%2Bb%25c@db/x")).password()).isEqualTo("a+b%c");
    assertThatThrownBy(() -> settings(Map.of("url", "postgres://app:50%off@db/x")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("percent-encode")
        .hasMessageNotContaining("50%off");
    assertThatThrownBy(() -> settings(Map.of("url", "postgres://app:a/b@db/x")))
        .hasMessageNotContaining("a/b");
  }

  @Test
  void acceptsJdbcPostgresUrlsAndSeparateCredentials() {
    DatabaseSettings s =
        settings(Map.of("url", "jdbc:postgresql://127.0.0.1:5432/test", "user", "postgres", "password", "x"));
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test");
    assertThat(s.user()).isEqualTo("postgres");
    assertThat(s.password()).isEqualTo("x");
  }

  @Test
  void explicitCredentialsWinOverTheUrls() {
    DatabaseSettings s = settings(Map.of("url", "postgresql://a:b@host/db", "user", "c", "password", "d"));
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://host/db");
    assertThat(s.user()).isEqualTo("c");
    assertThat(s.password()).isEqualTo("d");
  }

  @Test
  void h2KeepsItsLowerCaseNames() {
    DatabaseSettings s = settings(Map.of("url", "jdbc:h2:file:./data/parley"));
    assertThat(s.dialect()).isEqualTo(DatabaseSettings.Dialect.H2);
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:h2:file:./data/parley;DATABASE_TO_UPPER=false");
    assertThat(settings(Map.of("url", "jdbc:h2:mem:parley")).jdbcUrl())
        .as("an in-memory database outlives the pool the schema is created through")
        .isEqualTo("jdbc:h2:mem:parley;DATABASE_TO_UPPER=false;DB_CLOSE_DELAY=-1");
  }

  @Test
  void theJournalAndProjectionsFollowTheDatabase() {
    Config akka = settings(Map.of("url", "postgres://u:p@h:5432/d", "journal-pool-size", 6, "read-pool-size", 3))
        .akkaOverrides();
    assertThat(akka.getString("akka-persistence-jdbc.shared-databases.slick.profile")).isEqualTo("slick.jdbc.PostgresProfile$");
    assertThat(akka.getString("akka-persistence-jdbc.shared-databases.slick.db.url")).isEqualTo("jdbc:postgresql://h:5432/d");
    assertThat(akka.getInt("akka-persistence-jdbc.shared-databases.slick.db.maxConnections")).isEqualTo(6);
    assertThat(akka.getString("akka.projection.jdbc.dialect")).isEqualTo("postgres-dialect");
    assertThat(akka.getInt("akka.projection.jdbc.blocking-jdbc-dispatcher.thread-pool-executor.fixed-pool-size")).isEqualTo(3);
    assertThat(akka.getInt("parley.blocking-dispatcher.thread-pool-executor.fixed-pool-size")).isEqualTo(3);
  }

  @Test
  void refusesMissingOrForeignUrlsClearly() {
    assertThatThrownBy(() -> settings(Map.of("url", ""))).hasMessageContaining("DATABASE_URL");
    assertThatThrownBy(() -> settings(Map.of("url", "jdbc:mysql://h/d"))).hasMessageContaining("Unsupported");
  }

  @Test
  void schemaFilesSplitIntoStatementsWithoutComments() {
    var statements = Database.statements(Database.readSchema("schema/postgres.sql"));
    assertThat(statements).allSatisfy(sql -> assertThat(sql).doesNotStartWith("--").doesNotContain(";"));
    assertThat(statements).anySatisfy(sql -> assertThat(sql).startsWith("CREATE TABLE IF NOT EXISTS event_journal"));
    assertThat(Database.statements(Database.readSchema("schema/h2.sql"))).hasSameSizeAs(statements);
  }
}
