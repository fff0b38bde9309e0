package io.parley;

/** A token bucket: {@code rate} tokens a second on average, at most {@code burst} at once. Not thread-safe. */
public final class TokenBucket {
  private final double ratePerNano;
  private final double burst;
  private double tokens;
  private long refilledAt = System.nanoTime();

  public TokenBucket(double perSecond, int burst) {
    this.ratePerNano = perSecond / 1e9;
    this.burst = burst;
    this.tokens = burst;
  }

  public boolean tryTake() {
    refill();
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  /** Whether one could be taken now. */
  public boolean hasToken() {
    refill();
    return tokens >= 1;
  }

  /** Takes {@code amount} whatever is left, going into debt down to minus one burst at most. */
  public void charge(double amount) {
    refill();
    tokens = Math.max(-burst, tokens - amount);
  }

  /** Whether a whole burst could be taken now: nothing taken is still to be paid back. */
  public boolean isFull() {
    refill();
    return tokens >= burst;
  }

  private void refill() {
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
    refilledAt = now;
  }

  /** How long until the next token, after {@link #tryTake} refused one. */
  public java.time.Duration untilNext() {
    return java.time.Duration.ofNanos((long) Math.ceil((1 - tokens) / ratePerNano));
  }
}
