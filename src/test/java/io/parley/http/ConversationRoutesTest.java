package io.parley.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.api.Json;
import io.parley.testkit.PreciseNumbers;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.HttpApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The REST API of conversations against a real node over a real socket, on H2. */
class ConversationRoutesTest {
  private static TestDatabase database;
  private static TestNode node;
  private static HttpApi api;
  private static final String ANA = TestTokens.user("ana");
  private static final String BO = TestTokens.user("bo");
  private static final String CY = TestTokens.user("cy");
  private static final String EVE = TestTokens.user("eve");

  @BeforeAll
  static void start() {
    database = TestDatabase.h2();
    // A small window, so that paging crosses from the entity's memory to the read side.
    node =
        TestNode.start(
            database,
            ConfigFactory.parseString(
                "parley.conversation.recent-window = 5\nparley.http.max-request-body = 64k"));
    api = new HttpApi(node::uri);
  }

  @AfterAll
  static void stop() {
    // Null when the start failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private static String group(String token, String title, String... others) {
    Response created =
        api.post(
            "/api/conversations",
            token,
            Json.write(new ConversationWire.CreateConversation("group", null, title, List.of(others))));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json().get("id").asText();
  }

  private static Response post(String token, String conversationId, String clientMsgId, String content) {
    return api.post(
        "/api/conversations/" + conversationId + "/messages",
        token,
        "{\"clientMsgId\":\"" + clientMsgId + "\",\"content\":\"" + content + "\"}");
  }

  private static void eventually(Supplier<Boolean> condition) {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.get()) {
      assertThat(System.nanoTime()).as("condition within 10 s").isLessThan(deadline);
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  @Test
  void directConversationIsTheSameForBothUsers() {
    Response first = api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"bo\"}");
    Response second = api.post("/api/conversations", BO, "{\"type\":\"direct\",\"userId\":\"ana\"}");
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(second.json().get("id")).isEqualTo(first.json().get("id"));
    assertThat(first.json().get("type").asText()).isEqualTo("direct");
    Response withSelf = api.post("/api/conversations", ANA, "{\"type\":\"direct\",\"userId\":\"ana\"}");
    assertThat(withSelf.status()).isEqualTo(400);
    assertThat(withSelf.code()).isEqualTo("bad_request");
  }

