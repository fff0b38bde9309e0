package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.http.impl.engine.ws.FrameHandler;
import akka.http.impl.engine.ws.FrameStart;
import akka.japi.Pair;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.testkit.TestPublisher;
import akka.stream.testkit.TestSubscriber;
import akka.stream.testkit.javadsl.TestSink;
import akka.stream.testkit.javadsl.TestSource;
import io.parley.gateway.WebSocketCloseCodes.Close;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import scala.Option;

/**
 * {@link SocketStage} alone, between a probe for Akka's frame handling below it and a probe for the session actor:
 * what the session writes reaches the client whole and in order whatever the client's demand, the close travels
 * behind it, and the client's frames keep being read.
 */
class SocketStageTest {
  private static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** One running stage: the client's side of it, and the session's. */
  private record Socket(
      TestPublisher.Probe<FrameHandler.Output> client,
      TestSubscriber.Probe<Object> toClient,
      Session.Outgoing out,
      TestProbe<Session.Command> session) {}

  private static Socket open(SocketStage.Limits limits) throws Exception {
    TestProbe<Session.Command> session = testKit.createTestProbe();
    CompletableFuture<Session.Outgoing> outgoing = new CompletableFuture<>();
    SocketStage stage =
        new SocketStage(
            (out, token) -> {
              outgoing.complete(out);
              return session.ref();
            },
            limits);
    Pair<TestPublisher.Probe<FrameHandler.Output>, TestSubscriber.Probe<Object>> probes =
        TestSource.<FrameHandler.Output>create(testKit.system())
            .via(Flow.fromGraph(stage))
            .toMat(TestSink.create(testKit.system()), Keep.both())
            .run(testKit.system());
    return new Socket(probes.first(), probes.second(), outgoing.get(5, TimeUnit.SECONDS), session);
  }

  private static SocketStage.Limits limits(int outgoingBuffer) {
    return new SocketStage.Limits(outgoingBuffer, 1000, 1000, 1000, null);
  }

  private static String text(Object frame) {
    assertThat(frame).isInstanceOf(FrameStart.class);
    return ((FrameStart) frame).data().utf8String();
  }

