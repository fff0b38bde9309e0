package io.parley.matching;

import akka.Done;
import io.parley.matching.MatchDelivery.Pending;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.LoggerFactory;

/** Tells candidates about a job that matches them; the node wires it to the candidates' notification inboxes. */
@FunctionalInterface
public interface MatchNotifier {
  /**
   * Completes once every one of {@code matches}, all of one job, is durably stored, or fails for all of them.
   * idempotencyKey is "job_match:" + jobId: a candidate the key was stored for before is skipped on the receiving
   * side, so you may call it again with the same matches, or more, or fewer, after a failure or a crash.
   */
  CompletionStage<Done> notifyMatches(List<Pending> matches, String idempotencyKey);

  /** Starts every job's key; admin sends may not use it, or they would dedupe against a job's matches. */
  String KEY_PREFIX = "job_match:";

  /** The idempotency key of a job's match notifications, the same for every candidate and every delivery attempt. */
  static String idempotencyKey(String jobId) {
    return KEY_PREFIX + jobId;
  }

  /** For benchmarks of matching alone: logs each match and stores nothing. */
  static MatchNotifier logging() {
    var log = LoggerFactory.getLogger(MatchNotifier.class);
    return (matches, key) -> {
      for (Pending p : matches) {
        JobMatch match = p.match();
        log.info("job_match for {}: job {} ({}%, {}) [{}]", p.userId(), match.jobId(), match.percent(), match.summary(), key);
      }
      return CompletableFuture.completedFuture(Done.getInstance());
    };
  }
}
