package io.parley.gateway;

import static akka.http.javadsl.server.Directives.*;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.Route;
import com.typesafe.config.ConfigFactory;
import io.parley.gateway.WebSocketCloseCodes.Close;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared WebSocket stack over a real socket: close codes of the server's choosing arrive after everything sent
 * before them, the token of the upgrade reaches the actor behind the socket, client frames reach it whole, and a
 * silent client is pinged.
 */
class WebSocketCloseCodesTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ConfigFactory.parseString("akka.http.server.websocket.periodic-keep-alive-max-idle = 1s")
              .withFallback(ConfigFactory.load()));
  private static final int MAX_FRAME = 1000;
  private static ServerBinding binding;

  /** A socket route whose actor is {@code behavior}, given the socket's outgoing side and the upgrade's token. */
  private static Route socket(String name, BiFunction<Session.Outgoing, Optional<String>, Behavior<Session.Command>> behavior) {
    WebSocketCloseCodes sockets =
        new WebSocketCloseCodes(
            testKit.system(),
            (out, token) -> testKit.spawn(behavior.apply(out, token)),
            1024,
            MAX_FRAME,
            1000,
            1000);
    return path(
        name,
        () ->
            extractWebSocketUpgrade(
                upgrade ->
                    parameterOptional(
                        "token",
                        token -> headerValueByName("Sec-WebSocket-Key", key -> complete(sockets.accept(key, token))))));
  }

  /** Sends {@code texts}, then closes with {@code close}. */
  private static Behavior<Session.Command> sending(Session.Outgoing out, List<String> texts, Close close) {
    return Behaviors.setup(
        context -> {
          texts.forEach(out::send);
          out.close(close);
          return Behaviors.receiveMessage(command -> command == Session.ClientGone.INSTANCE ? Behaviors.stopped() : Behaviors.same());
        });
  }

  /** Greets with the token, then answers each client frame with its text (or the refusal), and closes on "bye". */
  private static Behavior<Session.Command> echo(Session.Outgoing out, Optional<String> token) {
    return Behaviors.setup(
        context -> {
          out.send("token " + token.orElse("none"));
          return Behaviors.receiveMessage(
              command -> {
                if (command instanceof Session.Incoming || command instanceof Session.IncomingRejected) out.taken();
                if (command instanceof Session.Incoming incoming && incoming.text().equals("bye")) {
                  out.close(new Close(4000, "bye"));
                } else if (command instanceof Session.Incoming incoming) {
                  out.send(incoming.text());
                } else if (command instanceof Session.IncomingRejected rejected) {
                  out.send(rejected.error().code());
                } else if (command == Session.ClientGone.INSTANCE) {
                  return Behaviors.stopped();
                }
                return Behaviors.same();
              });
        });
  }

  private static final List<String> MANY = IntStream.range(0, 300).mapToObj(i -> i + ":" + "x".repeat(20_000)).toList();

  @BeforeAll
  static void bind() throws Exception {
    binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(
                concat(
                    socket("custom", (out, token) -> sending(out, List.of("one", "two"), new Close(4001, "token_expired"))),
                    socket("normal", (out, token) -> sending(out, List.of("only"), Close.NORMAL)),
                    socket("many", (out, token) -> sending(out, MANY, new Close(1012, "service_restart"))),
                    socket("echo", WebSocketCloseCodesTest::echo)))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  record Closed(List<String> texts, int code, String reason) {}

  /** Connects to {@code path}, then sends {@code frames}: each is a list of fragments of one text message. */
  private static Closed connect(String path, List<List<String>> frames) throws Exception {
    List<String> texts = new CopyOnWriteArrayList<>();
    CompletableFuture<Closed> closed = new CompletableFuture<>();
    StringBuilder partial = new StringBuilder();
    WebSocket socket =
        HttpClient.newHttpClient()
            .newWebSocketBuilder()
            .buildAsync(
                URI.create("ws://127.0.0.1:" + binding.localAddress().getPort() + path),
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                      texts.add(partial.toString());
                      partial.setLength(0);
                    }
                    socket.request(1);
                    return null;
                  }

                  @Override
                  public CompletionStage<?> onClose(WebSocket socket, int code, String reason) {
                    closed.complete(new Closed(texts, code, reason));
                    return null;
                  }
                })
            .get(10, TimeUnit.SECONDS);
    for (List<String> fragments : frames) {
      for (int i = 0; i < fragments.size(); i++) {
        socket.sendText(fragments.get(i), i == fragments.size() - 1).get(10, TimeUnit.SECONDS);
      }
    }
    return closed.get(20, TimeUnit.SECONDS);
  }

  @Test
  void closesWithTheChosenCodeAfterTheLastMessage() throws Exception {
    Closed closed = connect("/custom", List.of());
    assertThat(closed.texts()).containsExactly("one", "two");
    assertThat(closed.code()).isEqualTo(4001);
    assertThat(closed.reason()).isEqualTo("token_expired");
  }

  @Test
  void closesNormallyWithCode1000() throws Exception {
    Closed closed = connect("/normal", List.of());
    assertThat(closed.texts()).containsExactly("only");
    assertThat(closed.code()).isEqualTo(1000);
  }

  @Test
  void theCloseCodeWaitsBehindFramesTheClientHasNotReadYet() throws Exception {
    // 6 MB: far more than the socket buffers hold, so most frames wait in the stage when the close is asked for.
    Closed closed = connect("/many", List.of());
    assertThat(closed.texts()).containsExactlyElementsOf(MANY);
    assertThat(closed.code()).isEqualTo(1012);
  }

  @Test
  void theTokenAndWholeClientMessagesReachTheActor() throws Exception {
    Closed closed =
        connect(
            "/echo?token=t-1",
            List.of(
                List.of("hello"),
                List.of("frag", "men", "ted"),
                List.of("x".repeat(MAX_FRAME / 2), "x".repeat(MAX_FRAME / 2 + 1)),
                List.of("é".repeat(MAX_FRAME / 2 + 1)),
                List.of("after"),
                List.of("bye")));
    assertThat(closed.texts()).containsExactly("token t-1", "hello", "fragmented", "too_large", "too_large", "after");
    assertThat(closed.code()).isEqualTo(4000);
  }

  @Test
  void aSilentClientIsPinged() throws Exception {
    CompletableFuture<Void> pinged = new CompletableFuture<>();
    HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .buildAsync(
            URI.create("ws://127.0.0.1:" + binding.localAddress().getPort() + "/echo"),
            new WebSocket.Listener() {
              @Override
              public CompletionStage<?> onPing(WebSocket socket, java.nio.ByteBuffer message) {
                pinged.complete(null);
                return WebSocket.Listener.super.onPing(socket, message);
              }
            })
        .get(10, TimeUnit.SECONDS);
    pinged.get(5, TimeUnit.SECONDS);
  }
}
