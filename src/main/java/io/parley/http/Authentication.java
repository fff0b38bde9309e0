package io.parley.http;

import static akka.http.javadsl.server.Directives.optionalHeaderValueByName;

import akka.http.javadsl.server.Route;
import io.parley.auth.Principal;
import io.parley.auth.TokenVerifier;
import java.util.Optional;
import java.util.function.Function;

/** Route directives that require a Supabase access token in {@code Authorization: Bearer}. */
public final class Authentication {
  private final TokenVerifier verifier;

  public Authentication(TokenVerifier verifier) {
    this.verifier = verifier;
  }

  /** A signed-in user; any other token, or none, is a 401 problem with the reason as its code. */
  public Route user(Function<Principal, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> inner.apply(verifier.verifyUser(bearer(header))));
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
