package io.parley.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.testkit.Device;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestCluster;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node leaves gracefully in the middle of a conversation: its clients are closed with 1012, resume on another node
 * with join and since, and every device sees every message once, in order; the history has them all.
 */
class NodeLeaveTest {
  @RegisterExtension static final TestCluster cluster = new TestCluster(3, "");

  @Test
  void clientsOfALeavingNodeGet1012AndResumeElsewhereWithNoGapAndNoDuplicate() throws Exception {
    String body = "{\"type\":\"group\",\"title\":\"leave\",\"participantIds\":[\"lv2\",\"lv3\",\"lv4\"]}";
    HttpApi.Response created = cluster.api(0).post("/api/conversations", TestTokens.user("lv1"), body);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    String id = created.json().get("id").asText();

    Device sender = new Device(cluster.node(0), "lv1", id);
    Device stays = new Device(cluster.node(1), "lv2", id);
    Device leaving = new Device(cluster.node(2), "lv3", id);
    Device leavingToo = new Device(cluster.node(2), "lv4", id);
    List<Device> all = List.of(sender, stays, leaving, leavingToo);
    try {
      List<Long> sent = new ArrayList<>();
      for (int i = 1; i <= 10; i++) sent.add(sender.send("before-" + i, "before " + i));
      for (Device device : all) device.awaitSeq(10);

      CompletableFuture<Void> left = CompletableFuture.runAsync(() -> cluster.stop(2));
      // The conversation goes on while node 3 hands off its shards, whichever entities it held.
      for (int i = 1; i <= 20; i++) sent.add(sender.send("during-" + i, "during " + i));

      for (Device device : List.of(leaving, leavingToo)) {
        WsClient.Closed closed = device.client().awaitClose();
        assertThat(closed.code()).isEqualTo(1012);
        assertThat(closed.reason()).isEqualTo("service_restart");
        device.resumeOn(cluster.node(1));
      }
      left.get(60, TimeUnit.SECONDS);
      cluster.awaitMembersUp(2, Duration.ofSeconds(30));
      for (int i = 1; i <= 10; i++) sent.add(sender.send("after-" + i, "after " + i));

      List<Long> everything = LongStream.rangeClosed(1, 40).boxed().toList();
      assertThat(sent).containsExactlyElementsOf(everything);
      for (Device device : all) {
        device.awaitSeq(40);
        assertThat(device.seqs()).as("seqs shown to " + device).containsExactlyElementsOf(everything);
      }
      JsonNode history = cluster.api(0).get("/api/conversations/" + id + "/messages?limit=100", TestTokens.user("lv2")).json();
      List<Long> stored = new ArrayList<>();
      history.get("messages").forEach(m -> stored.add(m.get("seq").asLong()));
      assertThat(stored).containsExactlyInAnyOrderElementsOf(everything);
    } finally {
      all.forEach(Device::close);
    }
  }
}
