package io.parley.tools;

import io.parley.Futures;
import io.parley.auth.DevTokens;

import akka.actor.ActorSystem;
import akka.http.javadsl.Http;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.headers.Authorization;
import akka.http.javadsl.settings.ClientConnectionSettings;
import akka.stream.Materializer;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * A WebSocket load generator for a running Parley node, in a process of its own. It signs Supabase-shaped HS256 tokens
 * with the server's secret, creates {@code --conversations} direct conversations over REST, opens {@code --clients}
 * WebSocket connections (client i is user i), spread over the local addresses 127.0.0.1 .. 127.0.0.K, and then either
 * holds them idle ({@code --rate 0}) or sends {@code --rate} messages per second in total, evenly, round-robin over
 * the conversations. In each conversation one side sends and the other side's connection times each message from its
 * {@code send} to the {@code message} frame it receives. The connections run on {@link NioLoadClient} (one selector
 * thread for all), so that the generator costs far less CPU than the node it measures; {@code --client akka} runs
 * them on the Akka HTTP client instead, a stream per connection, to compare.
 *
 * <pre>
 * java -cp target/parley.jar io.parley.tools.LoadGenerator --url http://127.0.0.1:8080 --secret $SUPABASE_JWT_SECRET \
 *   --clients 500 --conversations 250 --rate 1000 --seconds 20 --warmup 5
 * </pre>
 *
 * Traffic goes to 127.0.0.0/8 only, and every phase is bounded in time.
 */
public final class LoadGenerator {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Parley's default per-session frame budget (parley.gateway.rate-limit.frames-per-second). */
  private static final int SERVER_FRAMES_PER_SECOND = 20;

  private LoadGenerator() {}

