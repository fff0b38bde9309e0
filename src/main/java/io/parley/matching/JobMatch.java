package io.parley.matching;

import io.parley.CborSerializable;
import java.util.List;

/**
 * A job that matches a candidate, as the candidate is told about it: {@code score} from 0 to 1, and the reasons
 * behind it ("4/5 skills", "senior", "Paris").
 */
public record JobMatch(String jobId, String title, String company, double score, List<String> reasons)
    implements CborSerializable {

  /** The score as a whole percentage, never rounded up past the threshold it was compared with. */
  public int percent() {
    return (int) Math.floor(score * 100 + 1e-9);
  }

  /** The reasons on one line: "4/5 skills, senior, Paris". */
  public String summary() {
    return String.join(", ", reasons);
  }
}
