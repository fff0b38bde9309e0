package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The seeds' score (skills 50, experience 30, location 20, threshold 60), case by case around the threshold. */
class ScoringTest {
  private static final Scoring SCORING = new Scoring(new Scoring.Weights(50, 30, 20), 60);
  private static final Skills SKILLS = new Skills(Map.of("js", "javascript", "react.js", "react"));

  /**
   * required/matched skills, job level, candidate level (or years), where (city: same city; remote: remote job and
   * candidate open to remote; remote-closed: remote job, candidate not open; elsewhere), expected percent, match.
   */
  @ParameterizedTest(name = "{0}/{1} skills, job {2}, candidate {3}, {4} -> {5} % ({6})")
  @CsvSource({
    // exactly at the threshold
    "5, 3, senior, senior, elsewhere, 60, true",
    "5, 1, senior, senior, city, 60, true",
    "5, 5, mid, junior, elsewhere, 65, true",
    "5, 3, senior, lead, city, 65, true",
    // just under it
    "5, 4, senior, mid, elsewhere, 55, false",
    "5, 2, senior, senior, elsewhere, 50, false",
    "5, 0, senior, senior, city, 50, false",
    "6, 1, senior, senior, city, 58.33, false",
    "5, 5, senior, junior, elsewhere, 50, false",
    // just over it
    "3, 1, senior, senior, city, 66.67, true",
    "4, 1, senior, senior, remote, 62.5, true",
    "5, 2, senior, senior, city, 70, true",
    // remote needs both sides
    "5, 2, senior, senior, remote-closed, 50, false",
    "5, 5, senior, junior, remote, 70, true",
    // years stand in for a missing level: 6 years is senior, 4 years is mid
    "5, 3, senior, 6y, elsewhere, 60, true",
    "5, 3, senior, 4y, elsewhere, 45, false",
    // a job without a level takes anyone; a candidate without one gets no experience points
    "5, 3, '', mid, elsewhere, 60, true",
    "5, 5, senior, '', elsewhere, 50, false",
    // a job listing no skills cannot reach the threshold on the rest alone
    "0, 0, senior, senior, city, 50, false",
  })
  void scoresAroundTheThreshold(
      int required, int matched, String jobLevel, String candidateLevel, String where, double percent, boolean match) {
    List<String> jobSkills = new ArrayList<>();
    for (int i = 0; i < required; i++) jobSkills.add("skill" + i);
    JobPosting job =
        new JobPosting(
            "j1", "Engineer", "Acme", jobSkills, Level.parse(jobLevel), where.equals("city") ? "paris" : "berlin",
            where.equals("city") ? "Paris" : "Berlin", where.startsWith("remote"), "full-time", true);
    Level level =
        candidateLevel.endsWith("y")
            ? Level.fromYears(Double.parseDouble(candidateLevel.substring(0, candidateLevel.length() - 1)))
            : Level.parse(candidateLevel);
    CandidateProfile candidate =
        new CandidateProfile(
            "c1", "u1", jobSkills.subList(0, matched), level, where.equals("city") ? "paris" : "lyon", "Lyon",
            where.equals("remote"), true);

    Scoring.Result result = SCORING.score(job, candidate);

    assertThat(result.percent()).isCloseTo(percent, within(0.01));
    assertThat(SCORING.matches(result.percent())).isEqualTo(match);
  }