  /** What to run. {@link #parse} reads them from {@code --name value} pairs. */
  public record Options(
      String url,
      String secret,
      int clients,
      int conversations,
      int rate,
      int seconds,
      int warmup,
      int sourceAddresses,
      int connectConcurrency,
      int connectTimeoutSeconds,
      int setupConcurrency,
      int drainSeconds,
      int progressSeconds,
      String userPrefix,
      ClientKind client) {

    public Options {
      if (url == null || url.isBlank()) throw new IllegalArgumentException("--url is required");
      if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("--secret is required");
      if (clients < 1) throw new IllegalArgumentException("--clients must be at least 1");
      if (rate < 0) throw new IllegalArgumentException("--rate must be 0 (idle) or more");
      if (seconds < 1) throw new IllegalArgumentException("--seconds must be at least 1");
      if (warmup < 0) throw new IllegalArgumentException("--warmup must be 0 or more");
      if (sourceAddresses < 1 || sourceAddresses > 254) {
        throw new IllegalArgumentException("--source-addresses must be between 1 and 254 (127.0.0.1 .. 127.0.0.254)");
      }
      int half = clients / 2;
      if (conversations < 0 || conversations > (long) half * half) {
        throw new IllegalArgumentException(
            "--conversations must be between 0 and " + ((long) half * half) + " for " + clients + " clients");
      }
      if (rate > 0 && conversations < 1) throw new IllegalArgumentException("--rate > 0 needs --conversations >= 1");
      if (connectConcurrency < 1 || setupConcurrency < 1) throw new IllegalArgumentException("concurrency must be >= 1");
      if (connectTimeoutSeconds < 1) throw new IllegalArgumentException("--connect-timeout must be at least 1");
      if (drainSeconds < 0 || progressSeconds < 0) throw new IllegalArgumentException("negative duration");
      if (userPrefix == null || userPrefix.isEmpty()) throw new IllegalArgumentException("--user-prefix is empty");
      if (client == null) throw new IllegalArgumentException("--client is required");
    }

    /** Defaults for everything but what must be given; the test and {@link #parse} start from here. */
    public static Options of(String url, String secret, int clients, int conversations, int rate, int seconds) {
      return new Options(
          url, secret, clients, conversations, rate, seconds, 5, 1, 200, 30, 32, 10, 5, randomPrefix(), ClientKind.NIO);
    }

    public Options withWarmup(int warmupSeconds) {
      return new Options(url, secret, clients, conversations, rate, seconds, warmupSeconds, sourceAddresses,
          connectConcurrency, connectTimeoutSeconds, setupConcurrency, drainSeconds, progressSeconds, userPrefix, client);
    }

    public Options withSourceAddresses(int count) {
      return new Options(url, secret, clients, conversations, rate, seconds, warmup, count,
          connectConcurrency, connectTimeoutSeconds, setupConcurrency, drainSeconds, progressSeconds, userPrefix, client);
    }

    public Options withDrainSeconds(int drain) {
      return new Options(url, secret, clients, conversations, rate, seconds, warmup, sourceAddresses,
          connectConcurrency, connectTimeoutSeconds, setupConcurrency, drain, progressSeconds, userPrefix, client);
    }

    public Options withConnectTimeout(int timeoutSeconds) {
      return new Options(url, secret, clients, conversations, rate, seconds, warmup, sourceAddresses,
          connectConcurrency, timeoutSeconds, setupConcurrency, drainSeconds, progressSeconds, userPrefix, client);
    }

    public Options withClient(ClientKind kind) {
      return new Options(url, secret, clients, conversations, rate, seconds, warmup, sourceAddresses,
          connectConcurrency, connectTimeoutSeconds, setupConcurrency, drainSeconds, progressSeconds, userPrefix, kind);
    }

    public static Options parse(String[] args) {
      Map<String, String> o = new HashMap<>();
      for (int i = 0; i < args.length; i++) {
        if (!args[i].startsWith("--") || i + 1 >= args.length) {
          throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
        }
        o.put(args[i].substring(2), args[++i]);
      }
      List<String> known =
          List.of("url", "secret", "clients", "conversations", "rate", "seconds", "warmup", "source-addresses",
              "connect-concurrency", "connect-timeout", "setup-concurrency", "drain", "progress", "user-prefix",
              "client");
      for (String name : o.keySet()) {
        if (!known.contains(name)) throw new IllegalArgumentException("unknown option --" + name);
      }
      int clients = integer(o, "clients", 100);
      int rate = integer(o, "rate", 0);
      return new Options(
          o.getOrDefault("url", "http://127.0.0.1:8080"),
          o.getOrDefault("secret", System.getenv().getOrDefault("SUPABASE_JWT_SECRET", "")),
          clients,
          integer(o, "conversations", rate > 0 ? clients / 2 : 0),
          rate,
          integer(o, "seconds", 30),
          integer(o, "warmup", rate > 0 ? 5 : 0),
          integer(o, "source-addresses", 1),
          integer(o, "connect-concurrency", 200),
          integer(o, "connect-timeout", 30),
          integer(o, "setup-concurrency", 32),
          integer(o, "drain", 10),
          integer(o, "progress", 5),
          o.getOrDefault("user-prefix", randomPrefix()),
          ClientKind.named(o.getOrDefault("client", "nio")));
    }

    private static int integer(Map<String, String> o, String name, int otherwise) {
      String value = o.get(name);
      if (value == null) return otherwise;
      try {
        return Integer.parseInt(value.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--" + name + " must be a whole number, got " + value);
      }
    }

    private static String randomPrefix() {
      return "lg" + Long.toString(Math.abs(new Random().nextLong() % 1_679_616L), 36) + "-u";
    }
  }

  /** Which WebSocket client carries the connections. */
  public enum ClientKind {
    /** Plain java.nio: one selector thread for every connection (NioLoadClient). */
    NIO,
    /** The Akka HTTP client: a stream per connection (AkkaLoadClient), to compare with. */
    AKKA;

    static ClientKind named(String name) {
      return switch (name) {
        case "nio" -> NIO;
        case "akka" -> AKKA;
        default -> throw new IllegalArgumentException("--client must be nio or akka, got " + name);
      };
    }
  }

  /** What a run measured. Latencies are in milliseconds; rates per second of the measured window. */
  public record Result(
      int clientsRequested,
      int connected,
      int connectFailed,
      Map<String, Long> connectFailures,
      Instant allUpAt,
      double connectSeconds,
      int openAtEnd,
      int sourceAddresses,
      int conversationsCreated,
      int conversationsFailed,
      int activeConversations,
      long sent,
      long acked,
      long delivered,
      long lost,
      double sentPerSecond,
      double deliveredPerSecond,
      double p50Ms,
      double p99Ms,
      double p999Ms,
      double maxMs,
      double ackP50Ms,
      double ackP99Ms,
      long errorFrames,
      Map<String, Long> errorCodes,
      long sendsRefused,
      long unexpectedCloses,
      double generatorCpuSeconds) {

    /** The generator JVM's CPU in the measured window (or the idle hold), as a share of one core. */
    public double generatorCpuPercent(int windowSeconds) {
      return 100 * generatorCpuSeconds / windowSeconds;
    }

    /** Every error the run saw: error frames, refused sends, failed setup and connections, unexpected closes. */
    public long errors() {
      return errorFrames + sendsRefused + conversationsFailed + connectFailed + unexpectedCloses;
    }
  }

  public static void main(String[] args) {
    Futures.preferPooledContinuations();
    Options options;
    try {
      if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
        System.out.println(usage());
        System.exit(0);
      }
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(usage());
      System.exit(2);
      return;
    }
    int status = 0;
    try {
      run(options, System.out);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      status = 2;
    } catch (Exception e) {
      e.printStackTrace();
      status = 1;
    }
    System.exit(status);
  }

  static String usage() {
    return String.join(
        "\n",
        "usage: java -cp target/parley.jar io.parley.tools.LoadGenerator --url http://127.0.0.1:8080 --secret SECRET [options]",
        "  --clients N              WebSocket connections; client i is user i (100)",
        "  --conversations M        direct conversations, each between two distinct users (clients/2, 0 when idle)",
        "  --rate R                 messages per second in total; 0 = idle connections only (0)",
        "  --seconds S              measured duration, or how long idle connections are held (30)",
        "  --warmup W               seconds of load before measuring (5 with load, 0 idle)",
        "  --source-addresses K     bind connections round-robin to 127.0.0.1 .. 127.0.0.K (1)",
        "  --connect-concurrency C  connection attempts in flight at once (200)",
        "  --connect-timeout T      seconds a connection may take to reach 'connected' (30)",
        "  --setup-concurrency P    REST requests in flight while creating conversations (32)",
        "  --drain D                seconds to wait for messages in flight after the window (10)",
        "  --progress P             seconds between progress lines, 0 for none (5)",
        "  --user-prefix X          user ids are X0, X1, ... (random per run)",
        "  --client nio|akka        WebSocket client: nio = plain java.nio, one selector thread for all",
        "                           connections (default); akka = the Akka HTTP client, a stream per connection",
        "The secret may also come from SUPABASE_JWT_SECRET.");
  }

