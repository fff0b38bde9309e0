package io.parley.conversation;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * How many asks to conversations one node lets wait at once, found by additive increase and multiplicative
 * decrease on how long the answers take.
 *
 * <p>A fixed ceiling is wrong both ways: what a node can have in flight depends on its cores, its database and how
 * warm it is. A cold node under a full load, with thousands of entities recovering and the JIT still compiling,
 * let 2,000 sends wait (well under a fixed 4,000) until its journal calls passed their 10 s timeout and the
 * journal's circuit breaker failed every write and recovery for the next 30 s. Here a slow answer shrinks the
 * limit by a tenth, so that the node refuses the excess ({@code unavailable}, safe to retry) before its journal
 * times out; each timely answer while the limit is in use grows it by one, back up to {@code max}.
 */
final class AdmissionLimit {
  private final int min;
  private final int max;
  private final long slowNanos;
  private double limit;
  private int inFlight;

  AdmissionLimit(int initial, int min, int max, Duration slowAnswer) {
    if (min < 1 || max < min) throw new IllegalArgumentException("need 1 <= min <= max, got " + min + ", " + max);
    this.min = min;
    this.max = max;
    this.slowNanos = slowAnswer.toNanos();
    this.limit = Math.max(min, Math.min(max, initial));
  }

  /** From {@code parley.conversation.admission}; {@code max-pending-asks} stays the ceiling. */
  static AdmissionLimit fromConfig(Config conversation) {
    int max = conversation.getInt("max-pending-asks");
    Config admission = conversation.getConfig("admission");
    int min = Math.min(max, admission.getInt("min-limit"));
    return new AdmissionLimit(
        admission.getInt("initial-limit"), min, max, admission.getDuration("slow-answer"));
  }

  /** Takes a place, or returns false when {@link #limit()} asks are already waiting. */
  synchronized boolean tryAcquire() {
    if (inFlight >= (int) limit) return false;
    inFlight++;
    return true;
  }

  /** Gives the place back, with how long its answer took. */
  synchronized void release(long answerNanos) {
    boolean busy = inFlight * 2 >= (int) limit;
    inFlight--;
    if (answerNanos > slowNanos) {
      limit = Math.max(min, limit * 0.9);
    } else if (busy) {
      // Growing only while the limit is in use keeps an idle node from drifting up to max untested.
      limit = Math.min(max, limit + 1);
    }
  }

  /**
   * Gives the place back of an ask that got no answer. It says nothing of this node's load: when another node dies,
   * every ask to its conversations times out until their shards move, and shrinking the limit for that refused
   * the sends to healthy conversations too (seen in the kill test). A node that is really behind answers slowly
   * before it stops answering, and those slow answers shrink the limit.
   */
  synchronized void releaseUnanswered() {
    inFlight--;
  }

  synchronized int limit() {
    return (int) limit;
  }

  synchronized int inFlight() {
    return inFlight;
  }
}
