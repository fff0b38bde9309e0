package io.parley.conversation;

import io.parley.CborSerializable;
import java.time.Instant;
import java.util.List;

/** A conversation's header and participants with their watermarks, as the entity knows them right now. */
public record ConversationView(
    String conversationId,
    Conversation.Kind kind,
    String title,
    String createdBy,
    Instant createdAt,
    List<Participant> participants,
    long lastSeq,
    List<String> typing)
    implements CborSerializable {

  ConversationView withTyping(List<String> typingUserIds) {
    return new ConversationView(conversationId, kind, title, createdBy, createdAt, participants, lastSeq, typingUserIds);
  }

  public record Participant(String userId, Instant joinedAt, long deliveredUpTo, long readUpTo)
      implements CborSerializable {}
}
