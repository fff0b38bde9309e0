package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.auth0.jwt.JWT;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigResolveOptions;
import io.parley.ParleyConfig;
import io.parley.ParleyNode;
import io.parley.api.ApiError;
import io.parley.auth.AuthSettings;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NodeReadiness;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.io.File;
import java.net.URI;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code POST /dev/token}: served by a node in dev mode only, never when a secret is configured, and never by the
 * production configuration, which refuses to start without a way to verify tokens.
 */
class DevTokenRoutesTest {
  private static final File PRODUCTION_CONF = new File("conf/application.conf");
  private static final String ANA = "{\"userId\":\"ana\",\"email\":\"ana@example.test\"}";

  private static TestDatabase database;
  private static TestNode devNode;
  private static HttpApi dev;

  @BeforeAll
  static void startDevNode() {
    database = TestDatabase.h2();
    devNode =
        TestNode.start(
            database,
            ConfigFactory.parseMap(
                Map.of(
                    "parley.auth.jwt-secret", "",
                    "parley.auth.supabase-url", "",
                    "parley.auth.dev-mode-allowed", true)));
    dev = new HttpApi(devNode::uri);
  }

  @AfterAll
  static void stopDevNode() {
    try {
      if (devNode != null) NodeReadiness.awaitSettled(devNode.node());
    } finally {
      if (devNode != null) devNode.close();
      if (database != null) database.close();
    }
  }

  @Test
  void devNodeMintsASupabaseShapedTokenThatItsApiAccepts() {
    long before = Instant.now().getEpochSecond();
    Response response = dev.post("/dev/token", null, ANA);

    assertThat(response.status()).as(response.body()).isEqualTo(200);
    assertThat(response.contentType()).startsWith("application/json");
    JsonNode body = response.json();
    assertThat(body.path("token_type").asText()).isEqualTo("bearer");
    assertThat(body.path("expires_in").asLong()).isEqualTo(3600);
    assertThat(body.path("expires_at").asLong()).isCloseTo(before + 3600, within(5L));
    assertThat(body.path("user").path("id").asText()).isEqualTo("ana");
    assertThat(body.path("user").path("email").asText()).isEqualTo("ana@example.test");

    String token = body.path("access_token").asText();
    DecodedJWT jwt = JWT.decode(token);
    assertThat(jwt.getAlgorithm()).isEqualTo("HS256");
    assertThat(jwt.getAudience()).containsExactly("authenticated");
    assertThat(jwt.getClaim("role").asString()).isEqualTo("authenticated");
    assertThat(jwt.getSubject()).isEqualTo("ana");
    assertThat(jwt.getClaim("email").asString()).isEqualTo("ana@example.test");
    assertThat(UUID.fromString(jwt.getClaim("session_id").asString())).isNotNull();
    assertThat(jwt.getClaim("aal").asString()).isEqualTo("aal1");
    assertThat(jwt.getClaim("is_anonymous").asBoolean()).isFalse();
    assertThat(jwt.getIssuedAtAsInstant().getEpochSecond()).isCloseTo(before, within(5L));
    assertThat(jwt.getExpiresAtAsInstant().getEpochSecond()).isCloseTo(before + 3600, within(5L));
    assertThat(body.path("expires_at").asLong()).isCloseTo(jwt.getExpiresAtAsInstant().getEpochSecond(), within(1L));

    assertThat(dev.get("/api/conversations", token).status()).isEqualTo(200);
  }

  @Test
  void emailDefaultsToOneDerivedFromTheUserId() {
    Response response = dev.post("/dev/token", null, "{\"userId\":\"bo\"}");

    assertThat(response.status()).as(response.body()).isEqualTo(200);
    assertThat(response.json().path("user").path("email").asText()).isEqualTo("bo@example.test");
    assertThat(JWT.decode(response.json().path("access_token").asText()).getClaim("email").asString())
        .isEqualTo("bo@example.test");
  }

