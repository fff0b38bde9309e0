package io.parley.conversation;

import java.time.Instant;

/** One row of a user's conversation list, from the read side. */
public record ConversationSummary(
    String conversationId,
    Conversation.Kind kind,
    String title,
    String createdBy,
    Instant createdAt,
    long lastSeq,
    LastMessage lastMessage,
    long unreadCount,
    long readUpTo,
    long deliveredUpTo,
    Instant lastActivityAt) {

  /** The newest message; {@code preview} is null when it was deleted. */
  public record LastMessage(String messageId, long seq, String senderId, String preview, boolean deleted) {}
}
