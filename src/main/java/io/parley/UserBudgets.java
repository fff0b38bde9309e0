package io.parley;

import com.typesafe.config.Config;
import io.parley.api.ApiException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * A budget per user on this node: a token bucket each, so that one user's script cannot take the node's capacity
 * (its admission limit, its journal) from everyone else. Used for REST requests, and for the recipients a user's
 * messages reach.
 *
 * <p>Per node rather than cluster-wide: asking a user entity on every request would cost more than most requests. A
 * user whose requests are spread over n nodes gets up to n budgets. A user's bucket is forgotten once it is full again,
 * since a fresh one is the same; the map is swept whenever it has doubled since the last sweep, so it holds little more
 * than the users whose budget is still being paid back.
 */
public final class UserBudgets {
  private static final int MIN_SWEEP_SIZE = 1024;

  private final double perSecond;
  private final int burst;
  private final LongSupplier nanoClock;
  private final ConcurrentHashMap<String, TokenBucket> buckets = new ConcurrentHashMap<>();
  private final AtomicBoolean sweeping = new AtomicBoolean();
  private volatile int sweepAt = MIN_SWEEP_SIZE;

  /** {@code perSecond} 0 turns the budget off. */
  public UserBudgets(double perSecond, int burst) {
    this(perSecond, burst, System::nanoTime);
  }

  /** Buckets refilled by {@code nanoClock}, read as {@link System#nanoTime()} is: a test moves it by hand. */
  public UserBudgets(double perSecond, int burst, LongSupplier nanoClock) {
    if (perSecond < 0 || (perSecond > 0 && burst < 1)) {
      throw new IllegalArgumentException("a budget's rate must be >= 0, and its burst >= 1");
    }
    this.perSecond = perSecond;
    this.burst = burst;
    this.nanoClock = nanoClock;
  }

  /** From the keys {@code rate} and {@code burst} of {@code config}. */
  public static UserBudgets fromConfig(Config config, String rate, String burst) {
    return new UserBudgets(config.getDouble(rate), config.getInt(burst));
  }

  /** Whether this budget limits anything: a rate of 0 turns it off. */
  public boolean isOn() {
    return perSecond > 0;
  }

  /** Takes one from the user's budget, or throws {@code rate_limited}, saying {@code what} and when to retry. */
  public void take(String userId, String what) {
    take(userId, 1, what);
  }

  /**
   * Takes {@code amount} (at most a burst needs to be there: more leaves the budget in debt), or throws
   * {@code rate_limited}. For work whose cost is known only once done, take the most it may cost, then
   * {@link #adjust} by what it did cost.
   */
  public void take(String userId, double amount, String what) {
    if (perSecond == 0) return;
    Duration refusedFor = update(userId, bucket -> bucket.tryTake(amount) ? null : bucket.untilAvailable(amount));
    if (refusedFor != null) throw ApiException.rateLimited(what, refusedFor);
  }

  /** Takes {@code delta} more from the user's budget, into debt if need be, or gives as much back if negative. */
  public void adjust(String userId, double delta) {
    if (perSecond == 0 || delta == 0) return;
    update(userId, bucket -> {
      bucket.adjust(delta);
      return null;
    });
  }

  /** Users this node holds a budget for. */
  public int trackedUsers() {
    return buckets.size();
  }

  private Duration update(String userId, java.util.function.Function<TokenBucket, Duration> change) {
    Duration[] refusedFor = new Duration[1];
    // compute holds the key's bin while the bucket changes, so a sweep never drops a bucket mid-change.
    buckets.compute(
        userId,
        (id, bucket) -> {
          TokenBucket current = bucket != null ? bucket : new TokenBucket(perSecond, burst, nanoClock);
          refusedFor[0] = change.apply(current);
          return current;
        });
    if (buckets.size() >= sweepAt && sweeping.compareAndSet(false, true)) {
      try {
        sweep();
      } finally {
        sweeping.set(false);
      }
    }
    return refusedFor[0];
  }

  private void sweep() {
    buckets.forEach((id, bucket) -> buckets.computeIfPresent(id, (key, current) -> current.isFull() ? null : current));
    sweepAt = Math.max(MIN_SWEEP_SIZE, buckets.size() * 2);
  }
}
