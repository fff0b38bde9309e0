package io.parley.api;

/** A failure that maps to one {@link ApiError}; the message is for people and never carries secrets. */
public class ApiException extends RuntimeException {
  private final ApiError error;
  private final String idempotencyKey;
  private final java.time.Duration retryAfter;

  public ApiException(ApiError error, String message) {
    this(error, message, null, null);
  }

  private ApiException(ApiError error, String message, String idempotencyKey, java.time.Duration retryAfter) {
    super(message, null, false, false);
    this.error = error;
    this.idempotencyKey = idempotencyKey;
    this.retryAfter = retryAfter;
  }

  /** A {@link ApiError#RATE_LIMITED} refusal that says when the caller may try again (HTTP {@code Retry-After}). */
  public static ApiException rateLimited(String what, java.time.Duration retryAfter) {
    long seconds = retryAfterSeconds(retryAfter);
    return new ApiException(ApiError.RATE_LIMITED, what + "; retry in " + seconds + " s", null, retryAfter);
  }

  /** Whole seconds, rounded up and at least 1: a client that waits that long finds a token. */
  public static long retryAfterSeconds(java.time.Duration retryAfter) {
    return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
  }

  public ApiError error() {
    return error;
  }

  /**
   * The key the failed request's work was being stored under, when the server chose it: part of the work may be
   * stored, and the request sent again with this key finishes it without doing any part twice. Null otherwise.
   */
  public String idempotencyKey() {
    return idempotencyKey;
  }

  /** How long to wait before trying again, for a rate-limited request; null otherwise. */
  public java.time.Duration retryAfter() {
    return retryAfter;
  }

  public ApiException withIdempotencyKey(String key) {
    return new ApiException(
        error,
        getMessage() + "; part of it may be stored: send it again with idempotencyKey \"" + key
            + "\" to finish it without duplicates",
        key,
        retryAfter);
  }
}
