package io.parley.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.util.function.Function;

/** The error a rejected token gets, checked on the way to be 401-class and never to echo the token. */
final class Rejections {
  private Rejections() {}

  static ApiError rejectionOf(Function<String, java.util.concurrent.CompletionStage<Principal>> verify, String token) {
    ApiException rejection = catchThrowableOfType(() -> Verified.now(verify.apply(token)), ApiException.class);
    assertThat(rejection).as("rejection").isNotNull();
    assertThat(rejection.error().status()).isEqualTo(401);
    if (token != null && !token.isBlank()) assertThat(rejection.getMessage()).doesNotContain(token);
    return rejection.error();
  }
}
