package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which of a row's events wins, when versions come from clients' clocks or are missing. */
class RowVersionsTest {
  private static final Instant RECEIVED = Instant.parse("2026-11-22T10:00:00Z");
  private static final Duration ALLOWANCE = Duration.ofMinutes(1);

  @Test
  void aVersionAheadOfItsReceiptByMoreThanTheAllowanceCountsAsNone() {
    Instant farFuture = Instant.parse("9999-12-31T00:00:00Z");
    Instant skewed = RECEIVED.plusSeconds(30);

    assertThat(RowVersions.trusted(farFuture, RECEIVED, ALLOWANCE)).isNull();
    assertThat(RowVersions.trusted(RECEIVED.plus(Duration.ofDays(1)), RECEIVED, ALLOWANCE)).isNull();
    assertThat(RowVersions.trusted(skewed, RECEIVED, ALLOWANCE)).as("within the clocks' skew").isEqualTo(skewed);
    assertThat(RowVersions.trusted(RECEIVED, null, ALLOWANCE)).as("a table without versions").isEqualTo(RECEIVED);
    // So an UPDATE made after an INSERT stamped in the future, even before its webhook arrived, still wins.
    Instant kept = RowVersions.kept(RowVersions.trusted(farFuture, RECEIVED, ALLOWANCE), null);
    assertThat(RowVersions.writes(RECEIVED.minusSeconds(1), RECEIVED, kept, false)).isTrue();
  }

  @Test
  void anEventWithoutAVersionIsJudgedByItsReceiptAndKeepsTheStoredVersion() {
    Instant deletedAfter = RECEIVED.plusSeconds(5);

    assertThat(RowVersions.writes(null, RECEIVED, deletedAfter, true)).isFalse();
    assertThat(RowVersions.writes(null, RECEIVED, RECEIVED.minusSeconds(5), true)).isTrue();
    assertThat(RowVersions.writes(null, null, deletedAfter, true)).as("a table without versions").isTrue();
    assertThat(RowVersions.kept(null, deletedAfter)).isEqualTo(deletedAfter);
    assertThat(RowVersions.kept(RECEIVED, deletedAfter)).isEqualTo(RECEIVED);
  }
}
