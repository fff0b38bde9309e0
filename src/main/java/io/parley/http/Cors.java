package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * CORS for browser apps on other origins, from {@code parley.http.cors-origins}. The same allow-list guards the
 * WebSocket's {@code Origin}.
 */
public final class Cors {
  private final boolean anyOrigin;
  private final Set<String> origins;

  public Cors(String allowList) {
    List<String> entries =
        Arrays.stream(allowList.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    this.anyOrigin = entries.contains("*");
    this.origins = entries.stream().map(Cors::normalize).collect(Collectors.toUnmodifiableSet());
  }

  public boolean allows(String origin) {
    return anyOrigin || origins.contains(normalize(origin));
  }

  public Route route(Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Origin",
        origin -> {
          Optional<String> allowed = origin.filter(this::allows);
          if (allowed.isEmpty()) return inner.get();
          List<akka.http.javadsl.model.HttpHeader> headers = headersFor(allowed.get());
          return respondWithHeaders(
              headers,
              () ->
                  concat(
                      method(
                          HttpMethods.OPTIONS,
                          () ->
                              complete(
                                  HttpResponse.create()
                                      .withStatus(StatusCodes.NO_CONTENT)
                                      .addHeader(
                                          RawHeader.create(
                                              "Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS"))
                                      .addHeader(
                                          RawHeader.create(
                                              "Access-Control-Allow-Headers",
                                              "Authorization, Content-Type, x-webhook-secret"))
                                      .addHeader(RawHeader.create("Access-Control-Max-Age", "600")))),
                      // HttpServer makes errors responses inside this, so that they carry these headers too: a
                      // browser shows a script no response from another origin without them.
                      inner.get()));
        });
  }

  /**
   * {@code response} with the headers its request's origin is allowed: for answers made outside the route, such as
   * Akka's to a request past its timeout.
   */
  public HttpResponse decorate(HttpRequest request, HttpResponse response) {
    return request
        .getHeader("Origin")
        .map(akka.http.javadsl.model.HttpHeader::value)
        .filter(this::allows)
        .map(origin -> response.addHeaders(headersFor(origin)))
        .orElse(response);
  }

  private static List<akka.http.javadsl.model.HttpHeader> headersFor(String origin) {
    return List.of(
        RawHeader.create("Access-Control-Allow-Origin", origin),
        RawHeader.create("Vary", "Origin"),
        // A script may read only the headers it is told of: a 429's tells it when to retry.
        RawHeader.create("Access-Control-Expose-Headers", "Retry-After"));
  }

  private static String normalize(String origin) {
    String trimmed = origin.trim().toLowerCase(java.util.Locale.ROOT);
    return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
  }
}
