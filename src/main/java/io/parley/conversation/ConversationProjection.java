package io.parley.conversation;

import akka.actor.typed.ActorSystem;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.jdbc.javadsl.JdbcHandler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import com.typesafe.config.Config;
import io.parley.conversation.Conversation.ConversationCreated;
import io.parley.conversation.Conversation.DeliveredUpTo;
import io.parley.conversation.Conversation.Event;
import io.parley.conversation.Conversation.MessageDeleted;
import io.parley.conversation.Conversation.MessageEdited;
import io.parley.conversation.Conversation.MessagePosted;
import io.parley.conversation.Conversation.ParticipantRemoved;
import io.parley.conversation.Conversation.ParticipantsAdded;
import io.parley.conversation.Conversation.ReadUpTo;
import io.parley.db.Database;
import io.parley.db.DatabaseSettings;
import io.parley.db.PlainJdbcSession;
import io.parley.db.Sql;
import io.parley.db.TaggedProjections;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

/**
 * Builds the read side from conversation events: "my conversations" with unread counts, and the message table that
 * history pages are served from. One instance per tag slice, spread over the cluster; each group of events is
 * applied in the same transaction as its offset, so every event counts exactly once. Events may still be seen again
 * (offsets reset or restored from a backup, a rebuild): a row an event creates is inserted only when absent, a delete
 * applies once and watermarks only move forward, so such a replay ends where the read side was, instead of failing on
 * a primary key and restarting from the same offset for ever. (An edit seen again shows its text until the replay
 * reaches the message's later edits.)
 */
public final class ConversationProjection
    extends JdbcHandler<List<EventEnvelope<Event>>, PlainJdbcSession> {

  static final String NAME = "conversations";

  private final String insertMessage;
  private final String insertConversation;
  private final String insertMember;

  public ConversationProjection(DatabaseSettings.Dialect dialect) {
    insertMessage =
        dialect.insertUnlessPresent(
            "parley_message", List.of("conversation_id", "seq"), "conversation_id", "seq", "message_id", "sender_id",
            "client_msg_id", "content", "metadata", "created_at");
    insertConversation =
        dialect.insertUnlessPresent(
            "parley_conversation", List.of("conversation_id"), "conversation_id", "kind", "title", "created_by",
            "created_at");
    // A member seen again keeps the watermarks that later events moved on.
    insertMember =
        dialect.insertUnlessPresent(
            "parley_conversation_member", List.of("conversation_id", "user_id"), "conversation_id", "user_id",
            "joined_at", "delivered_up_to", "read_up_to");
  }

  public static void init(ActorSystem<?> system) {
    ConversationSettings settings = ConversationSettings.fromConfig(system.settings().config());
    Config projection = system.settings().config().getConfig("parley.projection");
    int groupSize = projection.getInt("group-size");
    Duration groupWithin = projection.getDuration("group-within");
    DatabaseSettings.Dialect dialect = Database.get(system).settings().dialect();
    TaggedProjections.<Event>run(
        system,
        "conversation-projection",
        settings.tagSlices(),
        Conversation::sliceTag,
        (tag, events, sessions) ->
            JdbcProjection.groupedWithin(
                    ProjectionId.of(NAME, tag), events, sessions, () -> new ConversationProjection(dialect), system)
                .withGroup(groupSize, groupWithin));
  }

  @Override
  public void process(PlainJdbcSession session, List<EventEnvelope<Event>> envelopes) throws Exception {
    session.withConnection(
        connection -> {
          try (Sql sql = new Sql(connection)) {
            for (EventEnvelope<Event> envelope : envelopes) apply(sql, envelope.event());
            sql.flush();
          }
          return null;
        });
  }

  private void apply(Sql sql, Event event) throws SQLException {
    if (event instanceof MessagePosted e) {
      // The hot path: one batched INSERT, nothing to update. A message seen again keeps its later edit or delete.
      sql.batch(
          insertMessage,
          e.conversationId(), e.seq(), e.messageId(), e.senderId(), e.clientMsgId(), e.content(), e.metadata(),
          e.at());
    } else if (event instanceof ConversationCreated e) {
      sql.update(insertConversation, e.conversationId(), e.kind().name(), e.title(), e.createdBy(), e.at());
      for (String userId : e.participants()) addMember(sql, e.conversationId(), userId, 0, e);
    } else if (event instanceof ParticipantsAdded e) {
      for (String userId : e.userIds()) addMember(sql, e.conversationId(), userId, e.readUpTo(), e);
    } else if (event instanceof ParticipantRemoved e) {
      sql.update(
          "DELETE FROM parley_conversation_member WHERE conversation_id = ? AND user_id = ?",
          e.conversationId(), e.userId());
    } else if (event instanceof MessageEdited e) {
      sql.update(
          "UPDATE parley_message SET content = ?, edited_at = ?"
              + " WHERE conversation_id = ? AND seq = ? AND deleted_at IS NULL",
          e.content(), e.at(), e.conversationId(), e.seq());
    } else if (event instanceof MessageDeleted e) {
      int changed =
          sql.update(
              "UPDATE parley_message SET content = NULL, metadata = NULL, deleted_at = ?"
                  + " WHERE conversation_id = ? AND seq = ? AND deleted_at IS NULL",
              e.at(), e.conversationId(), e.seq());
      if (changed > 0) {
        sql.update(
            "INSERT INTO parley_message_tombstone (conversation_id, seq, sender_id) VALUES (?, ?, ?)",
            e.conversationId(), e.seq(), e.senderId());
      }
    } else if (event instanceof DeliveredUpTo e) {
      sql.update(
          "UPDATE parley_conversation_member SET delivered_up_to = GREATEST(delivered_up_to, ?)"
              + " WHERE conversation_id = ? AND user_id = ?",
          e.seq(), e.conversationId(), e.userId());
    } else if (event instanceof ReadUpTo e) {
      sql.update(
          "UPDATE parley_conversation_member SET read_up_to = GREATEST(read_up_to, ?),"
              + " delivered_up_to = GREATEST(delivered_up_to, ?) WHERE conversation_id = ? AND user_id = ?",
          e.seq(), e.seq(), e.conversationId(), e.userId());
    }
  }

  private void addMember(Sql sql, String conversationId, String userId, long readUpTo, Event e)
      throws SQLException {
    sql.update(insertMember, conversationId, userId, e.at(), readUpTo, readUpTo);
  }
}
