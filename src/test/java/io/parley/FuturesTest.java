package io.parley;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.AskPattern;
import akka.actor.typed.javadsl.Behaviors;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Continuations of a real Akka ask: where they run, and what failure they see. */
class FuturesTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create("futures", ConfigFactory.parseString("akka.actor.provider = local"));

  private record Ping(ActorRef<String> replyTo) {}

  private record Later(ActorRef<String> replyTo) {}

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aDirectContinuationRunsOnTheThreadThatAnswered() throws Exception {
    // Answers 50 ms later, so that the chain below is in place before the answer arrives.
    ActorRef<Object> echo =
        testKit.spawn(Behaviors.<Object>setup(context -> Behaviors.receiveMessage(message -> {
          if (message instanceof Ping ping) {
            context.scheduleOnce(Duration.ofMillis(50), context.getSelf(), new Later(ping.replyTo()));
          } else if (message instanceof Later later) {
            later.replyTo().tell(Thread.currentThread().getName());
          }
          return Behaviors.same();
        })));

    for (int i = 0; i < 5; i++) {
      // Akka's own stage would run this on another thread: a pool's, or a new one on a 2-core machine.
      String[] names =
          Futures.direct(ask(echo, Duration.ofSeconds(5)))
              .thenApply(replier -> new String[] {replier, Thread.currentThread().getName()})
              .toCompletableFuture()
              .get(5, TimeUnit.SECONDS);
      assertThat(names[1]).startsWith("futures-akka.actor.default-dispatcher").isEqualTo(names[0]);
    }
  }

  @Test
  void theUndirectedStageOfAkkaHopsToAnotherThread() throws Exception {
    ActorRef<Ping> echo =
        testKit.spawn(Behaviors.receiveMessage(ping -> {
          ping.replyTo().tell("pong");
          return Behaviors.same();
        }));

    // Why direct exists: the same chain on Akka's stage never runs on the actor system's threads.
    String thread =
        ask(echo, Duration.ofSeconds(5)).thenApply(pong -> Thread.currentThread().getName()).toCompletableFuture()
            .get(5, TimeUnit.SECONDS);
    assertThat(thread).doesNotStartWith("futures-akka");
  }

  @Test
  void aFailureIsPassedOnAsItIsNotWrapped() throws Exception {
    ActorRef<Ping> silent = testKit.spawn(Behaviors.receiveMessage(ping -> Behaviors.same()));

    Throwable failure =
        Futures.direct(ask(silent, Duration.ofMillis(50)))
            .handle((value, error) -> error)
            .get(5, TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(TimeoutException.class);
  }

  @Test
  void theBuildsJvmsHavePooledContinuations() {
    // surefire's argLine sets the common pool's parallelism, as io.parley.Main does for a node.
    assertThat(Futures.continuationsArePooled()).isTrue();
  }

  private static CompletionStage<String> ask(ActorRef<? super Ping> target, Duration timeout) {
    return AskPattern.<Ping, String>ask(target.narrow(), Ping::new, timeout, testKit.scheduler());
  }

  @Test
  void allAnswersEveryResultInTheOrderAskedOrTheFirstFailure() throws Exception {
    java.util.concurrent.CompletableFuture<String> late = new java.util.concurrent.CompletableFuture<>();
    var all = Futures.all(java.util.List.of(late, java.util.concurrent.CompletableFuture.completedFuture("b")));
    assertThat(all).isNotDone();
    late.complete("a");
    assertThat(all.get(1, TimeUnit.SECONDS)).containsExactly("a", "b");

    IllegalStateException refused = new IllegalStateException("refused");
    var failed =
        Futures.all(
            java.util.List.of(
                java.util.concurrent.CompletableFuture.completedFuture("a"),
                java.util.concurrent.CompletableFuture.<String>failedFuture(refused)));
    assertThat(failed).isCompletedExceptionally();
    assertThat(io.parley.http.ErrorHandling.unwrap(
            org.assertj.core.api.Assertions.catchThrowable(() -> failed.get(1, TimeUnit.SECONDS))))
        .isSameAs(refused);
  }
}
