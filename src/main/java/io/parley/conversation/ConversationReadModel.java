package io.parley.conversation;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import io.parley.db.Database;
import io.parley.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import javax.sql.DataSource;

/**
 * Queries over the read side that {@link ConversationProjection} writes. Each runs on the blocking dispatcher, never
 * on the threads that serve sockets.
 */
public final class ConversationReadModel {
  private static final String MESSAGE_COLUMNS =
      "conversation_id, message_id, seq, sender_id, client_msg_id, content, metadata, created_at, edited_at,"
          + " deleted_at";

  private final DataSource dataSource;
  private final Executor blocking;

  public ConversationReadModel(ActorSystem<?> system) {
    this.dataSource = Database.get(system).dataSource();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher"));
  }

  /** The user's conversations, most recently active first; {@code before} continues from an earlier page. */
  public CompletionStage<List<ConversationSummary>> conversationsOf(String userId, Instant before, int limit) {
    return query(
        connection -> {
          String sql =
              "SELECT c.conversation_id, c.kind, c.title, c.created_by, c.created_at, c.last_seq, c.last_message_id,"
                  + " c.last_sender_id, c.last_preview, c.last_deleted, c.last_activity_at, m.unread_count,"
                  + " m.read_up_to, m.delivered_up_to"
                  + " FROM parley_conversation_member m JOIN parley_conversation c"
                  + " ON c.conversation_id = m.conversation_id WHERE m.user_id = ?"
                  + (before == null ? "" : " AND c.last_activity_at < ?")
                  + " ORDER BY c.last_activity_at DESC, c.conversation_id DESC LIMIT ?";
          try (PreparedStatement statement = connection.prepareStatement(sql)) {
            if (before == null) Sql.bind(statement, userId, limit);
            else Sql.bind(statement, userId, before, limit);
            List<ConversationSummary> rows = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
              while (rs.next()) rows.add(summary(rs));
            }
            return rows;
          }
        });
  }

  /** Up to {@code limit} messages just below {@code beforeSeq}, oldest first. */
  public CompletionStage<List<MessageView>> messagesBefore(String conversationId, long beforeSeq, int limit) {
    return query(
        connection -> {
          try (PreparedStatement statement =
              connection.prepareStatement(
                  "SELECT " + MESSAGE_COLUMNS + " FROM parley_message WHERE conversation_id = ? AND seq < ?"
                      + " ORDER BY seq DESC LIMIT ?")) {
            Sql.bind(statement, conversationId, beforeSeq, limit);
            List<MessageView> rows = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
              while (rs.next()) rows.add(message(rs));
            }
            Collections.reverse(rows);
            return rows;
          }
        });
  }

  public CompletionStage<Optional<MessageView>> message(String conversationId, String messageId) {
    return query(
        connection -> {
          try (PreparedStatement statement =
              connection.prepareStatement(
                  "SELECT " + MESSAGE_COLUMNS + " FROM parley_message WHERE conversation_id = ? AND message_id = ?")) {
            Sql.bind(statement, conversationId, messageId);
            try (ResultSet rs = statement.executeQuery()) {
              return rs.next() ? Optional.of(message(rs)) : Optional.empty();
            }
          }
        });
  }

  private interface Query<T> {
    T run(Connection connection) throws SQLException;
  }

  private <T> CompletionStage<T> query(Query<T> query) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection connection = dataSource.getConnection()) {
            try {
              return query.run(connection);
            } finally {
              connection.rollback();
            }
          } catch (SQLException e) {
            throw new CompletionException(e);
          }
        },
        blocking);
  }

  private static ConversationSummary summary(ResultSet rs) throws SQLException {
    String lastMessageId = rs.getString("last_message_id");
    ConversationSummary.LastMessage last =
        lastMessageId == null
            ? null
            : new ConversationSummary.LastMessage(
                lastMessageId,
                rs.getLong("last_seq"),
                rs.getString("last_sender_id"),
                rs.getString("last_preview"),
                rs.getBoolean("last_deleted"));
    return new ConversationSummary(
        rs.getString("conversation_id"),
        Conversation.Kind.valueOf(rs.getString("kind")),
        rs.getString("title"),
        rs.getString("created_by"),
        instant(rs, "created_at"),
        rs.getLong("last_seq"),
        last,
        rs.getLong("unread_count"),
        rs.getLong("read_up_to"),
        rs.getLong("delivered_up_to"),
        instant(rs, "last_activity_at"));
  }

  private static MessageView message(ResultSet rs) throws SQLException {
    return new MessageView(
        rs.getString("conversation_id"),
        rs.getString("message_id"),
        rs.getLong("seq"),
        rs.getString("sender_id"),
        rs.getString("client_msg_id"),
        rs.getString("content"),
        rs.getString("metadata"),
        instant(rs, "created_at"),
        instant(rs, "edited_at"),
        instant(rs, "deleted_at"));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    Timestamp timestamp = rs.getTimestamp(column);
    return timestamp == null ? null : timestamp.toInstant();
  }
}
