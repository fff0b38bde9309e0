package io.parley;

import java.util.function.LongSupplier;

/** A token bucket: {@code rate} tokens a second on average, at most {@code burst} at once. Not thread-safe. */
public final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private final LongSupplier nanoClock;
  private double tokens;
  private long refilledAt;

  public TokenBucket(double perSecond, int burst) {
    this(perSecond, burst, System::nanoTime);
  }

  /** Refilled by {@code nanoClock}, read as {@link System#nanoTime()} is: a test moves it by hand. */
  public TokenBucket(double perSecond, int burst, LongSupplier nanoClock) {
    this.ratePerNano = perSecond / 1e9;
    this.burst = burst;
    this.nanoClock = nanoClock;
    this.tokens = burst;
    this.refilledAt = nanoClock.getAsLong();
  }

  public boolean tryTake() {
    return tryTake(1);
  }

  /**
   * Takes {@code amount} if that many are there; an amount larger than the burst needs a full bucket, and leaves it
   * in debt.
   */
  public boolean tryTake(double amount) {
    refill();
    if (tokens < Math.min(amount, burst)) return false;
    tokens -= amount;
    return true;
  }

  /** Takes {@code delta} more whatever is left (into debt), or gives back as much if it is negative. */
  public void adjust(double delta) {
    refill();
    tokens = Math.min(burst, tokens - delta);
  }

  /** Whether a whole burst could be taken now: nothing taken is still to be paid back. */
  public boolean isFull() {
    refill();
    return tokens >= burst;
  }

  private void refill() {
    long now = nanoClock.getAsLong();
    tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
    refilledAt = now;
  }

  /** How long until the next token, after {@link #tryTake} refused one. */
  public java.time.Duration untilNext() {
    return untilAvailable(1);
  }

  /** How long until {@link #tryTake(double)} would take {@code amount}. */
  public java.time.Duration untilAvailable(double amount) {
    return java.time.Duration.ofNanos((long) Math.ceil((Math.min(amount, burst) - tokens) / ratePerNano));
  }
}
