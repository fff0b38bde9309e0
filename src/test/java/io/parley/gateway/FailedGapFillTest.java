package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.db.Database;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.h2.api.Trigger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A gap fill whose history read fails (here the read side's query, failed once in the database) is asked for again
 * until the device has every message in order; one the conversation refuses is given up and the client told. Joins
 * that must wait for the read side, and a leave while a gap is filled, keep the device's place too.
 */
class FailedGapFillTest {
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");
  /** More than a page and more than a conversation keeps in memory: the fill reads the read side, then the entity. */
  private static final int HISTORY = 12;

  private static TestDatabase database;
  private static TestNode node;
  private static HttpApi api;

  /**
   * A conversation keeps its 5 newest messages in memory and a session catches up 5 at a time, so a join from the
   * start reads the read side once for its own page and again for the next page, the gap fill that fails.
   */
  @BeforeAll
  static void start() throws SQLException {
    database = TestDatabase.h2();
    node =
        TestNode.start(
            database,
            ConfigFactory.parseString(
                "parley.conversation.recent-window = 5\n"
                    + "parley.gateway.page-size = 5\n"
                    + "parley.gateway.refill-retry = 300ms"));
    api = new HttpApi(node::uri);
    try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
      statement.execute(
          "CREATE TRIGGER fail_one_read BEFORE SELECT ON parley_message CALL \"" + FailOneRead.class.getName() + "\"");
      connection.commit();
    }
  }

  @AfterAll
  static void stop() {
    // Null when the start failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  @BeforeEach
  void noReadFails() {
    FailOneRead.passBeforeFailing.set(-1);
  }

  @Test
  void aGapFillThatFailsIsAskedForAgainUntilTheDeviceHasEverySeqInOrder() {
    String id = direct("bo");
    postAsBo(id, HISTORY);
    awaitReadSide(id, HISTORY);
    FailOneRead.failNextButOne(new CountDownLatch(0));
    try (WsClient ana = WsClient.signedIn(node, ANA)) {
      ana.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\",\"since\":0}");
      List<JsonNode> frames = new ArrayList<>();
      frames.add(ana.until(f -> type(f).equals("joined") || type(f).equals("error"), new ArrayList<>()));
      frames.add(ana.until(f -> type(f).equals("error") || isMessage(f, HISTORY), frames));
      assertThat(FailOneRead.failed.availablePermits()).as("the first gap fill failed").isEqualTo(1);
      postAsBo(id, 1);
      frames.add(ana.until(f -> isMessage(f, HISTORY + 1), frames));

      assertThat(seqs(frames)).containsExactlyElementsOf(LongStream.rangeClosed(1, HISTORY + 1).boxed().toList());
      assertThat(frames).noneMatch(f -> type(f).equals("error"));
    }
  }

  @Test
  void aGapFillTheConversationRefusesIsGivenUpAndTheClientTold() throws InterruptedException {
    String id = group("cy");
    postAsBo(id, HISTORY);
    awaitReadSide(id, HISTORY);
    CountDownLatch removed = new CountDownLatch(1);
    FailOneRead.failNextButOne(removed);
    try (WsClient cy = WsClient.signedIn(node, TestTokens.user("cy"))) {
      cy.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\",\"since\":0}");
      assertThat(cy.until("joined").get("hasMore").asBoolean()).isTrue();
      assertThat(FailOneRead.failed.tryAcquire(10, TimeUnit.SECONDS)).as("the gap fill reached the read side").isTrue();
      // While the fill fails, cy is taken out of the group: the fill asked again is refused.
      assertThat(api.delete("/api/conversations/" + id + "/participants/cy", BO).status()).isEqualTo(200);
      removed.countDown();

      JsonNode error = cy.until("error");
      assertThat(error.get("code").asText()).isEqualTo("not_found");
      // Given up, not asked again: nothing more comes for several refill-retry periods.
      cy.expectNothing(Duration.ofSeconds(1));
    }
  }

  @Test
  void aLeaveWhileAGapIsFilledKeepsTheDevicesPlace() throws InterruptedException {
    String id = group("dee");
    postAsBo(id, HISTORY);
    awaitReadSide(id, HISTORY);
    CountDownLatch left = new CountDownLatch(1);
    FailOneRead.failNextButOne(left);
    try (WsClient dee = WsClient.signedIn(node, TestTokens.user("dee"))) {
      dee.send("{\"type\":\"join\",\"ref\":\"j\",\"conversationId\":\"" + id + "\",\"since\":0}");
      List<JsonNode> frames = new ArrayList<>();
      frames.add(dee.until(f -> type(f).equals("joined") || type(f).equals("error"), frames));
      assertThat(FailOneRead.failed.tryAcquire(10, TimeUnit.SECONDS)).as("the gap fill reached the read side").isTrue();
      dee.send("{\"type\":\"leave\",\"ref\":\"l\",\"conversationId\":\"" + id + "\"}");
      assertThat(dee.until(f -> "l".equals(f.path("ref").asText()), frames).path("type").asText()).isEqualTo("ok");
      left.countDown();
      postAsBo(id, 1);
      frames.add(dee.until(f -> type(f).equals("error") || isMessage(f, HISTORY + 1), frames));

      assertThat(seqs(frames)).containsExactlyElementsOf(LongStream.rangeClosed(1, HISTORY + 1).boxed().toList());
      assertThat(frames).noneMatch(f -> type(f).equals("error"));
    }
  }

  @Test
  void twoJoinsOfOneConversationThatMustBothWaitAreBothAnswered() throws SQLException {
    String id = group("eve");
    postAsBo(id, HISTORY);
    awaitReadSide(id, HISTORY);
    try (WsClient eve = WsClient.signedIn(node, TestTokens.user("eve"))) {
      // The read side loses the conversation's rows, as one far behind would: each join gets "unavailable" and is
      // tried again by the session, both at once.
      int readsBefore = FailOneRead.reads.get();
      hideMessages(id, true);
      eve.send("{\"type\":\"join\",\"ref\":\"j1\",\"conversationId\":\"" + id + "\",\"since\":0}");
      eve.send("{\"type\":\"join\",\"ref\":\"j2\",\"conversationId\":\"" + id + "\",\"since\":0}");
      Eventually.await(
          "both joins have given up on the read side once",
          () -> FailOneRead.reads.get() - readsBefore,
          reads -> reads >= 2 * READ_SIDE_ATTEMPTS + 1);
      hideMessages(id, false);

      List<JsonNode> frames = new ArrayList<>();
      frames.add(eve.until(f -> !f.path("ref").asText().isEmpty(), frames));
      frames.add(eve.until(f -> !f.path("ref").asText().isEmpty(), frames));
      assertThat(frames).extracting(f -> f.path("ref").asText()).contains("j1", "j2");
      assertThat(frames).noneMatch(f -> type(f).equals("error"));
      postAsBo(id, 1);
      frames.add(eve.until(f -> type(f).equals("error") || isMessage(f, HISTORY + 1), frames));
      assertThat(frames).noneMatch(f -> type(f).equals("error"));
      assertThat(frames.stream().filter(f -> type(f).equals("message")).map(f -> f.get("seq").asLong()))
          .as("the rest of history, then the live message, once both joins are answered")
          .containsExactlyElementsOf(LongStream.rangeClosed(6, HISTORY + 1).boxed().toList());
    }
  }

  @Test
  void historyFromAReadSideThatHasNotAppliedADeleteYetWaitsRatherThanShowTheText() throws SQLException {
    String id = group("fay");
    postAsBo(id, HISTORY);
    awaitReadSide(id, HISTORY);
    String early = api.get("/api/conversations/" + id + "/messages?before=3&limit=1", BO).json()
        .get("messages").get(0).get("id").asText();
    assertThat(api.delete("/api/conversations/" + id + "/messages/" + early, BO).status()).isEqualTo(200);
    Eventually.await("the read side applied the delete", () -> readSideContent(id, 2), content -> content == null);

    // The projection far behind, as under load: the row still shows the text the sender took back.
    setReadSideRow(id, 2, "taken back", null);
    HttpApi.Response waiting = api.get("/api/conversations/" + id + "/messages?before=6&limit=5", TestTokens.user("fay"));
    assertThat(waiting.status()).as(waiting.body()).isEqualTo(503);
    assertThat(waiting.body()).doesNotContain("taken back");

    setReadSideRow(id, 2, null, java.sql.Timestamp.from(java.time.Instant.now()));
    JsonNode page = api.get("/api/conversations/" + id + "/messages?before=6&limit=5", TestTokens.user("fay")).json();
    JsonNode second = page.get("messages").get(1);
    assertThat(second.get("seq").asLong()).isEqualTo(2);
    assertThat(second.get("deletedAt").isNull()).isFalse();
    assertThat(second.get("content").isNull()).isTrue();
  }

  private static String readSideContent(String id, long seq) {
    try (Connection connection = dataSource().getConnection();
        PreparedStatement statement =
            connection.prepareStatement("SELECT content FROM parley_message WHERE conversation_id = ? AND seq = ?")) {
      statement.setString(1, id);
      statement.setLong(2, seq);
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        return rs.getString(1);
      } finally {
        connection.rollback();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void setReadSideRow(String id, long seq, String content, java.sql.Timestamp deletedAt)
      throws SQLException {
    try (Connection connection = dataSource().getConnection();
        PreparedStatement statement =
            connection.prepareStatement(
                "UPDATE parley_message SET content = ?, deleted_at = ? WHERE conversation_id = ? AND seq = ?")) {
      statement.setString(1, content);
      statement.setTimestamp(2, deletedAt);
      statement.setString(3, id);
      statement.setLong(4, seq);
      assertThat(statement.executeUpdate()).isEqualTo(1);
      connection.commit();
    }
  }

  /** How many reads of the read side a history lookup makes before it answers "unavailable". */
  private static final int READ_SIDE_ATTEMPTS = 10;

  /** Moves the conversation's rows out of the read side, or back. */
  private static void hideMessages(String id, boolean hide) throws SQLException {
    try (Connection connection = dataSource().getConnection(); Statement statement = connection.createStatement()) {
      String where = " WHERE conversation_id = '" + id + "'";
      if (hide) {
        statement.execute("CREATE TABLE hidden_message AS SELECT * FROM parley_message" + where);
        statement.execute("DELETE FROM parley_message" + where);
      } else {
        statement.execute("INSERT INTO parley_message SELECT * FROM hidden_message");
        statement.execute("DROP TABLE hidden_message");
      }
      connection.commit();
    }
  }

  private static List<Long> seqs(List<JsonNode> frames) {
    List<Long> seqs = new ArrayList<>();
    for (JsonNode frame : frames) {
      if (type(frame).equals("joined")) frame.get("messages").forEach(m -> seqs.add(m.get("seq").asLong()));
      if (type(frame).equals("message")) seqs.add(frame.get("seq").asLong());
    }
    return seqs;
  }

  private static String type(JsonNode frame) {
    return frame.path("type").asText();
  }

  private static boolean isMessage(JsonNode frame, long seq) {
    return type(frame).equals("message") && frame.path("seq").asLong() == seq;
  }

  private static String direct(String with) {
    return api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"" + with + "\"}")
        .json()
        .get("id")
        .asText();
  }

  private static String group(String with) {
    String body = "{\"type\":\"group\",\"title\":\"g\",\"participantIds\":[\"" + with + "\"]}";
    HttpApi.Response created = api.post("/api/conversations", BO, body);
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().get("id").asText();
  }

  private static void postAsBo(String id, int count) {
    for (int i = 0; i < count; i++) {
      HttpApi.Response posted = api.post("/api/conversations/" + id + "/messages", BO, "{\"content\":\"m\"}");
      assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    }
  }

  /** Until the projection has written them, a history read waits for it instead of failing. */
  private static void awaitReadSide(String id, long count) {
    Eventually.await("the read side holds " + count + " messages", () -> projected(id), n -> n == count);
  }

  private static long projected(String id) {
    try (Connection connection = dataSource().getConnection();
        PreparedStatement statement =
            connection.prepareStatement("SELECT COUNT(*) FROM parley_message WHERE conversation_id = ?")) {
      statement.setString(1, id);
      try (ResultSet rs = statement.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      } finally {
        connection.rollback();
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static DataSource dataSource() {
    return Database.get(node.node().system()).dataSource();
  }

  /** Fails one read of the messages table, as a database that dropped a connection would. */
  public static final class FailOneRead implements Trigger {
    /** Reads to let through before the one that fails; below zero, none fails. */
    static final AtomicInteger passBeforeFailing = new AtomicInteger(-1);
    /** One permit for each read failed. */
    static final Semaphore failed = new Semaphore(0);
    /** The failing read fails once this is released, so that what the test does meanwhile comes before any retry. */
    static volatile CountDownLatch failWhen = new CountDownLatch(0);
    /** Every read of the messages table. */
    static final AtomicInteger reads = new AtomicInteger();

    /** A join from the start reads once for its own page; the read for the page after it fails. */
    static void failNextButOne(CountDownLatch when) {
      failed.drainPermits();
      failWhen = when;
      passBeforeFailing.set(1);
    }

    @Override
    public void fire(Connection connection, Object[] oldRow, Object[] newRow) throws SQLException {
      reads.incrementAndGet();
      if (passBeforeFailing.getAndUpdate(n -> n >= 0 ? n - 1 : n) != 0) return;
      failed.release();
      try {
        failWhen.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new SQLException("injected: the connection to the read side was lost");
    }
  }
}
