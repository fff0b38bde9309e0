package io.parley.conversation;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.DispatcherSelector;
import io.parley.db.Database;
import io.parley.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

  private static final int PREVIEW_LENGTH = 200;

  private final DataSource dataSource;
  private final Executor blocking;

  public ConversationReadModel(ActorSystem<?> system) {
    this.dataSource = Database.get(system).dataSource();
    this.blocking = system.dispatchers().lookup(DispatcherSelector.fromConfig("parley.blocking-dispatcher"));
  }

  /**
   * The user's conversations, most recently active first; {@code after} continues from an earlier page. Unread is
   * derived: everything after the user's read watermark (or their own newest message, whichever is later) was
   * written by someone else, less what was deleted.
   */
  /** Where a page of the list ended: the next page holds the conversations ordered after this one. */
  public record ListCursor(Instant lastActivityAt, String conversationId) {}

  public CompletionStage<List<ConversationSummary>> conversationsOf(String userId, ListCursor after, int limit) {
    return query(
        connection -> {
          String activity = "COALESCE(x.created_at, c.created_at)";
          String sql =
              "SELECT c.conversation_id, c.kind, c.title, c.created_by, c.created_at, m.read_up_to,"
                  + " m.delivered_up_to, x.seq AS last_seq, x.message_id, x.sender_id, x.content, x.deleted_at,"
                  + " " + activity + " AS last_activity_at,"
                  + " (SELECT MAX(o.seq) FROM parley_message o"
                  + "   WHERE o.conversation_id = m.conversation_id AND o.sender_id = m.user_id) AS own_last"
                  + " FROM parley_conversation_member m"
                  + " JOIN parley_conversation c ON c.conversation_id = m.conversation_id"
                  + " LEFT JOIN parley_message x ON x.conversation_id = m.conversation_id AND x.seq ="
                  + "   (SELECT MAX(y.seq) FROM parley_message y WHERE y.conversation_id = m.conversation_id)"
                  + " WHERE m.user_id = ?"
                  + (after == null
                      ? ""
                      : " AND (" + activity + " < ? OR (" + activity + " = ? AND c.conversation_id < ?))")
                  + " ORDER BY last_activity_at DESC, c.conversation_id DESC LIMIT ?";
          List<Row> rows = new ArrayList<>();
          try (PreparedStatement statement = connection.prepareStatement(sql)) {
            if (after == null) Sql.bind(statement, userId, limit);
            else {
              Sql.bind(
                  statement, userId, after.lastActivityAt(), after.lastActivityAt(), after.conversationId(), limit);
            }
            try (ResultSet rs = statement.executeQuery()) {
              while (rs.next()) rows.add(row(rs));
            }
          }
          Map<String, List<Long>> deletedByOthers = deletedByOthers(connection, userId, rows);
          List<ConversationSummary> summaries = new ArrayList<>(rows.size());
          for (Row row : rows) {
            long readUpTo = Math.max(row.readUpTo, row.ownLast);
            long deletedUnread =
                deletedByOthers.getOrDefault(row.conversationId, List.of()).stream().filter(seq -> seq > readUpTo).count();
            long unread = Math.max(0, row.lastSeq - readUpTo - deletedUnread);
            summaries.add(row.summary(readUpTo, unread));
          }
          return summaries;
        });
  }

  /** Seqs of others' deleted messages after the user's stored read watermark, for the conversations of a page. */
  private static Map<String, List<Long>> deletedByOthers(Connection connection, String userId, List<Row> rows)
      throws SQLException {
    if (rows.isEmpty()) return Map.of();
    String in = String.join(", ", Collections.nCopies(rows.size(), "?"));
    Object[] parameters = new Object[rows.size() + 2];
    parameters[0] = userId;
    parameters[1] = userId;
    for (int i = 0; i < rows.size(); i++) parameters[i + 2] = rows.get(i).conversationId;
    Map<String, List<Long>> result = new HashMap<>();
    try (PreparedStatement statement =
        connection.prepareStatement(
            "SELECT t.conversation_id, t.seq FROM parley_message_tombstone t"
                + " JOIN parley_conversation_member m ON m.conversation_id = t.conversation_id AND m.user_id = ?"
                + " WHERE t.seq > m.read_up_to AND t.sender_id <> ? AND t.conversation_id IN (" + in + ")")) {
      Sql.bind(statement, parameters);
      try (ResultSet rs = statement.executeQuery()) {
        while (rs.next()) result.computeIfAbsent(rs.getString(1), id -> new ArrayList<>()).add(rs.getLong(2));
      }
    }
    return result;
  }

  /** One row of the list query, before unread is worked out. */
  private record Row(
      String conversationId,
      Conversation.Kind kind,
      String title,
      String createdBy,
      Instant createdAt,
      long readUpTo,
      long deliveredUpTo,
      long lastSeq,
      ConversationSummary.LastMessage lastMessage,
      long ownLast,
      Instant lastActivityAt) {

    ConversationSummary summary(long effectiveReadUpTo, long unread) {
      return new ConversationSummary(
          conversationId, kind, title, createdBy, createdAt, lastSeq, lastMessage, unread, effectiveReadUpTo,
          Math.max(deliveredUpTo, effectiveReadUpTo), lastActivityAt);
    }
  }

  private static Row row(ResultSet rs) throws SQLException {
    String lastMessageId = rs.getString("message_id");
    boolean deleted = rs.getTimestamp("deleted_at") != null;
    ConversationSummary.LastMessage last =
        lastMessageId == null
            ? null
            : new ConversationSummary.LastMessage(
                lastMessageId, rs.getLong("last_seq"), rs.getString("sender_id"),
                deleted ? null : preview(rs.getString("content")), deleted);
    return new Row(
        rs.getString("conversation_id"),
        Conversation.Kind.valueOf(rs.getString("kind")),
        rs.getString("title"),
        rs.getString("created_by"),
        Sql.instant(rs, "created_at"),
        rs.getLong("read_up_to"),
        rs.getLong("delivered_up_to"),
        rs.getLong("last_seq"),
        last,
        rs.getLong("own_last"),
        Sql.instant(rs, "last_activity_at"));
  }

  static String preview(String content) {
    if (content == null || content.codePointCount(0, content.length()) <= PREVIEW_LENGTH) return content;
    return content.substring(0, content.offsetByCodePoints(0, PREVIEW_LENGTH));
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

  /** Those of {@code candidates} who share at least one conversation with {@code userId}. */
  public CompletionStage<java.util.Set<String>> sharingAConversationWith(String userId, List<String> candidates) {
    return sharing(userId, candidates, List.of(new Narrowing("", "")));
  }

  /**
   * Those of {@code candidates} who share a conversation with {@code userId} that they created themselves or have
   * posted in: being added to a conversation by someone else is no contact yet. Two queries in a UNION rather than
   * one with an OR of two EXISTS: under the OR, PostgreSQL may read a whole table into a hashed subplan for every
   * call, where each half alone is index probes on the rows shared.
   */
  public CompletionStage<java.util.Set<String>> inContactWith(String userId, List<String> candidates) {
    return sharing(
        userId,
        candidates,
        List.of(
            new Narrowing(
                " JOIN parley_conversation c ON c.conversation_id = b.conversation_id AND c.created_by = b.user_id", ""),
            new Narrowing(
                "",
                " AND EXISTS (SELECT 1 FROM parley_message m WHERE m.conversation_id = b.conversation_id"
                    + " AND m.sender_id = b.user_id)")));
  }

  /** What narrows the pairs of memberships of one select: a join, a filter, or neither. */
  private record Narrowing(String join, String filter) {}

  /**
   * One select per narrowing, in a UNION, each over the pairs of memberships {@code a} (the user's) and {@code b} (a
   * candidate's) in one conversation.
   */
  private CompletionStage<java.util.Set<String>> sharing(
      String userId, List<String> candidates, List<Narrowing> narrowings) {
    if (candidates.isEmpty()) return CompletableFuture.completedFuture(java.util.Set.of());
    String in = String.join(", ", Collections.nCopies(candidates.size(), "?"));
    List<String> selects = new ArrayList<>();
    List<Object> parameters = new ArrayList<>();
    for (Narrowing narrowing : narrowings) {
      selects.add(
          "SELECT b.user_id FROM parley_conversation_member a"
              + " JOIN parley_conversation_member b ON b.conversation_id = a.conversation_id"
              + narrowing.join()
              + " WHERE a.user_id = ? AND b.user_id IN (" + in + ")"
              + narrowing.filter());
      parameters.add(userId);
      parameters.addAll(candidates);
    }
    String sql = String.join(" UNION ", selects);
    return query(
        connection -> {
          try (PreparedStatement statement = connection.prepareStatement(sql)) {
            Sql.bind(statement, parameters.toArray());
            java.util.Set<String> shared = new java.util.HashSet<>();
            try (ResultSet rs = statement.executeQuery()) {
              while (rs.next()) shared.add(rs.getString(1));
            }
            return shared;
          }
        });
  }

  /** The highest seq of the conversation that the read side holds; 0 when it holds none. */
  public CompletionStage<Long> projectedUpTo(String conversationId) {
    return query(
        connection -> {
          try (PreparedStatement statement =
              connection.prepareStatement("SELECT MAX(seq) FROM parley_message WHERE conversation_id = ?")) {
            Sql.bind(statement, conversationId);
            try (ResultSet rs = statement.executeQuery()) {
              return rs.next() ? rs.getLong(1) : 0L;
            }
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

  private static MessageView message(ResultSet rs) throws SQLException {
    return new MessageView(
        rs.getString("conversation_id"),
        rs.getString("message_id"),
        rs.getLong("seq"),
        rs.getString("sender_id"),
        rs.getString("client_msg_id"),
        rs.getString("content"),
        rs.getString("metadata"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "edited_at"),
        Sql.instant(rs, "deleted_at"));
  }

}
