package io.parley.auth;

import com.auth0.jwt.algorithms.Algorithm;
import io.parley.http.ApiError;
import io.parley.http.ApiException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's JWKS signing keys by {@code kid}: fetched over HTTP, used for at most the cache TTL, and refetched
 * for an unknown kid no more than once per minimum interval, so that made-up kids cannot hammer Supabase. Concurrent
 * callers share one fetch; when a fetch fails the keys fetched before keep serving.
 */
final class JwksKeyProvider {
  private static final Logger log = LoggerFactory.getLogger(JwksKeyProvider.class);
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

  private record Snapshot(Map<String, Algorithm> keys, Instant fetchedAt) {}

  private final URI uri;
  private final Duration cacheTtl;
  private final Duration minRefetchInterval;
  private final Clock clock;
  private final HttpClient http;

  private volatile Snapshot current = new Snapshot(Map.of(), Instant.MIN);

  // Guarded by this.
  private Instant lastFetchStarted;
  private CompletableFuture<Snapshot> inFlight;

  JwksKeyProvider(URI uri, Duration cacheTtl, Duration minRefetchInterval, Clock clock) {
    this.uri = uri;
    this.cacheTtl = cacheTtl;
    this.minRefetchInterval = minRefetchInterval;
    this.clock = clock;
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

  private static Algorithm keyOf(Snapshot snapshot, String kid) {
    Algorithm key = snapshot.keys().get(kid);
    if (key == null) {
      throw new ApiException(ApiError.TOKEN_KEY_UNKNOWN, "the token is signed with a key this server does not know");
    }
    return key;
  }

  private boolean isStale(Snapshot snapshot) {
    return !clock.instant().isBefore(snapshot.fetchedAt().plus(cacheTtl));
  }

  /** The keys after a fetch, shared with any fetch under way; the current keys if fetching now is rate limited. */
  private CompletableFuture<Snapshot> refresh() {
    synchronized (this) {
      if (inFlight == null || inFlight.isDone()) {
        Instant now = clock.instant();
        if (lastFetchStarted != null && now.isBefore(lastFetchStarted.plus(minRefetchInterval))) {
          return CompletableFuture.completedFuture(current);
        }
        lastFetchStarted = now;
        inFlight = fetch();
      }
      return inFlight;
    }
  }

  /** Never fails: a failed fetch leaves the current keys in place and answers them. */
  private CompletableFuture<Snapshot> fetch() {
    Instant started = clock.instant();
    HttpRequest request =
        HttpRequest.newBuilder(uri).timeout(FETCH_TIMEOUT).header("Accept", "application/json").GET().build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        // The request timeout stops at the response headers; this one bounds a body that trickles in too.
        .orTimeout(FETCH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(response -> new Snapshot(keysOf(response), started))
        .handle(
            (fetched, failure) -> {
              if (failure != null) {
                Snapshot kept = current;
                log.warn(
                    "Could not fetch the JWKS from {}; keeping the {} keys fetched before: {}",
                    uri,
                    kept.keys().size(),
                    String.valueOf(rootCause(failure)));
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
