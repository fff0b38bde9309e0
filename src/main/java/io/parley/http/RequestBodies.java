package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.RequestEntity;
import akka.http.javadsl.server.Route;
import akka.stream.Materializer;
import akka.stream.javadsl.Sink;
import akka.util.ByteString;
import akka.util.ByteStringBuilder;
import io.parley.Futures;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Reads a request body under a size limit, and turns it into a wire record or a clear 400/413. A body over the limit
 * is still read to its end (and thrown away, up to {@code akka.http.server.parsing.max-content-length}): answering
 * before the client has finished sending would close the connection under it, and the client would see a reset
 * instead of the 413.
 */
public final class RequestBodies {
  private final long maxBytes;

  public RequestBodies(long maxBytes) {
    this.maxBytes = maxBytes;
  }

  public <T> Route json(Class<T> type, Function<T, Route> inner) {
    return bytes(body -> inner.apply(Json.parse(utf8(body), type)));
  }

  /**
   * JSON is UTF-8, and bytes that are not are refused, as the webhook routes and the WebSocket (1007) refuse them:
   * decoded leniently, each would become U+FFFD and be stored as the client never wrote it.
   */
  private static String utf8(byte[] body) {
    ByteBuffer in = ByteBuffer.wrap(body);
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(in)
          .toString();
    } catch (CharacterCodingException e) {
      throw new ApiException(ApiError.BAD_REQUEST, "malformed JSON: Invalid UTF-8 at byte " + in.position());
    }
  }

  /** The raw body, for callers that need its exact bytes (a signature over it, say). */
  public Route bytes(Function<byte[], Route> inner) {
    return extractRequestEntity(
        entity ->
            extractMaterializer(
                materializer ->
                    onSuccess(
                        read(entity, materializer),
                        body -> {
                          if (body == null) {
                            throw new ApiException(
                                ApiError.TOO_LARGE, "request body larger than " + maxBytes + " bytes");
                          }
                          return inner.apply(body);
                        })));
  }

  /** The body's bytes, or null when there are more than {@code maxBytes}. */
  private CompletionStage<byte[]> read(RequestEntity entity, Materializer materializer) {
    if (entity instanceof HttpEntity.Strict strict) {
      ByteString data = strict.getData();
      return CompletableFuture.completedFuture(data.size() > maxBytes ? null : data.toArray());
    }
    // The entity keeps the server's own ceiling (parsing.max-content-length): past it, the stream fails and Akka
    // answers 413 and closes the connection, so a hostile client cannot make the node read forever.
    return Futures.direct(entity.getDataBytes().runWith(Sink.fold(new Bounded(maxBytes), Bounded::add), materializer))
        .thenApply(Bounded::bytes);
  }

  /** Keeps up to {@code limit} bytes; past that, only counts, so that the rest is drained but not held. */
  private static final class Bounded {
    private final long limit;
    private final ByteStringBuilder kept = new ByteStringBuilder();
    private long size;

    Bounded(long limit) {
      this.limit = limit;
    }

    Bounded add(ByteString chunk) {
      size += chunk.size();
      if (size <= limit) kept.append(chunk);
      return this;
    }

    byte[] bytes() {
      return size > limit ? null : kept.result().toArray();
    }
  }
}
