package io.parley.http;

import static akka.http.javadsl.server.Directives.*;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.auth0.jwt.JWT;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.auth.DevTokens;
import io.parley.auth.UserIds;
import java.time.Duration;
import java.util.Map;

/**
 * {@code POST /dev/token}: mints a Supabase-shaped access token for any user. It exists only in dev mode, when the
 * node made its own secret, so it can never mint a token that a real deployment would accept.
 */
public final class DevTokenRoutes {
  private static final Duration TTL = Duration.ofHours(1);

  public record TokenRequest(String userId, String email) {}

  /** The shape of Supabase's own {@code /auth/v1/token} answer, so client code written against it works here. */
  public record TokenResponse(
      String access_token, String token_type, long expires_in, long expires_at, Map<String, String> user) {}

  private final DevTokens tokens;
  private final RequestBodies bodies;

  public DevTokenRoutes(DevTokens tokens, RequestBodies bodies) {
    this.tokens = tokens;
    this.bodies = bodies;
  }

  public Route route() {
    return path(
        segment("dev").slash("token"),
        () ->
            post(
                () ->
                    bodies.json(
                        TokenRequest.class,
                        request -> {
                          if (!UserIds.isValid(request.userId())) {
                            throw new ApiException(
                                ApiError.BAD_REQUEST, "field 'userId' must be 1-128 characters of [A-Za-z0-9._:@|+-]");
                          }
                          String email = request.email() == null ? request.userId() + "@example.test" : request.email();
                          if (email.length() > 254 || !email.contains("@")) {
                            throw new ApiException(ApiError.BAD_REQUEST, "field 'email' must be an email address");
                          }
                          String token = tokens.mint(request.userId(), email, TTL);
                          long expiresAt = JWT.decode(token).getExpiresAtAsInstant().getEpochSecond();
                          return complete(
                              StatusCodes.OK,
                              new TokenResponse(
                                  token,
                                  "bearer",
                                  TTL.toSeconds(),
                                  expiresAt,
                                  Map.of("id", request.userId(), "email", email)),
                              Json.marshaller());
                        })));
  }
}
