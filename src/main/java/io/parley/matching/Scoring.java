package io.parley.matching;

import java.util.ArrayList;
import java.util.List;

/**
 * The seeds' score, with configurable weights in percent: skills (the share of the job's required skills the
 * candidate has), experience (1 for the same level, 1/2 one level apart, 0 further; a job without a level takes
 * anyone) and location (the same city, or a remote job and a candidate open to remote). A job matches at or above
 * the threshold.
 */
public final class Scoring {
  /** Scores are sums of fractions; this keeps 3/5 x 50 + 30 = 60 from landing a hair under a threshold of 60. */
  private static final double EPSILON = 1e-9;

  public record Weights(double skills, double experience, double location) {
    public Weights {
      if (skills < 0 || experience < 0 || location < 0) throw new IllegalArgumentException("weights must be >= 0");
    }
  }

  /** A score in percent, and why. */
  public record Result(double percent, List<String> reasons) {
    /** The score from 0 to 1, to four decimals. */
    public double fraction() {
      return Math.round(percent * 100) / 10000.0;
    }
  }

  private final Weights weights;
  private final double threshold;

  public Scoring(Weights weights, double thresholdPercent) {
    this.weights = weights;
    this.threshold = thresholdPercent;
  }

  public double threshold() {
    return threshold;
  }

  public boolean matches(double percent) {
    return percent + EPSILON >= threshold;
  }

  /**
   * Whether a candidate with none of the job's skills can still reach the threshold. Only then must matching look
   * beyond the candidates the inverted index lists for the job's skills.
   */
  public boolean zeroSkillCanMatch() {
    return matches(weights.experience + weights.location);
  }

  /** The fewest of {@code required} skills a candidate needs for the rest of the score to carry them over. */
  public int minimumSkills(int required) {
    if (required == 0 || weights.skills == 0) return 0;
    double needed = (threshold - weights.experience - weights.location) * required / weights.skills;
    return Math.max(0, (int) Math.ceil(needed - EPSILON));
  }

  private double percent(JobPosting job, int matchedSkills, Level level, boolean sameCity, boolean openToRemote) {
    int required = job.skills().size();
    double skills = required == 0 ? 0 : (double) matchedSkills / required;
    return weights.skills * skills
        + weights.experience * experience(job.level(), level)
        + weights.location * (sameCity || (job.remote() && openToRemote) ? 1 : 0);
  }

  public Result score(JobPosting job, int matchedSkills, Level level, String city, boolean openToRemote) {
    return score(job, matchedSkills, level, sameCity(job, city), openToRemote);
  }

  public Result score(JobPosting job, int matchedSkills, Level level, boolean sameCity, boolean openToRemote) {
    List<String> reasons = new ArrayList<>(3);
    int required = job.skills().size();
    reasons.add(required == 0 ? "no skills listed" : skillsReason(matchedSkills, required));
    if (job.level() == null) reasons.add(level == null ? "any level" : level.label());
    else if (level == null) reasons.add("level unknown");
    else reasons.add(LEVEL_REASONS[level.ordinal()][job.level().ordinal()]);
    if (sameCity) reasons.add(job.locationLabel());
    else if (job.remote() && openToRemote) reasons.add("remote");
    return new Result(percent(job, matchedSkills, level, sameCity, openToRemote), reasons);
  }

  /**
   * The scores one job gives, by everything a score depends on besides the job: matched skills, level, same city,
   * open to remote. A job compared with a million candidates sees only a few dozen such combinations, so each is
   * scored once, on first sight, and every candidate who presents it shares the answer.
   */
  public final class JobScores {
    private static final int LEVELS = Level.values().length + 1;
    private final JobPosting job;
    private final Result[] results;
    private final boolean[] scored;

    private JobScores(JobPosting job) {
      this.job = job;
      int combinations = (job.skills().size() + 1) * LEVELS * 4;
      this.results = new Result[combinations];
      this.scored = new boolean[combinations];
    }

    /** The score, or null below the threshold; {@code level} null for a candidate who gave none. */
    public Result matching(int matchedSkills, Level level, boolean sameCity, boolean openToRemote) {
      int index =
          ((matchedSkills * LEVELS + (level == null ? 0 : level.ordinal() + 1)) * 2 + (sameCity ? 1 : 0)) * 2
              + (openToRemote ? 1 : 0);
      if (!scored[index]) {
        Result result = score(job, matchedSkills, level, sameCity, openToRemote);
        results[index] = matches(result.percent()) ? new Result(result.percent(), List.copyOf(result.reasons())) : null;
        scored[index] = true;
      }
      return results[index];
    }
  }

  /** Scores for {@code job}, to match it against many candidates; not for use by several threads at once. */
  public JobScores scoresOf(JobPosting job) {
    return new JobScores(job);
  }

  // A job that matches tens of thousands of candidates gives each the same few reason strings: made once here, they
  // cost nothing per match (building them per match was most of the time of matching a popular job).
  private static final int CACHED_SKILL_COUNTS = 32;
  private static final String[][] SKILL_REASONS = new String[CACHED_SKILL_COUNTS + 1][];
  private static final String[][] LEVEL_REASONS = new String[Level.values().length][Level.values().length];

  static {
    for (int required = 1; required <= CACHED_SKILL_COUNTS; required++) {
      SKILL_REASONS[required] = new String[required + 1];
      for (int matched = 0; matched <= required; matched++) {
        SKILL_REASONS[required][matched] = matched + "/" + required + " skills";
      }
    }
    for (Level level : Level.values()) {
      for (Level wanted : Level.values()) {
        LEVEL_REASONS[level.ordinal()][wanted.ordinal()] =
            level == wanted ? level.label() : level.label() + " (" + wanted.label() + " wanted)";
      }
    }
  }

  private static String skillsReason(int matched, int required) {
    return required <= CACHED_SKILL_COUNTS && matched >= 0 && matched <= required
        ? SKILL_REASONS[required][matched]
        : matched + "/" + required + " skills";
  }

  private static double experience(Level wanted, Level level) {
    if (wanted == null) return 1;
    if (level == null) return 0;
    int distance = Math.abs(wanted.ordinal() - level.ordinal());
    return distance == 0 ? 1 : distance == 1 ? 0.5 : 0;
  }

  private static boolean sameCity(JobPosting job, String city) {
    return job.city() != null && job.city().equals(city);
  }

  /** The same score from a whole profile, for matching one candidate against stored jobs. */
  public Result score(JobPosting job, CandidateProfile candidate) {
    return score(job, sharedSkills(job, candidate), candidate.level(), candidate.city(), candidate.openToRemote());
  }

  /** How many of the job's required skills the candidate has. */
  public static int sharedSkills(JobPosting job, CandidateProfile candidate) {
    int shared = 0;
    for (String skill : job.skills()) if (candidate.skills().contains(skill)) shared++;
    return shared;
  }
}
