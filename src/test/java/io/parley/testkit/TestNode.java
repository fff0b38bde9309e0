package io.parley.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.ParleyNode;
import io.parley.matching.MatchNotifier;
import io.parley.push.FcmPushGateway;
import io.parley.tools.FakeFcmTransport;
import io.parley.user.DeviceDirectory;
import java.net.URI;
import java.util.List;
import java.util.Map;

/** A real Parley node for tests: HTTP and remoting on free ports, a known HS256 secret, its own database. */
public final class TestNode implements AutoCloseable {
  public static final String JWT_SECRET = "test-secret-with-at-least-thirty-two-characters";

  private final ParleyNode node;

  private TestNode(ParleyNode node) {
    this.node = node;
  }

  public static TestNode start(TestDatabase database) {
    return start(database, ConfigFactory.empty());
  }

  public static TestNode start(TestDatabase database, Config overrides) {
    return start(database, overrides, ParleyNode.Parts.fromConfig());
  }

  /** A node whose pushes go through the real firebase-admin SDK to {@code fcm} instead of Google. */
  public static TestNode start(TestDatabase database, Config overrides, FakeFcmTransport fcm) {
    return start(database, overrides, ParleyNode.Parts.fromConfig().withPush(fakeFcm(fcm)));
  }

  /** A node whose job-match notifications go to {@code notifier} instead of the candidates' inboxes. */
  public static TestNode start(TestDatabase database, Config overrides, MatchNotifier notifier) {
    return start(database, overrides, ParleyNode.Parts.fromConfig().withMatches(notifier));
  }

  public static java.util.function.Function<Config, io.parley.push.PushGateway> fakeFcm(FakeFcmTransport fcm) {
    return config -> new FcmPushGateway(TestFcm.credentials(), "parley-test", fcm);
  }

  /**
   * A node alone in its cluster has nowhere to hand its shards to, yet Akka 2.8's shard region waits out its whole
   * graceful-shutdown timeout (9 s) when a message came for a shard already handed off, as the sharded daemon
   * processes' first keep-alive pings do on a node closed soon after it started (akka/akka-core#33001, fixed only in
   * later, BSL-licensed versions). Half of that is still ample for the projections to stop and store their offsets.
   */
  private static final Config ALONE_SHUTS_DOWN_SOONER =
      ConfigFactory.parseString("akka.coordinated-shutdown.phases.cluster-sharding-shutdown-region.timeout = 5s");

  public static TestNode start(TestDatabase database, Config overrides, ParleyNode.Parts parts) {
    if (!overrides.hasPath("parley.cluster.join-self") || overrides.getBoolean("parley.cluster.join-self")) {
      overrides = overrides.withFallback(ALONE_SHUTS_DOWN_SOONER);
    }
    Config config =
        overrides.withFallback(
                ConfigFactory.parseMap(
                    Map.of(
                        "parley.http.interface", "127.0.0.1",
                        "parley.http.port", 0,
                        "parley.metrics.port", 0,
                        "akka.remote.artery.canonical.port", 0,
                        "parley.cluster.join-self", true,
                        "parley.database.url", database.url(),
                        "parley.database.user", database.user(),
                        "parley.database.create-schema", true,
                        "parley.auth.jwt-secret", JWT_SECRET,
                        "parley.auth.supabase-url", "")));
    TestNode node = new TestNode(ParleyNode.start(ParleyConfig.load(config), parts));
    if (config.getBoolean("parley.cluster.join-self")) node.awaitUp();
    return node;
  }

  /**
   * Waits, as a load balancer's readiness probe would, until the node is an Up member: before that its first asks
   * wait in sharding's buffer, and on a loaded 2-core CI machine that wait alone can outlast the ask timeout.
   */
  private void awaitUp() {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
    var cluster = akka.cluster.typed.Cluster.get(node.system());
    while (cluster.selfMember().status() != akka.cluster.MemberStatus.up()) {
      if (System.nanoTime() > deadline) {
        node.close();
        throw new IllegalStateException("the test node did not become an Up cluster member within 30 s");
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  public ParleyNode node() {
    return node;
  }

  /** Waits until the read side's directory of devices, which batch pushes read, has caught up with registrations. */
  public void awaitDevices(Map<String, Integer> tokensPerUser) {
    DeviceDirectory.Reader directory = new DeviceDirectory.Reader(node.system());
    Eventually.await(
        "the directory to hold " + tokensPerUser,
        () -> directory.tokensOf(List.copyOf(tokensPerUser.keySet())).toCompletableFuture().join(),
        tokens -> tokensPerUser.entrySet().stream()
            .allMatch(e -> tokens.getOrDefault(e.getKey(), List.of()).size() == e.getValue()));
  }

  public URI uri(String path) {
    var address = node.httpAddress();
    return URI.create("http://127.0.0.1:" + address.getPort() + path);
  }

  public URI wsUri(String pathAndQuery) {
    return URI.create("ws://127.0.0.1:" + node.httpAddress().getPort() + pathAndQuery);
  }

  @Override
  public void close() {
    node.close();
  }
}
