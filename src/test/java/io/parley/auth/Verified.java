package io.parley.auth;

import io.parley.http.ErrorHandling;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** The verifier's verdict, awaited: the principal, or the {@link io.parley.api.ApiException} that rejected it. */
final class Verified {
  private Verified() {}

  static Principal user(TokenVerifier verifier, String token) {
    return now(verifier.verifyUser(token));
  }

  static Principal service(TokenVerifier verifier, String token) {
    return now(verifier.verifyService(token));
  }

  static Principal now(CompletionStage<Principal> verdict) {
    try {
      return verdict.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | CompletionException e) {
      Throwable cause = ErrorHandling.unwrap(e);
      if (cause instanceof RuntimeException runtime) throw runtime;
      throw new IllegalStateException(cause);
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("no verdict within 10 s", e);
    }
  }
}
