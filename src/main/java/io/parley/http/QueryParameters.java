package io.parley.http;

import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Query parameters read strictly: a value that is not what the route expects is a 400 naming the parameter. */
final class QueryParameters {
  private QueryParameters() {}

  private static final Pattern WHOLE_NUMBER = Pattern.compile("[+-]?[0-9]+");

  /**
   * A whole number of at least {@code min}. One past a long's range is still a whole number: it is read as the
   * largest (or smallest) long, for the caller to cap as it caps any value past its maximum, instead of a 400.
   */
  static long longValue(String name, String value, long min) {
    long parsed;
    try {
      parsed = Long.parseLong(value);
    } catch (NumberFormatException e) {
      if (!WHOLE_NUMBER.matcher(value).matches()) {
        throw badRequest("query parameter '" + name + "' must be a whole number");
      }
      parsed = value.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
    if (parsed < min) throw badRequest("query parameter '" + name + "' must be at least " + min);
    return parsed;
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
