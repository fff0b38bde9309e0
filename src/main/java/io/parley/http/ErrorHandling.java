package io.parley.http;

import static akka.http.javadsl.server.Directives.complete;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.headers.Allow;
import akka.http.javadsl.server.AuthorizationFailedRejection;
import akka.http.javadsl.server.ExceptionHandler;
import akka.http.javadsl.server.ExpectedWebSocketRequestRejection;
import akka.http.javadsl.server.MalformedQueryParamRejection;
import akka.http.javadsl.server.MalformedRequestContentRejection;
import akka.http.javadsl.server.MethodRejection;
import akka.http.javadsl.server.MissingQueryParamRejection;
import akka.http.javadsl.server.RejectionHandler;
import akka.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import akka.http.scaladsl.model.EntityStreamException;
import akka.http.scaladsl.model.EntityStreamSizeException;
import akka.http.scaladsl.model.IllegalRequestException;
import io.parley.Futures;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place where failures and rejections become problem+json responses with a stable code. */
public final class ErrorHandling {
  private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);

  private ErrorHandling() {}

  public static final ExceptionHandler EXCEPTIONS =
      ExceptionHandler.newBuilder().matchAny(failure -> complete(responseFor(failure))).build();

  public static final RejectionHandler REJECTIONS =
      RejectionHandler.newBuilder()
          .handle(
              MalformedRequestContentRejection.class,
              r ->
                  complete(
                      unwrap(r.getCause() == null ? new IllegalArgumentException() : r.getCause())
                              instanceof EntityStreamSizeException size
                          ? responseFor(size)
                          : Problem.response(ApiError.BAD_REQUEST, "malformed request body")))
          .handle(
              MalformedQueryParamRejection.class,
              r -> complete(Problem.response(ApiError.BAD_REQUEST, "query parameter '" + r.parameterName() + "' is invalid")))
          .handle(
              MissingQueryParamRejection.class,
              r -> complete(Problem.response(ApiError.BAD_REQUEST, "query parameter '" + r.parameterName() + "' is required")))
          .handle(
              UnsupportedRequestContentTypeRejection.class,
              r -> complete(Problem.response(ApiError.UNSUPPORTED_MEDIA_TYPE, "send application/json")))
          .handle(
              ExpectedWebSocketRequestRejection.class,
              r -> complete(Problem.response(ApiError.BAD_REQUEST, "this endpoint expects a WebSocket upgrade")))
          .handle(
              AuthorizationFailedRejection.class,
              r -> complete(Problem.response(ApiError.FORBIDDEN, "not allowed")))
          .handleAll(
              MethodRejection.class,
              rejections ->
                  complete(
                      Problem.response(
                              ApiError.METHOD_NOT_ALLOWED,
                              "allowed: "
                                  + rejections.stream()
                                      .map(r -> r.supported().name())
                                      .collect(Collectors.joining(", ")))
                          .addHeader(
                              Allow.create(rejections.stream().map(MethodRejection::supported).toArray(akka.http.javadsl.model.HttpMethod[]::new)))))
          .handleNotFound(complete(Problem.response(ApiError.NOT_FOUND, "no such resource")))
          .build()
          .seal();

  /** Akka HTTP's own answer to a request past its timeout is plain text; clients get the same problem+json as ever. */
  public static HttpResponse timedOut(akka.http.javadsl.model.HttpRequest request) {
    return Problem.response(ApiError.TIMEOUT, "the request took too long; retry (with the same idempotency key, if any)");
  }

  public static HttpResponse responseFor(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof ApiException api) return Problem.response(api);
    if (cause instanceof EntityStreamSizeException size) {
      return Problem.response(ApiError.TOO_LARGE, "request body larger than " + size.limit() + " bytes");
    }
    if (cause instanceof IllegalRequestException illegal) {
      return Problem.response(ApiError.BAD_REQUEST, illegal.info().summary());
    }
    if (cause instanceof EntityStreamException broken) return brokenBody(broken);
    log.error("Unhandled failure while serving a request", cause);
    return Problem.response(ApiError.INTERNAL, "internal error");
  }

  /**
   * A body the parser could not read to its end: bad chunk framing, a chunk past {@code akka.http.parsing}'s limits
   * (413), or a connection closed before the body was all there. The client's doing, and it happens before any
   * credential is checked on the webhook routes, so it is no ERROR: anyone could fill the log with stack traces.
   */
  private static HttpResponse brokenBody(EntityStreamException broken) {
    String summary = broken.info().summary();
    log.debug("Request body unreadable: {}", summary);
    // Akka says which of its limits a body broke only in words: "HTTP chunk size exceeds the configured limit of ...".
    ApiError error = summary.contains("configured limit") ? ApiError.TOO_LARGE : ApiError.BAD_REQUEST;
    return Problem.response(error, "request body unreadable: " + summary);
  }

  public static Throwable unwrap(Throwable failure) {
    Throwable cause = Futures.cause(failure);
    if (cause.getCause() instanceof EntityStreamSizeException size) return size;
    return cause;
  }
}
