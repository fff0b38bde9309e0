package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** A node that has not joined a cluster is not ready, and says which part is down. */
class HealthRoutesTest {

  @Test
  void answers503UntilTheNodeIsAClusterMember() throws IOException {
    int nobody;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      nobody = socket.getLocalPort();
    }
    // Its seed node does not answer, so it keeps trying to join.
    String unreachableSeed =
        "parley.cluster.join-self = off\nparley.cluster.seed-nodes = \"akka://parley@127.0.0.1:" + nobody + "\"";
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, ConfigFactory.parseString(unreachableSeed))) {
      HttpApi.Response health = new HttpApi(node::uri).get("/api/health", null);
      assertThat(health.status()).isEqualTo(503);
      assertThat(health.json().get("status").asText()).isEqualTo("down");
      assertThat(health.json().get("database").get("status").asText()).isEqualTo("up");
      assertThat(health.json().get("cluster").get("status").asText()).isNotEqualTo("up");
      assertThat(health.json().get("push").get("status").asText()).as("no Firebase credentials in tests").isEqualTo("disabled");
    }
  }
}
