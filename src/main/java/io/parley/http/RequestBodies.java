package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.http.javadsl.server.Route;
import akka.http.javadsl.unmarshalling.Unmarshaller;
import java.util.function.Function;

/** Reads a JSON request body under a size limit, and turns it into a wire record or a clear 400/413. */
public final class RequestBodies {
  private final long maxBytes;

  public RequestBodies(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public <T> Route json(Class<T> type, Function<T, Route> inner) {
    return withSizeLimit(
        maxBytes, () -> entity(Unmarshaller.entityToString(), body -> inner.apply(Json.parse(body, type))));
  }
}
