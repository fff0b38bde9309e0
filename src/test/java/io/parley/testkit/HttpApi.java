package io.parley.testkit;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.parley.api.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Function;

/** A real HTTP client over a real socket, with just enough sugar to keep tests readable. */
public final class HttpApi {
  public record Response(int status, String contentType, String body, HttpResponse<String> raw) {
    public JsonNode json() {
      try {
        return Json.MAPPER.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + body, e);
      }
    }

    /** The body with every number as its exact decimal value, where {@link #json} reads doubles. */
    public JsonNode exactJson() {
      return HttpApi.exactJson(body);
    }

    public String code() {
      return json().path("code").asText(null);
    }
  }

  private static final ObjectMapper EXACT =
      JsonMapper.builder().nodeFactory(JsonNodeFactory.withExactBigDecimals(true)).build();

  /** {@code text} with every number as its exact decimal value (a server's frame, a response body). */
  public static JsonNode exactJson(String text) {
    // Jackson's USE_BIG_DECIMAL_FOR_FLOATS still reads a number past a double's range as a double (Infinity).
    try (JsonParser parser =
        new JsonParserDelegate(EXACT.getFactory().createParser(text)) {
          @Override
          public NumberType getNumberType() throws IOException {
            return hasToken(JsonToken.VALUE_NUMBER_FLOAT) ? NumberType.BIG_DECIMAL : super.getNumberType();
          }
        }) {
      return EXACT.readTree(parser);
    } catch (IOException e) {
      throw new AssertionError("not JSON: " + text, e);
    }
  }

  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Function<String, URI> uri;

  public HttpApi(Function<String, URI> uri) {
    this.uri = uri;
  }

  public Response get(String path, String token) {
    return send(request(path, token).GET());
  }

  public Response delete(String path, String token) {
    return send(request(path, token).DELETE());
  }

  public Response post(String path, String token, String json) {
    return send(request(path, token).header("Content-Type", "application/json").POST(body(json)));
  }

  public Response patch(String path, String token, String json) {
    return send(request(path, token).header("Content-Type", "application/json").method("PATCH", body(json)));
  }

  public Response send(HttpRequest.Builder builder) {
    try {
      HttpResponse<String> response = client.send(builder.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(
          response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body(), response);
    } catch (IOException e) {
      throw new AssertionError("request failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  public HttpRequest.Builder request(String path, String token) {
    HttpRequest.Builder builder = HttpRequest.newBuilder(uri.apply(path)).timeout(Duration.ofSeconds(20));
    if (token != null) builder.header("Authorization", "Bearer " + token);
    return builder;
  }

  private static HttpRequest.BodyPublisher body(String json) {
    return json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json);
  }
}
