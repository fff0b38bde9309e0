package io.parley.tools;

import io.parley.matching.CandidateProfile;
import io.parley.matching.JobPosting;
import io.parley.matching.Level;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Made-up candidates and jobs for the matching benchmark. Skills and cities follow a Zipf law, as on real job boards
 * (a few skills such as JavaScript are on half the profiles), because popular skills are what make matching slow.
 */
final class SyntheticProfiles {
  private final Random random;
  private final double[] skillCdf;
  private final double[] cityCdf;

  SyntheticProfiles(long seed, int skills, int cities) {
    this.random = new Random(seed);
    this.skillCdf = zipf(skills);
    this.cityCdf = zipf(cities);
  }

  CandidateProfile candidate(int n) {
    String id = UUID.nameUUIDFromBytes(("candidate-" + n).getBytes()).toString();
    String userId = UUID.nameUUIDFromBytes(("user-" + n).getBytes()).toString();
    int city = draw(cityCdf);
    return new CandidateProfile(
        id, userId, skills(3 + random.nextInt(8)), Level.values()[random.nextInt(4)], "city" + city, "City " + city,
        random.nextBoolean(), random.nextInt(20) != 0);
  }

  JobPosting job(String id) {
    int city = draw(cityCdf);
    return new JobPosting(
        id, "Job " + id, "Acme", skills(3 + random.nextInt(4)), Level.values()[random.nextInt(4)], "city" + city,
        "City " + city, random.nextInt(10) < 3, "full-time", true);
  }

  private List<String> skills(int count) {
    LinkedHashSet<String> skills = new LinkedHashSet<>();
    while (skills.size() < count) skills.add("skill" + draw(skillCdf));
    return new ArrayList<>(skills);
  }

  private int draw(double[] cdf) {
    double u = random.nextDouble();
    int low = 0;
    int high = cdf.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cdf[mid] < u) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  private static double[] zipf(int n) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) sum += 1.0 / (i + 1);
    double running = 0;
    for (int i = 0; i < n; i++) {
      running += 1.0 / (i + 1) / sum;
      cdf[i] = running;
    }
    cdf[n - 1] = 1.0;
    return cdf;
  }
}
