package io.parley.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.Texts;
import io.parley.api.Json;
import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import io.parley.user.Inbox.Notification;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The inbox notification for messages that reached a user while none of their devices was connected: one per
 * conversation, collapsing while unread, so that a phone shows "3 new messages from Ana" rather than three banners.
 */
final class MessageNotifications {
  static final String KIND = "message";
  private static final int PREVIEW_LENGTH = 120;
  static final String DELETED_BODY = "Message deleted";
  /** The body of a message notified after it left its conversation's window, when its text may have changed. */
  static final String UNKNOWN_TEXT_BODY = "New message";

  private MessageNotifications() {}

  /**
   * The draft for {@code posted}, standing for {@code count} messages (see {@link Inbox#collapsing}). Its title is the
   * name the sender set in their profile, else their id: never anything the sending client chose for the message.
   */
  static User.Draft draft(Conversation.MessageNotice posted, int count) {
    MessageView message = posted.message();
    String sender =
        posted.senderName() == null || posted.senderName().isBlank() ? message.senderId() : preview(posted.senderName());
    String body = count == 1 ? (message.content() == null ? UNKNOWN_TEXT_BODY : preview(message.content())) : countBody(count, sender);
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.put("conversationId", message.conversationId());
    data.put("messageId", message.messageId());
    data.put("seq", message.seq());
    data.put("senderId", message.senderId());
    if (count == 1 && message.content() != null && message.editedAt() != null) {
      data.put("editedAt", message.editedAt().toString());
    }
    return new User.Draft(KIND, sender, body, data.toString(), null, message.conversationId());
  }

  /**
   * The unread message notifications of {@code conversationId} that reading up to {@code seq} reads: those whose
   * newest message is at or below it. Other kinds never are, whatever collapse key their sender chose.
   */
  static List<String> readUpTo(Inbox inbox, String conversationId, long seq) {
    List<String> ids = new ArrayList<>();
    for (Notification n : inbox.newestFirst()) {
      if (n.unread() && isAbout(n, conversationId) && data(n).path("seq").asLong(Long.MAX_VALUE) <= seq) ids.add(n.id());
    }
    return ids;
  }

  /**
   * What an edit or a delete of {@code changed} makes of the message notification that shows it as its newest
   * message; null when there is none, or nothing to change. An edit renews the preview of a notification for one
   * message; a delete turns it into a read tombstone, or counts one message out of a collapsed one. Messages a
   * collapsed notification stands for besides its newest are not known one by one, so their changes leave it as is.
   */
  static Notification revised(Inbox inbox, MessageView changed) {
    Notification shown = null;
    ObjectNode data = null;
    for (Notification n : inbox.newestFirst()) {
      if (!isAbout(n, changed.conversationId())) continue;
      ObjectNode candidate = (ObjectNode) data(n);
      if (changed.messageId().equals(candidate.path("messageId").asText(null))) {
        shown = n;
        data = candidate;
        break;
      }
    }
    if (shown == null) return null;
    // A delete is final, and an edit older than the text shown changes nothing: notices from a conversation that moved
    // between two changes may come out of order.
    if (data.path("deleted").asBoolean(false)) return null;
    if (!changed.deleted()) {
      String body = preview(changed.content());
      if (shown.count() > 1 || body.equals(shown.body()) || !newerThanShown(changed, data)) return null;
      data.put("editedAt", changed.editedAt().toString());
      return revision(shown, body, data.toString(), shown.readAt(), 1);
    }
    if (shown.count() > 1) {
      int left = shown.count() - 1;
      return revision(shown, countBody(left, shown.title()), shown.data(), shown.readAt(), left);
    }
    data.put("deleted", true);
    Instant readAt = shown.unread() ? changed.deletedAt().truncatedTo(ChronoUnit.MILLIS) : shown.readAt();
    return revision(shown, DELETED_BODY, data.toString(), readAt, 1);
  }

  /**
   * Whether the edit came after the text the notification shows: any edit does, when it shows the text as posted (or
   * when its {@code editedAt} is not one Parley wrote: an admin can send data of its own under kind {@code message}).
   */
  private static boolean newerThanShown(MessageView edit, JsonNode data) {
    if (edit.editedAt() == null) return true;
    Instant shown;
    try {
      String text = data.path("editedAt").asText(null);
      shown = text == null ? null : Instant.parse(text);
    } catch (java.time.format.DateTimeParseException notOurs) {
      shown = null;
    }
    return edit.editedAfter(shown);
  }

  private static Notification revision(Notification n, String body, String data, Instant readAt, int count) {
    return new Notification(n.id(), n.kind(), n.title(), body, data, n.createdAt(), readAt, n.collapseKey(), count);
  }

  private static String countBody(int count, String sender) {
    return count + (count == 1 ? " new message from " : " new messages from ") + sender;
  }

  private static boolean isAbout(Notification n, String conversationId) {
    return KIND.equals(n.kind()) && conversationId.equals(n.collapseKey());
  }

  /** Exactly, as the admin route stored it: a tombstone writes the data back, and must not round its numbers. */
  private static JsonNode data(Notification n) {
    return Json.readStoredExactly(n.data());
  }

  private static String preview(String text) {
    return Texts.shortened(text, PREVIEW_LENGTH);
  }
}
