package io.parley.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.conversation.ConversationView;
import io.parley.conversation.MessageView;
import io.parley.notification.NotificationWire;
import java.time.Instant;
import java.util.List;

/**
 * The WebSocket protocol's frames: JSON text, each with a {@code type}. They are public API, documented in
 * docs/protocol.md from these records; the entities' own messages never reach the wire.
 */
public final class Frames {
  private Frames() {}

  // ---------------------------------------------------------------- client to server

  public record Auth(String token) {}

  public record Join(String conversationId, Long since) {
    public Join {
      requireConversation(conversationId);
    }
  }

  public record Leave(String conversationId) {
    public Leave {
      requireConversation(conversationId);
    }
  }

  /** {@code metadata}: as in REST, a small JSON object kept as its compact text with its numbers exact. */
  public record Send(
      String conversationId,
      String clientMsgId,
      String content,
      @JsonDeserialize(using = Json.ExactNumbers.class) JsonNode metadata) {
    public Send {
      requireConversation(conversationId);
    }
  }

  public record Edit(String conversationId, String messageId, String content) {
    public Edit {
      requireConversation(conversationId);
    }
  }

  public record Delete(String conversationId, String messageId) {
    public Delete {
      requireConversation(conversationId);
    }
  }

  public record Watermark(String conversationId, Long seq) {
    public Watermark {
      requireConversation(conversationId);
    }
  }

  public record SetTyping(String conversationId, Boolean isTyping) {
    public SetTyping {
      requireConversation(conversationId);
    }
  }

  /** Thrown as the frame is read, so that a frame without one is refused before anything looks the id up. */
  private static void requireConversation(String conversationId) {
    if (conversationId == null) throw new ApiException(ApiError.BAD_REQUEST, "field 'conversationId' is required");
  }

  public record PresenceIds(List<String> userIds) {}

  /** {@code status}: online, away, busy or invisible. */
  public record PresenceSet(String status) {}

  /** Marks one notification read ({@code notificationId}), or all of them ({@code all: true}). */
  public record NotificationAck(String notificationId, Boolean all) {}

  /** {@code platform}: android, ios or web. */
  public record DeviceRegister(String token, String platform) {}

  public record DeviceUnregister(String token) {}

  // ---------------------------------------------------------------- server to client

  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(Connected.class),
    @JsonSubTypes.Type(Joined.class),
    @JsonSubTypes.Type(Sent.class),
    @JsonSubTypes.Type(Message.class),
    @JsonSubTypes.Type(MessageUpdated.class),
    @JsonSubTypes.Type(MessageDeleted.class),
    @JsonSubTypes.Type(Receipt.class),
    @JsonSubTypes.Type(Typing.class),
    @JsonSubTypes.Type(Presence.class),
    @JsonSubTypes.Type(Notification.class),
    @JsonSubTypes.Type(UnreadCount.class),
    @JsonSubTypes.Type(Pong.class),
    @JsonSubTypes.Type(Ok.class),
    @JsonSubTypes.Type(Error.class)
  })
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public sealed interface ServerFrame {}

  @JsonTypeName("connected")
  public record Connected(String userId, String sessionId, long heartbeatMs) implements ServerFrame {}

  /**
   * {@code typingTtlMs}: how long a client shows the indicators of {@code typing} without a renewal, as for a
   * {@code typing} frame's {@code ttlMs}, so that none can stick if their end is never heard.
   */
  @JsonTypeName("joined")
  public record Joined(
      String ref,
      String conversationId,
      long lastSeq,
      List<Participant> participants,
      List<String> typing,
      long typingTtlMs,
      List<Message> messages,
      boolean hasMore)
      implements ServerFrame {}

  public record Participant(String userId, long deliveredUpTo, long readUpTo) {
    static Participant of(ConversationView.Participant p) {
      return new Participant(p.userId(), p.deliveredUpTo(), p.readUpTo());
    }
  }

  @JsonTypeName("sent")
  public record Sent(
      String ref, String conversationId, String messageId, long seq, String clientMsgId, Instant at)
      implements ServerFrame {}

  @JsonTypeName("message")
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Message(
      String conversationId,
      String messageId,
      long seq,
      String senderId,
      String content,
      @JsonRawValue String metadata,
      String clientMsgId,
      Instant at,
      Instant editedAt,
      Instant deletedAt)
      implements ServerFrame {
    static Message of(MessageView m) {
      return new Message(
          m.conversationId(), m.messageId(), m.seq(), m.senderId(), m.content(), m.metadata(), m.clientMsgId(),
          m.at(), m.editedAt(), m.deletedAt());
    }
  }

  @JsonTypeName("message.updated")
  public record MessageUpdated(
      String ref, String conversationId, String messageId, long seq, String content, Instant editedAt)
      implements ServerFrame {}

  @JsonTypeName("message.deleted")
  public record MessageDeleted(String ref, String conversationId, String messageId, long seq, Instant deletedAt)
      implements ServerFrame {}

  /** {@code kind} is "delivered" or "read". */
  @JsonTypeName("receipt")
  public record Receipt(String conversationId, String userId, String kind, long seq) implements ServerFrame {}

  /** Clients hide the indicator after {@code ttlMs} without a renewal, whatever else happens. */
  @JsonTypeName("typing")
  public record Typing(String conversationId, String userId, boolean isTyping, long ttlMs) implements ServerFrame {}

  /** {@code status}: online, away, busy or offline; {@code lastSeenAt} is set while offline, if ever seen. */
  @JsonTypeName("presence")
  @JsonInclude(JsonInclude.Include.ALWAYS)
  public record Presence(String userId, String status, Instant lastSeenAt) implements ServerFrame {
    public static Presence of(io.parley.user.User.Presence p) {
      return new Presence(p.userId(), p.status().name().toLowerCase(java.util.Locale.ROOT), p.lastSeenAt());
    }
  }

  /**
   * A new notification, with the inbox's unread count after it; a broadcast ({@code broadcast: true}) is not in the
   * inbox and carries no count.
   */
  @JsonTypeName("notification")
  /** {@code replaces}: the id of a notification this one collapsed, which the device drops from its list. */
  public record Notification(
      NotificationWire.NotificationBody notification, Integer unreadCount, Boolean broadcast, String replaces)
      implements ServerFrame {}

  /** The inbox's unread count changed, on this device or another. */
  @JsonTypeName("notifications.unread")
  public record UnreadCount(String ref, int unreadCount) implements ServerFrame {}

  @JsonTypeName("pong")
  public record Pong(String ref) implements ServerFrame {}

  /** Acknowledges a frame that has no answer of its own (auth refresh, delivered, read, leave). */
  @JsonTypeName("ok")
  public record Ok(String ref, String of) implements ServerFrame {}

  @JsonTypeName("error")
  public record Error(String ref, String code, String message) implements ServerFrame {}
}
