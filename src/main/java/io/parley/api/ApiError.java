package io.parley.api;

/**
 * The stable error codes that REST problem+json bodies and WebSocket error frames share. A code, once published, never
 * changes meaning; clients branch on it.
 */
public enum ApiError {
  BAD_REQUEST("bad_request", 400),
  UNAUTHORIZED("unauthorized", 401),
  TOKEN_MISSING("token_missing", 401),
  TOKEN_MALFORMED("token_malformed", 401),
  TOKEN_EXPIRED("token_expired", 401),
  TOKEN_NOT_YET_VALID("token_not_yet_valid", 401),
  TOKEN_BAD_SIGNATURE("token_bad_signature", 401),
  TOKEN_ALGORITHM_REJECTED("token_algorithm_rejected", 401),
  TOKEN_BAD_AUDIENCE("token_bad_audience", 401),
  TOKEN_BAD_ISSUER("token_bad_issuer", 401),
  TOKEN_MISSING_CLAIM("token_missing_claim", 401),
  TOKEN_ROLE_REJECTED("token_role_rejected", 401),
  TOKEN_KEY_UNKNOWN("token_key_unknown", 401),
  TOKEN_BAD_SUBJECT("token_bad_subject", 401),
  FORBIDDEN("forbidden", 403),
  NOT_FOUND("not_found", 404),
  METHOD_NOT_ALLOWED("method_not_allowed", 405),
  CONFLICT("conflict", 409),
  TOO_LARGE("too_large", 413),
  UNSUPPORTED_MEDIA_TYPE("unsupported_media_type", 415),
  RATE_LIMITED("rate_limited", 429),
  INTERNAL("internal", 500),
  UNAVAILABLE("unavailable", 503),
  TIMEOUT("timeout", 503);

  private final String code;
  private final int status;

  ApiError(String code, int status) {
    this.code = code;
    this.status = status;
  }

  public String code() {
    return code;
  }

  public int status() {
    return status;
  }
}