  @Test
  void aJobsTableOfScoresAgreesWithScoringEachCandidate() {
    for (Level wanted : new Level[] {null, Level.JUNIOR, Level.SENIOR}) {
      for (boolean remoteJob : new boolean[] {false, true}) {
        JobPosting job = job(List.of("java", "akka", "sql", "kafka", "aws"), wanted, "paris", "Paris", remoteJob);
        Scoring.JobScores table = SCORING.scoresOf(job);
        for (int matched = 0; matched <= 5; matched++) {
          for (Level level : levelsAndNone()) {
            for (boolean sameCity : new boolean[] {false, true}) {
              for (boolean openToRemote : new boolean[] {false, true}) {
                Scoring.Result direct = SCORING.score(job, matched, level, sameCity ? "paris" : "lyon", openToRemote);
                // Asked twice: the second answer comes from the table.
                for (int ask = 0; ask < 2; ask++) {
                  Scoring.Result cached = table.matching(matched, level, sameCity, openToRemote);
                  if (SCORING.matches(direct.percent())) {
                    assertThat(cached).isNotNull();
                    assertThat(cached.percent()).isEqualTo(direct.percent());
                    assertThat(cached.reasons()).isEqualTo(direct.reasons());
                  } else {
                    assertThat(cached).isNull();
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  private static List<Level> levelsAndNone() {
    List<Level> levels = new ArrayList<>(List.of(Level.values()));
    levels.add(null);
    return levels;
  }

  @Test
  void reasonsSaySkillsLevelAndPlace() {
    JobPosting job = job(List.of("java", "akka", "sql", "kafka", "aws"), Level.SENIOR, "paris", "Paris", false);
    CandidateProfile candidate =
        new CandidateProfile("c1", "u1", List.of("java", "akka", "sql", "kafka"), Level.SENIOR, "paris", "Paris", false, true);

    assertThat(String.join(", ", SCORING.score(job, candidate).reasons())).isEqualTo("4/5 skills, senior, Paris");
  }

  @Test
  void reasonsSayWhichLevelTheJobWantedAndRemote() {
    JobPosting job = job(List.of("java"), Level.SENIOR, null, "Remote", true);
    CandidateProfile candidate = new CandidateProfile("c1", "u1", List.of("java"), Level.MID, "lyon", "Lyon", true, true);

    assertThat(SCORING.score(job, candidate).reasons()).containsExactly("1/1 skills", "mid (senior wanted)", "remote");
  }

  @Test
  void aliasesAndPunctuationMakeTheSameSkill() {
    assertThat(SKILLS.normalizeAll(List.of("JS", "React.js", "Node.JS", "c++", "C#", " Machine-Learning ")))
        .containsExactly("javascript", "react", "nodejs", "c++", "c#", "machinelearning");
    assertThat(SKILLS.normalize("REACT.JS")).isEqualTo(SKILLS.normalize("react.js"));
    assertThat(SKILLS.normalizeAll(List.of("js", "JavaScript", "", "..."))).containsExactly("javascript");
  }

  @Test
  void lettersOutsideTheBasicPlaneAreKeptAsLetters() {
    // Two chars each, neither a letter alone: read char by char, the skill vanished. Deseret letters have a case.
    assertThat(SKILLS.normalizeAll(List.of("\uD840\uDC00\uD840\uDC01", "\uD801\uDC00ava-\uD840\uDC00")))
        .containsExactly("\uD840\uDC00\uD840\uDC01", "\uD801\uDC28ava\uD840\uDC00");
  }

  @Test
  void configurableWeightsAndThresholdMoveTheEdge() {
    Scoring strict = new Scoring(new Scoring.Weights(60, 20, 20), 70);
    JobPosting job = job(List.of("a", "b", "c", "d", "e"), Level.MID, "paris", "Paris", false);
    CandidateProfile fourOfFive = new CandidateProfile("c", "u", List.of("a", "b", "c", "d"), Level.MID, "x", "X", false, true);
    CandidateProfile threeOfFive = new CandidateProfile("c", "u", List.of("a", "b", "c"), Level.MID, "paris", "Paris", false, true);

    assertThat(strict.score(job, fourOfFive).percent()).isCloseTo(68, within(0.01));
    assertThat(strict.matches(strict.score(job, fourOfFive).percent())).isFalse();
    assertThat(strict.score(job, threeOfFive).percent()).isCloseTo(76, within(0.01));
    assertThat(strict.matches(strict.score(job, threeOfFive).percent())).isTrue();
  }

  @Test
  void minimumSkillsIsTheFewestThatCanStillMatch() {
    // 1/5 with everything else full is exactly 60; 1/6 is 58.3: two are needed.
    assertThat(SCORING.minimumSkills(5)).isEqualTo(1);
    assertThat(SCORING.minimumSkills(6)).isEqualTo(2);
    assertThat(SCORING.zeroSkillCanMatch()).isFalse();
    assertThat(new Scoring(new Scoring.Weights(30, 40, 30), 60).zeroSkillCanMatch()).isTrue();
  }

  private static JobPosting job(List<String> skills, Level level, String city, String label, boolean remote) {
    return new JobPosting("j1", "Engineer", "Acme", skills, level, city, label, remote, "full-time", true);
  }
}
