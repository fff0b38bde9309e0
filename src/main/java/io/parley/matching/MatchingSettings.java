package io.parley.matching;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** Matching's configuration, from {@code parley.matching}. */
public record MatchingSettings(
    int partitions,
    int snapshotEvery,
    int tombstones,
    Scoring scoring,
    Skills skills,
    Duration rematchWindow,
    int pageSize,
    long maxPageBytes,
    int pageParallelism,
    int notifyParallelism,
    int notifyAttempts,
    Duration askTimeout,
    Duration claimTimeout) {

  public static MatchingSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.matching");
    Scoring.Weights weights =
        new Scoring.Weights(
            c.getDouble("weights.skills"), c.getDouble("weights.experience"), c.getDouble("weights.location"));
    Map<String, String> aliases = new HashMap<>();
    Config aliasConfig = c.getConfig("aliases");
    // Alias keys such as "react.js" are quoted in HOCON; entrySet gives them back with the quotes.
    aliasConfig.root().forEach((alias, value) -> aliases.put(alias, String.valueOf(value.unwrapped())));
    // Every job listing the alias would otherwise be refused: better the operator's error at start.
    aliases.forEach((alias, canonical) -> {
      if (Skills.clean(canonical).length() > Skills.MAX_KEY_LENGTH) {
        throw new IllegalArgumentException("parley.matching.aliases: \"" + alias + "\" folds into a skill longer than "
            + Skills.MAX_KEY_LENGTH + " characters once normalized, more than parley_job_skill holds");
      }
    });
    int partitions = c.getInt("partitions");
    if (partitions < 1) throw new IllegalArgumentException("parley.matching.partitions must be at least 1");
    return new MatchingSettings(
        partitions,
        c.getInt("snapshot-every"),
        Math.max(0, c.getInt("tombstones")),
        new Scoring(weights, c.getDouble("threshold")),
        new Skills(aliases),
        c.getDuration("rematch-window"),
        c.getInt("page-size"),
        c.getBytes("max-page-bytes"),
        Math.max(1, c.getInt("page-parallelism")),
        c.getInt("notify-parallelism"),
        Math.max(1, c.getInt("notify-attempts")),
        c.getDuration("ask-timeout"),
        c.getDuration("claim-timeout"));
  }
}
