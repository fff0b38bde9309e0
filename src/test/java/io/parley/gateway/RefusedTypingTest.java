package io.parley.gateway;

import static io.parley.testkit.WsFrames.frame;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.ShardRegion;
import akka.cluster.sharding.typed.ClusterShardingQuery;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.conversation.Conversation;
import io.parley.metrics.GatewayStats;
import io.parley.testkit.Eventually;
import io.parley.testkit.LiveNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A typing frame the conversation refuses leaves nothing behind in the session: a client cannot make it remember
 * conversation ids, which it would otherwise tell it stopped typing when it closes.
 */
class RefusedTypingTest {
  /** Idle conversations stop within moments, so that one the session talks to again shows as started again. */
  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          "akka.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout = 1s\n"
              + "parley.gateway.rate-limit { typing-per-second = 100, typing-burst = 100 }");

  @Test
  void typingWhereTheUserIsNoParticipantIsRefusedAndNotStoppedWhenTheSessionDrops() throws InterruptedException {
    String theirs =
        live.api()
            .post("/api/conversations", TestTokens.user("bo"), "{\"type\":\"direct\",\"userId\":\"cy\"}")
            .json()
            .get("id")
            .asText();
    Set<String> refused = new HashSet<>(Set.of(theirs));
    for (int i = 0; i < 20; i++) refused.add("g_" + UUID.randomUUID().toString().replace("-", ""));

    WsClient ana = WsClient.signedIn(live.node(), TestTokens.user("ana"));
    for (String id : refused) ana.send(frame("typing", "ref", id, "conversationId", id, "isTyping", true));
    Set<String> answered = new HashSet<>();
    while (answered.size() < refused.size()) {
      JsonNode error = ana.until("error");
      assertThat(error.get("code").asText()).as(error.toString()).isEqualTo("not_found");
      answered.add(error.get("ref").asText());
    }
    assertThat(answered).isEqualTo(refused);
    Eventually.await("the refused conversations stopped when idle", RefusedTypingTest::runningConversations,
        running -> running.stream().noneMatch(refused::contains));

    ana.abort();
    GatewayStats stats = GatewayStats.get(system());
    Eventually.await("the session stopped", stats.connections::get, open -> open == 0);
    // The session would have told each conversation it stopped typing at once: none may start again meanwhile.
    Set<String> startedAgain = new HashSet<>();
    long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
    while (System.nanoTime() < until) {
      runningConversations().stream().filter(refused::contains).forEach(startedAgain::add);
      Thread.sleep(50);
    }
    assertThat(startedAgain).as("conversations the session asked to stop its typing").isEmpty();
  }

  private static ActorSystem<?> system() {
    return live.node().node().system();
  }

  /** The conversation entities running on the node now, as sharding reports them. */
  private static Set<String> runningConversations() {
    ShardRegion.CurrentShardRegionState state =
        AskPattern.<ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                ClusterSharding.get(system()).shardState(),
                replyTo -> new GetShardRegionState(Conversation.ENTITY_KEY, replyTo),
                Duration.ofSeconds(5),
                system().scheduler())
            .toCompletableFuture()
            .join();
    Set<String> running = new HashSet<>();
    state.getShards().forEach(shard -> running.addAll(shard.getEntityIds()));
    return running;
  }
}
