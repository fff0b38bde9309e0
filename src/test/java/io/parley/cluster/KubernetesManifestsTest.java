package io.parley.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import io.parley.ParleyConfig;
import io.parley.auth.AuthSettings;
import io.parley.cluster.ClusterMembership.Joining;
import io.parley.db.DatabaseSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The manifests in k8s/ and the configuration the container loads agree: the label Bootstrap selects on, the ports,
 * the probes, the service name and the environment. The container's configuration is loaded from the manifest's own
 * environment, with made-up values for the pod IP and the secrets.
 */
class KubernetesManifestsTest {
  private static final List<String> REQUIRED_SECRETS =
      List.of("SUPABASE_JWT_SECRET", "DATABASE_URL", "FIREBASE_PROJECT_ID", "FIREBASE_CLIENT_EMAIL", "FIREBASE_PRIVATE_KEY");

  private static final Map<String, JsonNode> byKind = new HashMap<>();
  private static JsonNode container;
  private static Config loaded;

  @BeforeAll
  static void readManifests() throws IOException {
    YAMLMapper yaml = new YAMLMapper();
    try (Stream<Path> files = Files.list(Path.of("k8s"))) {
      for (Path file : files.sorted().toList()) {
        try (MappingIterator<JsonNode> docs = yaml.readerFor(JsonNode.class).readValues(file.toFile())) {
          while (docs.hasNext()) {
            JsonNode doc = docs.next();
            assertThat(byKind.put(doc.get("kind").asText(), doc)).as("one %s", doc.get("kind")).isNull();
          }
        }
      }
    }
    container = byKind.get("Deployment").at("/spec/template/spec/containers/0");
    Map<String, String> environment = new HashMap<>();
    for (JsonNode variable : container.get("env")) {
      String name = variable.get("name").asText();
      if (variable.has("value")) environment.put(name, variable.get("value").asText());
      else if (variable.at("/valueFrom/fieldRef/fieldPath").asText().equals("status.podIP")) environment.put(name, "10.1.2.3");
      else environment.put(name, byKind.get("Secret").at("/stringData/" + variable.at("/valueFrom/secretKeyRef/key").asText()).asText());
    }
    loaded = ParleyConfig.loadFile(Path.of("conf", environment.get("PARLEY_CONFIG")), environment);
  }

  private static int containerPort(String name) {
    for (JsonNode port : container.get("ports")) {
      if (port.get("name").asText().equals(name)) return port.get("containerPort").asInt();
    }
    throw new AssertionError("no container port named " + name);
  }

  @Test
  void podsCarryTheLabelBootstrapSelectsOn() {
    String serviceName = loaded.getString("akka.management.cluster.bootstrap.contact-point-discovery.service-name");
    String selector = loaded.getString("akka.discovery.kubernetes-api.pod-label-selector").formatted(serviceName);
    String[] label = selector.split("=");
    JsonNode deployment = byKind.get("Deployment");
    assertThat(deployment.at("/spec/template/metadata/labels/" + label[0]).asText()).isEqualTo(label[1]);
    assertThat(deployment.at("/spec/selector/matchLabels/" + label[0]).asText()).isEqualTo(label[1]);
    assertThat(byKind.get("Service").at("/spec/selector/" + label[0]).asText()).isEqualTo(label[1]);
    assertThat(byKind.get("PodDisruptionBudget").at("/spec/selector/matchLabels/" + label[0]).asText()).isEqualTo(label[1]);
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(3);
    assertThat(ClusterMembership.joining(loaded)).isEqualTo(Joining.BOOTSTRAP);
    assertThat(loaded.getString("akka.management.cluster.bootstrap.contact-point-discovery.discovery-method"))
        .isEqualTo("kubernetes-api");
    assertThat(loaded.getInt("akka.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr"))
        .isLessThanOrEqualTo(deployment.at("/spec/replicas").asInt());
  }

