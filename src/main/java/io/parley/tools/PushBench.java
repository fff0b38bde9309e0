package io.parley.tools;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.Futures;
import io.parley.ParleyConfig;
import io.parley.ParleyNode;
import io.parley.notification.Notifications;
import io.parley.push.FcmPushGateway;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Measures notifications per second from the admin route to FCM requests leaving the process: {@code --users}
 * offline users with one device token each, notified through {@code POST /api/admin/notifications} in requests of
 * {@code --batch} users, {@code --concurrency} requests at a time. Pushes go through the real firebase-admin SDK to
 * {@link FakeFcmTransport}, which answers like FCM and counts. The tokens are registered first and the read side's
 * directory awaited (not measured). {@code --gateway-only true} measures the Admin SDK and the fake transport alone.
 * Commands and results: docs/benchmarks.md.
 */
public final class PushBench {
  private static final String ADMIN_TOKEN = "push-bench-admin-token-0123456789";
  /** Each registration starts two entities and writes twice; one that times out is sent again, as an app would. */
  private static final int REGISTRATIONS_AT_ONCE = 256;

  private PushBench() {}

  public static void main(String[] args) throws Exception {
    Futures.preferPooledContinuations();
    Map<String, String> options = PostMessageBench.options(args);
    if (options.containsKey("gateway-only")) {
      gatewayOnly(
          Integer.parseInt(options.getOrDefault("users", "100000")),
          Integer.parseInt(options.getOrDefault("concurrency", "4")),
          Integer.parseInt(options.getOrDefault("fcm-threads", "0")));
      return;
    }
    String url = options.getOrDefault("database-url", "jdbc:h2:file:./data/push-bench-" + System.nanoTime());
    int users = Integer.parseInt(options.getOrDefault("users", "100000"));
    int batch = Integer.parseInt(options.getOrDefault("batch", "10000"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "2"));

    Map<String, Object> settings = PostMessageBench.nodeSettings(url, options);
    settings.put("parley.auth.admin-token", ADMIN_TOKEN);
    settings.put("parley.notifications.max-recipients", Math.max(batch, 10000));
    Config config = ParleyConfig.load(ConfigFactory.parseMap(settings));

    FakeFcmTransport fcm = new FakeFcmTransport(false);
    GoogleCredentials credentials =
        GoogleCredentials.create(new AccessToken("bench", new Date(System.currentTimeMillis() + 86_400_000L)));
    try (ParleyNode node = ParleyNode.start(
        config, ParleyNode.Parts.fromConfig().withPush(c -> new FcmPushGateway(credentials, "parley-bench", fcm, c.getInt("parley.push.firebase.threads"))))) {
      PostMessageBench.awaitUp(node);
      register(node.notifications(), users);
      awaitDirectory(node, users);

      HttpClient http = HttpClient.newHttpClient();
      URI admin = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/api/admin/notifications");
      Semaphore permits = new Semaphore(concurrency);
      List<CompletableFuture<HttpResponse<String>>> sends = new ArrayList<>();
      long start = System.nanoTime();
      for (int from = 0; from < users; from += batch) {
        String ids =
            IntStream.range(from, Math.min(users, from + batch))
                .mapToObj(i -> "\"pu-" + i + "\"")
                .collect(Collectors.joining(","));
        String body =
            "{\"userIds\":[" + ids + "],\"notification\":{\"kind\":\"job_match\",\"title\":\"A job for you\","
                + "\"body\":\"Senior Java developer, Paris\",\"data\":{\"jobId\":\"j-1\"}}}";
        permits.acquire();
        sends.add(
            http.sendAsync(
                    HttpRequest.newBuilder(admin)
                        .timeout(Duration.ofMinutes(5))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .whenComplete((response, failure) -> permits.release()));
      }
      long refused = 0;
      for (CompletableFuture<HttpResponse<String>> send : sends) {
        HttpResponse<String> response = send.get();
        if (response.statusCode() != 202) {
          refused++;
          System.out.println("refused: " + response.statusCode() + " " + response.body());
        }
      }
      long stored = System.nanoTime();
      while (fcm.count() < users && System.nanoTime() - stored < Duration.ofMinutes(10).toNanos()) Thread.sleep(20);
      long pushed = System.nanoTime();

      double storedSeconds = (stored - start) / 1e9;
      double pushedSeconds = (pushed - start) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "%d users: all stored (202) after %.2f s = %.0f notifications/s; %d FCM requests after %.2f s = %.0f"
              + " notifications/s end to end; refused requests: %d; %s%n",
          users, storedSeconds, users / storedSeconds, fcm.count(), pushedSeconds, fcm.count() / pushedSeconds,
          refused, io.parley.push.PushStats.get(node.system()).byReason());
    }
    System.exit(0);
  }

