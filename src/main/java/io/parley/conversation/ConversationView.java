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
    long lastSeq)
    implements CborSerializable {

  public record Participant(String userId, Instant joinedAt, long deliveredUpTo, long readUpTo)
      implements CborSerializable {}
}
