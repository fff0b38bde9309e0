package io.parley.tools;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.Futures;
import io.parley.ParleyConfig;
import io.parley.ParleyNode;
import io.parley.db.Database;
import io.parley.matching.CandidateIndex;
import io.parley.matching.CandidatePartition;
import io.parley.matching.CandidateProfile;
import io.parley.matching.JobMatcher;
import io.parley.matching.JobPosting;
import io.parley.matching.Level;
import io.parley.matching.MatchNotifier;
import io.parley.matching.MatchingSettings;
import io.parley.webhook.WebhookIntake;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import java.util.concurrent.CompletionStage;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * Benchmarks of job matching (docs/benchmarks.md): {@code index} loads made-up candidates into the partitions' index
 * structure and times matching jobs against them; {@code intake} posts job webhooks over HTTP to a node and times
 * the 202s; {@code fanout} times one job webhook to the last of its notifications; {@code recovery} times a restart of
 * the candidate index.
 */
public final class MatchingBench {
  private MatchingBench() {}

  public static void main(String[] args) throws Exception {
    Futures.preferPooledContinuations();
    if (args.length == 0) {
      System.err.println("usage: MatchingBench index|intake|serve|fanout|recovery [--name value ...]");
      System.exit(2);
    }
    Map<String, String> options = PostMessageBench.options(java.util.Arrays.copyOfRange(args, 1, args.length));
    switch (args[0]) {
      case "index" -> index(options);
      case "intake" -> intake(options);
      case "serve" -> serve(options);
      case "fanout" -> fanout(options);
      case "recovery" -> recovery(options);
      default -> throw new IllegalArgumentException("unknown benchmark " + args[0]);
    }
    System.exit(0);
  }

  /**
   * (a) {@code --candidates} profiles spread over {@code --partitions} indexes as the partition entities hold them,
   * then {@code --jobs} jobs matched by asking every partition at once on {@code --threads} threads.
   */
  static void index(Map<String, String> o) throws Exception {
    int candidates = Integer.parseInt(o.getOrDefault("candidates", "1000000"));
    int jobs = Integer.parseInt(o.getOrDefault("jobs", "2000"));
    int threads = Integer.parseInt(o.getOrDefault("threads", "2"));
    MatchingSettings settings = MatchingSettings.fromConfig(ParleyConfig.load());
    int partitions = Integer.parseInt(o.getOrDefault("partitions", Integer.toString(settings.partitions())));
    SyntheticProfiles made = new SyntheticProfiles(42, 1000, 200);

    long heapBefore = usedHeapAfterGc();
    CandidateIndex[] index = new CandidateIndex[partitions];
    for (int p = 0; p < partitions; p++) index[p] = new CandidateIndex();
    long start = System.nanoTime();
    for (int i = 0; i < candidates; i++) {
      CandidateProfile profile = made.candidate(i);
      index[Integer.parseInt(CandidatePartition.partitionOf(profile.candidateId(), partitions))].put(profile);
    }
    long loadMillis = (System.nanoTime() - start) / 1_000_000;
    long heapAfter = usedHeapAfterGc();
    System.out.printf(Locale.ROOT, "indexed %,d candidates in %d partitions in %,d ms; heap %,d MB (%,d bytes per candidate)%n",
        candidates, partitions, loadMillis, (heapAfter - heapBefore) >> 20, (heapAfter - heapBefore) / candidates);

    ExecutorService pool = Executors.newFixedThreadPool(threads);
    LatencyHistogram latency = new LatencyHistogram();
    // CPU time, unlike wall-clock time, hardly changes when other processes share the cores: the figure to compare
    // across runs on a busy machine.
    LatencyHistogram cpu = new LatencyHistogram();
    java.lang.management.ThreadMXBean threadsBean = java.lang.management.ManagementFactory.getThreadMXBean();
    long matched = 0;
    int warmup = Math.min(200, jobs / 5);
    for (int j = 0; j < warmup + jobs; j++) {
      JobPosting job = made.job("job-" + j);
      long t0 = System.nanoTime();
      List<CompletableFuture<List<CandidateIndex.Ranked>>> parts = new ArrayList<>();
      java.util.concurrent.atomic.LongAdder jobCpu = new java.util.concurrent.atomic.LongAdder();
      for (CandidateIndex partition : index) {
        parts.add(
            CompletableFuture.supplyAsync(
                () -> {
                  long cpu0 = threadsBean.getCurrentThreadCpuTime();
                  List<CandidateIndex.Ranked> found = partition.match(job, settings.scoring());
                  jobCpu.add(threadsBean.getCurrentThreadCpuTime() - cpu0);
                  return found;
                },
                pool));
      }
      int found = 0;
      for (var part : parts) found += part.get().size();
      if (j >= warmup) {
        latency.record(System.nanoTime() - t0);
        cpu.record(jobCpu.sum());
        matched += found;
      }
    }
    pool.shutdown();
    System.out.printf(Locale.ROOT, "matched %,d jobs on %d threads: p50 %.1f ms, p99 %.1f ms, max %.1f ms; %,d matches per job on average%n",
        jobs, threads, latency.percentile(50) / 1e6, latency.percentile(99) / 1e6, latency.max() / 1e6, matched / jobs);
    System.out.printf(Locale.ROOT, "CPU time per job (all partitions): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
        cpu.percentile(50) / 1e6, cpu.percentile(99) / 1e6, cpu.max() / 1e6);
  }

