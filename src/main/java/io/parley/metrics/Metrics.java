package io.parley.metrics;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import akka.actor.typed.javadsl.AskPattern;
import akka.cluster.sharding.typed.GetShardRegionState;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.cluster.sharding.ShardRegion;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * This node's metrics in Prometheus' text format, through Micrometer: the gateway's connections, online users and
 * frames, persist and delivery latency, push results by reason, webhooks by outcome, shards per entity type, and
 * the JVM. One registry per actor system, so that nodes sharing a JVM in tests keep theirs apart.
 */
public final class Metrics implements Extension {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer persistLatency;
  private final Timer deliveryLatency;
  private final Counter shed;
  private final Map<String, Counter> webhooks = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> shards = new ConcurrentHashMap<>();
  // Micrometer holds what a gauge or function counter reads only weakly; a supplier made for it would be collected.
  private final List<Object> readFrom = new java.util.concurrent.CopyOnWriteArrayList<>();

  private Metrics(ActorSystem<?> system) {
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    shed =
        Counter.builder("parley.conversation.shed")
            .description("Requests to conversations refused at once because the node was at its admission limit")
            .register(registry);
    GatewayStats gateway = GatewayStats.get(system);
    Gauge.builder("parley.connections", gateway.connections, Number::doubleValue)
        .description("Open WebSocket connections on this node")
        .register(registry);
    Gauge.builder("parley.online.users", gateway.onlineUsers, Number::doubleValue)
        .description("Users with a session whose entity lives on this node")
        .register(registry);
    FunctionCounter.builder("parley.frames.in", gateway.framesIn, Number::doubleValue)
        .description("WebSocket frames received from clients")
        .register(registry);
    FunctionCounter.builder("parley.frames.out", gateway.framesOut, Number::doubleValue)
        .description("WebSocket frames sent to clients")
        .register(registry);

    persistLatency =
        Timer.builder("parley.persist.latency")
            .description("From a message posted to its reply: stored in the journal")
            .publishPercentileHistogram()
            .register(registry);
    deliveryLatency =
        Timer.builder("parley.delivery.latency")
            .description("From a message stored to its frame written for a device")
            .publishPercentileHistogram()
            .register(registry);
  }

  /**
   * Counters kept elsewhere (push results, say), one per value of {@code tag}, read when scraped. Metrics depends on no
   * feature: each registers what it counts.
   */
  public void countersByTag(String name, String description, String tag, Map<String, Supplier<Number>> byValue) {
    readFrom.addAll(byValue.values());
    byValue.forEach(
        (value, count) ->
            FunctionCounter.builder(name, count, c -> c.get().doubleValue())
                .description(description)
                .tag(tag, value)
                .register(registry));
  }

  /** A count kept elsewhere, read when scraped. */
  public void counter(String name, String description, Supplier<Number> count) {
    readFrom.add(count);
    FunctionCounter.builder(name, count, c -> c.get().doubleValue()).description(description).register(registry);
  }

  public void shed() {
    shed.increment();
  }

  /** The current admission limit of asks to conversations (parley.conversation.admission). */
  public void admissionLimit(Supplier<Number> limit) {
    readFrom.add(limit);
    Gauge.builder("parley.conversation.admission.limit", limit, l -> l.get().doubleValue())
        .description("Asks to conversations this node lets wait at once, adapted to how fast they are answered")
        .register(registry);
  }

  public void persisted(Duration took) {
    persistLatency.record(took);
  }

  public void delivered(Duration sinceStored) {
    if (!sinceStored.isNegative()) deliveryLatency.record(sinceStored);
  }

  /** A webhook answered: {@code accepted}, {@code duplicate}, or the error code it was refused with. */
  public void webhook(String outcome) {
    webhooks
        .computeIfAbsent(
            outcome,
            o -> Counter.builder("parley.webhooks").description("Webhooks by outcome").tag("outcome", o).register(registry))
        .increment();
  }

  /** Counts the shards this node hosts for each entity type, refreshed every {@code refresh}. */
  public void watchShards(ActorSystem<?> system, List<EntityTypeKey<?>> types, Duration refresh) {
    ClusterSharding sharding = ClusterSharding.get(system);
    for (EntityTypeKey<?> type : types) {
      AtomicInteger count = shards.computeIfAbsent(type.name(), n -> new AtomicInteger());
      Gauge.builder("parley.shards", count, AtomicInteger::get)
          .description("Shards hosted by this node")
          .tag("entity", type.name())
          .register(registry);
      system
          .scheduler()
          .scheduleAtFixedRate(
              refresh,
              refresh,
              () ->
                  AskPattern.<akka.cluster.sharding.typed.ClusterShardingQuery, ShardRegion.CurrentShardRegionState>ask(
                          sharding.shardState(),
                          replyTo -> new GetShardRegionState(type, replyTo),
                          Duration.ofSeconds(5),
                          system.scheduler())
                      .thenAccept(state -> count.set(state.getShards().size())),
              system.executionContext());
    }
  }

  /** The text Prometheus scrapes. */
  public String scrape() {
    return registry.scrape();
  }

  public static Metrics get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<Metrics> {
    static final Id INSTANCE = new Id();

    @Override
    public Metrics createExtension(ActorSystem<?> system) {
      return new Metrics(system);
    }
  }
}
