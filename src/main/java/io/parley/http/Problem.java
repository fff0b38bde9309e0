package io.parley.http;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;

/**
 * An RFC 9457 problem+json body: {@code code} is the stable {@link ApiError} code clients branch on.
 * {@code idempotencyKey}, an extension member, is there when a failed request should be sent again with that key
 * ({@link ApiException#idempotencyKey()}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String code, String detail, String idempotencyKey) {

  public static final ContentType.NonBinary CONTENT_TYPE =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

  public static Problem of(ApiError error, String detail) {
    return of(error, detail, null);
  }

  private static Problem of(ApiError error, String detail, String idempotencyKey) {
    return of(error, error.status(), detail, idempotencyKey);
  }

  private static Problem of(ApiError error, int status, String detail, String idempotencyKey) {
    return new Problem(
        "https://parley.dev/problems/" + error.code(),
        StatusCodes.get(status).reason(),
        status,
        error.code(),
        detail,
        idempotencyKey);
  }

  public static HttpResponse response(ApiError error, String detail) {
    return response(of(error, detail));
  }

  /** A problem whose HTTP status is not its code's own: Akka's parser says 414 or 431 where the code says too_large. */
  public static HttpResponse response(ApiError error, int status, String detail) {
    return response(of(error, status, detail, null));
  }

  public static HttpResponse response(ApiException e) {
    HttpResponse response = response(of(e.error(), e.getMessage(), e.idempotencyKey()));
    return e.retryAfter() == null
        ? response
        : response.addHeader(RawHeader.create("Retry-After", Long.toString(ApiException.retryAfterSeconds(e.retryAfter()))));
  }

  private static HttpResponse response(Problem problem) {
    HttpResponse response =
        HttpResponse.create()
            .withStatus(problem.status())
            .withEntity(CONTENT_TYPE, Json.write(problem));
    if (problem.status() == 401) {
      response = response.addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"parley\", error=\"invalid_token\""));
    }
    return response;
  }
}