  /** Runs the whole thing: setup, connections, load or idle hold, report on {@code out}; returns the figures. */
  public static Result run(Options options, PrintStream out) throws Exception {
    Run run = new Run(options, out);
    try {
      return run.execute();
    } finally {
      run.shutdown();
    }
  }

  private static final class Run {
    private final Options o;
    private final PrintStream out;
    private final String host;
    private final int port;
    private final String baseUrl;
    private final String wsUrl;
    private final ActorSystem system;
    private final Http http;
    private final Materializer materializer;
    private final ScheduledExecutorService scheduler;
    /** The NIO client's one thread; null with the Akka client. */
    private final SelectorLoop loop;
    private final long origin = System.nanoTime();

    private final LoadClient[] clients;
    private final String[] tokens;

    // Counters, written from stream threads and the ticker.
    private final AtomicLong sentTotal = new AtomicLong();
    private final AtomicLong sentInWindow = new AtomicLong();
    private final LongAdder sendsRefused = new LongAdder();
    private final LongAdder acks = new LongAdder();
    private final LongAdder deliveredTotal = new LongAdder();
    private final LongAdder deliveredInWindow = new LongAdder();
    private final LongAdder ownEchoes = new LongAdder();
    private final LongAdder errorFrames = new LongAdder();
    private final LongAdder pongs = new LongAdder();
    private final LongAdder unexpectedCloses = new LongAdder();
    private final Map<String, LongAdder> errorCodes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> connectFailures = new ConcurrentHashMap<>();
    private final LatencyHistogram latency = new LatencyHistogram();
    private final LatencyHistogram ackLatency = new LatencyHistogram();
    private final AtomicLong heartbeatMs = new AtomicLong(25_000);

    /** The measured window, in nanoseconds since {@link #origin}; nothing is in it until the load starts. */
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;
    private volatile boolean stopping;
    /** The JVM's CPU time (ns) when the window (or the idle hold) began and ended; -1 until then. */
    private volatile long cpuAtWindowStart = -1;
    private volatile long cpuAtWindowEnd = -1;

    Run(Options options, PrintStream out) throws Exception {
      this.o = options;
      this.out = out;
      URI uri = URI.create(options.url().replaceAll("/+$", ""));
      if (uri.getHost() == null) throw new IllegalArgumentException("--url needs a host: " + options.url());
      InetAddress address = loopbackV4(uri.getHost());
      boolean tls = "https".equals(uri.getScheme()) || "wss".equals(uri.getScheme());
      if (tls) throw new IllegalArgumentException("only plain http/ws on 127.0.0.0/8 is supported: " + options.url());
      this.host = address.getHostAddress();
      this.port = uri.getPort() > 0 ? uri.getPort() : 80;
      this.baseUrl = "http://" + host + ":" + port;
      this.wsUrl = "ws://" + host + ":" + port + "/ws";

      this.system = ActorSystem.create("parley-loadgen", clientConfig());
      this.http = Http.get(system);
      this.materializer = Materializer.matFromSystem(system);
      this.scheduler =
          Executors.newScheduledThreadPool(
              2,
              r -> {
                Thread t = new Thread(r, "loadgen-ticker");
                t.setDaemon(true);
                return t;
              });

      Duration total = Duration.ofSeconds(o.warmup() + o.seconds() + o.drainSeconds() + o.connectTimeoutSeconds());
      DevTokens signer = DevTokens.signingWith(o.secret());
      Duration tokenLifetime = total.multipliedBy(2).plusSeconds(3600);
      this.clients = new LoadClient[o.clients()];
      this.tokens = new String[o.clients()];
      InetSocketAddress server = new InetSocketAddress(address, port);
      AkkaLoadClient.Akka akkaClient =
          o.client() == ClientKind.AKKA
              ? new AkkaLoadClient.Akka(
                  http, materializer, akka.http.javadsl.model.Uri.create(wsUrl),
                  ClientConnectionSettings.create(system), system.log())
              : null;
      this.loop = o.client() == ClientKind.NIO ? new SelectorLoop("loadgen-selector") : null;
      for (int i = 0; i < o.clients(); i++) {
        InetSocketAddress local = new InetSocketAddress("127.0.0." + (1 + i % o.sourceAddresses()), 0);
        String userId = o.userPrefix() + i;
        clients[i] =
            loop != null
                ? new NioLoadClient(i, userId, local, loop, server, "/ws", this::onFrame)
                : new AkkaLoadClient(i, userId, local, akkaClient, this::onFrame);
        tokens[i] = signer.mint(userId, userId + "@loadgen.test", tokenLifetime);
      }
    }

