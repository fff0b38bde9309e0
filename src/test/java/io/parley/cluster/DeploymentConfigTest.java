package io.parley.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.cluster.ClusterMembership.Joining;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The deployment files in conf/, loaded as a node loads them, with the environment a deployment gives them. */
class DeploymentConfigTest {
  private static final Map<String, String> SECRETS = Map.of("SUPABASE_JWT_SECRET", "s".repeat(40));

  private static Config load(String file, Map<String, String> environment) {
    return ParleyConfig.loadFile(Path.of("conf", file), environment);
  }

  @Test
  void theThreeLocalNodesHaveDistinctPortsAndJoinThroughTheSameSeedNodes() {
    for (int n = 1; n <= 3; n++) {
      Config node = load("node-" + n + ".conf", SECRETS);
      assertThat(node.getInt("parley.http.port")).isEqualTo(8080 + n);
      assertThat(node.getInt("akka.remote.artery.canonical.port")).isEqualTo(25520 + n);
      assertThat(node.getInt("akka.management.http.port")).isEqualTo(8550 + n);
      assertThat(node.getString("akka.remote.artery.canonical.hostname")).isEqualTo("127.0.0.1");
      assertThat(ClusterMembership.joining(node)).isEqualTo(Joining.SEED_NODES);
      assertThat(ClusterMembership.seedNodes(node.getString("parley.cluster.seed-nodes")))
          .extracting(Object::toString)
          .containsExactly("akka://parley@127.0.0.1:25521", "akka://parley@127.0.0.1:25522");
      assertThat(node.getBoolean("parley.cluster.management")).isTrue();
      assertThat(node.getString("parley.database.url")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/parley?user=postgres");
      assertThat(node.getBoolean("parley.auth.dev-mode-allowed")).isFalse();
      assertThat(node.getBoolean("akka.coordinated-shutdown.exit-jvm")).isTrue();
    }
  }

  @Test
  void aStuckJoinShutsDownAndDowningOrAFailedJoinExitsNonZero() {
    Config node = load("node-2.conf", SECRETS);
    assertThat(node.getDuration("akka.cluster.shutdown-after-unsuccessful-join-seed-nodes")).isPositive();
    assertThat(node.getString("akka.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-majority");
    assertThat(
            node.getInt(
                "akka.coordinated-shutdown.reason-overrides.\"akka.actor.CoordinatedShutdown$ClusterJoinUnsuccessfulReason$\".exit-code"))
        .isNotZero();
  }

  @Test
  void theEmbeddedDefaultStillJoinsItselfAndNeverExitsTheJvmOnItsOwn() {
    Config local = load("local.conf", Map.of());
    assertThat(ClusterMembership.joining(local)).isEqualTo(Joining.SELF);
    assertThat(local.getBoolean("parley.cluster.management")).isFalse();
    assertThat(local.getBoolean("akka.coordinated-shutdown.exit-jvm")).isFalse();
  }

  @Test
  void environmentVariablesSetSeedNodesAndPortsForProduction() {
    Config node =
        load(
            "application.conf",
            Map.of(
                "DATABASE_URL", "jdbc:postgresql://db:5432/parley",
                "AKKA_SEED_NODES", "akka://parley@parley-1:25520, akka://parley@parley-2:25520",
                "AKKA_HOST", "parley-3",
                "PORT", "9000",
                "AKKA_MANAGEMENT_ENABLED", "true"));
    assertThat(ClusterMembership.joining(node)).isEqualTo(Joining.SEED_NODES);
    assertThat(ClusterMembership.seedNodes(node.getString("parley.cluster.seed-nodes"))).hasSize(2);
    assertThat(node.getString("akka.remote.artery.canonical.hostname")).isEqualTo("parley-3");
    assertThat(node.getInt("parley.http.port")).isEqualTo(9000);
    assertThat(node.getBoolean("parley.cluster.management")).isTrue();
  }

  @Test
  void kubernetesJoinsThroughBootstrapAndTheKubernetesApi() {
    Config pod = load("kubernetes.conf", Map.of("DATABASE_URL", "jdbc:postgresql://db:5432/parley"));
    assertThat(ClusterMembership.joining(pod)).isEqualTo(Joining.BOOTSTRAP);
    assertThat(pod.getString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("kubernetes-api");
    assertThat(pod.getString("akka.management.http.bind-hostname")).isEqualTo("0.0.0.0");
  }

  @Test
  void twoWaysOfJoiningAreRefusedAndSoIsNone() {
    Config both =
        ConfigFactory.parseString("parley.cluster.seed-nodes = \"akka://parley@127.0.0.1:25521\"")
            .withFallback(load("local.conf", Map.of()));
    assertThatThrownBy(() -> ClusterMembership.joining(both)).hasMessageContaining("only one way").hasMessageContaining("found 2");
    Config none = ConfigFactory.parseString("parley.cluster.join-self = off").withFallback(load("local.conf", Map.of()));
    assertThatThrownBy(() -> ClusterMembership.joining(none)).hasMessageContaining("set AKKA_SEED_NODES");
  }
}