  private static List<String> texts(TestSubscriber.Probe<Object> toClient, int count) {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < count; i++) texts.add(text(toClient.expectNext()));
    return texts;
  }

  private static List<String> numbered(int from, int to) {
    return IntStream.range(from, to).mapToObj(i -> "m" + i).toList();
  }

  @Test
  void framesWrittenWhetherOrNotTheClientIsReadingReachItInOrderThenTheClose() throws Exception {
    Socket socket = open(limits(1024));
    // Demand first: frames go straight through.
    socket.toClient().request(3);
    numbered(0, 3).forEach(socket.out()::send);
    assertThat(texts(socket.toClient(), 3)).containsExactlyElementsOf(numbered(0, 3));
    // No demand: frames wait, and come out in order as the client asks for them, one, a few, then all.
    numbered(3, 200).forEach(socket.out()::send);
    socket.toClient().expectNoMessage(Duration.ofMillis(200));
    socket.toClient().request(1);
    List<String> seen = new ArrayList<>(texts(socket.toClient(), 1));
    socket.toClient().request(5);
    seen.addAll(texts(socket.toClient(), 5));
    // More written while some are still waiting, and the close behind them all.
    numbered(200, 250).forEach(socket.out()::send);
    socket.out().close(new Close(4001, "token_expired"));
    socket.out().send("after the close");
    socket.toClient().request(1000);
    seen.addAll(texts(socket.toClient(), 241));
    assertThat(seen).containsExactlyElementsOf(numbered(3, 250));
    Object close = socket.toClient().expectNext();
    assertThat(close).isEqualTo(new FrameHandler.ActivelyCloseWithCode(Option.apply((Object) 4001), "token_expired"));
    // Only Akka's ticks, which let it give up on a client that never answers the close, come after it.
    socket.toClient().expectNoMessage(Duration.ofMillis(300));
  }

  @Test
  void framesWrittenFromManyThreadsAtOnceAllArriveEachInItsWritersOrder() throws Exception {
    Socket socket = open(limits(100_000));
    int writers = 4;
    int each = 2_000;
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      Thread thread = new Thread(() -> {
        for (int i = 0; i < each; i++) socket.out().send(writer + ":" + i);
      });
      thread.start();
      threads.add(thread);
    }
    // The client reads in small, uneven steps while the writers write.
    List<String> seen = new ArrayList<>();
    int step = 0;
    while (seen.size() < writers * each) {
      int ask = 1 + (step++ % 7);
      int take = Math.min(ask, writers * each - seen.size());
      socket.toClient().request(take);
      seen.addAll(texts(socket.toClient(), take));
    }
    for (Thread thread : threads) thread.join();
    for (int w = 0; w < writers; w++) {
      String prefix = w + ":";
      assertThat(seen.stream().filter(t -> t.startsWith(prefix)).toList())
          .as("writer " + w)
          .containsExactlyElementsOf(IntStream.range(0, each).mapToObj(i -> prefix + i).toList());
    }
    socket.toClient().request(1);
    socket.toClient().expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aClientThatReadsSlowerThanItIsWrittenToIsClosedWithSlowConsumer() throws Exception {
    Socket socket = open(limits(4));
    numbered(0, 5).forEach(socket.out()::send);
    socket.toClient().request(10);
    assertThat(socket.toClient().expectNext())
        .isEqualTo(new FrameHandler.ActivelyCloseWithCode(Option.apply((Object) 1008), "slow_consumer"));
  }

  @Test
  void aFloodedSocketIsReadAgainOnceTheFloodAllowanceRefills() throws Exception {
    // 1 frame a second and a burst of 1: the flood limit is 6 frames a second, 5 at once.
    Socket socket = open(new SocketStage.Limits(1024, 1000, 1, 1, null));
    List<String> sent = numbered(0, 12);
    for (String text : sent) socket.client().sendNext(new FrameHandler.TextMessagePart(text, true));
    List<String> received = new ArrayList<>();
    for (int i = 0; i < sent.size(); i++) {
      Session.Command command = socket.session().expectMessageClass(Session.Command.class, Duration.ofSeconds(5));
      assertThat(command).isInstanceOf(Session.Incoming.class);
      received.add(((Session.Incoming) command).text());
      socket.out().taken();
    }
    assertThat(received).containsExactlyElementsOf(sent);
  }

  @Test
  void aSessionThatFallsBehindLeavesTheClientsFramesInTheSocket() throws Exception {
    Socket socket = open(limits(1024));
    int sent = 0;
    // The client may send more than the session takes: only as many as it has room for reach it.
    for (; sent < 3 * SocketStage.MAX_UNTAKEN; sent++) {
      socket.client().sendNext(new FrameHandler.TextMessagePart("f" + sent, true));
    }
    List<String> received = new ArrayList<>();
    for (int i = 0; i < SocketStage.MAX_UNTAKEN; i++) {
      received.add(socket.session().expectMessageClass(Session.Incoming.class).text());
    }
    socket.session().expectNoMessage(Duration.ofMillis(300));
    // Each frame the session takes lets one more through, in order.
    for (int i = 0; i < 2 * SocketStage.MAX_UNTAKEN; i++) {
      socket.out().taken();
      received.add(socket.session().expectMessageClass(Session.Incoming.class).text());
    }
    assertThat(received).containsExactlyElementsOf(IntStream.range(0, sent).mapToObj(i -> "f" + i).toList());
  }

  @Test
  void theClientsCloseIsAnsweredAndTheSessionIsToldTheClientIsGone() throws Exception {
    Socket socket = open(limits(1024));
    socket.toClient().request(10);
    socket.client().sendNext(new FrameHandler.TextMessagePart("hello", true));
    assertThat(socket.session().expectMessageClass(Session.Incoming.class).text()).isEqualTo("hello");
    FrameHandler.PeerClosed peerClosed = new FrameHandler.PeerClosed(Option.apply((Object) 1000), "bye");
    socket.client().sendNext(peerClosed);
    assertThat(socket.toClient().expectNext()).isEqualTo(peerClosed);
    assertThat(socket.toClient().expectNext()).isEqualTo(FrameHandler.UserHandlerCompleted$.MODULE$);
    socket.toClient().expectComplete();
    socket.session().expectMessage(Session.ClientGone.INSTANCE);
    socket.out().send("too late");
    socket.session().expectNoMessage(Duration.ofMillis(100));
  }
}
