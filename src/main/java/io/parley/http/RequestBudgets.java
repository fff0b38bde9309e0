package io.parley.http;

import com.typesafe.config.Config;
import io.parley.TokenBucket;
import io.parley.api.ApiException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Each user's budget of REST requests on this node, so that one user's script cannot take the node's capacity (its
 * admission limit, its journal) from everyone else. A WebSocket has budgets of its own, per session.
 *
 * <p>Per node rather than cluster-wide: asking a user entity on every request would cost more than most requests. A
 * user whose requests are spread over n nodes gets up to n budgets. A user's bucket is forgotten once it is full again,
 * since a fresh one is the same; the map is swept whenever it has doubled since the last sweep, so it holds little more
 * than the users whose budget is still being paid back.
 */
public final class RequestBudgets {
  private static final int MIN_SWEEP_SIZE = 1024;

  private final double perSecond;
  private final int burst;
  private final ConcurrentHashMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile int sweepAt = MIN_SWEEP_SIZE;

  /** {@code perSecond} 0 turns the budget off. */
  public RequestBudgets(double perSecond, int burst) {
    if (perSecond < 0 || (perSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException("requests-per-second must be >= 0 and burst >= 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** From {@code parley.http.rate-limit}. */
  public static RequestBudgets fromConfig(Config http) {
    return new RequestBudgets(http.getDouble("rate-limit.requests-per-second"), http.getInt("rate-limit.burst"));
  }

  /** Takes one request from the user's budget, or throws {@code rate_limited} saying when one will be there. */
  public void take(String userId) {
    if (perSecond == 0) return;
    Duration[] refusedFor = new Duration[1];
    // compute holds the key's bin while the bucket changes, so a sweep never drops a bucket mid-take.
    buckets.compute(
        userId,
        (id, bucket) -> {
          TokenBucket current = bucket != null ? bucket : new TokenBucket(perSecond, burst);
          if (!current.tryTake()) refusedFor[0] = current.untilNext();
          return current;
        });
    if (buckets.size() >= sweepAt && sweeping.compareAndSet(false, true)) {
      try {
        sweep();
      } finally {
        sweeping.set(false);
      }
    }
    if (refusedFor[0] != null) throw ApiException.rateLimited("too many requests", refusedFor[0]);
  }

  /** Users this node holds a budget for. */
  public int trackedUsers() {
    return buckets.size();
  }

  private void sweep() {
    buckets.forEach((id, bucket) -> buckets.computeIfPresent(id, (key, current) -> current.isFull() ? null : current));
    sweepAt = Math.max(MIN_SWEEP_SIZE, buckets.size() * 2);
  }
}
