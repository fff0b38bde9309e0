package io.parley.tools;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.Futures;
import io.parley.api.Json;
import io.parley.auth.DevTokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The client side of .ci/cluster-test.sh: devices of several group conversations, spread over the nodes, send at a
 * steady rate; when one node is killed its devices reconnect to the others and resume with {@code join} and
 * {@code since}, and unacknowledged sends are retried with the same clientMsgId. At the end every acknowledged
 * message must be in the history, once, and every device must have been shown every message once, in seq order.
 * Prints the counts; exits 1 on any loss, duplicate or disorder, or a join refused for good.
 *
 * <p>{@code java -cp parley.jar io.parley.tools.ClusterCheck --nodes http://127.0.0.1:8081,... --secret S
 * [--conversations 4] [--members 3] [--before-kill 10] [--after-kill 45] [--interval-ms 300]}. It prints
 * {@code STEADY} when the script may kill a node.
 */
public final class ClusterCheck {
  private static final Duration RESEND_AFTER = Duration.ofSeconds(6);

  private final List<String> nodes;
  private final DevTokens tokens;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private ClusterCheck(List<String> nodes, String secret) {
    this.nodes = nodes;
    this.tokens = DevTokens.signingWith(secret);
  }

  public static void main(String[] args) throws Exception {
    Futures.preferPooledContinuations();
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    ClusterCheck check = new ClusterCheck(List.of(options.get("nodes").split(",")), options.get("secret"));
    boolean clean =
        check.run(
            Integer.parseInt(options.getOrDefault("conversations", "4")),
            Integer.parseInt(options.getOrDefault("members", "3")),
            Duration.ofSeconds(Long.parseLong(options.getOrDefault("before-kill", "10"))),
            Duration.ofSeconds(Long.parseLong(options.getOrDefault("after-kill", "45"))),
            Duration.ofMillis(Long.parseLong(options.getOrDefault("interval-ms", "300"))));
    System.exit(clean ? 0 : 1);
  }

  private String token(String userId) {
    return tokens.mint(userId, userId + "@example.test", Duration.ofHours(1));
  }

  private boolean run(int conversations, int members, Duration beforeKill, Duration afterKill, Duration interval)
      throws Exception {
    List<Device> devices = new ArrayList<>();
    Map<String, List<Device>> byConversation = new LinkedHashMap<>();
    String run = Long.toString(System.currentTimeMillis(), 36);
    for (int c = 0; c < conversations; c++) {
      List<String> users = new ArrayList<>();
      for (int m = 0; m < members; m++) users.add("cc-" + run + "-" + c + "-" + m);
      String id = createGroup(users);
      List<Device> group = new ArrayList<>();
      for (int m = 0; m < members; m++) {
        Device device = new Device(users.get(m), id, (c + m) % nodes.size());
        device.connect();
        group.add(device);
      }
      devices.addAll(group);
      byConversation.put(id, group);
    }
    System.out.printf("%d devices in %d conversations over %d nodes%n", devices.size(), conversations, nodes.size());

    long start = System.nanoTime();
    boolean steadyPrinted = false;
    long end = start + beforeKill.plus(afterKill).toNanos();
    int tick = 0;
    while (System.nanoTime() < end) {
      if (!steadyPrinted && System.nanoTime() - start > beforeKill.toNanos()) {
        System.out.println("STEADY");
        System.out.flush();
        steadyPrinted = true;
      }
      for (Device device : devices) device.tick(tick);
      tick++;
      Thread.sleep(interval.toMillis());
    }
    // Drain: no new messages; retries go on until every send is acknowledged.
    long drainEnd = System.nanoTime() + Duration.ofSeconds(40).toNanos();
    while (System.nanoTime() < drainEnd && devices.stream().anyMatch(Device::hasPending)) {
      for (Device device : devices) device.tick(-1);
      Thread.sleep(500);
    }

    boolean clean = true;
    long acked = 0;
    long lost = 0;
    long duplicated = 0;
    long unacked = 0;
    for (var entry : byConversation.entrySet()) {
      List<Device> group = entry.getValue();
      Map<String, Long> ackedHere = new HashMap<>();
      for (Device device : group) {
        ackedHere.putAll(device.acked);
        unacked += device.pending.size();
      }
      List<JsonNode> history = history(group.get(0), entry.getKey());
      Map<String, Integer> copies = new HashMap<>();
      long lastSeq = 0;
      boolean gapless = true;
      for (JsonNode message : history) {
        copies.merge(message.get("senderId").asText() + "/" + message.get("clientMsgId").asText(), 1, Integer::sum);
        gapless &= message.get("seq").asLong() == lastSeq + 1;
        lastSeq = message.get("seq").asLong();
      }
      acked += ackedHere.size();
      for (String key : ackedHere.keySet()) if (!copies.containsKey(key)) lost++;
      for (int n : copies.values()) if (n > 1) duplicated += n - 1;
      if (!gapless) {
        System.out.println("history of " + entry.getKey() + " has a gap");
        clean = false;
      }
      // Every device must reach the end, shown each seq once and in order.
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      for (Device device : group) {
        while (device.lastSeq() < lastSeq && System.nanoTime() < deadline) Thread.sleep(100);
        Device.Seen seen = device.seen();
        // A join refused for good (unauthorized, forbidden...) leaves a device out of its conversation's sends and
        // unsure where it stands: a failure even when it was retried. Refusals the protocol says to retry
        // (unavailable, timeout: the conversation's shard moving off the killed node, or the node shedding load)
        // are expected around a kill, and the device joins again.
        if (!seen.refusedJoins().isEmpty()) {
          boolean retryable = seen.refusedJoins().stream().allMatch(ClusterCheck::isRetryableRefusal);
          System.out.printf("device %s: join refused %s%s%n", device.userId, seen.refusedJoins(),
              retryable ? " (retryable, joined again)" : "");
          if (!retryable) clean = false;
        }
        if (seen.last() != lastSeq || seen.duplicates() > 0 || seen.outOfOrder() > 0) {
          System.out.printf(
              "device %s: shown up to %d of %d, %d duplicates, %d out of order %s%n",
              device.userId, seen.last(), lastSeq, seen.duplicates(), seen.outOfOrder(), seen.gaps());
          clean = false;
        }
      }
    }
    long reconnects = devices.stream().mapToLong(d -> d.reconnects).sum();
    System.out.printf(
        "acknowledged %d, lost %d, duplicated %d, never acknowledged %d, reconnects %d%n",
        acked, lost, duplicated, unacked, reconnects);
    for (Device device : devices) device.close();
    return clean && lost == 0 && duplicated == 0 && unacked == 0;
  }