  @Test
  void postsPagesEditsDeletesAndReads() {
    String id = group(ANA, "Hiring", "bo");
    for (int i = 1; i <= 12; i++) {
      Response posted = post(i % 3 == 0 && i < 12 ? BO : ANA, id, "c" + i, "message " + i);
      assertThat(posted.status()).as(posted.body()).isEqualTo(201);
      assertThat(posted.json().get("seq").asLong()).isEqualTo(i);
    }
    // Newest page: from the entity's window and, below it, the read side.
    Response newest = api.get("/api/conversations/" + id + "/messages?limit=8", BO);
    assertThat(newest.status()).as(newest.body()).isEqualTo(200);
    assertThat(seqs(newest.json())).containsExactly(5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
    assertThat(newest.json().get("hasMore").asBoolean()).isTrue();
    Response older = api.get("/api/conversations/" + id + "/messages?limit=8&before=" + newest.json().get("nextBefore").asLong(), BO);
    assertThat(seqs(older.json())).containsExactly(1L, 2L, 3L, 4L);
    assertThat(older.json().get("hasMore").asBoolean()).isFalse();
    assertThat(older.json().get("nextBefore").isNull()).isTrue();

    // Edit an old message (outside the window) and delete a recent one.
    String oldId = older.json().get("messages").get(0).get("id").asText();
    Response edited = api.patch("/api/conversations/" + id + "/messages/" + oldId, ANA, "{\"content\":\"edited\"}");
    assertThat(edited.status()).as(edited.body()).isEqualTo(200);
    assertThat(edited.json().get("content").asText()).isEqualTo("edited");
    assertThat(edited.json().get("createdAt").isNull()).isFalse();
    Response notMine = api.patch("/api/conversations/" + id + "/messages/" + oldId, BO, "{\"content\":\"mine\"}");
    assertThat(notMine.status()).isEqualTo(403);
    String lastId = newest.json().get("messages").get(7).get("id").asText();
    Response deleted = api.delete("/api/conversations/" + id + "/messages/" + lastId, ANA);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    assertThat(deleted.json().get("deleted").asBoolean()).isTrue();
    assertThat(deleted.json().get("content").isNull()).isTrue();

    // The read side reflects the edit, and the tombstone keeps its seq.
    eventually(() -> seqContent(api.get("/api/conversations/" + id + "/messages?limit=8&before=5", BO).json(), 1).equals("edited"));
    Response latest = api.get("/api/conversations/" + id + "/messages?limit=1", BO);
    assertThat(latest.json().get("messages").get(0).get("deleted").asBoolean()).isTrue();

    // Bo read up to 9; unread counts others' messages after that, minus the deleted one.
    Response read = api.post("/api/conversations/" + id + "/read", BO, "{\"seq\":9}");
    assertThat(read.json().get("readUpTo").asLong()).isEqualTo(9);
    eventually(() -> unreadOf(BO, id) == 2);
    eventually(() -> unreadOf(ANA, id) == 0);
    Response backwards = api.post("/api/conversations/" + id + "/read", BO, "{\"seq\":3}");
    assertThat(backwards.json().get("readUpTo").asLong()).isEqualTo(9);
  }

  @Test
  void retryWithTheSameClientMsgIdReturnsTheOriginal() {
    String id = group(ANA, "Retry", "bo");
    Response first = post(ANA, id, "same", "once");
    Response retry = post(ANA, id, "same", "once");
    assertThat(first.status()).isEqualTo(201);
    assertThat(retry.status()).isEqualTo(200);
    assertThat(retry.json().get("id")).isEqualTo(first.json().get("id"));
    assertThat(retry.json().get("seq").asLong()).isEqualTo(1);
    assertThat(seqs(api.get("/api/conversations/" + id + "/messages", ANA).json())).containsExactly(1L);
  }

  @Test
  void listShowsLastMessageAndUnreadNewestFirst() {
    String quiet = group(CY, "Quiet", "ana");
    post(CY, quiet, "q1", "old news");
    String busy = group(CY, "Busy", "ana");
    post(CY, busy, "b1", "one");
    post(CY, busy, "b2", "two");
    eventually(() -> unreadOf(ANA, busy) == 2 && unreadOf(ANA, quiet) == 1);
    JsonNode list = api.get("/api/conversations", ANA).json().get("conversations");
    List<String> ids = new ArrayList<>();
    list.forEach(c -> ids.add(c.get("id").asText()));
    assertThat(ids.indexOf(busy)).isLessThan(ids.indexOf(quiet));
    JsonNode busyRow = list.get(ids.indexOf(busy));
    assertThat(busyRow.get("lastMessage").get("preview").asText()).isEqualTo("two");
    assertThat(busyRow.get("title").asText()).isEqualTo("Busy");
  }

  @Test
  void listPagesWithACursorWithoutSkippingOrRepeating() {
    String dan = TestTokens.user("dan");
    List<String> created = new ArrayList<>();
    // Conversations without messages share nothing but their creation time, which may tie.
    for (int i = 0; i < 5; i++) created.add(group(dan, "Page " + i, "ana"));
    eventually(() -> api.get("/api/conversations?limit=200", dan).json().get("conversations").size() == 5);
    List<String> seen = new ArrayList<>();
    String cursor = null;
    for (int page = 0; page < 6; page++) {
      JsonNode body = api.get("/api/conversations?limit=2" + (cursor == null ? "" : "&cursor=" + cursor), dan).json();
      body.get("conversations").forEach(c -> seen.add(c.get("id").asText()));
      if (body.get("nextCursor").isNull()) break;
      cursor = body.get("nextCursor").asText();
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(created).doesNotHaveDuplicates();
    assertProblem(api.get("/api/conversations?cursor=not-a-cursor", dan), 400, "bad_request");
    // A huge limit is capped, never wrapped into a negative one.
    for (String limit : List.of("4294967296", "9223372036854775808", "100000000000000000000")) {
      Response huge = api.get("/api/conversations?limit=" + limit, dan);
      assertThat(huge.status()).as(limit + ": " + huge.body()).isEqualTo(200);
      assertThat(huge.json().get("conversations")).hasSize(5);
    }
    assertProblem(api.get("/api/conversations?limit=lots", dan), 400, "bad_request");
  }

  /**
   * Metadata is the client's, kept and given back with every number exactly as sent, from the conversation and from
   * the read side. Read as doubles, 1e400 came back as "Infinity", 1E-400 as 0.0, and the digits past a double's cut.
   */
  @Test
  void metadataNumbersComeBackExactly() {
    String id = group(ANA, "Exact", "bo");
    String messages = "/api/conversations/" + id + "/messages";
    String figures = "{\"content\":\"figures\",\"metadata\":" + PreciseNumbers.metadata() + "}";
    Response posted = api.post(messages, ANA, figures);
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    PreciseNumbers.assertKeptIn(posted.exactJson());
    PreciseNumbers.assertKeptIn(api.get(messages, BO).exactJson().get("messages").get(0));

    // Past the window of 5: the first page below seq 2 comes from the read side.
    for (int i = 0; i < 5; i++) assertThat(post(ANA, id, "after-" + i, "later " + i).status()).isEqualTo(201);
    Response older = api.get(messages + "?before=2&limit=1", BO);
    assertThat(older.status()).as(older.body()).isEqualTo(200);
    PreciseNumbers.assertKeptIn(older.exactJson().get("messages").get(0));
  }

  @Test
  void metadataIsLimitedInBytesNotCharacters() {
    String id = group(ANA, "Meta", "bo");
    String messages = "/api/conversations/" + id + "/messages";
    // 1,000 characters of three UTF-8 bytes each: under 2,048 characters, over 2,048 bytes.
    String wide = "€".repeat(1000);
    assertProblem(api.post(messages, ANA, "{\"content\":\"hi\",\"metadata\":{\"note\":\"" + wide + "\"}}"), 413, "too_large");
    Response ok = api.post(messages, ANA, "{\"content\":\"hi\",\"metadata\":{\"jobId\":\"j-1\",\"n\":[1,2]}}");
    assertThat(ok.status()).isEqualTo(201);
    assertThat(ok.json().get("metadata").get("jobId").asText()).isEqualTo("j-1");
  }

  @Test
  void jsonNestedTooDeepIsABadRequestAndTheNodeLivesOn() {
    String id = group(ANA, "Deep", "bo");
    String messages = "/api/conversations/" + id + "/messages";
    // 60 KB, under the body limit: Jackson would parse it, and overflow the stack writing it back.
    String deep = "[".repeat(30_000) + "]".repeat(30_000);
    Response refused = api.post(messages, ANA, "{\"content\":\"hi\",\"metadata\":{\"a\":" + deep + "}}");
    assertProblem(refused, 400, "bad_request");
    assertThat(refused.json().get("detail").asText()).contains("nested deeper than " + io.parley.api.Json.MAX_DEPTH);
    String deepest = "[".repeat(io.parley.api.Json.MAX_DEPTH - 2) + "]".repeat(io.parley.api.Json.MAX_DEPTH - 2);
    assertThat(api.post(messages, ANA, "{\"content\":\"hi\",\"metadata\":{\"a\":" + deepest + "}}").status())
        .as("as deep as allowed: the body, metadata and its array are three of the levels")
        .isEqualTo(201);
  }

  @Test
  void whatPostgresCannotStoreOrCompareIsABadRequest() {
    String id = group(ANA, "Nul", "bo");
    String messages = "/api/conversations/" + id + "/messages";
    assertProblem(api.post(messages, ANA, "{\"content\":\"hi\",\"clientMsgId\":\"a\\u0000b\"}"), 400, "bad_request");
    assertProblem(api.post("/api/conversations", ANA, "{\"type\":\"group\",\"title\":\"x\\u0000\",\"participantIds\":[\"bo\"]}"),
        400, "bad_request");
    // A title that shows nothing is blank, whatever String.strip thinks of zero-width spaces.
    assertProblem(api.post("/api/conversations", ANA, "{\"type\":\"group\",\"title\":\"\\u200b\\u200b \\u2029\",\"participantIds\":[\"bo\"]}"),
        400, "bad_request");
    String beyondTime = java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString("+1000000000-12-31T23:59:59.999999999Z|g_0".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertProblem(api.get("/api/conversations?cursor=" + beyondTime, ANA), 400, "bad_request");
  }

  @Test
  void deletingAnOldTombstoneAgainKeepsItsOriginalTime() {
    String id = group(ANA, "Old", "bo");
    String first = post(ANA, id, "o1", "first").json().get("id").asText();
    for (int i = 2; i <= 8; i++) post(BO, id, "o" + i, "m" + i);
    Response deleted = api.delete("/api/conversations/" + id + "/messages/" + first, ANA);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    eventually(() -> api.get("/api/conversations/" + id + "/messages?before=2", ANA).json().get("messages").get(0).get("deleted").asBoolean());
    Response again = api.delete("/api/conversations/" + id + "/messages/" + first, ANA);
    assertThat(again.json().get("deletedAt")).isEqualTo(deleted.json().get("deletedAt"));
  }

  @Test
  void strangersGetNotFoundExactlyAsForAMissingConversation() {
    String id = group(ANA, "Private", "bo");
    post(ANA, id, "p1", "secret");
    Response stranger = api.get("/api/conversations/" + id, EVE);
    Response missing = api.get("/api/conversations/g_" + "f".repeat(32), EVE);
    Response garbage = api.get("/api/conversations/..%2F..%2Fetc", EVE);
    for (Response r : List.of(stranger, missing, garbage)) {
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.contentType()).startsWith("application/problem+json");
      assertThat(r.code()).isEqualTo("not_found");
    }
    assertThat(stranger.json().get("detail")).isEqualTo(missing.json().get("detail"));
    assertThat(api.get("/api/conversations/" + id + "/messages", EVE).status()).isEqualTo(404);
    assertThat(post(EVE, id, "x", "hi").status()).isEqualTo(404);
  }

  @Test
  void participantsAreAddedAndRemoved() {
    String id = group(ANA, "Team", "bo");
    Response added = api.post("/api/conversations/" + id + "/participants", BO, "{\"userIds\":[\"cy\"]}");
    assertThat(added.status()).as(added.body()).isEqualTo(200);
    assertThat(added.json().get("participants")).hasSize(3);
    assertThat(api.get("/api/conversations/" + id, CY).status()).isEqualTo(200);
    assertThat(api.delete("/api/conversations/" + id + "/participants/cy", BO).status()).isEqualTo(403);
    assertThat(api.delete("/api/conversations/" + id + "/participants/cy", ANA).status()).isEqualTo(200);
    assertThat(api.get("/api/conversations/" + id, CY).status()).isEqualTo(404);
  }

  @Test
  void badInputGetsAProblemWithAStableCodeNeverA500() {
    String id = group(ANA, "Edge", "bo");
    String messages = "/api/conversations/" + id + "/messages";
    assertProblem(api.post(messages, ANA, "{not json"), 400, "bad_request");
    assertProblem(api.post(messages, ANA, "[1,2]"), 400, "bad_request");
    assertProblem(api.post(messages, ANA, "null"), 400, "bad_request");
    assertProblem(api.post(messages, ANA, ""), 400, "bad_request");
    assertProblem(api.post(messages, ANA, "{\"content\":42}"), 400, "bad_request");
    assertThat(api.post(messages, ANA, "{\"content\":{\"a\":1}}").json().get("detail").asText()).contains("content");
    assertProblem(api.post(messages, ANA, "{\"content\":\"\"}"), 400, "bad_request");
    assertProblem(api.post(messages, ANA, "{\"content\":\"hi\",\"metadata\":[1]}"), 400, "bad_request");
    assertProblem(api.post(messages, ANA, "{\"content\":\"" + "x".repeat(4001) + "\"}"), 400, "bad_request");
    assertProblem(api.post(messages, ANA, "{\"content\":\"" + "x".repeat(70_000) + "\"}"), 413, "too_large");
    assertProblem(api.post("/api/conversations/" + id + "/read", ANA, "{\"seq\":\"7\"}"), 400, "bad_request");
    assertProblem(api.post("/api/conversations/" + id + "/read", ANA, "{}"), 400, "bad_request");
    assertProblem(api.get(messages + "?limit=abc", ANA), 400, "bad_request");
    assertProblem(api.get(messages + "?before=-3", ANA), 400, "bad_request");
    assertProblem(api.post("/api/conversations", ANA, "{\"type\":\"channel\"}"), 400, "bad_request");
    assertProblem(api.get("/api/nothing-here", ANA), 404, "not_found");
    assertProblem(api.delete("/api/conversations", ANA), 405, "method_not_allowed");
    assertProblem(api.get("/api/conversations", null), 401, "token_missing");
    assertProblem(
        api.send(api.request("/api/conversations", null).header("Authorization", "Basic YTpi").GET()),
        401,
        "token_missing");
    // Still serving after all of it.
    assertThat(post(ANA, id, "ok", "still here").status()).isEqualTo(201);
  }

  @Test
  void healthReportsDatabaseAndCluster() {
    eventually(() -> api.get("/api/health", null).status() == 200);
    JsonNode health = api.get("/api/health", null).json();
    assertThat(health.get("status").asText()).isEqualTo("up");
    assertThat(health.get("database").get("status").asText()).isEqualTo("up");
    assertThat(health.get("cluster").get("status").asText()).isEqualTo("up");
  }

  @Test
  void corsPreflightAllowsConfiguredOrigins() {
    Response preflight =
        api.send(
            api.request("/api/conversations", null)
                .header("Origin", "https://app.example.test")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.raw().headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.test");
  }

  @Test
  void aBrowserOnAnAllowedOriginCanReadErrorsAndWhenToRetry() {
    for (Response response :
        List.of(
            api.send(api.request("/api/conversations", "not-a-token").header("Origin", "https://app.example.test").GET()),
            api.send(api.request("/api/nowhere", ANA).header("Origin", "https://app.example.test").GET()),
            api.send(api.request("/api/conversations", ANA).header("Origin", "https://app.example.test").GET()))) {
      assertThat(response.raw().headers().firstValue("Access-Control-Allow-Origin"))
          .as(response.status() + " " + response.body())
          .hasValue("https://app.example.test");
      assertThat(response.raw().headers().firstValue("Access-Control-Expose-Headers")).hasValue("Retry-After");
    }
  }

  @Test
  void textNoEncodingCanHoldIsRefusedAndTheConversationGoesOn() {
    String conversation = group(ANA, "surrogates", "bo");
    String lone = "\\u" + "d800";
    String path = "/api/conversations/" + conversation + "/messages";
    for (String body :
        List.of(
            "{\"clientMsgId\":\"s1\",\"content\":\"a" + lone + "b\"}",
            "{\"clientMsgId\":\"s" + lone + "\",\"content\":\"fine\"}",
            "{\"clientMsgId\":\"s2\",\"content\":\"fine\",\"metadata\":{\"k\":\"" + lone + "\"}}")) {
      Response refused = api.post(path, ANA, body);
      assertProblem(refused, 400, "bad_request");
      assertThat(refused.json().get("detail").asText()).contains("unpaired UTF-16 surrogate");
    }
    assertProblem(
        api.post("/api/conversations", ANA, "{\"type\":\"group\",\"title\":\"" + lone + "\",\"participants\":[\"bo\"]}"),
        400,
        "bad_request");
    Response after = post(BO, conversation, "s3", "still here");
    assertThat(after.status()).as(after.body()).isEqualTo(201);
    assertThat(after.json().get("seq").asLong()).isEqualTo(1);
  }

  @Test
  void answersAreJsonWhateverTheClientAccepts() {
    String conversation = group(ANA, "accept", "bo");
    Response posted =
        api.send(
            api.request("/api/conversations/" + conversation + "/messages", ANA)
                .header("Accept", "text/plain")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"clientMsgId\":\"acc-1\",\"content\":\"hi\"}")));
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    assertThat(posted.contentType()).startsWith("application/json");
    assertThat(posted.json().get("seq").asLong()).isEqualTo(1);
  }

  @Test
  void requestsTheParserRefusesGetProblemJsonToo() {
    assertProblem(api.get("/api/conversations?pad=" + "x".repeat(3000), ANA), 414, "too_large");
    HttpRequest.Builder crowded = api.request("/api/conversations", ANA);
    for (int i = 0; i < 70; i++) crowded.header("X-Filler-" + i, "v");
    Response refused = api.send(crowded.GET());
    assertThat(refused.status()).isBetween(400, 499);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.code()).isIn("bad_request", "too_large");
  }

  private static void assertProblem(Response response, int status, String code) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.contentType()).startsWith("application/problem+json");
    assertThat(response.code()).isEqualTo(code);
  }

  private static long unreadOf(String token, String conversationId) {
    for (JsonNode row : api.get("/api/conversations", token).json().get("conversations")) {
      if (row.get("id").asText().equals(conversationId)) return row.get("unreadCount").asLong();
    }
    return -1;
  }

  private static List<Long> seqs(JsonNode history) {
    List<Long> seqs = new ArrayList<>();
    history.get("messages").forEach(m -> seqs.add(m.get("seq").asLong()));
    return seqs;
  }

  private static String seqContent(JsonNode history, long seq) {
    for (JsonNode m : history.get("messages")) if (m.get("seq").asLong() == seq) return m.get("content").asText();
    return "";
  }
}
