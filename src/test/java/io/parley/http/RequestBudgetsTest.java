package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Each user's REST budget on one node: refusals, independence, memory and many threads at once. */
class RequestBudgetsTest {
  private static final double ALMOST_NEVER = 0.001;

  private static boolean allowed(RequestBudgets budgets, String userId) {
    try {
      budgets.take(userId);
      return true;
    } catch (ApiException refused) {
      assertThat(refused.error()).isEqualTo(ApiError.RATE_LIMITED);
      return false;
    }
  }

  @Test
  void aBurstIsAllowedThenRefusedWithWhenToRetry() {
    RequestBudgets budgets = new RequestBudgets(2, 3);
    for (int i = 0; i < 3; i++) budgets.take("ana");
    assertThatThrownBy(() -> budgets.take("ana"))
        .isInstanceOfSatisfying(
            ApiException.class,
            refused -> {
              assertThat(refused.error()).isEqualTo(ApiError.RATE_LIMITED);
              assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(500));
              assertThat(refused.getMessage()).contains("retry in 1 s");
            });
  }

  @Test
  void tokensComeBackAtTheRate() throws InterruptedException {
    RequestBudgets budgets = new RequestBudgets(1000, 1);
    budgets.take("ana");
    assertThat(allowed(budgets, "ana")).isFalse();
    Thread.sleep(20);
    assertThat(allowed(budgets, "ana")).isTrue();
  }

  @Test
  void oneUserOverBudgetDoesNotSpendAnothersBudget() {
    RequestBudgets budgets = new RequestBudgets(ALMOST_NEVER, 2);
    budgets.take("ana");
    budgets.take("ana");
    assertThat(allowed(budgets, "ana")).isFalse();
    assertThat(allowed(budgets, "bo")).isTrue();
    assertThat(allowed(budgets, "bo")).isTrue();
  }

  @Test
  void zeroTurnsItOff() {
    RequestBudgets budgets = new RequestBudgets(0, 0);
    for (int i = 0; i < 10_000; i++) budgets.take("ana");
    assertThat(budgets.trackedUsers()).isZero();
  }

  @Test
  void fullBucketsAreForgottenAndDebtsAreNot() {
    RequestBudgets refilledAtOnce = new RequestBudgets(1e12, 1);
    for (int i = 0; i < 100_000; i++) refilledAtOnce.take("user-" + i);
    assertThat(refilledAtOnce.trackedUsers()).isLessThan(2048);

    RequestBudgets slow = new RequestBudgets(ALMOST_NEVER, 1);
    for (int i = 0; i < 3000; i++) slow.take("user-" + i);
    assertThat(slow.trackedUsers()).as("every user still owes their token").isEqualTo(3000);
    for (int i = 0; i < 3000; i += 97) assertThat(allowed(slow, "user-" + i)).as("user-" + i).isFalse();
  }

  @Test
  void manyThreadsTakeNoMoreThanTheBurst() throws InterruptedException {
    RequestBudgets budgets = new RequestBudgets(ALMOST_NEVER, 100);
    AtomicInteger granted = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < 1000; i++) {
                  if (allowed(budgets, "ana")) granted.incrementAndGet();
                  // Other users' requests make the map sweep while ana's bucket is being taken from.
                  allowed(budgets, "other-" + Thread.currentThread().getId() + "-" + i);
                }
              });
      threads.add(thread);
      thread.start();
    }
    start.countDown();
    for (Thread thread : threads) thread.join();
    assertThat(granted.get()).isEqualTo(100);
  }
}