    /**
     * The client's own Akka settings: a local provider, quiet logs, no client-side idle timeout and no WebSocket keep-alive
     * pings of its own (the generator sends protocol {@code ping} frames every heartbeat, which is what the server's
     * idle timeout counts; the server pings every 30 s and the client answers), and a REST pool wide enough for setup.
     */
    private static Config clientConfig() {
      Config own =
          ConfigFactory.parseString(
              String.join(
                  "\n",
                  "akka.actor.provider = local",
                  "akka.loglevel = WARNING",
                  "akka.stdout-loglevel = WARNING",
                  "akka.log-dead-letters = off",
                  "akka.log-dead-letters-during-shutdown = off",
                  "akka.jvm-shutdown-hooks = off",
                  "akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off",
                  "akka.io.tcp.max-channels = unlimited",
                  "akka.http.client.idle-timeout = infinite",
                  "akka.http.client.connecting-timeout = 30s",
                  "akka.http.client.websocket.periodic-keep-alive-max-idle = infinite",
                  "akka.http.host-connection-pool.max-connections = 64",
                  "akka.http.host-connection-pool.max-open-requests = 1024",
                  "akka.http.host-connection-pool.response-entity-subscription-timeout = 10s"));
      return ConfigFactory.defaultOverrides()
          .withFallback(own)
          .withFallback(ConfigFactory.defaultReferenceUnresolved())
          .resolve();
    }

    Result execute() throws Exception {
      printHeader();

      // 1. Conversations over REST.
      int m = o.conversations();
      int half = o.clients() / 2;
      int[] senders = new int[m];
      int[] receivers = new int[m];
      for (int j = 0; j < m; j++) {
        int round = j / half;
        int k = j % half;
        senders[j] = 2 * k;
        receivers[j] = (2 * k + 1 + 2 * round) % (2 * half);
      }
      String[] ids = new String[m];
      int created = 0;
      int setupFailed = 0;
      if (m > 0) {
        long t0 = System.nanoTime();
        SetupOutcome setup = createConversations(senders, receivers, ids);
        created = setup.created;
        setupFailed = m - created;
        out.printf(
            Locale.ROOT, "setup: %d conversations created, %d failed, in %.1f s%s%n",
            created, setupFailed, seconds(System.nanoTime() - t0),
            setup.firstFailure == null ? "" : " (first failure: " + setup.firstFailure + ")");
      }

      // The NIO client needs nothing more from Akka: stop it, so that its idle threads do not count as the client's.
      if (loop != null) stopAkka();

      // 2. Connections, at bounded concurrency. Pings start now: on a busy machine the connect phase can outlast
      // the server's idle timeout, which would drop the first connections before the last are up.
      ScheduledFuture<?> pinger = startPinger();
      long c0 = System.nanoTime();
      connectAll();
      double connectSeconds = seconds(System.nanoTime() - c0);
      Instant allUpAt = Instant.now();
      int connected = 0;
      for (LoadClient c : clients) if (c.connected.isDone() && !c.connected.isCompletedExceptionally()) connected++;
      int failed = o.clients() - connected;
      out.printf(
          Locale.ROOT, "connections: %d opened, %d failed, in %.1f s (%.0f/s)%s%n",
          connected, failed, connectSeconds, connected / Math.max(connectSeconds, 1e-3), describe(connectFailures));
      Runtime jvm = Runtime.getRuntime();
      out.printf(
          Locale.ROOT, "client JVM: %.0f MiB heap in use with %d connections open%n",
          (jvm.totalMemory() - jvm.freeMemory()) / (double) (1 << 20), connected);
      if (failed == 0) {
        out.printf(
            Locale.ROOT, "all %d connections up at %s (epoch ms %d)%n",
            connected, allUpAt, allUpAt.toEpochMilli());
      } else {
        out.printf(
            Locale.ROOT, "connect phase over at %s (epoch ms %d): %d of %d up%n",
            allUpAt, allUpAt.toEpochMilli(), connected, o.clients());
      }
      for (LoadClient c : clients) {
        c.closed.thenRun(
            () -> {
              if (!stopping && c.connected.isDone() && !c.connected.isCompletedExceptionally()) {
                unexpectedCloses.increment();
              }
            });
      }

      // 3. Load, or idle connections held.
      List<Integer> active = new ArrayList<>();
      for (int j = 0; j < m; j++) {
        if (ids[j] != null && clients[senders[j]].isOpen() && clients[receivers[j]].isOpen()) active.add(j);
      }
      if (o.rate() == 0) {
        holdIdle();
      } else if (active.isEmpty()) {
        out.println("load: no conversation has both sides connected; nothing to send");
      } else {
        load(active, senders, ids);
      }
      pinger.cancel(false);

      int openAtEnd = 0;
      for (LoadClient c : clients) if (c.isOpen()) openAtEnd++;
      Result result =
          result(connected, failed, allUpAt, connectSeconds, openAtEnd, created, setupFailed, active.size());
      report(result);
      return result;
    }

    private record SetupOutcome(int created, String firstFailure) {}

