package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import org.junit.jupiter.api.Test;

/** A node that has not joined a cluster is not ready, and says which part is down. */
class HealthRoutesTest {

  @Test
  void answers503UntilTheNodeIsAClusterMember() {
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, ConfigFactory.parseString("parley.cluster.join-self = off"))) {
      HttpApi.Response health = new HttpApi(node::uri).get("/api/health", null);
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().get("status").asText()).isEqualTo("down");
      assertThat(health.json().get("database").get("status").asText()).isEqualTo("up");
      assertThat(health.json().get("cluster").get("status").asText()).isNotEqualTo("up");
      assertThat(health.json().get("push").get("status").asText()).as("no Firebase credentials in tests").isEqualTo("disabled");
    }
  }
}