  /**
   * Waits until the read side's directory holds every token, as it does for devices registered before a send rather
   * than during it: the batch's pushes read their tokens there.
   */
  private static void awaitDirectory(ParleyNode node, int users) throws Exception {
    long start = System.nanoTime();
    javax.sql.DataSource db = io.parley.db.Database.get(node.system()).dataSource();
    long held = 0;
    while (held < users && System.nanoTime() - start < Duration.ofMinutes(5).toNanos()) {
      try (java.sql.Connection c = db.getConnection();
          java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM parley_user_device")) {
        rs.next();
        held = rs.getLong(1);
        c.commit();
      }
      if (held < users) Thread.sleep(100);
    }
    System.out.printf(Locale.ROOT, "directory holds %d tokens after %.1f s more%n", held, (System.nanoTime() - start) / 1e9);
  }

  /**
   * The push side alone: {@code tokens} pushes through the real Admin SDK into the fake transport, as multicasts of
   * 500 with {@code concurrency} under way, three rounds. No node, no journal: the ceiling of FCM requests per second.
   */
  private static void gatewayOnly(int tokens, int concurrency, int threads) throws Exception {
    FakeFcmTransport fcm = new FakeFcmTransport(false);
    GoogleCredentials credentials =
        GoogleCredentials.create(new AccessToken("bench", new Date(System.currentTimeMillis() + 86_400_000L)));
    io.parley.push.PushMessage message =
        new io.parley.push.PushMessage(
            "job_match", "A job for you", "Senior Java developer, Paris", Map.of("jobId", "j-1", "kind", "job_match"),
            null, null);
    try (FcmPushGateway gateway = new FcmPushGateway(credentials, "parley-bench", fcm, threads)) {
      for (int round = 1; round <= 3; round++) {
        long before = fcm.count();
        Semaphore permits = new Semaphore(concurrency);
        long start = System.nanoTime();
        for (int from = 0; from < tokens; from += io.parley.push.PushGateway.MAX_TOKENS_PER_MULTICAST) {
          List<String> chunk =
              IntStream.range(from, Math.min(tokens, from + io.parley.push.PushGateway.MAX_TOKENS_PER_MULTICAST))
                  .mapToObj(i -> "tok-" + i)
                  .toList();
          permits.acquire();
          gateway.sendToDevices(message, chunk).whenComplete((outcomes, failure) -> permits.release());
        }
        permits.acquire(concurrency);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(
            Locale.ROOT, "round %d: %d FCM requests in %.2f s = %.0f/s%n", round, fcm.count() - before, seconds,
            (fcm.count() - before) / seconds);
      }
    }
    System.exit(0);
  }

  /** As a client would: a registration that timed out while thousands of entities started is sent again. */
  private static java.util.concurrent.CompletionStage<akka.Done> registerRetrying(
      Notifications notifications, int user, int attempts) {
    return notifications
        .registerDevice("pu-" + user, "tok-" + user, "android")
        .exceptionallyCompose(
            failure ->
                attempts > 1
                    ? registerRetrying(notifications, user, attempts - 1)
                    : CompletableFuture.failedFuture(failure));
  }

  /** One token per user, registered through the same service the routes use; not part of the measurement. */
  private static void register(Notifications notifications, int users) throws Exception {
    long start = System.nanoTime();
    Semaphore permits = new Semaphore(REGISTRATIONS_AT_ONCE);
    java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    for (int i = 0; i < users; i++) {
      permits.acquire();
      int user = i;
      registerRetrying(notifications, user, 10)
          .whenComplete(
              (done, failure) -> {
                if (failure != null) failed.incrementAndGet();
                permits.release();
              });
    }
    permits.acquire(REGISTRATIONS_AT_ONCE);
    permits.release(REGISTRATIONS_AT_ONCE);
    if (failed.get() > 0) throw new IllegalStateException(failed.get() + " device registrations failed");
    System.out.printf(Locale.ROOT, "registered %d devices in %.1f s%n", users, (System.nanoTime() - start) / 1e9);
    TimeUnit.SECONDS.sleep(1);
  }
}