  @Test
  void portsProbesAndAddressesMatchTheConfiguration() {
    assertThat(containerPort("http")).isEqualTo(loaded.getInt("parley.http.port"));
    assertThat(containerPort("remoting")).isEqualTo(loaded.getInt("akka.remote.artery.canonical.port"));
    assertThat(containerPort("management")).isEqualTo(loaded.getInt("akka.management.http.port"));
    assertThat(loaded.getString("akka.management.cluster.bootstrap.contact-point-discovery.port-name")).isEqualTo("management");
    assertThat(container.at("/readinessProbe/httpGet/path").asText())
        .isEqualTo("/" + loaded.getString("akka.management.health-checks.readiness-path"));
    assertThat(container.at("/livenessProbe/httpGet/path").asText())
        .isEqualTo("/" + loaded.getString("akka.management.health-checks.liveness-path"));
    assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("management");
    assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("management");
    assertThat(loaded.getString("akka.remote.artery.canonical.hostname")).isEqualTo("10.1.2.3");
    assertThat(loaded.getString("akka.management.http.hostname")).isEqualTo("10.1.2.3");
    assertThat(loaded.getString("akka.management.http.bind-hostname")).isEqualTo("0.0.0.0");
    assertThat(loaded.getString("parley.http.interface")).isEqualTo("0.0.0.0");
    assertThat(byKind.get("Service").at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
    // Metrics on a port of their own, which the clients' Service does not expose.
    assertThat(containerPort("metrics")).isEqualTo(loaded.getInt("parley.metrics.port"));
    assertThat(loaded.getString("parley.metrics.interface")).isEqualTo("0.0.0.0");
    assertThat(byKind.get("Deployment").at("/spec/template/metadata/annotations/prometheus.io~1port").asInt())
        .isEqualTo(loaded.getInt("parley.metrics.port"));
    assertThat(byKind.get("Service").get("spec").get("ports")).hasSize(1);
  }

  /**
   * A terminating pod keeps serving while its endpoint is withdrawn (preStop), so that clients closed with 1012 do
   * not reconnect to it; then coordinated shutdown runs, and the grace period covers both at their longest.
   */
  @Test
  void theGracePeriodCoversThePreStopPauseAndEveryShutdownPhase() {
    JsonNode preStop = container.at("/lifecycle/preStop/exec/command");
    assertThat(preStop.get(0).asText()).isEqualTo("sleep");
    long pause = preStop.get(1).asLong();
    assertThat(pause).isBetween(5L, 30L);
    Config phases = loaded.getConfig("akka.coordinated-shutdown.phases");
    long shutdown = 0;
    for (String phase : phases.root().keySet()) {
      Config settings = phases.getConfig("\"" + phase + "\"");
      shutdown += settings.hasPath("timeout")
          ? settings.getDuration("timeout").toSeconds()
          : loaded.getDuration("akka.coordinated-shutdown.default-phase-timeout").toSeconds();
    }
    long grace = byKind.get("Deployment").at("/spec/template/spec/terminationGracePeriodSeconds").asLong();
    assertThat(grace).as("grace period against %d s of pause and %d s of phases", pause, shutdown)
        .isGreaterThanOrEqualTo(pause + shutdown);
  }

  @Test
  void everySecretTheNodeNeedsComesFromTheSecret() {
    List<String> fromSecret = new ArrayList<>();
    for (JsonNode variable : container.get("env")) {
      JsonNode ref = variable.at("/valueFrom/secretKeyRef");
      if (!ref.isMissingNode()) {
        assertThat(ref.get("name").asText()).isEqualTo(byKind.get("Secret").at("/metadata/name").asText());
        assertThat(byKind.get("Secret").at("/stringData").has(ref.get("key").asText())).isTrue();
        fromSecret.add(variable.get("name").asText());
      }
    }
    assertThat(fromSecret).containsAll(REQUIRED_SECRETS);
    // Optional, but a deployment must be able to set them: without a webhook secret no job is ever matched.
    assertThat(fromSecret)
        .contains("SUPABASE_URL", "SUPABASE_WEBHOOK_SECRET", "WEBHOOK_SIGNING_SECRET", "PARLEY_ADMIN_TOKEN");
    // The configuration takes them: a production node with this environment starts without dev mode.
    assertThat(DatabaseSettings.fromConfig(loaded).dialect()).isEqualTo(DatabaseSettings.Dialect.POSTGRES);
    assertThat(AuthSettings.fromConfig(loaded).devMode()).isFalse();
    assertThat(loaded.getBoolean("akka.coordinated-shutdown.exit-jvm")).isTrue();
  }

  @Test
  void bootstrapMayListPodsAndEveryPodHasLimits() {
    JsonNode rule = byKind.get("Role").at("/rules/0");
    assertThat(rule.get("resources").toString()).contains("\"pods\"");
    assertThat(rule.get("verbs").toString()).contains("\"list\"");
    JsonNode binding = byKind.get("RoleBinding");
    assertThat(binding.at("/roleRef/name").asText()).isEqualTo(byKind.get("Role").at("/metadata/name").asText());
    String account = byKind.get("Deployment").at("/spec/template/spec/serviceAccountName").asText();
    assertThat(binding.at("/subjects/0/name").asText()).isEqualTo(account);
    assertThat(byKind.get("ServiceAccount").at("/metadata/name").asText()).isEqualTo(account);
    assertThat(container.at("/resources/requests/memory").asText()).isNotEmpty();
    assertThat(container.at("/resources/limits/memory").asText()).isNotEmpty();
    assertThat(byKind.get("PodDisruptionBudget").at("/spec/maxUnavailable").asInt()).isEqualTo(1);
  }

  @Test
  void composeNodesJoinThroughSeedNodesThatAreComposeServices() throws IOException {
    JsonNode compose = new YAMLMapper().readTree(Path.of("docker", "docker-compose.yml").toFile());
    JsonNode services = compose.get("services");
    for (String node : List.of("parley-1", "parley-2", "parley-3")) {
      Map<String, String> environment = new HashMap<>();
      services.get(node).get("environment").fields().forEachRemaining(e -> environment.put(e.getKey(), e.getValue().asText()));
      environment.put("SUPABASE_JWT_SECRET", "s".repeat(40));
      Config config = ParleyConfig.loadFile(Path.of("conf", environment.get("PARLEY_CONFIG")), environment);
      assertThat(ClusterMembership.joining(config)).isEqualTo(Joining.SEED_NODES);
      for (var seed : ClusterMembership.seedNodes(config.getString("parley.cluster.seed-nodes"))) {
        assertThat(services.has(seed.host().get())).as("seed %s is a service", seed).isTrue();
        assertThat((Integer) seed.port().get()).isEqualTo(config.getInt("akka.remote.artery.canonical.port"));
      }
      assertThat(config.getString("akka.remote.artery.canonical.hostname")).isEqualTo(node);
      assertThat(DatabaseSettings.fromConfig(config).dialect()).isEqualTo(DatabaseSettings.Dialect.POSTGRES);
    }
  }
}
