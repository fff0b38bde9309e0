package io.parley.api;

/** A failure that maps to one {@link ApiError}; the message is for people and never carries secrets. */
public class ApiException extends RuntimeException {
  private final ApiError error;

  public ApiException(ApiError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  public ApiError error() {
    return error;
  }
}