  private String createGroup(List<String> users) throws Exception {
    String body =
        Json.write(Map.of("type", "group", "title", "cluster check", "participantIds", users.subList(1, users.size())));
    HttpResponse<String> created =
        http.send(
            HttpRequest.newBuilder(URI.create(nodes.get(0) + "/api/conversations"))
                .header("Authorization", "Bearer " + token(users.get(0)))
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (created.statusCode() != 201) throw new IllegalStateException("create: " + created.body());
    return Json.MAPPER.readTree(created.body()).get("id").asText();
  }

  /** The whole history, oldest first, from whichever node answers. */
  private List<JsonNode> history(Device reader, String id) throws Exception {
    List<JsonNode> all = new ArrayList<>();
    Long before = null;
    do {
      String path = "/api/conversations/" + id + "/messages?limit=200" + (before == null ? "" : "&before=" + before);
      JsonNode page = null;
      for (int attempt = 0; page == null && attempt < 3 * nodes.size(); attempt++) {
        try {
          HttpResponse<String> response =
              http.send(
                  HttpRequest.newBuilder(URI.create(nodes.get(attempt % nodes.size()) + path))
                      .header("Authorization", "Bearer " + token(reader.userId))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 200) page = Json.MAPPER.readTree(response.body());
        } catch (java.io.IOException dead) {
          // The killed node: ask the next.
        }
      }
      if (page == null) throw new IllegalStateException("no node served the history of " + id);
      List<JsonNode> messages = new ArrayList<>();
      page.get("messages").forEach(messages::add);
      all.addAll(0, messages);
      before = page.get("nextBefore").isNull() ? null : page.get("nextBefore").asLong();
    } while (before != null);
    return all;
  }

  /** The error codes that docs/protocol.md says to answer by sending the same frame again. */
  private static boolean isRetryableRefusal(String refusal) {
    return refusal.startsWith("unavailable ") || refusal.startsWith("timeout ");
  }

  /** One user's device in one conversation. Socket callbacks and the send loop share it under its own lock. */
  private final class Device implements WebSocket.Listener {
    record Seen(long last, long duplicates, long outOfOrder, List<String> gaps, List<String> refusedJoins) {}

    final String userId;
    final String conversationId;
    int node;
    WebSocket socket;
    boolean joined;
    long reconnects;
    private long last;
    private long duplicates;
    private long outOfOrder;
    /** Each skipped run of seqs, with when it was skipped and the device's reconnects by then, for the report. */
    private final List<String> gaps = new ArrayList<>();
    /** Each error answer to a join, with when and after how many reconnects; the join is sent again. */
    private final List<String> refusedJoins = new ArrayList<>();
    private boolean rejoin;
    private final StringBuilder partial = new StringBuilder();
    /** clientMsgId to when it was last sent, until acknowledged. */
    final Map<String, Long> pending = new LinkedHashMap<>();
    /** sender/clientMsgId to seq. */
    final Map<String, Long> acked = new HashMap<>();
    private final Set<Integer> deadNodes = new HashSet<>();

    Device(String userId, String conversationId, int node) {
      this.userId = userId;
      this.conversationId = conversationId;
      this.node = node;
    }

    void connect() {
      for (int attempt = 0; attempt < 3 * nodes.size(); attempt++) {
        String base = nodes.get(node).replaceFirst("^http", "ws");
        try {
          socket =
              http.newWebSocketBuilder()
                  .connectTimeout(Duration.ofSeconds(3))
                  .header("Authorization", "Bearer " + token(userId))
                  .buildAsync(URI.create(base + "/ws"), this)
                  .get(5, TimeUnit.SECONDS);
          synchronized (this) {
            joined = false;
            rejoin = false;
            sendJoin();
          }
          return;
        } catch (Exception unreachable) {
          deadNodes.add(node);
          node = (node + 1) % nodes.size();
        }
      }
      socket = null;
    }

    private void sendJoin() {
      socket.sendText(
          Json.write(Map.of("type", "join", "conversationId", conversationId, "since", last, "ref", "join")), true);
    }

    synchronized boolean hasPending() {
      return !pending.isEmpty();
    }

    synchronized long lastSeq() {
      return last;
    }

    synchronized Seen seen() {
      return new Seen(last, duplicates, outOfOrder, List.copyOf(gaps), List.copyOf(refusedJoins));
    }

    /** One step of the send loop: a new message ({@code tick >= 0}), and retries of what is unacknowledged. */
    void tick(int tick) {
      WebSocket current;
      synchronized (this) {
        current = socket;
      }
      if (current == null || current.isOutputClosed() || current.isInputClosed()) {
        reconnects++;
        node = (node + 1) % nodes.size();
        connect();
        return;
      }
      synchronized (this) {
        if (!joined) {
          if (rejoin) {
            rejoin = false;
            sendJoin();
          }
          return;
        }
        long now = System.nanoTime();
        if (tick >= 0) {
          String id = userId + "-" + tick;
          pending.put(id, now);
          sendMessage(id);
        }
        for (var entry : pending.entrySet()) {
          if (now - entry.getValue() > RESEND_AFTER.toNanos()) {
            entry.setValue(now);
            sendMessage(entry.getKey());
          }
        }
      }
    }

    private void sendMessage(String clientMsgId) {
      socket.sendText(
          Json.write(
              Map.of(
                  "type", "send", "conversationId", conversationId, "clientMsgId", clientMsgId, "content", clientMsgId,
                  "ref", clientMsgId)),
          true);
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean lastPart) {
      synchronized (this) {
        partial.append(data);
        if (lastPart) {
          onFrame(Json.parse(partial.toString(), JsonNode.class));
          partial.setLength(0);
        }
      }
      ws.request(1);
      return null;
    }

    private void onFrame(JsonNode frame) {
      switch (frame.path("type").asText()) {
        case "joined" -> {
          frame.get("messages").forEach(this::shown);
          joined = true;
        }
        case "message" -> {
          if (conversationId.equals(frame.path("conversationId").asText())) shown(frame);
        }
        case "sent" -> {
          String clientMsgId = frame.get("clientMsgId").asText();
          pending.remove(clientMsgId);
          acked.put(userId + "/" + clientMsgId, frame.get("seq").asLong());
        }
        case "error" -> {
          // A send that failed (its entity restarting elsewhere) is retried at once by the next tick.
          String ref = frame.path("ref").asText("");
          if (pending.containsKey(ref)) pending.put(ref, 0L);
          if (ref.equals("join") && !joined) {
            refusedJoins.add(frame.path("code").asText() + " at " + java.time.Instant.now() + " after " + reconnects
                + " reconnects");
            rejoin = true;
          }
        }
        default -> {}
      }
    }

    private void shown(JsonNode message) {
      long seq = message.get("seq").asLong();
      if (seq <= last) duplicates++;
      else if (seq != last + 1) {
        outOfOrder++;
        gaps.add((last + 1) + ".." + (seq - 1) + " skipped at " + java.time.Instant.now() + " after " + reconnects
            + " reconnects");
      }
      if (seq > last) last = seq;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {}

    void close() {
      WebSocket current = socket;
      if (current != null) current.abort();
    }
  }
}
