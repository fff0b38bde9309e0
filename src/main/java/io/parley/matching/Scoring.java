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

  /**
   * The score alone, in percent, with nothing allocated: matching scores every candidate who shares a skill with
   * the job, and builds the reasons only for those who match.
   */
  public double percent(JobPosting job, int matchedSkills, Level level, String city, boolean openToRemote) {
    int required = job.skills().size();
    double skills = required == 0 ? 0 : (double) matchedSkills / required;
    return weights.skills * skills
        + weights.experience * experience(job.level(), level)
        + weights.location * (sameCity(job, city) || (job.remote() && openToRemote) ? 1 : 0);
  }

  public Result score(JobPosting job, int matchedSkills, Level level, String city, boolean openToRemote) {
    List<String> reasons = new ArrayList<>(3);
    int required = job.skills().size();
    reasons.add(required == 0 ? "no skills listed" : matchedSkills + "/" + required + " skills");
    if (job.level() == null) reasons.add(level == null ? "any level" : level.label());
    else if (level == null) reasons.add("level unknown");
    else if (level == job.level()) reasons.add(level.label());
    else reasons.add(level.label() + " (" + job.level().label() + " wanted)");
    if (sameCity(job, city)) reasons.add(job.locationLabel());
    else if (job.remote() && openToRemote) reasons.add("remote");
    return new Result(percent(job, matchedSkills, level, city, openToRemote), reasons);
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
