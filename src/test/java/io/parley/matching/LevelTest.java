package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Levels as job boards write them. */
class LevelTest {
  @ParameterizedTest
  @CsvSource(
      nullValues = "none",
      value = {
        "Senior, SENIOR",
        "entry-level, JUNIOR",
        "Entry Level, JUNIOR",
        "Mid-Senior level, MID",
        "Senior Engineer II, SENIOR",
        "Head of Engineering, LEAD",
        "5+ years, SENIOR",
        "3-5 yrs, MID",
        "1 year, JUNIOR",
        "10 years, LEAD",
        "'', none",
        "any, none",
        "Level 3, none"
      })
  void readsTheLevelAJobBoardWrites(String raw, Level expected) {
    assertThat(Level.parse(raw)).isEqualTo(expected);
  }
}