  /**
   * (b) Job webhooks posted with {@code --concurrency} in flight for {@code --seconds} after {@code --warmup}. With
   * {@code --url} they go to a node already running in another process (see {@code serve}), so that the load
   * generator does not share the node's JVM; otherwise a node starts here. {@code --via ask} skips HTTP and asks
   * the intake partitions directly, to tell the two costs apart.
   */
  static void intake(Map<String, String> o) throws Exception {
    if (o.containsKey("url")) {
      URI uri = URI.create(o.get("url") + "/api/webhooks/jobs/notify");
      postJobs(o, "HTTP to " + o.get("url"), overHttp(uri, o.getOrDefault("secret", SECRET), concurrency(o)));
      return;
    }
    try (ParleyNode node = ParleyNode.start(nodeConfig(o), ParleyNode.Parts.fromConfig().withMatches(MatchNotifier.logging()))) {
      PostMessageBench.awaitUp(node);
      if ("ask".equals(o.get("via"))) {
        postJobs(o, "ask", askingPartitions(node));
      } else {
        URI uri = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/api/webhooks/jobs/notify");
        postJobs(o, "HTTP in the node's JVM", overHttp(uri, SECRET, concurrency(o)));
      }
    }
  }

  /** A bench node that serves until killed, for {@code intake --url} from another JVM: webhook secret {@code --secret}. */
  static void serve(Map<String, String> o) throws Exception {
    ParleyNode node = ParleyNode.start(nodeConfig(o), ParleyNode.Parts.fromConfig().withMatches(MatchNotifier.logging()));
    PostMessageBench.awaitUp(node);
    System.out.println("serving on http://127.0.0.1:" + node.httpAddress().getPort());
    node.system().getWhenTerminated().toCompletableFuture().get();
  }

  /** Sends one job row (its id and its record's JSON) and completes with whether it was accepted. */
  private interface JobSender {
    CompletionStage<Boolean> send(String id, String record);
  }

  private static JobSender overHttp(URI uri, String secret, int connections) {
    PlainHttpPoster poster = new PlainHttpPoster(
        uri, "Authorization: Bearer " + secret + "\r\nContent-Type: application/json\r\n", connections);
    return (id, record) -> poster.post(
            "{\"type\":\"INSERT\",\"table\":\"jobs\",\"schema\":\"public\",\"record\":" + record + ",\"old_record\":null}")
        .thenApply(status -> status == 202);
  }

