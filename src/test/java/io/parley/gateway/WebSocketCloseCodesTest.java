package io.parley.gateway;

import static akka.http.javadsl.server.Directives.*;
import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.scaladsl.model.ws.Message;
import akka.http.scaladsl.model.ws.TextMessage;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Close codes of the server's choosing reach a real client over a real socket, after everything sent before them. */
class WebSocketCloseCodesTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static ServerBinding binding;

  @BeforeAll
  static void bind() throws Exception {
    binding =
        Http.get(testKit.system())
            .newServerAt("127.0.0.1", 0)
            .bind(
                concat(
                    path(
                        "custom",
                        () ->
                            extractWebSocketUpgrade(
                                upgrade ->
                                    complete(
                                        WebSocketCloseCodes.handle(
                                            upgrade,
                                            testKit.system(),
                                            Flow.fromSinkAndSource(
                                                Sink.<Message>ignore(),
                                                Source.<Message>from(
                                                    List.of(new TextMessage.Strict("one"), new TextMessage.Strict("two")))),
                                            () -> new WebSocketCloseCodes.Close(4001, "token_expired"))))),
                    path(
                        "normal",
                        () ->
                            extractWebSocketUpgrade(
                                upgrade ->
                                    complete(
                                        WebSocketCloseCodes.handle(
                                            upgrade,
                                            testKit.system(),
                                            Flow.fromSinkAndSource(
                                                Sink.<Message>ignore(),
                                                Source.<Message>single(new TextMessage.Strict("only"))),
                                            () -> null))))))
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  record Closed(List<String> texts, int code, String reason) {}

  private static Closed connect(String path) throws Exception {
    List<String> texts = new CopyOnWriteArrayList<>();
    CompletableFuture<Closed> closed = new CompletableFuture<>();
    HttpClient.newHttpClient()
        .newWebSocketBuilder()
        .buildAsync(
            URI.create("ws://127.0.0.1:" + binding.localAddress().getPort() + path),
            new WebSocket.Listener() {
              @Override
              public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                texts.add(data.toString());
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
    return closed.get(10, TimeUnit.SECONDS);
  }

  @Test
  void closesWithTheChosenCodeAfterTheLastMessage() throws Exception {
    Closed closed = connect("/custom");
    assertThat(closed.texts()).containsExactly("one", "two");
    assertThat(closed.code()).isEqualTo(4001);
    assertThat(closed.reason()).isEqualTo("token_expired");
  }

  @Test
  void closesNormallyWhenNoCodeWasChosen() throws Exception {
    Closed closed = connect("/normal");
    assertThat(closed.texts()).containsExactly("only");
    assertThat(closed.code()).isEqualTo(1000);
  }
}
