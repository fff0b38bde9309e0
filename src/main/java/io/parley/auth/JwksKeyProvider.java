package io.parley.auth;

import com.auth0.jwt.algorithms.Algorithm;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's JWKS signing keys by {@code kid}: fetched over HTTP, used for at most the cache TTL, and refetched
 * for an unknown kid no more than once per minimum interval, so that made-up kids cannot hammer Supabase. Concurrent
 * callers share one fetch. When a fetch fails the keys fetched before keep serving, but only for the max-stale grace
 * beyond the TTL: after that a key Supabase may have revoked is refused until a fetch succeeds. Ages and intervals are
 * measured on a monotonic ticker (nanoseconds), so that a wall clock stepped back cannot freeze the cache.
 */
final class JwksKeyProvider {
  private static final Logger log = LoggerFactory.getLogger(JwksKeyProvider.class);
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

  /** {@code fetchedAt} is a ticker reading; the empty snapshot before the first fetch has never been fetched. */
  private record Snapshot(Map<String, Algorithm> keys, long fetchedAt, boolean fetched) {
    static final Snapshot NONE = new Snapshot(Map.of(), 0, false);
  }

  private final URI uri;
  private final long cacheTtlNanos;
  private final long maxAgeNanos;
  private final long minRefetchIntervalNanos;
  private final LongSupplier ticker;
  private final HttpClient http;

  private volatile Snapshot current = Snapshot.NONE;

  // Guarded by this.
  private boolean anyFetchStarted;
  private long lastFetchStarted;
  private CompletableFuture<Snapshot> inFlight;

  /** {@code ticker} reads nanoseconds from an arbitrary origin, like {@link System#nanoTime}. */
  JwksKeyProvider(
      URI uri, Duration cacheTtl, Duration maxStale, Duration minRefetchInterval, LongSupplier ticker) {
    this.uri = uri;
    this.cacheTtlNanos = cacheTtl.toNanos();
    this.maxAgeNanos = cacheTtl.plus(maxStale).toNanos();
    this.minRefetchIntervalNanos = minRefetchInterval.toNanos();
    this.ticker = ticker;
    this.http = HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT).build();
  }

  /**
   * The verifier of key {@code kid}, whose algorithm the key itself decides. Completes at once when the cached keys
   * are fresh and hold it; otherwise when a fetch (shared with every caller waiting for it) is done. Nobody's thread
   * waits for the fetch: a request that arrives while the JWKS endpoint is slow must not hold one of the few threads
   * every other request and socket needs.
   */
  CompletableFuture<Algorithm> key(String kid) {
    Snapshot snapshot = current;
    if (!isStale(snapshot) && snapshot.keys().containsKey(kid)) return CompletableFuture.completedFuture(keyOf(snapshot, kid));
    return refresh().thenApply(refreshed -> keyOf(refreshed, kid));
  }

  private Algorithm keyOf(Snapshot snapshot, String kid) {
    if (isTooOld(snapshot)) {
      throw new ApiException(
          ApiError.TOKEN_KEY_UNKNOWN, "the server's signing keys are out of date and could not be refreshed");
    }
    Algorithm key = snapshot.keys().get(kid);
    if (key == null) {
      throw new ApiException(ApiError.TOKEN_KEY_UNKNOWN, "the token is signed with a key this server does not know");
    }
    return key;
  }

  private boolean isStale(Snapshot snapshot) {
    return !snapshot.fetched() || ticker.getAsLong() - snapshot.fetchedAt() >= cacheTtlNanos;
  }

  /** Past the TTL and the grace: Supabase may have revoked these keys since. */
  private boolean isTooOld(Snapshot snapshot) {
    return snapshot.fetched() && ticker.getAsLong() - snapshot.fetchedAt() >= maxAgeNanos;
  }

  /** The keys after a fetch, shared with any fetch under way; the current keys if fetching now is rate limited. */
  private CompletableFuture<Snapshot> refresh() {
    synchronized (this) {
      if (inFlight == null || inFlight.isDone()) {
        long now = ticker.getAsLong();
        if (anyFetchStarted && now - lastFetchStarted < minRefetchIntervalNanos) {
          return CompletableFuture.completedFuture(current);
        }
        anyFetchStarted = true;
        lastFetchStarted = now;
        inFlight = fetch();
      }
      return inFlight;
    }
  }

  /** Never fails: a failed fetch leaves the current keys in place and answers them. */
  private CompletableFuture<Snapshot> fetch() {
    long started = ticker.getAsLong();
    HttpRequest request =
        HttpRequest.newBuilder(uri).timeout(FETCH_TIMEOUT).header("Accept", "application/json").GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        // The request timeout stops at the response headers; this one bounds a body that trickles in too.
        .orTimeout(FETCH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(response -> new Snapshot(keysOf(response), started, true))
        .handle(
            (fetched, failure) -> {
              if (failure != null) {
                Snapshot kept = current;
                if (isTooOld(kept)) {
                  log.error(
                      "Could not fetch the JWKS from {}, and the {} keys fetched before are older than the cache TTL "
                          + "plus parley.auth.jwks-max-stale: tokens signed with them are refused (401 "
                          + "token_key_unknown) until a fetch succeeds: {}",
                      uri,
                      kept.keys().size(),
                      String.valueOf(rootCause(failure)));
                } else {
                  log.warn(
                      "Could not fetch the JWKS from {}; keeping the {} keys fetched before: {}",
                      uri,
                      kept.keys().size(),
                      String.valueOf(rootCause(failure)));
                }
                return kept;
              }
              current = fetched;
              return fetched;
            });
  }

  private static Map<String, Algorithm> keysOf(HttpResponse<String> response) {
    if (response.statusCode() != 200) throw new IllegalStateException("HTTP status " + response.statusCode());
    try {
      return JsonWebKeys.parse(response.body());
    } catch (IOException e) {
      throw new IllegalStateException("not a JWKS document: " + e.getMessage(), e);
    }
  }

  private static Throwable rootCause(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
  }
}
