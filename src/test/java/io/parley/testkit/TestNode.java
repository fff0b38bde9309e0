package io.parley.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.ParleyNode;
import io.parley.matching.MatchNotifier;
import java.net.URI;
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
    return start(database, overrides, null);
  }

  /** A node whose job-match notifications go to {@code notifier} instead of the node's own. */
  public static TestNode start(TestDatabase database, Config overrides, MatchNotifier notifier) {
    Config config =
        overrides.withFallback(
                ConfigFactory.parseMap(
                    Map.of(
                        "parley.http.interface", "127.0.0.1",
                        "parley.http.port", 0,
                        "akka.remote.artery.canonical.port", 0,
                        "parley.cluster.join-self", true,
                        "parley.database.url", database.url(),
                        "parley.database.user", database.user(),
                        "parley.database.create-schema", true,
                        "parley.auth.jwt-secret", JWT_SECRET,
                        "parley.auth.supabase-url", "")));
    Config loaded = ParleyConfig.load(config);
    return new TestNode(notifier == null ? ParleyNode.start(loaded) : ParleyNode.start(loaded, notifier));
  }

  public ParleyNode node() {
    return node;
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
