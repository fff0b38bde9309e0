package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Three nodes in one JVM joined into one cluster on one PostgreSQL schema, for a whole test class: the first joins
 * itself, the others join through it as their seed node. Remoting and HTTP on free ports.
 */
public final class TestCluster implements BeforeAllCallback, AfterAllCallback {
  private final int size;
  private final Config overrides;
  private final List<TestNode> nodes = new ArrayList<>();
  private TestDatabase database;

  public TestCluster(int size, String overrides) {
    this.size = size;
    // Three nodes share the machine's PostgreSQL with other tests: small pools are plenty.
    this.overrides =
        ConfigFactory.parseString(overrides)
            .withFallback(
                ConfigFactory.parseMap(
                    Map.of(
                        "parley.database.journal-pool-size", 4,
                        "parley.database.read-pool-size", 4,
                        "akka.cluster.jmx.multi-mbeans-in-same-jvm", true)));
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    database = TestDatabase.postgres();
    TestNode first = TestNode.start(database, overrides);
    nodes.add(first);
    String seed = Cluster.get(first.node().system()).selfMember().address().toString();
    for (int i = 1; i < size; i++) {
      Config joinFirst =
          ConfigFactory.parseMap(Map.of("parley.cluster.join-self", false, "parley.cluster.seed-nodes", seed));
      nodes.add(TestNode.start(database, joinFirst.withFallback(overrides)));
    }
    awaitMembersUp(size, Duration.ofSeconds(30));
  }

  /** Every running node sees {@code count} members, all Up. */
  public void awaitMembersUp(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!nodes.stream().filter(java.util.Objects::nonNull).allMatch(node -> upMembers(node) == count)) {
      assertThat(System.nanoTime()).as("%d members Up within %s", count, timeout).isLessThan(deadline);
      sleep(100);
    }
  }

  private static long upMembers(TestNode node) {
    Cluster cluster = Cluster.get(node.node().system());
    return StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up())
        .count();
  }

  public TestNode node(int index) {
    return nodes.get(index);
  }

  /** Leaves the cluster gracefully (coordinated shutdown) and forgets the node. */
  public void stop(int index) {
    nodes.get(index).close();
    nodes.set(index, null);
  }

  public HttpApi api(int index) {
    return new HttpApi(nodes.get(index)::uri);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      if (nodes.get(i) != null) nodes.get(i).close();
    }
    nodes.removeIf(node -> true);
    if (database != null) database.close();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
