package io.parley.http;

import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.util.Optional;

/** Query parameters read strictly: a value that is not what the route expects is a 400 naming the parameter. */
final class QueryParameters {
  private QueryParameters() {}

  static long longValue(String name, String value, long min) {
    try {
      long parsed = Long.parseLong(value);
      if (parsed < min) throw badRequest("query parameter '" + name + "' must be at least " + min);
      return parsed;
    } catch (NumberFormatException e) {
      throw badRequest("query parameter '" + name + "' must be a whole number");
    }
  }

  /** A positive count, clamped while still a long so that a huge value cannot wrap around; null when absent. */
  static Integer positiveInt(String name, Optional<String> value) {
    return value.map(v -> (int) Math.min(longValue(name, v, 1), Integer.MAX_VALUE)).orElse(null);
  }

  static boolean bool(String name, Optional<String> value) {
    if (value.isEmpty()) return false;
    return switch (value.get()) {
      case "true" -> true;
      case "false" -> false;
      default -> throw badRequest("query parameter '" + name + "' must be true or false");
    };
  }

  private static ApiException badRequest(String message) {
    return new ApiException(ApiError.BAD_REQUEST, message);
  }
}