    private SetupOutcome createConversations(int[] senders, int[] receivers, String[] ids) throws InterruptedException {
      int m = ids.length;
      Semaphore permits = new Semaphore(o.setupConcurrency());
      AtomicReference<String> firstFailure = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(m);
      for (int j = 0; j < m; j++) {
        if (!permits.tryAcquire(60, TimeUnit.SECONDS)) {
          firstFailure.compareAndSet(null, "setup stalled: no REST answer for 60 s");
          break;
        }
        int index = j;
        String body =
            "{\"type\":\"direct\",\"userId\":" + quote(clients[receivers[j]].userId) + "}";
        HttpRequest request =
            HttpRequest.POST(baseUrl + "/api/conversations")
                .addHeader(Authorization.oauth2(tokens[senders[j]]))
                .withEntity(ContentTypes.APPLICATION_JSON, body);
        http.singleRequest(request)
            .thenCompose(
                response ->
                    response
                        .entity()
                        .toStrict(10_000, materializer)
                        .thenApply(
                            entity -> {
                              String text = entity.getData().utf8String();
                              if (response.status().intValue() / 100 != 2) {
                                throw new IllegalStateException("HTTP " + response.status().intValue() + " " + text);
                              }
                              return text;
                            }))
            .toCompletableFuture()
            .orTimeout(30, TimeUnit.SECONDS)
            .whenComplete(
                (text, failure) -> {
                  try {
                    if (failure == null) {
                      String id = JSON.readTree(text).path("id").asText(null);
                      if (id == null) throw new IllegalStateException("no id in " + text);
                      ids[index] = id;
                    } else {
                      firstFailure.compareAndSet(null, String.valueOf(io.parley.http.ErrorHandling.unwrap(failure)));
                    }
                  } catch (Exception e) {
                    firstFailure.compareAndSet(null, String.valueOf(e));
                  } finally {
                    permits.release();
                    done.countDown();
                  }
                });
      }
      done.await(60, TimeUnit.SECONDS);
      int created = 0;
      for (String id : ids) if (id != null) created++;
      return new SetupOutcome(created, firstFailure.get());
    }

    private void connectAll() throws InterruptedException {
      Semaphore permits = new Semaphore(o.connectConcurrency());
      Duration timeout = Duration.ofSeconds(o.connectTimeoutSeconds());
      ScheduledFuture<?> progress = startProgress("connecting", () -> connectedCount() + " connected");
      try {
        for (LoadClient client : clients) {
          // Each attempt ends within its timeout, so a permit always comes back; the wait is only a guard.
          if (!permits.tryAcquire(o.connectTimeoutSeconds() + 30L, TimeUnit.SECONDS)) {
            client.connected.completeExceptionally(new IllegalStateException("not attempted"));
            continue;
          }
          client
              .open(tokens[client.index], timeout)
              .whenComplete(
                  (ok, failure) -> {
                    if (failure != null) {
                      connectFailures.computeIfAbsent(reason(failure), r -> new LongAdder()).increment();
                    }
                    permits.release();
                  });
        }
        // Every attempt started ends (connected, failed or timed out) within its timeout.
        long deadline = System.nanoTime() + timeout.plusSeconds(5).toNanos();
        for (LoadClient client : clients) {
          long left = deadline - System.nanoTime();
          try {
            client.connected.get(Math.max(1, left), TimeUnit.NANOSECONDS);
          } catch (Exception ignored) {
            // Counted in connectFailures, or timed out below.
          }
        }
      } finally {
        progress.cancel(false);
      }
    }

    private int connectedCount() {
      int n = 0;
      for (LoadClient c : clients) if (c.connected.isDone() && !c.connected.isCompletedExceptionally()) n++;
      return n;
    }

    private int openCount() {
      int n = 0;
      for (LoadClient c : clients) if (c.isOpen()) n++;
      return n;
    }

    /** A protocol ping from every open connection once per heartbeat, spread evenly over the heartbeat's seconds. */
    private ScheduledFuture<?> startPinger() {
      int slots = (int) Math.max(1, heartbeatMs.get() / 1000);
      AtomicLong tick = new AtomicLong();
      return scheduler.scheduleAtFixedRate(
          () -> {
            int slot = (int) (tick.getAndIncrement() % slots);
            for (int i = slot; i < clients.length; i += slots) {
              if (clients[i].isOpen()) clients[i].send("{\"type\":\"ping\"}");
            }
          },
          1, 1, TimeUnit.SECONDS);
    }

    private void holdIdle() throws InterruptedException {
      out.printf(Locale.ROOT, "idle: holding %d connections for %d s%n", openCount(), o.seconds());
      ScheduledFuture<?> progress = startProgress("idle", () -> openCount() + " open");
      cpuAtWindowStart = processCpuNanos();
      Thread.sleep(o.seconds() * 1000L);
      cpuAtWindowEnd = processCpuNanos();
      progress.cancel(false);
      out.printf(Locale.ROOT, "idle: %d connections still open at %s%n", openCount(), Instant.now());
    }

