package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The inverted index: only candidates sharing a skill are scored, and changes and removals take effect at once. */
class CandidateIndexTest {
  private static final Scoring SCORING = new Scoring(new Scoring.Weights(50, 30, 20), 60);

  private final CandidateIndex index = new CandidateIndex();

  @Test
  void matchesCandidatesWithEnoughSkillsBestFirst() {
    index.put(candidate("c1", List.of("java", "akka", "sql"), Level.SENIOR, "paris", true));
    index.put(candidate("c2", List.of("java"), Level.SENIOR, "paris", true));
    index.put(candidate("c3", List.of("python"), Level.SENIOR, "paris", true));
    index.put(candidate("c4", List.of("java", "akka"), Level.SENIOR, "lyon", true));

    List<CandidateIndex.Ranked> matches = index.match(job(List.of("java", "akka", "sql")), SCORING);

    assertThat(matches).extracting(CandidateIndex.Ranked::userId).containsExactly("u-c1", "u-c2", "u-c4");
    assertThat(matches.get(0).score()).isEqualTo(1.0);
    assertThat(matches.get(0).reasons()).containsExactly("3/3 skills", "senior", "Paris");
  }

  @Test
  void leavesOutCandidatesWhoOptedOut() {
    index.put(candidate("c1", List.of("java"), Level.SENIOR, "paris", false));

    assertThat(index.match(job(List.of("java")), SCORING)).isEmpty();
  }

  @Test
  void anUpdateReplacesTheSkillsAndARemovalForgets() {
    index.put(candidate("c1", List.of("java"), Level.SENIOR, "paris", true));
    index.put(candidate("c1", List.of("go"), Level.SENIOR, "paris", true));

    assertThat(index.match(job(List.of("java")), SCORING)).isEmpty();
    assertThat(index.match(job(List.of("go")), SCORING)).hasSize(1);

    index.remove("c1");
    assertThat(index.match(job(List.of("go")), SCORING)).isEmpty();
    assertThat(index.size()).isZero();
  }

  @Test
  void stringsOfReplacedProfilesAreForgottenAndSameCityStillCounts() {
    index.put(candidate("c1", List.of("java", "akka", "sql"), Level.SENIOR, "paris", true));
    for (int i = 0; i < 30_000; i++) {
      index.put(candidate("mover", List.of("skill-" + i), Level.SENIOR, "city-" + i, true));
    }
    // Each replaced profile leaves three strings (skill, city, label): 90,000 if none were forgotten; at most the
    // last 10,000 replacements' since the last compaction are left.
    assertThat(index.sharedStrings()).as("strings of replaced profiles are forgotten").isLessThanOrEqualTo(30_010);

    List<CandidateIndex.Ranked> matches = index.match(job(List.of("java", "akka", "sql")), SCORING);
    assertThat(matches).extracting(CandidateIndex.Ranked::userId).containsExactly("u-c1");
    assertThat(matches.get(0).reasons()).containsExactly("3/3 skills", "senior", "Paris");
  }

  @Test
  void reusesFreedSlotsWithoutMixingCandidates() {
    index.put(candidate("c1", List.of("java"), Level.SENIOR, "paris", true));
    index.remove("c1");
    index.put(candidate("c2", List.of("rust"), Level.SENIOR, "paris", true));

    assertThat(index.match(job(List.of("java")), SCORING)).isEmpty();
    assertThat(index.match(job(List.of("rust")), SCORING)).extracting(CandidateIndex.Ranked::userId).containsExactly("u-c2");
    assertThat(index.profiles()).extracting(CandidateProfile::candidateId).containsExactly("c2");
  }

  @Test
  void holdsTellsAnIdenticalProfileFromAChangedOne() {
    CandidateProfile profile = candidate("c1", List.of("java"), Level.SENIOR, "paris", true);
    index.put(profile);

    assertThat(index.holds(candidate("c1", List.of("java"), Level.SENIOR, "paris", true))).isTrue();
    assertThat(index.holds(candidate("c1", List.of("java"), Level.MID, "paris", true))).isFalse();
  }

  @Test
  void scansEveryoneWhenTheWeightsLetACandidateMatchWithoutSkills() {
    Scoring lenient = new Scoring(new Scoring.Weights(30, 40, 30), 60);
    index.put(candidate("c1", List.of("cobol"), Level.SENIOR, "paris", true));

    assertThat(index.match(job(List.of("java")), lenient)).extracting(CandidateIndex.Ranked::userId).containsExactly("u-c1");
    assertThat(index.match(job(List.of("java")), SCORING)).isEmpty();
  }

  private static CandidateProfile candidate(String id, List<String> skills, Level level, String city, boolean alerts) {
    return new CandidateProfile(id, "u-" + id, skills, level, city, city.substring(0, 1).toUpperCase() + city.substring(1),
        false, alerts);
  }

  private static JobPosting job(List<String> skills) {
    return new JobPosting("j1", "Engineer", "Acme", skills, Level.SENIOR, "paris", "Paris", false, null, true);
  }
}