  /** The intake partition alone, as the route calls it: what the journal takes without HTTP in front. */
  private static JobSender askingPartitions(ParleyNode node) {
    ClusterSharding sharding = ClusterSharding.get(node.system());
    int partitions = node.system().settings().config().getInt("parley.webhook.partitions");
    return (id, record) -> {
      var delivery = new WebhookIntake.Delivery("bench:" + id, null, WebhookIntake.Kind.JOB, "jobs", "public",
          "INSERT", id, record, null, "shared-secret");
      return sharding
          .entityRefFor(WebhookIntake.ENTITY_KEY,
              Integer.toString(WebhookIntake.partitionOf(WebhookIntake.Kind.JOB, id, partitions)))
          .<WebhookIntake.Accepted>ask(r -> new WebhookIntake.Accept(delivery, r), Duration.ofSeconds(10))
          .thenApply(a -> true);
    };
  }

  /**
   * Closed loop by default: {@code --concurrency} requests always in flight, which finds the most the node takes.
   * With {@code --rate} the requests leave on a fixed schedule (open loop, at most {@code --concurrency} in flight)
   * and each latency runs from the request's scheduled time, so a stall counts for every request it delayed.
   */
  private static void postJobs(Map<String, String> o, String via, JobSender sender) throws InterruptedException {
    int seconds = Integer.parseInt(o.getOrDefault("seconds", "20"));
    int warmup = Integer.parseInt(o.getOrDefault("warmup", "5"));
    double rate = Double.parseDouble(o.getOrDefault("rate", "0"));
    int concurrency = concurrency(o);
    Semaphore permits = new Semaphore(concurrency);
    LatencyHistogram latency = new LatencyHistogram();
    AtomicLong errors = new AtomicLong();
    long begin = System.nanoTime();
    long measureFrom = begin + TimeUnit.SECONDS.toNanos(warmup);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    long n = 0;
    String run = Long.toString(System.currentTimeMillis(), 36);
    while (true) {
      long scheduled = rate > 0 ? begin + (long) (n * 1e9 / rate) : System.nanoTime();
      if (scheduled >= end) break;
      long wait = scheduled - System.nanoTime();
      if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
      permits.acquire();
      String id = "bench-" + run + "-" + (n++);
      String record = "{\"id\":\"" + id + "\",\"title\":\"Engineer\",\"company_name\":\"Acme\","
          + "\"required_skills\":[\"java\",\"akka\"],\"experience_level\":\"senior\",\"location\":\"Paris\",\"remote\":false}";
      sender.send(id, record).whenComplete((ok, failure) -> {
        long now = System.nanoTime();
        if (failure != null || !ok) errors.incrementAndGet();
        else if (scheduled >= measureFrom && scheduled < end) latency.record(now - scheduled);
        permits.release();
      });
    }
    permits.acquire(concurrency);
    System.out.printf(Locale.ROOT, "via %s, %s: %,.0f webhooks/s accepted (202); p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d errors%n",
        via, rate > 0 ? String.format(Locale.ROOT, "%,.0f/s offered, at most %d in flight", rate, concurrency)
            : concurrency + " in flight",
        latency.count() / (double) seconds,
        latency.percentile(50) / 1e6, latency.percentile(99) / 1e6, latency.max() / 1e6, errors.get());
  }

  /** Requests in flight at most: {@code --concurrency}; by default 32, or 128 with {@code --rate}. */
  private static int concurrency(Map<String, String> o) {
    boolean openLoop = Double.parseDouble(o.getOrDefault("rate", "0")) > 0;
    return Integer.parseInt(o.getOrDefault("concurrency", openLoop ? "128" : "32"));
  }

