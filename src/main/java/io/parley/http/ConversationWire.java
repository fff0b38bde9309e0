package io.parley.http;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.parley.api.Json;
import io.parley.conversation.ConversationSummary;
import io.parley.conversation.ConversationView;
import io.parley.conversation.Conversations;
import io.parley.conversation.MessageView;
import io.parley.conversation.Conversation;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The REST bodies of the conversation API. They are public API: fields are only ever added, and the entity's own
 * records can change without a client noticing.
 */
public final class ConversationWire {
  private ConversationWire() {}

  /** {@code type} is "direct" (with {@code userId}) or "group" (with {@code title} and {@code participantIds}). */
  public record CreateConversation(String type, String userId, String title, List<String> participantIds) {}

  public record AddParticipants(List<String> userIds) {}

  /** {@code metadata}: a small JSON object, kept as its compact text with its numbers exact. */
  public record PostMessage(
      String clientMsgId, String content, @JsonDeserialize(using = Json.ExactNumbers.class) JsonNode metadata) {}

  public record EditMessage(String content) {}

  public record MarkRead(Long seq) {}

  public record Participant(String userId, Instant joinedAt, long deliveredUpTo, long readUpTo) {}

  public record ConversationBody(
      String id,
      String type,
      String title,
      String createdBy,
      Instant createdAt,
      List<Participant> participants,
      long lastSeq) {

    static ConversationBody of(ConversationView view) {
      return new ConversationBody(
          view.conversationId(),
          view.kind().name().toLowerCase(Locale.ROOT),
          view.title(),
          view.createdBy(),
          view.createdAt(),
          view.participants().stream()
              .map(p -> new Participant(p.userId(), p.joinedAt(), p.deliveredUpTo(), p.readUpTo()))
              .toList(),
          view.lastSeq());
    }
  }

  public record LastMessage(String messageId, long seq, String senderId, String preview, boolean deleted) {}

  public record ConversationListItem(
      String id,
      String type,
      String title,
      long lastSeq,
      LastMessage lastMessage,
      long unreadCount,
      long readUpTo,
      Instant lastActivityAt) {

    static ConversationListItem of(ConversationSummary s) {
      ConversationSummary.LastMessage m = s.lastMessage();
      return new ConversationListItem(
          s.conversationId(),
          s.kind().name().toLowerCase(Locale.ROOT),
          s.title(),
          s.lastSeq(),
          m == null ? null : new LastMessage(m.messageId(), m.seq(), m.senderId(), m.preview(), m.deleted()),
          s.unreadCount(),
          s.readUpTo(),
          s.lastActivityAt());
    }
  }

  /** {@code nextCursor}, passed back as {@code ?cursor=}, continues the list; null on the last page. */
  public record ConversationList(List<ConversationListItem> conversations, String nextCursor) {}

  /** A message; a deleted one is a tombstone with {@code deleted: true} and no content. */
  public record Message(
      String id,
      String conversationId,
      long seq,
      String senderId,
      String clientMsgId,
      String content,
      @JsonRawValue String metadata,
      Instant createdAt,
      Instant editedAt,
      Instant deletedAt,
      boolean deleted) {

    public static Message of(MessageView m) {
      return new Message(
          m.messageId(),
          m.conversationId(),
          m.seq(),
          m.senderId(),
          m.clientMsgId(),
          m.content(),
          m.metadata(),
          m.at(),
          m.editedAt(),
          m.deletedAt(),
          m.deleted());
    }
  }

  /** Oldest first; {@code nextBefore} is the {@code before} of the next older page, null when there is none. */
  public record History(List<Message> messages, long lastSeq, boolean hasMore, Long nextBefore) {
    static History of(Conversations.HistoryPage page) {
      List<Message> messages = page.messages().stream().map(Message::of).toList();
      Long nextBefore = page.hasMore() && !messages.isEmpty() ? messages.get(0).seq() : null;
      return new History(messages, page.lastSeq(), page.hasMore(), nextBefore);
    }
  }

  public record Watermarks(String userId, long deliveredUpTo, long readUpTo, long lastSeq) {
    static Watermarks of(Conversation.Watermarks w) {
      return new Watermarks(w.userId(), w.deliveredUpTo(), w.readUpTo(), w.lastSeq());
    }
  }
}
