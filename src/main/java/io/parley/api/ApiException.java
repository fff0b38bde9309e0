package io.parley.api;

/** A failure that maps to one {@link ApiError}; the message is for people and never carries secrets. */
public class ApiException extends RuntimeException {
  private final ApiError error;
  private final String idempotencyKey;

  public ApiException(ApiError error, String message) {
    this(error, message, null);
  }

  private ApiException(ApiError error, String message, String idempotencyKey) {
    super(message, null, false, false);
    this.error = error;
    this.idempotencyKey = idempotencyKey;
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

  public ApiException withIdempotencyKey(String key) {
    return new ApiException(
        error,
        getMessage() + "; part of it may be stored: send it again with idempotencyKey \"" + key
            + "\" to finish it without duplicates",
        key);
  }
}