  /**
   * (c) {@code --candidates} candidates who all match one job, indexed through the partitions; then the job's
   * webhook, {@code --runs} times with a new job each time, timed to the last of its matches stored and marked
   * notified, and to the last of its candidates' inboxes filled from the stored batch.
   */
  static void fanout(Map<String, String> o) throws Exception {
    int candidates = Integer.parseInt(o.getOrDefault("candidates", "10000"));
    int runs = Integer.parseInt(o.getOrDefault("runs", "3"));
    // By default the matches go to the candidates' inboxes (the product); --notifier instant takes them as they are
    // handed over and fills no inbox, to tell matching's cost from the notifications'.
    boolean instant = "instant".equals(o.get("notifier"));
    ParleyNode.Parts parts = ParleyNode.Parts.fromConfig();
    if (instant) parts = parts.withMatches((matches, key) -> CompletableFuture.completedFuture(Done.getInstance()));
    try (ParleyNode node = ParleyNode.start(nodeConfig(o), parts)) {
      PostMessageBench.awaitUp(node);
      ActorSystem<?> system = node.system();
      DataSource database = Database.get(system).dataSource();
      JobMatcher matcher = new JobMatcher(system, MatchingSettings.fromConfig(system.settings().config()));
      long t0 = System.nanoTime();
      Source.range(0, candidates - 1)
          .mapAsyncUnordered(64, i -> matcher.index(new CandidateProfile(
              "fan-" + i, "fan-user-" + i, List.of("java", "akka", "sql"), Level.SENIOR, "paris", "Paris", false, true), null, null))
          .runWith(Sink.ignore(), system).toCompletableFuture().get(10, TimeUnit.MINUTES);
      System.out.printf(Locale.ROOT, "indexed %,d candidates in %,d ms%n", candidates, (System.nanoTime() - t0) / 1_000_000);
      HttpClient client = HttpClient.newHttpClient();
      URI uri = URI.create("http://127.0.0.1:" + node.httpAddress().getPort() + "/api/webhooks/jobs/notify");
      for (int run = 0; run < runs; run++) {
        String jobId = "fan-job-" + System.nanoTime();
        String body = "{\"type\":\"INSERT\",\"table\":\"jobs\",\"schema\":\"public\",\"record\":{\"id\":\"" + jobId
            + "\",\"title\":\"Engineer\",\"required_skills\":[\"java\",\"akka\",\"sql\"],"
            + "\"experience_level\":\"senior\",\"location\":\"Paris\"},\"old_record\":null}";
        long journalBefore = journalEnd(database);
        long sent = System.currentTimeMillis();
        HttpResponse<String> accepted = client.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + SECRET)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        long acceptedAt = System.currentTimeMillis();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        Progress stored;
        Progress filled;
        do {
          Thread.sleep(50);
          stored = progress(database, "SELECT COUNT(*), MAX(notified_at) FROM parley_job_match"
              + " WHERE job_id = ? AND notified_at IS NOT NULL", jobId);
          // Each candidate's inbox is one event of its user entity, written after the webhook's.
          filled = instant ? null : progress(database, "SELECT COUNT(DISTINCT persistence_id), MAX(write_timestamp)"
              + " FROM event_journal WHERE ordering > ? AND persistence_id LIKE 'User|fan-user-%'", journalBefore);
        } while ((stored.count() < candidates || filled != null && filled.count() < candidates) && System.nanoTime() < deadline);
        System.out.printf(Locale.ROOT, "run %d: %d after %d ms; %,d matches stored and marked notified, the last %,d ms after"
                + " the webhook was sent%s%n",
            run + 1, accepted.statusCode(), acceptedAt - sent, stored.count(), stored.lastMillis() - sent,
            filled == null ? "" : String.format(Locale.ROOT, "; %,d inboxes filled, the last %,d ms after",
                filled.count(), filled.lastMillis() - sent));
      }
    }
  }

  /** How many rows a query counted, and the time of the latest (epoch milliseconds; 0 when none). */
  private record Progress(long count, long lastMillis) {}

  private static long journalEnd(DataSource database) throws java.sql.SQLException {
    try (Connection c = database.getConnection();
        PreparedStatement s = c.prepareStatement("SELECT COALESCE(MAX(ordering), 0) FROM event_journal");
        ResultSet row = s.executeQuery()) {
      row.next();
      return row.getLong(1);
    }
  }

  /** A query's one row: a count, then a time (a timestamp, or epoch milliseconds); read-only, so never committed. */
  private static Progress progress(DataSource database, String query, Object parameter) throws java.sql.SQLException {
    try (Connection c = database.getConnection(); PreparedStatement s = c.prepareStatement(query)) {
      s.setObject(1, parameter);
      try (ResultSet row = s.executeQuery()) {
        row.next();
        long lastMillis = row.getObject(2) == null ? 0
            : row.getObject(2) instanceof Number millis ? millis.longValue() : row.getTimestamp(2).getTime();
        return new Progress(row.getLong(1), lastMillis);
      }
    }
  }

  /**
   * {@code --candidates} candidates indexed through the partitions (their journal and snapshots), then a new node on
   * the same database, timed from its start to the first answer of every partition, {@code --runs} times.
   */
  static void recovery(Map<String, String> o) throws Exception {
    int candidates = Integer.parseInt(o.getOrDefault("candidates", "50000"));
    int runs = Integer.parseInt(o.getOrDefault("runs", "2"));
    Config config = nodeConfig(o);
    SyntheticProfiles made = new SyntheticProfiles(7, 1000, 200);
    try (ParleyNode node = ParleyNode.start(config, ParleyNode.Parts.fromConfig().withMatches(MatchNotifier.logging()))) {
      PostMessageBench.awaitUp(node);
      JobMatcher matcher = new JobMatcher(node.system(), MatchingSettings.fromConfig(node.system().settings().config()));
      long t0 = System.nanoTime();
      Source.range(0, candidates - 1)
          .mapAsyncUnordered(256, i -> matcher.index(made.candidate(i), null, null))
          .runWith(Sink.ignore(), node.system()).toCompletableFuture().get(30, TimeUnit.MINUTES);
      System.out.printf(Locale.ROOT, "indexed %,d candidates through the journal in %,d ms%n",
          candidates, (System.nanoTime() - t0) / 1_000_000);
    }
    for (int run = 0; run < runs; run++) {
      long start = System.nanoTime();
      try (ParleyNode node = ParleyNode.start(config, ParleyNode.Parts.fromConfig().withMatches(MatchNotifier.logging()))) {
        PostMessageBench.awaitUp(node);
        long up = System.nanoTime();
        JobMatcher matcher = new JobMatcher(node.system(), MatchingSettings.fromConfig(node.system().settings().config()));
        int count = matcher.countCandidates(node.system()).toCompletableFuture().get(5, TimeUnit.MINUTES);
        System.out.printf(Locale.ROOT, "restart %d: node up after %,d ms, %,d candidates recovered %,d ms later%n",
            run + 1, (up - start) / 1_000_000, count, (System.nanoTime() - up) / 1_000_000);
      }
    }
  }

  private static final String SECRET = "bench-webhook-secret";

  private static Config nodeConfig(Map<String, String> o) {
    String url = o.getOrDefault("database-url", "jdbc:h2:file:./data/matchbench-" + System.nanoTime());
    Map<String, Object> settings = PostMessageBench.nodeSettings(url, o);
    settings.put("parley.webhook.secret", o.getOrDefault("secret", SECRET));
    if (o.containsKey("port")) settings.put("parley.http.port", Integer.parseInt(o.get("port")));
    settings.put("parley.webhook.processing.enabled", !"off".equals(o.get("processing")));
    return ParleyConfig.load(ConfigFactory.parseMap(settings));
  }

  private static long usedHeapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(200);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
