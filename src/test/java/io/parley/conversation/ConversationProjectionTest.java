package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import akka.persistence.query.Sequence;
import akka.projection.eventsourced.EventEnvelope;
import io.parley.conversation.Conversation.ConversationCreated;
import io.parley.conversation.Conversation.DeliveredUpTo;
import io.parley.conversation.Conversation.Event;
import io.parley.conversation.Conversation.MessageDeleted;
import io.parley.conversation.Conversation.MessageEdited;
import io.parley.conversation.Conversation.MessagePosted;
import io.parley.conversation.Conversation.ParticipantsAdded;
import io.parley.conversation.Conversation.ReadUpTo;
import io.parley.db.Database;
import io.parley.db.PlainJdbcSession;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The read side after events seen twice (an offset reset or restored from a backup, a rebuild) is the read side after
 * one application of them: no event fails on a row it wrote before, and none takes back what later events did.
 */
class ConversationProjectionTest {
  private static final String ID = "g_replayed";
  private static final Instant AT = Instant.parse("2026-03-01T10:00:00.123456Z");

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void eventsAppliedTwiceLeaveTheRowsOfOneApplication(String kind) throws Exception {
    try (TestDatabase database = TestDatabase.named(kind);
        TestNode node = TestNode.start(database)) {
      Database db = Database.get(node.node().system());
      ConversationProjection projection = new ConversationProjection(db.settings().dialect());
      List<Event> creating =
          List.of(
              new ConversationCreated(ID, Conversation.Kind.GROUP, "Team", "ana", List.of("ana", "bo"), AT),
              posted(1, "ana", "first"),
              posted(2, "bo", "second"),
              posted(3, "ana", "third"),
              new ParticipantsAdded(ID, "ana", List.of("cy"), 3, at(4)));
      List<Event> changing =
          List.of(
              new MessageEdited(ID, "m1", 1, "first, fixed", at(5)),
              new MessageDeleted(ID, "m2", 2, "bo", at(6)),
              posted(4, "bo", "fourth"),
              new ReadUpTo(ID, "cy", 4, at(8)),
              new DeliveredUpTo(ID, "ana", 4, at(9)));
      List<Event> all = new ArrayList<>(creating);
      all.addAll(changing);

      apply(projection, db.dataSource(), all);
      List<String> once = rows(db.dataSource());
      apply(projection, db.dataSource(), all);
      List<String> twice = rows(db.dataSource());
      // What created rows, seen again after the changes: the edit, the delete and the watermarks stay.
      apply(projection, db.dataSource(), creating);
      List<String> creationSeenAgain = rows(db.dataSource());

      assertThat(once)
          .contains(
              "message|1|m1|ana|first, fixed|edited", "message|2|m2|bo|null|deleted", "tombstone|2|bo",
              "member|cy|4|4", "member|ana|4|0", "joined|cy|" + at(4), "conversation|GROUP|Team|ana");
      assertThat(twice).isEqualTo(once);
      assertThat(creationSeenAgain).isEqualTo(once);
    }
  }

  private static void apply(ConversationProjection projection, DataSource dataSource, List<Event> events)
      throws Exception {
    List<EventEnvelope<Event>> envelopes = new ArrayList<>();
    for (int i = 0; i < events.size(); i++) {
      envelopes.add(EventEnvelope.create(Sequence.apply(i + 1), "Conversation|" + ID, i + 1, events.get(i), 0L));
    }
    PlainJdbcSession session = new PlainJdbcSession(dataSource);
    try {
      projection.process(session, envelopes);
      session.commit();
    } finally {
      session.close();
    }
  }

  private static MessagePosted posted(long seq, String sender, String content) {
    return new MessagePosted(ID, "m" + seq, seq, sender, "c" + seq, content, null, at(seq), sender);
  }

  private static Instant at(long seconds) {
    return AT.plusSeconds(seconds);
  }

  /** Every row of the conversation's read side, one string each, in a fixed order. */
  private static List<String> rows(DataSource dataSource) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Connection connection = dataSource.getConnection();
        Statement statement = connection.createStatement()) {
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT kind, title, created_by, created_at FROM parley_conversation WHERE conversation_id = '" + ID + "'")) {
        while (rs.next()) rows.add("conversation|" + rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3));
      }
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT user_id, delivered_up_to, read_up_to, joined_at FROM parley_conversation_member"
                  + " WHERE conversation_id = '" + ID + "' ORDER BY user_id")) {
        while (rs.next()) {
          rows.add("member|" + rs.getString(1) + "|" + rs.getLong(2) + "|" + rs.getLong(3));
          rows.add("joined|" + rs.getString(1) + "|" + rs.getTimestamp(4).toInstant());
        }
      }
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT seq, message_id, sender_id, content, edited_at, deleted_at, metadata, created_at"
                  + " FROM parley_message WHERE conversation_id = '" + ID + "' ORDER BY seq")) {
        while (rs.next()) {
          rows.add("message|" + rs.getLong(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4)
              + (rs.getTimestamp(5) != null ? "|edited" : "") + (rs.getTimestamp(6) != null ? "|deleted" : ""));
        }
      }
      try (ResultSet rs =
          statement.executeQuery(
              "SELECT seq, sender_id FROM parley_message_tombstone WHERE conversation_id = '" + ID + "' ORDER BY seq")) {
        while (rs.next()) rows.add("tombstone|" + rs.getLong(1) + "|" + rs.getString(2));
      }
      connection.rollback();
    }
    return rows;
  }
}
