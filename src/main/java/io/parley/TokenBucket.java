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
    long now = System.nanoTime();
    tokens = Math.min(burst, tokens + (now - refilledAt) * ratePerNano);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  /** How long until the next token, after {@link #tryTake} refused one. */
  public java.time.Duration untilNext() {
    return java.time.Duration.ofNanos((long) Math.ceil((1 - tokens) / ratePerNano));
  }
}
