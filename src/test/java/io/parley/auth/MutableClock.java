package io.parley.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that tests move by hand, so that expiry and cache lifetimes need no sleeping; with a monotonic reading
 * ({@link #nanoTime}) that moves with it but not when the wall clock alone is stepped.
 */
final class MutableClock extends Clock {
  private volatile Instant now;
  private volatile long nanos;

  MutableClock(Instant start) {
    this.now = start;
  }

  /** Time passes: the wall clock and the monotonic reading move together. */
  void advance(Duration duration) {
    now = now.plus(duration);
    nanos += duration.toNanos();
  }

  /** The wall clock alone is set, as NTP or an operator would; no time passes. */
  void stepWallClock(Duration by) {
    now = now.plus(by);
  }

  long nanoTime() {
    return nanos;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("tests use UTC");
  }
}