    private void load(List<Integer> active, int[] senders, String[] ids) throws Exception {
      int n = active.size();
      LoadClient[] from = new LoadClient[n];
      String[] framePrefix = new String[n];
      Map<Integer, Integer> perSender = new HashMap<>();
      for (int k = 0; k < n; k++) {
        int j = active.get(k);
        from[k] = clients[senders[j]];
        framePrefix[k] = "{\"type\":\"send\",\"conversationId\":" + quote(ids[j]) + ",\"clientMsgId\":\"lg";
        perSender.merge(senders[j], 1, Integer::sum);
      }
      int busiest = perSender.values().stream().mapToInt(Integer::intValue).max().orElse(1);
      double busiestRate = o.rate() * (double) busiest / n;
      out.printf(
          Locale.ROOT,
          "load: %d conversations with both sides connected, %d senders, %.1f msg/s per conversation, busiest sender %.1f frames/s%n",
          n, perSender.size(), o.rate() / (double) n, busiestRate);
      if (busiestRate > SERVER_FRAMES_PER_SECOND) {
        out.printf(
            Locale.ROOT,
            "warning: above Parley's default %d frames/s per session; expect rate_limited errors (add clients or conversations)%n",
            SERVER_FRAMES_PER_SECOND);
      }

      long start = System.nanoTime() - origin;
      long warmupNanos = TimeUnit.SECONDS.toNanos(o.warmup());
      long end = start + warmupNanos + TimeUnit.SECONDS.toNanos(o.seconds());
      windowStart = start + warmupNanos;
      windowEnd = end;
      scheduler.schedule(() -> cpuAtWindowStart = processCpuNanos(), warmupNanos, TimeUnit.NANOSECONDS);
      scheduler.schedule(() -> cpuAtWindowEnd = processCpuNanos(), end - start, TimeUnit.NANOSECONDS);
      double perNano = o.rate() / 1e9;
      long periodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(TimeUnit.MILLISECONDS.toNanos(10),
          (long) (1e9 / o.rate())));
      CountDownLatch finished = new CountDownLatch(1);
      long[] issued = {0};
      ScheduledFuture<?> ticker =
          scheduler.scheduleAtFixedRate(
              () -> {
                long now = System.nanoTime() - origin;
                long until = Math.min(now, end);
                long due = (long) ((until - start) * perNano);
                while (issued[0] < due) {
                  long seq = issued[0]++;
                  int k = (int) (seq % n);
                  long t = System.nanoTime() - origin;
                  String frame =
                      framePrefix[k] + seq + "." + t + "\",\"content\":\"load test message " + seq
                          + "\",\"metadata\":{\"t\":" + t + "}}";
                  if (from[k].send(frame)) {
                    sentTotal.incrementAndGet();
                    if (t >= windowStart && t < windowEnd) sentInWindow.incrementAndGet();
                  } else {
                    sendsRefused.increment();
                  }
                }
                if (now >= end) finished.countDown();
              },
              0, periodNanos, TimeUnit.NANOSECONDS);
      ScheduledFuture<?> progress =
          startProgress(
              "load",
              () ->
                  String.format(
                      Locale.ROOT, "sent %d, acked %d, delivered %d, errors %d, open %d",
                      sentTotal.get(), acks.sum(), deliveredTotal.sum(), errorFrames.sum(), openCount()));
      boolean ended = finished.await(o.warmup() + o.seconds() + 30L, TimeUnit.SECONDS);
      ticker.cancel(false);
      if (!ended) out.println("load: the ticker did not finish in time; stopped it");

