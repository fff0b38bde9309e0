package io.parley.matching;

import io.parley.CborSerializable;
import java.util.List;

/** A candidate a job matches, as a partition reports it: who to notify, the score from 0 to 1, and why. */
public record CandidateMatch(String userId, double score, List<String> reasons) implements CborSerializable {

  public JobMatch toJobMatch(JobPosting job) {
    return new JobMatch(job.jobId(), job.title(), job.company(), score, reasons);
  }
}
