package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AdmissionLimitTest {
  private static final long FAST = Duration.ofMillis(5).toNanos();
  private static final long SLOW = Duration.ofSeconds(2).toNanos();

  @Test
  void refusesPastTheLimitAndAdmitsAgainOnceAPlaceIsFree() {
    AdmissionLimit admission = new AdmissionLimit(3, 1, 10, Duration.ofSeconds(1));

    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isTrue();
    assertThat(admission.tryAcquire()).isFalse();
    assertThat(admission.inFlight()).isEqualTo(3);

    admission.release(FAST);
    assertThat(admission.tryAcquire()).isTrue();
  }

  @Test
  void slowAnswersShrinkTheLimitDownToItsFloor() {
    AdmissionLimit admission = new AdmissionLimit(100, 20, 4000, Duration.ofSeconds(1));

    for (int i = 0; i < 5; i++) {
      admission.tryAcquire();
      admission.release(SLOW);
    }
    // 100 * 0.9^5
    assertThat(admission.limit()).isEqualTo(59);

    for (int i = 0; i < 100; i++) {
      admission.tryAcquire();
      admission.release(SLOW);
    }
    assertThat(admission.limit()).isEqualTo(20);
  }

  @Test
  void anUnansweredAskFreesItsPlaceAndLeavesTheLimitAlone() {
    // Asks to a dead node's conversations time out until their shards move: that is not this node's load.
    AdmissionLimit admission = new AdmissionLimit(2, 1, 4000, Duration.ofSeconds(1));
    admission.tryAcquire();
    admission.tryAcquire();
    assertThat(admission.tryAcquire()).isFalse();

    admission.releaseUnanswered();
    admission.releaseUnanswered();
    assertThat(admission.limit()).isEqualTo(2);
    assertThat(admission.inFlight()).isZero();
    assertThat(admission.tryAcquire()).isTrue();
  }

  @Test
  void timelyAnswersGrowItOnlyWhileItIsInUse() {
    AdmissionLimit admission = new AdmissionLimit(10, 1, 12, Duration.ofSeconds(1));

    // One at a time: the limit is not tested, so it does not grow.
    for (int i = 0; i < 50; i++) {
      admission.tryAcquire();
      admission.release(FAST);
    }
    assertThat(admission.limit()).isEqualTo(10);

    // Half of it or more in use: each timely answer adds one, up to the ceiling.
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 6; i++) admission.tryAcquire();
      for (int i = 0; i < 6; i++) admission.release(FAST);
    }
    assertThat(admission.limit()).isEqualTo(12);
  }

  @Test
  void readsItsSettingsWithTheOldCeilingAsMaximum() {
    AdmissionLimit defaults =
        AdmissionLimit.fromConfig(ParleyConfig.load(ConfigFactory.empty()).getConfig("parley.conversation"));
    assertThat(defaults.limit()).isEqualTo(500);

    // A ceiling below the floor wins: a node configured for one outstanding ask gets one.
    AdmissionLimit one =
        AdmissionLimit.fromConfig(
            ParleyConfig.load(ConfigFactory.parseString("parley.conversation.max-pending-asks = 1"))
                .getConfig("parley.conversation"));
    assertThat(one.limit()).isEqualTo(1);

    assertThatThrownBy(() -> new AdmissionLimit(5, 0, 10, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