  @Test
  void devNodeDoesNotAcceptTokensSignedWithAKnownSecret() {
    // Its secret is random and in memory only: a token signed with any configured secret is worthless here.
    Response response = dev.get("/api/conversations", TestTokens.user("ana"));

    assertThat(response.status()).isEqualTo(401);
    assertThat(response.code()).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE.code());
  }

  @ParameterizedTest
  @ValueSource(strings = {"{}", "{\"userId\":\"a b\"}", "{\"userId\":\"\"}", "{\"userId\":42}", "not JSON", "[]"})
  void badBodiesAreBadRequest(String body) {
    Response response = dev.post("/dev/token", null, body);

    assertThat(response.status()).as(response.body()).isEqualTo(400);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.code()).isEqualTo(ApiError.BAD_REQUEST.code());
  }

  @Test
  void devModeAllowedButSecretConfiguredServesNoDevToken() {
    try (TestDatabase db = TestDatabase.h2();
        TestNode node =
            TestNode.start(db, ConfigFactory.parseMap(Map.of("parley.auth.dev-mode-allowed", true)))) {
      HttpApi api = new HttpApi(node::uri);

      Response response = api.post("/dev/token", null, ANA);

      assertThat(response.status()).as(response.body()).isEqualTo(404);
      assertThat(response.code()).isEqualTo(ApiError.NOT_FOUND.code());
      assertThat(api.get("/api/conversations", TestTokens.user("ana")).status()).isEqualTo(200);
      String devToken = dev.post("/dev/token", null, ANA).json().path("access_token").asText();
      assertThat(api.get("/api/conversations", devToken).code()).isEqualTo(ApiError.TOKEN_BAD_SIGNATURE.code());
      NodeReadiness.awaitSettled(node.node());
    }
  }

  /** conf/application.conf as a deployment loads it, with DATABASE_URL given and the rest from {@code keys}. */
  private static Config production(String databaseUrl, Map<String, ?> keys) {
    Config overrides =
        ConfigFactory.parseMap(keys)
            // Production exits the JVM when its actor system ends; here that JVM runs the other tests too.
            .withFallback(ConfigFactory.parseMap(Map.of("akka.coordinated-shutdown.exit-jvm", false)))
            .withFallback(ConfigFactory.parseMap(Map.of("DATABASE_URL", databaseUrl)))
            .withFallback(ConfigFactory.parseFile(PRODUCTION_CONF));
    return ParleyConfig.load(overrides);
  }

  @Test
  void productionConfigWithoutSecretsFailsFastNamingTheSecret() {
    try (TestDatabase db = TestDatabase.h2()) {
      // Empty rather than absent, so that a developer's SUPABASE_* environment cannot change the outcome.
      Config config =
          production(db.url(), Map.of("parley.auth.jwt-secret", "", "parley.auth.supabase-url", ""));

      assertThat(config.getBoolean("parley.auth.dev-mode-allowed")).isFalse();
      assertThatThrownBy(() -> ParleyNode.start(config).close())
          .hasMessageContaining("SUPABASE_JWT_SECRET")
          .hasMessageContaining("SUPABASE_URL");
    }
  }

  @Test
  void productionNodeWithASecretHasNoDevTokenRoute() {
    try (TestDatabase db = TestDatabase.h2()) {
      Config config =
          production(
              db.url(),
              Map.of(
                  "parley.auth.jwt-secret", TestNode.JWT_SECRET,
                  "parley.auth.supabase-url", "",
                  "parley.database.create-schema", true,
                  "parley.http.interface", "127.0.0.1",
                  "parley.http.port", 0,
                  "parley.metrics.port", 0,
                  "akka.remote.artery.canonical.port", 0,
                  "parley.cluster.join-self", true));
      assertThat(config.getString("parley.database.url")).startsWith(db.url());
      try (ParleyNode node = ParleyNode.start(config)) {
        HttpApi api =
            new HttpApi(path -> URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + path));

        Response response = api.post("/dev/token", null, ANA);

        assertThat(response.status()).as(response.body()).isEqualTo(404);
        assertThat(response.code()).isEqualTo(ApiError.NOT_FOUND.code());
        assertThat(api.get("/api/conversations", TestTokens.user("ana")).status()).isEqualTo(200);
        NodeReadiness.awaitSettled(node);
      }
    }
  }

  @Test
  void productionConfigFileTurnsDevModeOff() {
    Config file =
        ConfigFactory.parseFile(PRODUCTION_CONF).resolve(ConfigResolveOptions.noSystem().setAllowUnresolved(true));
    Config local = ConfigFactory.parseFile(new File("conf/local.conf"));

    assertThat(PRODUCTION_CONF).isFile();
    assertThat(file.hasPath("parley.auth.dev-mode-allowed")).isTrue();
    assertThat(file.getBoolean("parley.auth.dev-mode-allowed")).isFalse();
    // Unlike the embedded default, which is meant for laptops.
    assertThat(local.getBoolean("parley.auth.dev-mode-allowed")).isTrue();
    // Even with no secret at all, the production file alone never yields dev mode.
    Config loaded =
        production("jdbc:h2:mem:unused", Map.of("parley.auth.jwt-secret", "", "parley.auth.supabase-url", ""));
    assertThat(AuthSettings.fromConfig(loaded).devMode()).isFalse();
  }
}
