package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.api.ApiException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Query parameters: a whole number of any size is one (callers cap it), anything else is a 400 naming the parameter. */
class QueryParametersTest {
  @Test
  void aWholeNumberPastALongIsTheLargestLongForCallersToCap() {
    assertThat(QueryParameters.longValue("limit", "9223372036854775807", 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(QueryParameters.longValue("limit", "9223372036854775808", 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(QueryParameters.longValue("before", "100000000000000000000", 1)).isEqualTo(Long.MAX_VALUE);
    assertThat(QueryParameters.positiveInt("limit", Optional.of("100000000000000000000"))).isEqualTo(Integer.MAX_VALUE);
    assertThat(QueryParameters.longValue("limit", "42", 1)).isEqualTo(42);
  }

  @Test
  void whatIsNotAWholeNumberAtLeastTheMinimumIsABadRequest() {
    for (String value : new String[] {"abc", "", "1.5", "1e3", "0x10", "12a", " 7"}) {
      assertThatThrownBy(() -> QueryParameters.longValue("limit", value, 1))
          .as(value)
          .isInstanceOf(ApiException.class)
          .hasMessageContaining("'limit' must be a whole number");
    }
    for (String value : new String[] {"0", "-1", "-9223372036854775809", "-100000000000000000000"}) {
      assertThatThrownBy(() -> QueryParameters.longValue("limit", value, 1))
          .as(value)
          .isInstanceOf(ApiException.class)
          .hasMessageContaining("'limit' must be at least 1");
    }
  }
}
