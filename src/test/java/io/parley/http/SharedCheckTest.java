package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A check asked for by everyone runs at most once a period, and a check that throws counts as down. */
class SharedCheckTest {
  @Test
  void aCheckThatThrowsIsDownAndRunsAtMostOnceAPeriod() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      SharedCheck check =
          new SharedCheck(
              () -> {
                runs.incrementAndGet();
                throw new IllegalStateException("the pool is closed");
              },
              executor,
              Duration.ofHours(1));
      for (int i = 0; i < 50; i++) {
        assertThat(check.answer().toCompletableFuture().get(5, TimeUnit.SECONDS)).isFalse();
      }
      assertThat(runs.get()).isEqualTo(1);
    } finally {
      executor.shutdownNow();
    }
  }
}