      // Drain: wait for the messages and acks still in flight, within --drain seconds.
      long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.drainSeconds());
      while (System.nanoTime() < drainUntil
          && (deliveredTotal.sum() < sentTotal.get() || acks.sum() < sentTotal.get())) {
        Thread.sleep(20);
      }
      progress.cancel(false);
    }

    private ScheduledFuture<?> startProgress(String phase, java.util.function.Supplier<String> line) {
      if (o.progressSeconds() == 0) return scheduler.schedule(() -> {}, 0, TimeUnit.SECONDS);
      long t0 = System.nanoTime();
      return scheduler.scheduleAtFixedRate(
          () -> out.printf(Locale.ROOT, "  [%s +%.0fs] %s%n", phase, seconds(System.nanoTime() - t0), line.get()),
          o.progressSeconds(), o.progressSeconds(), TimeUnit.SECONDS);
    }

    /** The few top-level fields of a server frame the generator looks at. */
    private record Frame(String type, String senderId, String clientMsgId, String code, long heartbeatMs) {}

    /** Reads only the top-level fields it needs and skips the rest (content, metadata, ...) without building a tree. */
    private static Frame parse(String text) throws java.io.IOException {
      String type = null;
      String senderId = null;
      String clientMsgId = null;
      String code = null;
      long heartbeat = 0;
      try (JsonParser parser = JSON.getFactory().createParser(text)) {
        if (parser.nextToken() != JsonToken.START_OBJECT) throw new java.io.IOException("not an object");
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.getCurrentName();
          JsonToken value = parser.nextToken();
          switch (name) {
            case "type" -> type = parser.getValueAsString();
            case "senderId" -> senderId = parser.getValueAsString();
            case "clientMsgId" -> clientMsgId = parser.getValueAsString();
            case "code" -> code = parser.getValueAsString();
            case "heartbeatMs" -> heartbeat = parser.getValueAsLong(0);
            default -> {
              if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) parser.skipChildren();
            }
          }
        }
      }
      return new Frame(type == null ? "" : type, senderId, clientMsgId == null ? "" : clientMsgId, code, heartbeat);
    }

    private void onFrame(LoadClient client, String text) {
      long now = System.nanoTime() - origin;
      Frame frame;
      try {
        frame = parse(text);
      } catch (Exception e) {
        errorCodes.computeIfAbsent("unparsable_frame", c -> new LongAdder()).increment();
        errorFrames.increment();
        return;
      }
      switch (frame.type()) {
        case "connected" -> {
          if (frame.heartbeatMs() > 0) heartbeatMs.accumulateAndGet(frame.heartbeatMs(), Math::min);
          client.markConnected();
        }
        case "sent" -> {
          acks.increment();
          long t = sendTime(frame.clientMsgId());
          if (t >= windowStart && t < windowEnd) ackLatency.record(now - t);
        }
        case "message" -> {
          if (client.userId.equals(frame.senderId())) {
            ownEchoes.increment();
            return;
          }
          long t = sendTime(frame.clientMsgId());
          if (t < 0) return;
          deliveredTotal.increment();
          if (t >= windowStart && t < windowEnd) {
            deliveredInWindow.increment();
            latency.record(now - t);
          }
        }
        case "error" -> {
          errorFrames.increment();
          errorCodes.computeIfAbsent(frame.code() == null ? "?" : frame.code(), c -> new LongAdder()).increment();
        }
        case "pong" -> pongs.increment();
        default -> {
          // presence, receipts and the like: not measured.
        }
      }
    }

    /** The send time carried in a clientMsgId {@code lg<seq>.<nanos since origin>}, or -1. */
    private static long sendTime(String clientMsgId) {
      if (!clientMsgId.startsWith("lg")) return -1;
      int dot = clientMsgId.lastIndexOf('.');
      if (dot < 0) return -1;
      try {
        return Long.parseLong(clientMsgId, dot + 1, clientMsgId.length(), 10);
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    private Result result(
        int connected, int failed, Instant allUpAt, double connectSeconds, int openAtEnd,
        int created, int setupFailed, int active) {
      long sent = sentInWindow.get();
      long delivered = deliveredInWindow.sum();
      double window = o.seconds();
      return new Result(
          o.clients(),
          connected,
          failed,
          snapshot(connectFailures),
          allUpAt,
          connectSeconds,
          openAtEnd,
          o.sourceAddresses(),
          created,
          setupFailed,
          active,
          sent,
          acks.sum(),
          delivered,
          Math.max(0, sent - delivered),
          sent / window,
          delivered / window,
          ms(latency.percentile(50)),
          ms(latency.percentile(99)),
          ms(latency.percentile(99.9)),
          ms(latency.max()),
          ms(ackLatency.percentile(50)),
          ms(ackLatency.percentile(99)),
          errorFrames.sum(),
          snapshot(errorCodes),
          sendsRefused.sum(),
          unexpectedCloses.sum(),
          cpuAtWindowStart >= 0 && cpuAtWindowEnd >= 0 ? seconds(cpuAtWindowEnd - cpuAtWindowStart) : Double.NaN);
    }

    private void printHeader() {
      out.printf(
          Locale.ROOT, "Parley load generator: %s, %d clients, %d conversations, %s%n",
          wsUrl, o.clients(), o.conversations(),
          o.rate() == 0
              ? "idle connections held " + o.seconds() + " s"
              : o.rate() + " msg/s, " + o.warmup() + " s warm-up + " + o.seconds() + " s measured");
      String last = "127.0.0." + Math.min(o.sourceAddresses(), o.clients());
      out.printf(
          Locale.ROOT,
          "client: %d source address%s (127.0.0.1%s), ephemeral ports %s, fd limit %s, %d cpus, max heap %.1f GiB, users %s0..%s%d%n",
          Math.min(o.sourceAddresses(), o.clients()), o.sourceAddresses() == 1 ? "" : "es",
          o.sourceAddresses() == 1 ? "" : " .. " + last, ephemeralPorts(), fdLimit(),
          Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / (double) (1L << 30),
          o.userPrefix(), o.userPrefix(), o.clients() - 1);
      out.println(
          o.client() == ClientKind.NIO
              ? "websocket client: nio, one selector thread for all connections"
              : "websocket client: akka, the Akka HTTP client with a stream per connection");
    }

    private void report(Result r) {
      out.println("---- result ----");
      out.printf(
          Locale.ROOT, "connections: %d requested, %d opened, %d failed%s; %d open at the end; %d source address%s%n",
          r.clientsRequested(), r.connected(), r.connectFailed(), describeLongs(r.connectFailures()),
          r.openAtEnd(), r.sourceAddresses(), r.sourceAddresses() == 1 ? "" : "es");
      out.printf(
          Locale.ROOT, "%s: %s (epoch ms %d), connect phase %.1f s%n",
          r.connectFailed() == 0 ? "all up at" : "connect phase ended at",
          r.allUpAt(), r.allUpAt().toEpochMilli(), r.connectSeconds());
      if (o.rate() > 0) {
        out.printf(
            Locale.ROOT, "conversations: %d created, %d failed, %d active%n",
            r.conversationsCreated(), r.conversationsFailed(), r.activeConversations());
        out.printf(
            Locale.ROOT,
            "messages in the %d s window: %d sent (%.1f/s), %d delivered (%.1f/s), %d not delivered; %d sent acks in all%n",
            o.seconds(), r.sent(), r.sentPerSecond(), r.delivered(), r.deliveredPerSecond(), r.lost(), r.acked());
        out.printf(
            Locale.ROOT, "latency send -> message (ms): p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  (n=%d, mean %.2f)%n",
            r.p50Ms(), r.p99Ms(), r.p999Ms(), r.maxMs(), latency.count(), latency.mean() / 1e6);
        out.printf(
            Locale.ROOT, "latency send -> sent ack (ms): p50 %.2f  p99 %.2f  (n=%d)%n",
            r.ackP50Ms(), r.ackP99Ms(), ackLatency.count());
        out.printf(
            Locale.ROOT, "totals incl. warm-up and drain: %d sent, %d acked, %d delivered, %d own echoes%n",
            sentTotal.get(), acks.sum(), deliveredTotal.sum(), ownEchoes.sum());
      }
      out.printf(
          Locale.ROOT, "generator CPU in the %d s %s: %.1f s, %.0f %% of one core (%s client)%n",
          o.seconds(), o.rate() > 0 ? "window" : "hold", r.generatorCpuSeconds(),
          r.generatorCpuPercent(o.seconds()), o.client().name().toLowerCase(Locale.ROOT));
      out.printf(
          Locale.ROOT, "errors: %d error frames%s, %d sends refused (client queue full or closed), %d unexpected closes, %d total%n",
          r.errorFrames(), describeLongs(r.errorCodes()), r.sendsRefused(), r.unexpectedCloses(), r.errors());
      if (r.connectFailed() > 0) {
        out.println(
            "hint: check ulimit -n on both sides, --source-addresses for more than one address's ephemeral ports, "
                + "and --connect-timeout / --connect-concurrency when the server is slow to accept");
      }
    }

    void shutdown() {
      stopping = true;
      scheduler.shutdownNow();
      for (LoadClient c : clients) c.close();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      for (LoadClient c : clients) {
        long left = until - System.nanoTime();
        if (left <= 0) break;
        try {
          c.closed.get(left, TimeUnit.NANOSECONDS);
        } catch (Exception ignored) {
          // Torn down with the actor system.
        }
      }
      if (loop != null) loop.close();
      stopAkka();
    }

    private void stopAkka() {
      if (system.whenTerminated().isCompleted()) return;
      try {
        http.shutdownAllConnectionPools().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // Torn down with the actor system.
      }
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(15, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // The JVM exits anyway.
      }
    }
  }

  /** The IPv4 loopback address {@code host} names; anything outside 127.0.0.0/8 is refused. */
  static InetAddress loopbackV4(String host) throws java.net.UnknownHostException {
    for (InetAddress a : InetAddress.getAllByName(host)) {
      if (a instanceof Inet4Address && (a.getAddress()[0] & 0xff) == 127) return a;
    }
    throw new IllegalArgumentException("the load generator only talks to 127.0.0.0/8; " + host + " is not there");
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String reason(Throwable failure) {
    Throwable t = io.parley.http.ErrorHandling.unwrap(failure);
    if (t instanceof java.util.concurrent.TimeoutException) return "timeout";
    while (t.getCause() != null && t.getCause() != t) t = t.getCause(); // "Connection failed." wraps the real cause
    String message = t.getMessage() == null ? "" : t.getMessage();
    // Akka's "Tcp command [Connect(...)] failed because of java.net.ConnectException: Connection refused"
    int because = message.lastIndexOf("because of ");
    if (because >= 0) return truncate(message.substring(because + "because of ".length()));
    if (t instanceof IllegalStateException && !message.isEmpty()) return truncate(message);
    String name = t.getClass().getSimpleName();
    return message.isEmpty() ? name : truncate(name + ": " + message);
  }

  private static String truncate(String s) {
    return s.length() > 100 ? s.substring(0, 100) : s;
  }

  private static Map<String, Long> snapshot(Map<String, LongAdder> counters) {
    Map<String, Long> copy = new TreeMap<>();
    counters.forEach((k, v) -> copy.put(k, v.sum()));
    return copy;
  }

  private static String describe(Map<String, LongAdder> counters) {
    return describeLongs(snapshot(counters));
  }

  private static String describeLongs(Map<String, Long> counts) {
    if (counts.isEmpty()) return "";
    StringBuilder b = new StringBuilder(" (");
    counts.forEach((k, v) -> b.append(b.length() > 2 ? ", " : "").append(k).append(": ").append(v));
    return b.append(')').toString();
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static String ephemeralPorts() {
    try {
      // Files.readString trusts the size procfs reports and can return a truncated line; read it as a stream.
      String line;
      try (var reader = Files.newBufferedReader(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
        line = reader.readLine();
      }
      String[] range = line.trim().split("\\s+");
      int low = Integer.parseInt(range[0]);
      int high = Integer.parseInt(range[1]);
      return low + "-" + high + " (" + (high - low + 1) + " per source address)";
    } catch (Exception e) {
      return "unknown";
    }
  }

  /** CPU time of the whole JVM, every thread, as ps counts it; -1 where the JVM cannot tell. */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  private static String fdLimit() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      return String.valueOf(unix.getMaxFileDescriptorCount());
    }
    return "unknown";
  }
}
