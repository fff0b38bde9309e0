package io.parley.tools;

import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.Futures;
import io.parley.ParleyConfig;
import io.parley.ParleyNode;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.auth.Principal;
import io.parley.conversation.Conversations;
import io.parley.http.ErrorHandling;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures the sustained rate of persisted messages: one node, {@code --conversations} conversations, messages posted
 * through the same service the REST and WebSocket routes use, with {@code --in-flight} outstanding at a time. A message
 * counts once the journal has stored it. With {@code --recovery N} it instead writes N messages to one conversation
 * and times its recovery after restarts. Commands and results: docs/benchmarks.md.
 */
public final class PostMessageBench {
  private PostMessageBench() {}

  public static void main(String[] args) throws Exception {
    Futures.preferPooledContinuations();
    Map<String, String> options = options(args);
    String url = options.getOrDefault("database-url", "jdbc:h2:file:./data/bench-" + System.nanoTime());
    int conversationCount = Integer.parseInt(options.getOrDefault("conversations", "1000"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    int warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "10"));
    int inFlight = Integer.parseInt(options.getOrDefault("in-flight", "2000"));

    Map<String, Object> settings = nodeSettings(url, options);
    settings.put("parley.projection.enabled", !"off".equals(options.get("projection")));
    if (options.containsKey("journal-pool")) settings.put("parley.database.journal-pool-size", options.get("journal-pool"));
    if (options.containsKey("batch-size")) settings.put("jdbc-journal.batchSize", options.get("batch-size"));
    if (options.containsKey("parallelism")) settings.put("jdbc-journal.parallelism", options.get("parallelism"));
    Config config = ParleyConfig.load(ConfigFactory.parseMap(settings));

    if (options.containsKey("recovery")) {
      recovery(config, Integer.parseInt(options.get("recovery")), inFlight);
      System.exit(0);
    }
    try (ParleyNode node = ParleyNode.start(config)) {
      awaitUp(node);
      Conversations conversations = node.conversations();
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < conversationCount; i++) {
        ids.add(
            conversations
                .createGroup("bench-a-" + i, "bench " + i, List.of("bench-b-" + i))
                .toCompletableFuture()
                .get(30, TimeUnit.SECONDS)
                .conversationId());
      }
      System.out.printf(Locale.ROOT, "created %d conversations on %s%n", ids.size(), url.replaceAll("//[^@]*@", "//"));

      Semaphore permits = new Semaphore(inFlight);
      AtomicLong persisted = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      AtomicLong refused = new AtomicLong();
      ScheduledExecutorService backOff = Executors.newSingleThreadScheduledExecutor();
      long start = System.nanoTime();
      long warmupEnd = start + Duration.ofSeconds(warmupSeconds).toNanos();
      long end = warmupEnd + Duration.ofSeconds(seconds).toNanos();
      long measuredAtWarmupEnd = -1;
      long sequence = 0;
      List<Double> perSecond = new ArrayList<>();
      long nextReport = warmupEnd + Duration.ofSeconds(1).toNanos();
      long lastCount = 0;
      while (System.nanoTime() < end) {
        if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS)) continue;
        long n = sequence++;
        String id = ids.get((int) (n % ids.size()));
        String sender = "bench-a-" + (n % ids.size());
        conversations
            .post(benchUser(sender), id, "b" + n, "benchmark message " + n, null)
            .whenComplete(
                (posted, failure) -> {
                  if (failure == null) {
                    persisted.incrementAndGet();
                    permits.release();
                  } else if (ErrorHandling.unwrap(failure) instanceof ApiException e
                      && e.error() == ApiError.UNAVAILABLE) {
                    // Shed by the node: this slot waits before its next send, instead of spinning on refusals.
                    refused.incrementAndGet();
                    backOff.schedule((Runnable) permits::release, 20, TimeUnit.MILLISECONDS);
                  } else {
                    failed.incrementAndGet();
                    permits.release();
                  }
                });
        long now = System.nanoTime();
        if (measuredAtWarmupEnd < 0 && now >= warmupEnd) {
          measuredAtWarmupEnd = persisted.get();
          lastCount = measuredAtWarmupEnd;
        }
        if (measuredAtWarmupEnd >= 0 && now >= nextReport) {
          long count = persisted.get();
          perSecond.add((double) (count - lastCount));
          lastCount = count;
          nextReport += Duration.ofSeconds(1).toNanos();
        }
      }
      permits.acquire(inFlight);
      long total = persisted.get() - Math.max(0, measuredAtWarmupEnd);
      double rate = total / (double) seconds;
      perSecond.sort(Double::compare);
      double median = perSecond.isEmpty() ? 0 : perSecond.get(perSecond.size() / 2);
      System.out.printf(
          Locale.ROOT,
          "persisted %d messages in %d s after %d s warm-up: %.0f msg/s (median second %.0f, slowest %.0f, fastest %.0f), %d failed, %d refused (unavailable; that slot waited 20 ms before its next send)%n",
          total, seconds, warmupSeconds, rate, median,
          perSecond.isEmpty() ? 0 : perSecond.get(0),
          perSecond.isEmpty() ? 0 : perSecond.get(perSecond.size() - 1),
          failed.get(), refused.get());
      backOff.shutdown();
    }
    System.exit(0);
  }

  /** The bench posts through the service directly, as a signed-in user with no name would. */
  private static Principal benchUser(String userId) {
    return new Principal(userId, "authenticated", null, null, null, null, null);
  }

  /**
   * Writes {@code messages} messages to one conversation, then restarts the node as many times as asked and times the
   * first answer of the conversation: recovery from its newest snapshot plus the events after it.
   */
  private static void recovery(Config config, int messages, int inFlight) throws Exception {
    String id;
    long start = System.nanoTime();
    try (ParleyNode node = ParleyNode.start(config)) {
      awaitUp(node);
      Conversations conversations = node.conversations();
      id = conversations.createGroup("rec-a", "recovery", List.of("rec-b")).toCompletableFuture().get().conversationId();
      Semaphore permits = new Semaphore(inFlight);
      for (int n = 0; n < messages; n++) {
        permits.acquire();
        conversations
            .post(benchUser(n % 2 == 0 ? "rec-a" : "rec-b"), id, "r" + n, "recovery message " + n, null)
            .whenComplete((posted, failure) -> permits.release());
      }
      permits.acquire(inFlight);
    }
    System.out.printf(
        Locale.ROOT, "wrote %d messages to %s in %.1f s%n", messages, id, (System.nanoTime() - start) / 1e9);
    for (int run = 1; run <= 3; run++) {
      try (ParleyNode node = ParleyNode.start(config)) {
        awaitUp(node);
        // Warm sharding up with another conversation, so that only the big one's recovery is timed.
        node.conversations().get("rec-a", "g_" + "0".repeat(32)).toCompletableFuture().exceptionally(e -> null).get();
        long before = System.nanoTime();
        long lastSeq = node.conversations().get("rec-a", id).toCompletableFuture().get().lastSeq();
        System.out.printf(
            Locale.ROOT, "restart %d: first answer after %.0f ms (lastSeq %d)%n",
            run, (System.nanoTime() - before) / 1e6, lastSeq);
      }
    }
  }

  /** A lone node on {@code url}, with HTTP, metrics and remoting on free ports: what every benchmark here starts. */
  static Map<String, Object> nodeSettings(String url, Map<String, String> options) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("parley.database.url", url);
    settings.put("parley.database.user", options.getOrDefault("database-user", url.contains("postgresql") ? "postgres" : ""));
    settings.put("parley.database.create-schema", true);
    settings.put("parley.http.port", 0);
    settings.put("parley.http.interface", "127.0.0.1");
    settings.put("parley.metrics.port", 0);
    settings.put("akka.remote.artery.canonical.port", 0);
    settings.put("parley.cluster.join-self", true);
    settings.put("parley.auth.jwt-secret", "bench-secret-bench-secret-bench-secret");
    return settings;
  }

  static void awaitUp(ParleyNode node) throws InterruptedException {
    Cluster cluster = Cluster.get(node.system());
    while (cluster.selfMember().status() != MemberStatus.up()) Thread.sleep(50);
  }

  static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      options.put(args[i].substring(2), args[++i]);
    }
    return options;
  }
}
