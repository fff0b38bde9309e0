package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.Supplier;

/** Waits for something asynchronous (a projection, a push) to become true, failing with what was last seen. */
public final class Eventually {
  private Eventually() {}

  public static <T> T await(String what, Supplier<T> probe, java.util.function.Predicate<T> done) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    T last = probe.get();
    while (!done.test(last)) {
      assertThat(System.nanoTime()).as(what + " within 20 s; last seen: " + last).isLessThan(deadline);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      last = probe.get();
    }
    return last;
  }
}
