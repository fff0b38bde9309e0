package io.parley.push;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.Extension;
import akka.actor.typed.ExtensionId;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Push results of this node since it started, one counter per outcome; read by /api/health. */
public final class PushStats implements Extension {
  private final Map<PushOutcome, AtomicLong> outcomes = new EnumMap<>(PushOutcome.class);
  /** Calls that left the process: one per multicast of up to 500 tokens, or per topic message. */
  public final AtomicLong calls = new AtomicLong();

  private PushStats() {
    for (PushOutcome outcome : PushOutcome.values()) outcomes.put(outcome, new AtomicLong());
  }

  public void record(PushOutcome outcome) {
    outcomes.get(outcome).incrementAndGet();
  }

  public long count(PushOutcome outcome) {
    return outcomes.get(outcome).get();
  }

  /** Every outcome's counter by reason, zeros included: what the node's metrics publish. */
  public Map<String, java.util.function.Supplier<Number>> countersByReason() {
    Map<String, java.util.function.Supplier<Number>> counters = new LinkedHashMap<>();
    outcomes.forEach((outcome, count) -> counters.put(outcome.reason(), count::get));
    return counters;
  }

  /** The outcomes seen so far, by reason. */
  public Map<String, Long> byReason() {
    Map<String, Long> seen = new LinkedHashMap<>();
    outcomes.forEach((outcome, count) -> {
      if (count.get() > 0) seen.put(outcome.reason(), count.get());
    });
    return seen;
  }

  public static PushStats get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  private static final class Id extends ExtensionId<PushStats> {
    static final Id INSTANCE = new Id();

    @Override
    public PushStats createExtension(ActorSystem<?> system) {
      return new PushStats();
    }
  }
}
