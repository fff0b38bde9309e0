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

/** An RFC 9457 problem+json body: {@code code} is the stable {@link ApiError} code clients branch on. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Problem(String type, String title, int status, String code, String detail) {

  public static final ContentType.NonBinary CONTENT_TYPE =
      ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));

  public static Problem of(ApiError error, String detail) {
    return new Problem(
        "https://parley.dev/problems/" + error.code(),
        StatusCodes.get(error.status()).reason(),
        error.status(),
        error.code(),
        detail);
  }

  public static HttpResponse response(ApiError error, String detail) {
    HttpResponse response =
        HttpResponse.create()
            .withStatus(error.status())
            .withEntity(CONTENT_TYPE, Json.write(of(error, detail)));
    if (error.status() == 401) {
      response = response.addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"parley\", error=\"invalid_token\""));
    }
    return response;
  }

  public static HttpResponse response(ApiException e) {
    return response(e.error(), e.getMessage());
  }
}
