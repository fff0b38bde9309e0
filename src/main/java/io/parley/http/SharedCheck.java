package io.parley.http;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A check that anyone may ask for as often as they like, run one at a time and at most once a {@code period}: a
 * caller gets the answer of the check in flight, or of the one that ended less than a period ago.
 */
final class SharedCheck {
  private static final Logger log = LoggerFactory.getLogger(SharedCheck.class);

  private final BooleanSupplier check;
  private final Executor executor;
  private final long periodNanos;
  private CompletableFuture<Boolean> latest;
  private long answeredAt;

  SharedCheck(BooleanSupplier check, Executor executor, Duration period) {
    this.check = check;
    this.executor = executor;
    this.periodNanos = period.toNanos();
  }

  synchronized CompletionStage<Boolean> answer() {
    boolean fresh = latest != null && (!latest.isDone() || System.nanoTime() - answeredAt < periodNanos);
    if (!fresh) latest = CompletableFuture.supplyAsync(this::run, executor);
    return latest;
  }

  /** A check that throws answers false, and is held for a period like any answer: a failing part is down. */
  private boolean run() {
    try {
      return check.getAsBoolean();
    } catch (RuntimeException failure) {
      log.warn("The check failed", failure);
      return false;
    } finally {
      // Before the future completes, so that no caller sees it done with the time of the answer before.
      synchronized (this) {
        answeredAt = System.nanoTime();
      }
    }
  }
}
