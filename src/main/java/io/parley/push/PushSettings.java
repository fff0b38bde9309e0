package io.parley.push;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * {@code parley.push}: how pushes are retried, grouped, checked against their tokens' owners, and linked;
 * {@code confirmTimeout} is how long a push waits for its user's entity to confirm it (a held one, until presence has
 * settled); {@code presenceTimeout}
 * how long a batch's push waits for each node to say which of its users are online; {@code maxRetryAfter} the longest
 * wait FCM's {@code Retry-After} is obeyed for, so that a push FCM keeps rate-limiting is given up at most
 * {@code (maxAttempts - 1) * maxRetryAfter} (plus jitter) after its first try.
 */
public record PushSettings(
    int maxAttempts,
    Duration minBackoff,
    Duration maxBackoff,
    double randomFactor,
    int tagSlices,
    boolean projectionEnabled,
    int groupSize,
    Duration groupWithin,
    int ownerCheckParallelism,
    Duration ownerCheckTimeout,
    String webAppUrl,
    String conversationPath,
    String jobPath,
    String otherPath,
    Duration confirmTimeout,
    Duration presenceTimeout,
    Duration maxRetryAfter) {

  public static PushSettings fromConfig(Config root) {
    Config push = root.getConfig("parley.push");
    String webAppUrl = push.getString("web-links.base-url").replaceAll("/+$", "");
    if (!webAppUrl.isEmpty() && !webAppUrl.startsWith("https://")) {
      throw new IllegalStateException("parley.push.web-links.base-url must be an https URL (FCM opens only https links)");
    }
    return new PushSettings(
        push.getInt("retry.max-attempts"),
        push.getDuration("retry.min-backoff"),
        push.getDuration("retry.max-backoff"),
        push.getDouble("retry.random-factor"),
        push.getInt("tag-slices"),
        push.getBoolean("projection.enabled"),
        push.getInt("projection.group-size"),
        push.getDuration("projection.group-within"),
        push.getInt("owner-check.parallelism"),
        push.getDuration("owner-check.timeout"),
        webAppUrl,
        push.getString("web-links.conversation"),
        push.getString("web-links.job"),
        push.getString("web-links.other"),
        // A held push is confirmed once its user's entity has settled, which may first have to start.
        root.getDuration("parley.user.presence-settle").plus(root.getDuration("parley.http.ask-timeout")),
        push.getDuration("presence-timeout"),
        push.getDuration("retry.max-retry-after"));
  }

  /** Exponential, capped, with jitter so that many nodes retrying after the same outage do not retry in step. */
  public Duration backoff(int attempt, double random) {
    double base = Math.min(maxBackoff.toMillis(), minBackoff.toMillis() * Math.pow(2, attempt - 1));
    return Duration.ofMillis((long) (base * (1 + randomFactor * random)));
  }

  /**
   * The wait before try {@code attempt + 1}: the backoff, or longer when FCM said how long ({@code retryAfter}, null
   * for nothing), since a try before then only meets the same limit; no longer than {@code maxRetryAfter}.
   */
  public Duration retryDelay(int attempt, double random, Duration retryAfter) {
    Duration backoff = backoff(attempt, random);
    if (retryAfter == null) return backoff;
    Duration told = retryAfter.compareTo(maxRetryAfter) > 0 ? maxRetryAfter : retryAfter;
    return told.compareTo(backoff) > 0 ? told : backoff;
  }
}
