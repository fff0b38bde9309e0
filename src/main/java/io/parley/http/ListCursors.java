package io.parley.http;

import io.parley.conversation.ConversationReadModel.ListCursor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** The opaque {@code cursor} of the conversation list: the activity time and id of the last row of a page. */
final class ListCursors {
  private ListCursors() {}

  static String encode(ListCursor cursor) {
    String raw = cursor.lastActivityAt() + "|" + cursor.conversationId();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  static ListCursor decode(String value) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(value), StandardCharsets.UTF_8);
      int bar = raw.indexOf('|');
      return new ListCursor(Instant.parse(raw.substring(0, bar)), raw.substring(bar + 1));
    } catch (RuntimeException e) {
      throw new ApiException(ApiError.BAD_REQUEST, "query parameter 'cursor' is not one this server issued");
    }
  }
}
