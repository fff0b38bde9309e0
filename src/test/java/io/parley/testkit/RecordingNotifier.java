package io.parley.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import io.parley.matching.JobMatch;
import io.parley.matching.MatchDelivery.Pending;
import io.parley.matching.MatchNotifier;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for the candidates' inboxes: it records every match of every call. It can also fail the first calls
 * whose group holds a given user, as a store that is briefly down would.
 */
public final class RecordingNotifier implements MatchNotifier {
  public record Call(String userId, JobMatch match, String idempotencyKey) {}

  private final List<Call> calls = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicInteger> failuresLeft = new ConcurrentHashMap<>();

  @Override
  public CompletionStage<Done> notifyMatches(List<Pending> matches, String idempotencyKey) {
    for (Pending p : matches) {
      AtomicInteger failures = failuresLeft.get(p.userId());
      if (failures != null && failures.getAndDecrement() > 0) {
        return CompletableFuture.failedFuture(new IllegalStateException("inbox unavailable"));
      }
    }
    for (Pending p : matches) calls.add(new Call(p.userId(), p.match(), idempotencyKey));
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  /** The next {@code times} calls whose group holds the user fail. */
  public void failNext(String userId, int times) {
    failuresLeft.put(userId, new AtomicInteger(times));
  }

  public List<Call> calls() {
    return List.copyOf(calls);
  }

  public List<Call> callsFor(String userId) {
    return calls.stream().filter(c -> c.userId().equals(userId)).toList();
  }

  public List<Call> callsAbout(String jobId) {
    return calls.stream().filter(c -> c.match().jobId().equals(jobId)).toList();
  }

  /**
   * Waits until at least {@code count} calls are recorded, about any job for any user: only a notifier that one test
   * has to itself can be waited on this way.
   */
  public void awaitCalls(int count, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (calls.size() < count && System.nanoTime() < deadline) sleep(50);
    assertThat(calls).as("notifications within " + timeout).hasSizeGreaterThanOrEqualTo(count);
  }

  /**
   * Pauses the caller, between two polls. Not a way to show that no further notification comes: a test waits for
   * the processing projection's offsets for that (the webhook tests' WebhookProjections), which no load delays.
   */
  public void settle(Duration quiet) {
    sleep(quiet.toMillis());
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
