package io.parley.http;

import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.conversation.ConversationIds;
import io.parley.conversation.ConversationReadModel.ListCursor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** The opaque {@code cursor} of the conversation list: the activity time and id of the last row of a page. */
final class ListCursors {
  private ListCursors() {}

  private static final Instant EARLIEST = Instant.parse("1970-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  static String encode(ListCursor cursor) {
    String raw = cursor.lastActivityAt() + "|" + cursor.conversationId();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  static ListCursor decode(String value) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
      int bar = raw.indexOf('|');
      Instant lastActivityAt = Instant.parse(raw.substring(0, bar));
      // A time no conversation can have: it would reach the database as a timestamp out of its range.
      if (lastActivityAt.isBefore(EARLIEST) || lastActivityAt.isAfter(LATEST)) throw new IllegalArgumentException();
      String conversationId = raw.substring(bar + 1);
      if (!ConversationIds.isConversationId(conversationId)) throw new IllegalArgumentException();
      return new ListCursor(lastActivityAt, conversationId);
    } catch (RuntimeException e) {
      throw new ApiException(ApiError.BAD_REQUEST, "query parameter 'cursor' is not one this server issued");
    }
  }
}
