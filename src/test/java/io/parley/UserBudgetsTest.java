package io.parley;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Each user's budget on one node: refusals, debts, independence, memory and many threads at once. */
class UserBudgetsTest {
  private static final double ALMOST_NEVER = 0.001;

  /** The buckets' clock, in nanoseconds: it stands still unless a test moves it. */
  private final AtomicLong clock = new AtomicLong();

  private static boolean allowed(UserBudgets budgets, String userId) {
    try {
      budgets.take(userId, "too many requests");
      return true;
    } catch (ApiException refused) {
      assertThat(refused.error()).isEqualTo(ApiError.RATE_LIMITED);
      return false;
    }
  }

  @Test
  void aBurstIsAllowedThenRefusedWithWhenToRetry() {
    UserBudgets budgets = new UserBudgets(2, 3, clock::get);
    for (int i = 0; i < 3; i++) budgets.take("ana", "too many requests");
    assertThatThrownBy(() -> budgets.take("ana", "too many requests"))
        .isInstanceOfSatisfying(
            ApiException.class,
            refused -> {
              assertThat(refused.error()).isEqualTo(ApiError.RATE_LIMITED);
              assertThat(refused.retryAfter().toMillis()).as("one token at 2 a second").isEqualTo(500);
              assertThat(refused.getMessage()).isEqualTo("too many requests; retry in 1 s");
            });
  }

  @Test
  void tokensComeBackAtTheRate() {
    UserBudgets budgets = new UserBudgets(1000, 1, clock::get);
    budgets.take("ana", "too many requests");
    assertThat(allowed(budgets, "ana")).isFalse();
    clock.addAndGet(Duration.ofMillis(1).toNanos() * 9 / 10);
    assertThat(allowed(budgets, "ana")).as("0.9 ms after, at one token a millisecond").isFalse();
    clock.addAndGet(Duration.ofMillis(1).toNanos() * 2 / 10);
    assertThat(allowed(budgets, "ana")).as("1.1 ms after").isTrue();
    assertThat(allowed(budgets, "ana")).as("the token just come back is taken").isFalse();
  }

  @Test
  void oneUserOverBudgetDoesNotSpendAnothersBudget() {
    UserBudgets budgets = new UserBudgets(ALMOST_NEVER, 2);
    budgets.take("ana", "too many requests");
    budgets.take("ana", "too many requests");
    assertThat(allowed(budgets, "ana")).isFalse();
    assertThat(allowed(budgets, "bo")).isTrue();
    assertThat(allowed(budgets, "bo")).isTrue();
  }

  @Test
  void zeroTurnsItOff() {
    UserBudgets budgets = new UserBudgets(0, 0);
    for (int i = 0; i < 10_000; i++) budgets.take("ana", "too many requests");
    assertThat(budgets.trackedUsers()).isZero();
  }

  @Test
  void fullBucketsAreForgottenAndDebtsAreNot() {
    UserBudgets refilledAtOnce = new UserBudgets(1e12, 1);
    for (int i = 0; i < 100_000; i++) refilledAtOnce.take("user-" + i, "too many requests");
    assertThat(refilledAtOnce.trackedUsers()).isLessThan(2048);

    UserBudgets slow = new UserBudgets(ALMOST_NEVER, 1);
    for (int i = 0; i < 3000; i++) slow.take("user-" + i, "too many requests");
    assertThat(slow.trackedUsers()).as("every user still owes their token").isEqualTo(3000);
    for (int i = 0; i < 3000; i += 97) assertThat(allowed(slow, "user-" + i)).as("user-" + i).isFalse();
  }

  @Test
  void manyThreadsTakeNoMoreThanTheBurst() throws InterruptedException {
    UserBudgets budgets = new UserBudgets(ALMOST_NEVER, 100);
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

  @Test
  void workTakesTheMostItMayCostAndGivesBackTheRest() {
    UserBudgets budgets = new UserBudgets(ALMOST_NEVER, 100);
    budgets.take("ana", 150, "too many recipients");
    assertThatThrownBy(() -> budgets.take("ana", "too many recipients"))
        .as("more than a burst leaves the budget in debt")
        .isInstanceOf(ApiException.class);
    budgets.adjust("ana", -140);
    budgets.take("ana", 80, "too many recipients");
    assertThatThrownBy(() -> budgets.take("ana", 20, "too many recipients")).isInstanceOf(ApiException.class);
    budgets.adjust("ana", -1_000);
    budgets.take("ana", 100, "too many recipients");
    assertThatThrownBy(() -> budgets.take("ana", "too many recipients"))
        .as("what is given back never fills more than a burst")
        .isInstanceOf(ApiException.class);
  }

  @Test
  void aDebtSaysHowLongUntilItIsPaid() {
    UserBudgets budgets = new UserBudgets(10, 100, clock::get);
    budgets.take("ana", 150, "too many recipients");
    // 51 to come back at 10 a second: 5.1 s, less what came back since.
    assertThatThrownBy(() -> budgets.take("ana", "too many recipients"))
        .isInstanceOfSatisfying(ApiException.class, refused -> {
          assertThat(refused.error()).isEqualTo(ApiError.RATE_LIMITED);
          assertThat(refused.retryAfter().toMillis()).isEqualTo(5100);
        });
    clock.addAndGet(Duration.ofSeconds(2).toNanos());
    assertThatThrownBy(() -> budgets.take("ana", "too many recipients"))
        .isInstanceOfSatisfying(
            ApiException.class, refused -> assertThat(refused.retryAfter().toMillis()).isEqualTo(3100));
  }

  @Test
  void parallelWorkCannotAllPassOnOneToken() {
    UserBudgets budgets = new UserBudgets(ALMOST_NEVER, 10_000);
    int admitted = 0;
    for (int i = 0; i < 100; i++) {
      try {
        budgets.take("ana", 499, "too many recipients");
        admitted++;
      } catch (ApiException refused) {
        // over budget
      }
    }
    assertThat(admitted).isEqualTo(20);
  }
}
