package io.parley.testkit;

import akka.actor.ActorRef;
import akka.actor.typed.javadsl.Adapter;
import akka.cluster.sharding.ClusterSharding;
import akka.cluster.sharding.ShardRegion;
import akka.pattern.Patterns;
import io.parley.ParleyNode;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a freshly started node has settled. A node closed while its sharding coordinator is still allocating the
 * projection's shards waits out coordinated-shutdown phase timeouts (10s each); a test that starts a node for a few
 * requests calls {@link #awaitSettled} before closing it, which takes about as long as the allocation itself.
 */
public final class NodeReadiness {
  private static final String PROJECTION_REGION = "sharded-daemon-process-conversation-projection";

  private NodeReadiness() {}

  public static void awaitSettled(ParleyNode node) {
    awaitSettled(node, Duration.ofSeconds(15));
  }

  public static void awaitSettled(ParleyNode node, Duration timeout) {
    int slices = node.system().settings().config().getInt("parley.conversation.tag-slices");
    ActorRef region = ClusterSharding.get(Adapter.toClassic(node.system())).shardRegion(PROJECTION_REGION);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        Object state =
            Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), Duration.ofSeconds(1))
                .toCompletableFuture()
                .get(2, TimeUnit.SECONDS);
        if (((ShardRegion.CurrentShardRegionState) state).getShards().size() >= slices) return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      } catch (Exception e) {
        // Not answering yet: ask again until the deadline.
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the node's projection shards did not start in " + timeout);
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted", e);
      }
    }
  }
}
