package io.parley.push;

import java.time.Duration;

/**
 * What became of one push to one token (or topic), and how long FCM asked Parley to wait before trying it again: the
 * {@code Retry-After} of a rate limit (429) or an outage (503). {@code retryAfter} null: FCM said nothing.
 */
public record PushResult(PushOutcome outcome, Duration retryAfter) {
  private static final PushResult[] PLAIN = new PushResult[PushOutcome.values().length];

  static {
    for (PushOutcome outcome : PushOutcome.values()) PLAIN[outcome.ordinal()] = new PushResult(outcome, null);
  }

  /** The result with no wait asked for; shared, since a multicast of 500 mostly has the same few. */
  public static PushResult of(PushOutcome outcome) {
    return PLAIN[outcome.ordinal()];
  }
}
