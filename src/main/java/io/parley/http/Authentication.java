package io.parley.http;

import static akka.http.javadsl.server.Directives.onSuccess;
import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.http.javadsl.server.Route;
import io.parley.UserBudgets;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.auth.Principal;
import io.parley.auth.TokenVerifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/** Route directives that require a Supabase access token in {@code Authorization: Bearer}. */
public final class Authentication {
  private final TokenVerifier verifier;
  private final byte[] adminToken;
  private final UserBudgets budgets;

  /**
   * {@code adminToken} is the configured token of the platform's own backend; empty disables it. Every user request
   * is taken from the user's {@code budgets}; the backend's are not.
   */
  public Authentication(TokenVerifier verifier, String adminToken, UserBudgets budgets) {
    this.verifier = verifier;
    this.adminToken = adminToken.getBytes(StandardCharsets.UTF_8);
    this.budgets = budgets;
  }

  /**
   * A signed-in user within their request budget; any other token, or none, is a 401 problem with the reason as its
   * code, and a user over budget gets 429 {@code rate_limited} with {@code Retry-After}.
   */
  public Route user(Function<Principal, Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header ->
            verified(
                verifier.verifyUser(bearer(header)),
                principal -> {
                  budgets.take(principal.userId(), "too many requests");
                  return inner.apply(principal);
                }));
  }

  /**
   * The platform's own backend: Supabase's {@code service_role} key, or the configured admin token (compared in
   * constant time). A valid user token is a 403; anything else a 401.
   */
  public Route admin(java.util.function.Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Authorization",
        header -> {
          String token = bearer(header);
          if (adminToken.length > 0 && MessageDigest.isEqual(adminToken, token.getBytes(StandardCharsets.UTF_8))) {
            return inner.get();
          }
          CompletionStage<Principal> service =
              verifier
                  .verifyService(token)
                  .exceptionallyCompose(
                      notService ->
                          verifier
                              .verifyUser(token)
                              .<Principal>handle(
                                  (user, notUser) -> {
                                    if (notUser != null) throw new CompletionException(ErrorHandling.unwrap(notService));
                                    throw new ApiException(
                                        ApiError.FORBIDDEN, "this route is for the platform's backend, not for users");
                                  }));
          return verified(service, principal -> inner.get());
        });
  }

  /**
   * Goes on with the principal. A verdict already reached (every HS256 token, and JWKS tokens whose key is cached) is
   * used at once; one that waits for the JWKS is awaited without holding a thread.
   */
  private static Route verified(CompletionStage<Principal> verdict, Function<Principal, Route> inner) {
    CompletableFuture<Principal> now = verdict.toCompletableFuture();
    if (!now.isDone()) return onSuccess(verdict, inner);
    Principal principal;
    try {
      principal = now.join();
    } catch (CompletionException rejected) {
      throw ErrorHandling.unwrap(rejected) instanceof RuntimeException cause ? cause : rejected;
    }
    return inner.apply(principal);
  }

  static String bearer(Optional<String> header) {
    if (header.isEmpty()) throw new ApiException(ApiError.TOKEN_MISSING, "Authorization: Bearer <token> is required");
    String value = header.get().trim();
    if (value.length() < 7 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new ApiException(ApiError.TOKEN_MISSING, "Authorization must use the Bearer scheme");
    }
    return value.substring(7).trim();
  }
}
