package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A real WebSocket client over a real socket (the JDK's), collecting the JSON frames the server sends. */
public final class WsClient implements AutoCloseable {
  public record Closed(int code, String reason) {}

  /** A frame as the server wrote it, and as read with doubles for numbers. */
  private record Received(String text, JsonNode json) {}

  private final LinkedBlockingQueue<Received> frames = new LinkedBlockingQueue<>();
  private final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final WebSocket socket;

  private volatile boolean reading = true;

  private WsClient(URI uri, Map<String, String> headers) {
    WebSocket.Builder builder = HttpClient.newHttpClient().newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    headers.forEach(builder::header);
    StringBuilder partial = new StringBuilder();
    try {
      socket =
          builder
              .buildAsync(
                  uri,
                  new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                      partial.append(data);
                      if (last) {
                        String text = partial.toString();
                        frames.add(new Received(text, Json.parse(text, JsonNode.class)));
                        partial.setLength(0);
                      }
                      // A paused client asks for nothing more: the JDK stops reading the socket, as a slow phone would.
                      if (reading) ws.request(1);
                      return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
                      closed.complete(new Closed(code, reason));
                      return null;
                    }

                    @Override
                    public void onError(WebSocket ws, Throwable error) {
                      closed.complete(new Closed(1006, String.valueOf(error)));
                    }
                  })
              .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not connect to " + uri, e);
    }
  }

  public static WsClient connect(URI uri, Map<String, String> headers) {
    return new WsClient(uri, headers);
  }

  /** Connects with {@code Authorization: Bearer} and waits for the connected frame. */
  public static WsClient signedIn(TestNode node, String token) {
    WsClient client = connect(node.wsUri("/ws"), Map.of("Authorization", "Bearer " + token));
    client.next("connected");
    return client;
  }

  /** Stops reading from the socket after the frame being delivered now. */
  public void pauseReading() {
    reading = false;
  }

  /** Reads again, everything the socket holds. */
  public void resumeReading() {
    reading = true;
    socket.request(Long.MAX_VALUE);
  }

  public WsClient send(String text) {
    socket.sendText(text, true).join();
    return this;
  }

  public WsClient sendBinary(byte[] bytes) {
    socket.sendBinary(ByteBuffer.wrap(bytes), true).join();
    return this;
  }

  /** The next frame, whatever its type. */
  public JsonNode next() {
    return receive().json();
  }

  /** The next frame, which must be of this type. */
  public JsonNode next(String type) {
    JsonNode frame = next();
    assertThat(frame.path("type").asText()).as("frame " + frame).isEqualTo(type);
    return frame;
  }

  /** The next frame, which must be of this type, with every number as its exact decimal value. */
  public JsonNode nextExactly(String type) {
    JsonNode frame = HttpApi.exactJson(receive().text());
    assertThat(frame.path("type").asText()).as("frame " + frame).isEqualTo(type);
    return frame;
  }

  private Received receive() {
    try {
      Received frame = frames.poll(10, TimeUnit.SECONDS);
      assertThat(frame).as("a frame within 10 s").isNotNull();
      return frame;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Skips frames until one matches; the skipped ones are returned too, for assertions on what came before. */
  public JsonNode until(Predicate<JsonNode> match, List<JsonNode> skipped) {
    while (true) {
      JsonNode frame = next();
      if (match.test(frame)) return frame;
      skipped.add(frame);
    }
  }

  public JsonNode until(String type) {
    return until(f -> f.path("type").asText().equals(type), new ArrayList<>());
  }

  /** No frame arrives within the given time. */
  public void expectNothing(Duration within) {
    try {
      Received frame = frames.poll(within.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(frame).as("no frame expected").isNull();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  public List<JsonNode> drain() {
    List<Received> all = new ArrayList<>();
    frames.drainTo(all);
    return all.stream().map(Received::json).toList();
  }

  public Closed awaitClose() {
    try {
      return closed.get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("the server did not close the socket", e);
    }
  }

  public boolean isClosed() {
    return closed.isDone();
  }

  /** Drops the connection without a closing handshake, like a phone losing its network. */
  public void abort() {
    socket.abort();
  }

  @Override
  public void close() {
    if (!closed.isDone()) {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye");
      socket.abort();
    }
  }
}
