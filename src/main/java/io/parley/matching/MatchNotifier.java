package io.parley.matching;

import akka.Done;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.LoggerFactory;

/** Tells a candidate about a job that matches them; the lead wires it to the user's notification inbox. */
@FunctionalInterface
public interface MatchNotifier {
  /** Completes once the notification is durably stored. idempotencyKey is "job_match:" + jobId: a repeat of the
      same key for the same user is a no-op on the receiving side, so you may call it again after a crash. */
  CompletionStage<Done> notifyMatch(String candidateUserId, JobMatch match, String idempotencyKey);

  /** The idempotency key of a job's match notification, the same for every delivery attempt. */
  static String idempotencyKey(String jobId) {
    return "job_match:" + jobId;
  }

  /** Until the notification inbox exists: logs each match and stores nothing. */
  static MatchNotifier logging() {
    var log = LoggerFactory.getLogger(MatchNotifier.class);
    return (userId, match, key) -> {
      log.info("job_match for {}: job {} ({}%, {}) [{}]", userId, match.jobId(), match.percent(), match.summary(), key);
      return CompletableFuture.completedFuture(Done.getInstance());
    };
  }
}
