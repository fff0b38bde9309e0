package io.parley.http;

import akka.event.LoggingAdapter;
import akka.http.javadsl.model.HttpResponse;
import akka.http.scaladsl.model.ErrorInfo;
import akka.http.scaladsl.model.StatusCode;
import akka.http.scaladsl.settings.ServerSettings;
import io.parley.api.ApiError;

/**
 * Requests Akka HTTP refuses before any route sees them (a URI or header past the parser's limits, a malformed request
 * line) get the same problem+json as every other error, instead of Akka's plain text. Named by
 * {@code akka.http.server.parsing.error-handler}.
 */
public final class ParsingErrors extends akka.http.ParsingErrorHandler {
  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    int code = status.intValue();
    ApiError error = code == 413 || code == 414 || code == 431 ? ApiError.TOO_LARGE : ApiError.BAD_REQUEST;
    return Problem.response(error, code, info.summary());
  }
}
