package io.parley;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;

/**
 * Continuations of Akka's Java-API futures without a thread per continuation.
 *
 * <p>Akka's Java API hands out Scala futures converted to {@link CompletionStage}s, and that conversion runs every
 * continuation ({@code thenApply}, {@code whenComplete}, {@code pipeToSelf}...) as its {@code ...Async} form on
 * the JDK's default executor. When the common pool has a parallelism below 2, which is the JDK's choice on a
 * 2-core machine, that executor starts a new thread for every continuation: a webhook or a message paid for
 * several thread starts, most of a core under load (docs/benchmarks.md).
 */
public final class Futures {
  private static final String COMMON_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  private Futures() {}

  /**
   * The same outcome as a plain {@link CompletableFuture}, completed on the thread that completes {@code stage}, so
   * that what is chained on it runs there too instead of being handed to another thread.
   */
  public static <T> CompletableFuture<T> direct(CompletionStage<T> stage) {
    CompletableFuture<T> result = new CompletableFuture<>();
    // The failure is passed on as it is (a dependent stage would wrap it in a CompletionException).
    stage.whenCompleteAsync(
        (value, failure) -> {
          if (failure != null) result.completeExceptionally(failure);
          else result.complete(value);
        },
        Runnable::run);
    return result;
  }

  /** What failed a future, without the {@link CompletionException}s and {@link ExecutionException}s around it. */
  public static Throwable cause(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  /** Every result of {@code stages}, in their order, once all have completed; the first failure fails it. */
  public static <T> CompletableFuture<List<T>> all(List<? extends CompletionStage<T>> stages) {
    List<CompletableFuture<T>> futures = new ArrayList<>(stages.size());
    for (CompletionStage<T> stage : stages) futures.add(stage.toCompletableFuture());
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(done -> futures.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Gives the JVM's common pool at least two threads, so that a continuation that still goes to the default
   * executor (inside a library) waits for a pooled thread instead of starting one. Works only when called before
   * anything in the JVM has used the common pool: first thing in {@code main}. An explicit setting wins.
   */
  public static void preferPooledContinuations() {
    if (System.getProperty(COMMON_PARALLELISM) == null) {
      System.setProperty(COMMON_PARALLELISM, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
  }

  /** Whether default-executor continuations run on pooled threads rather than on a new thread each. */
  public static boolean continuationsArePooled() {
    return ForkJoinPool.getCommonPoolParallelism() >= 2;
  }
}
