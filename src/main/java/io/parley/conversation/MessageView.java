package io.parley.conversation;

import io.parley.CborSerializable;
import io.parley.Texts;
import java.time.Instant;

/** One message as participants see it; a deleted message keeps its place in the history with no content. */
public record MessageView(
    String conversationId,
    String messageId,
    long seq,
    String senderId,
    String clientMsgId,
    String content,
    String metadata,
    Instant at,
    Instant editedAt,
    Instant deletedAt)
    implements CborSerializable {

  /**
   * Whether this is an edit made after the text as of {@code shownEditedAt} (null: the text as posted, older than any
   * edit). Notices of a conversation that moved between two changes may come out of order, so the newest edit wins.
   */
  public boolean editedAfter(Instant shownEditedAt) {
    return editedAt != null && (shownEditedAt == null || editedAt.isAfter(shownEditedAt));
  }

  public boolean deleted() {
    return deletedAt != null;
  }

  public MessageView edited(String newContent, Instant when) {
    return new MessageView(conversationId, messageId, seq, senderId, clientMsgId, newContent, metadata, at, when, null);
  }

  public MessageView tombstone(Instant when) {
    return new MessageView(conversationId, messageId, seq, senderId, clientMsgId, null, null, at, editedAt, when);
  }

  /** The message as a notification needs it: its text cut to {@code maxCodePoints}, without metadata. */
  public MessageView forNotice(int maxCodePoints) {
    String cut = content == null ? null : Texts.shortened(content, maxCodePoints);
    return new MessageView(conversationId, messageId, seq, senderId, clientMsgId, cut, null, at, editedAt, deletedAt);
  }

  /** The message with its text unknown: it may have changed since this view was taken. */
  public MessageView withoutContent() {
    return new MessageView(conversationId, messageId, seq, senderId, clientMsgId, null, null, at, editedAt, deletedAt);
  }
}
