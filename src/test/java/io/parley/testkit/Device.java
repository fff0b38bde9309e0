package io.parley.testkit;

import static io.parley.testkit.WsFrames.frame;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * One user's device over a real WebSocket, following one conversation: it records every message seq it is shown
 * (live, in a joined frame, or from catch-up), so that a test can check it saw each exactly once, in order.
 */
public final class Device implements AutoCloseable {
  private final String userId;
  private final String conversationId;
  private final List<Long> seqs = new ArrayList<>();
  private WsClient client;
  private int refs;

  public Device(TestNode node, String userId, String conversationId) {
    this.userId = userId;
    this.conversationId = conversationId;
    this.client = WsClient.signedIn(node, TestTokens.user(userId));
    // Joining is what promises every message from the start; without it a device stands where its first one was.
    client.send(frame("join", "ref", "join", "conversationId", conversationId, "since", 0));
    until(f -> f.path("type").asText().equals("joined"));
  }

  public WsClient client() {
    return client;
  }

  /** Every seq shown so far, in the order shown. */
  public List<Long> seqs() {
    return List.copyOf(seqs);
  }

  public long lastSeq() {
    return seqs.isEmpty() ? 0 : seqs.get(seqs.size() - 1);
  }

  /** Reads frames until one matches, recording the messages on the way. */
  public JsonNode until(Predicate<JsonNode> match) {
    while (true) {
      JsonNode frame = client.next();
      record(frame);
      if (match.test(frame)) return frame;
    }
  }

  /** Sends a message and waits for its {@code sent}; a failed attempt (a shard moving) is retried, same clientMsgId. */
  public long send(String clientMsgId, String content) {
    for (int attempt = 1; ; attempt++) {
      String ref = "r" + (++refs);
      client.send(WsFrames.send(conversationId, clientMsgId, content, ref));
      JsonNode answer =
          until(f -> ref.equals(f.path("ref").asText()) && List.of("sent", "error").contains(f.path("type").asText()));
      if (answer.path("type").asText().equals("sent")) return answer.get("seq").asLong();
      assertThat(attempt).as("attempts at %s, last answer %s", clientMsgId, answer).isLessThan(5);
    }
  }

  /** Reads until the message with this seq (or a later one) has been shown. */
  public void awaitSeq(long seq) {
    if (lastSeq() >= seq) return;
    until(f -> lastSeq() >= seq);
  }

  /** A new connection to {@code node}, resuming the conversation after the last seq shown. */
  public void resumeOn(TestNode node) {
    // What arrived before the old connection ended was shown to the user too.
    client.drain().forEach(this::record);
    client.close();
    client = WsClient.signedIn(node, TestTokens.user(userId));
    client.send(frame("join", "ref", "resume", "conversationId", conversationId, "since", lastSeq()));
    until(f -> f.path("type").asText().equals("joined"));
  }

  private void record(JsonNode frame) {
    String type = frame.path("type").asText();
    if (type.equals("message") && conversationId.equals(frame.path("conversationId").asText())) {
      seqs.add(frame.get("seq").asLong());
    } else if (type.equals("joined") && conversationId.equals(frame.path("conversationId").asText())) {
      for (JsonNode message : frame.get("messages")) seqs.add(message.get("seq").asLong());
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
