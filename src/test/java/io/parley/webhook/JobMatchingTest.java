package io.parley.webhook;

import static io.parley.webhook.Payloads.candidateRow;
import static io.parley.webhook.Payloads.delete;
import static io.parley.webhook.Payloads.insert;
import static io.parley.webhook.Payloads.jobRow;
import static io.parley.webhook.Payloads.update;
import static org.assertj.core.api.Assertions.assertThat;

import io.parley.db.Database;
import io.parley.matching.CandidateMatch;
import io.parley.matching.JobMatcher;
import io.parley.matching.JobPosting;
import io.parley.matching.JobStore;
import io.parley.matching.MatchingSettings;
import java.util.List;
import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import io.parley.testkit.RecordingNotifier;
import io.parley.testkit.RecordingNotifier.Call;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Supabase payloads in, job_match notifications out, over real HTTP on a real node. Each test uses skills of its
 * own, so that candidates of one test never match the jobs of another.
 */
class JobMatchingTest {
  private static final String JOBS = "/api/webhooks/jobs/notify";
  private static final String CANDIDATES = "/api/webhooks/matching/update";
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static TestDatabase database;
  private static TestNode node;
  private static WebhookClient webhooks;
  private static HttpApi api;
  /** Shared by every test: a test waits on the calls about its own job or user, never on the total. */
  private static final RecordingNotifier notifier = new RecordingNotifier();

  @BeforeAll
  static void start() {
    database = TestDatabase.h2();
    node =
        TestNode.start(
            database,
            WebhookClient.config()
                .withFallback(com.typesafe.config.ConfigFactory.parseString(
                    "akka.projection.restart-backoff { min-backoff = 200ms, max-backoff = 1s }")),
            notifier);
    api = new HttpApi(node::uri);
    webhooks = new WebhookClient(api);
  }

  @AfterAll
  static void stop() {
    // Null when the start failed: its own failure is the one to report, not a NullPointerException here.
    if (node != null) node.close();
    if (database != null) database.close();
  }

  private static void accepted(Response response) {
    assertThat(response.status()).as(response.body()).isEqualTo(202);
  }

  @Test
  void aNewJobNotifiesEveryMatchingCandidateOnceWithScoreAndReasons() {
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("m1", "[\"m1java\",\"M1Akka\",\"m1sql\",\"m1kafka\"]", "senior", "Paris, France", false, true))));
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("m2", "\"m1java, m1akka, m1sql\"", "mid", "Berlin", true, true))));
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("m3", "[\"m1java\"]", "junior", "Madrid", false, true))));
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("m4", "[\"m1java\",\"m1akka\",\"m1sql\",\"m1kafka\",\"m1aws\"]", "senior", "Paris", false, false))));
    accepted(webhooks.bearer("/api/jobs/notify", insert("jobs",
        jobRow("job-m1", "[\"M1Java\",\"m1akka\",\"m1sql\",\"m1kafka\",\"m1aws\"]", "senior", "Paris, France", true))));

    awaitCallsAbout("job-m1", 2);
    WebhookProjections.awaitProcessed(database, node);

    assertThat(notifier.callsAbout("job-m1")).extracting(Call::userId).containsExactlyInAnyOrder("user-m1", "user-m2");
    Call ana = notifier.callsFor("user-m1").get(0);
    assertThat(ana.idempotencyKey()).isEqualTo("job_match:job-m1");
    assertThat(ana.match().title()).isEqualTo("Backend Engineer job-m1");
    assertThat(ana.match().company()).isEqualTo("Acme");
    assertThat(ana.match().percent()).isEqualTo(90);
    assertThat(ana.match().summary()).isEqualTo("4/5 skills, senior, Paris");
    Call remote = notifier.callsFor("user-m2").get(0);
    assertThat(remote.match().summary()).isEqualTo("3/5 skills, mid (senior wanted), remote");
    assertThat(remote.match().percent()).isEqualTo(65);
  }

  @Test
  void aDuplicateDeliveryIsStoredButNotifiesOnce() {
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("d1", "[\"d1go\",\"d1grpc\"]", "lead", "Oslo", true, true))));
    String job = insert("jobs", jobRow("job-d1", "[\"d1go\",\"d1grpc\"]", "lead", "Remote", true));

    Response first = webhooks.bearer(JOBS, job);
    Response again = webhooks.hmac(JOBS, job);
    Response viaAlias = webhooks.bearer("/api/jobs/notify", job);

    accepted(first);
    assertThat(first.json().get("duplicate").asBoolean()).isFalse();
    assertThat(again.json().get("duplicate").asBoolean()).isTrue();
    assertThat(viaAlias.json().get("duplicate").asBoolean()).isTrue();
    assertThat(again.json().get("eventKey").asText()).isEqualTo(first.json().get("eventKey").asText());

    awaitCallsAbout("job-d1", 1);
    WebhookProjections.awaitProcessed(database, node);
    assertThat(notifier.callsAbout("job-d1")).hasSize(1);
  }

  @Test
  void aCandidateUpdateNotifiesOnlyTheJobsThatNowMatchForTheFirstTime() {
    accepted(webhooks.bearer(JOBS, insert("jobs", jobRow("job-u1", "[\"u1java\",\"u1akka\"]", "senior", "Lyon", false))));
    accepted(webhooks.bearer(JOBS, insert("jobs", jobRow("job-u2", "[\"u1python\",\"u1django\"]", "senior", "Lyon", false))));
    accepted(webhooks.bearer(JOBS, insert("jobs", jobRow("job-u3", "[\"u1rust\",\"u1wasm\"]", "senior", "Lyon", false))));
    String before = candidateRow("u1", "[\"u1java\",\"u1akka\"]", "senior", "Lyon", false, true);
    accepted(webhooks.bearer(CANDIDATES, insert("candidates", before)));
    awaitCallsFor("user-u1", 1);

    String after = candidateRow("u1", "[\"u1java\",\"u1akka\",\"u1python\",\"u1django\"]", "senior", "Lyon", false, true);
    accepted(webhooks.bearer(CANDIDATES, update("candidates", after, before)));
    awaitCallsFor("user-u1", 2);
    WebhookProjections.awaitProcessed(database, node);

    assertThat(notifier.callsFor("user-u1"))
        .extracting(c -> c.match().jobId())
        .containsExactly("job-u1", "job-u2");
  }

  @Test
  void aJobUpdateNotifiesNoOneTwiceAndADeletedJobMatchesNoOneNew() {
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("j1", "[\"j1scala\"]", "senior", "Rome", false, true))));
    String job = jobRow("job-j1", "[\"j1scala\"]", "senior", "Rome", false);
    accepted(webhooks.bearer(JOBS, insert("jobs", job)));
    awaitCallsFor("user-j1", 1);

    accepted(webhooks.bearer(JOBS, update("jobs", job.replace("Backend Engineer", "Scala Engineer"), job)));
    accepted(webhooks.bearer("/api/webhooks/supabase", delete("jobs", "job-j1")));
    awaitClosed("job-j1");
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("j2", "[\"j1scala\"]", "senior", "Rome", false, true))));
    WebhookProjections.awaitProcessed(database, node);

    assertThat(notifier.callsAbout("job-j1")).extracting(Call::userId).containsExactly("user-j1");
  }

  @Test
  void aDeletedOrOptedOutCandidateIsNotNotified() {
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("x1", "[\"x1elixir\"]", "mid", "Lisbon", false, true))));
    accepted(webhooks.bearer("/api/webhooks/supabase", delete("candidates", "x1")));
    String optIn = candidateRow("x2", "[\"x1elixir\"]", "mid", "Lisbon", false, true);
    accepted(webhooks.bearer(CANDIDATES, insert("candidates", optIn)));
    accepted(webhooks.bearer(CANDIDATES, update("candidates", optIn.replace("\"job_alerts\":true", "\"job_alerts\":false"), optIn)));
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("x3", "[\"x1elixir\"]", "mid", "Lisbon", false, true))));
    awaitIndexMatches("x1elixir", "user-x3");

    accepted(webhooks.bearer(JOBS, insert("jobs", jobRow("job-x1", "[\"x1elixir\"]", "mid", "Lisbon", false))));
    awaitCallsFor("user-x3", 1);
    WebhookProjections.awaitProcessed(database, node);

    assertThat(notifier.callsAbout("job-x1")).extracting(Call::userId).containsExactly("user-x3");
  }

  @Test
  void aFailedNotificationIsRetriedUntilItIsStoredOnce() {
    notifier.failNext("user-f1", 4);
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("f1", "[\"f1ocaml\"]", "senior", "Nice", false, true))));
    accepted(webhooks.bearer(JOBS, insert("jobs", jobRow("job-f1", "[\"f1ocaml\"]", "senior", "Nice", false))));

    awaitCallsFor("user-f1", 1);
    WebhookProjections.awaitProcessed(database, node);

    assertThat(notifier.callsFor("user-f1")).hasSize(1);
    assertThat(api.get("/api/jobs/notify/status", WebhookClient.SECRET).json().get("failed").asLong())
        .isGreaterThanOrEqualTo(1);
  }

  @Test
  void theStatusCountsWhatCameInAndWentOut() {
    Response status = api.get("/api/jobs/notify/status", WebhookClient.SECRET);
    long received = status.json().get("received").asLong();
    accepted(webhooks.bearer(CANDIDATES, insert("candidates",
        candidateRow("s1", "[\"s1perl\"]", "senior", "Porto", false, true))));
    String job = insert("jobs", jobRow("job-s1", "[\"s1perl\"]", "senior", "Porto", false));
    accepted(webhooks.bearer(JOBS, job));
    accepted(webhooks.bearer(JOBS, job));
    awaitCallsFor("user-s1", 1);

    var after = api.get("/api/jobs/notify/status", WebhookClient.SECRET).json();
    assertThat(after.get("received").asLong()).isEqualTo(received + 3);
    assertThat(after.get("duplicates").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(after.get("matched").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(after.get("notified").asLong()).isGreaterThanOrEqualTo(1);
    assertThat(Instant.parse(after.get("lastEventAt").asText())).isAfter(Instant.now().minusSeconds(60));
  }

  @Test
  void malformedBodiesGetA400NamingTheField() {
    assertBadRequest(JOBS, "not json", "malformed JSON");
    assertBadRequest(JOBS, "", "empty");
    assertBadRequest(JOBS, "[1,2]", "JSON object");
    assertBadRequest(JOBS, "{\"table\":\"jobs\",\"record\":{\"id\":\"1\"}}", "'type'");
    assertBadRequest(JOBS, "{\"type\":\"UPSERT\",\"table\":\"jobs\",\"record\":{\"id\":\"1\"}}", "'type'");
    assertBadRequest(JOBS, "{\"type\":\"INSERT\",\"record\":{\"id\":\"1\"}}", "'table'");
    assertBadRequest(JOBS, "{\"type\":\"INSERT\",\"table\":\"jobs\",\"record\":null}", "'record'");
    assertBadRequest(JOBS, "{\"type\":\"INSERT\",\"table\":\"jobs\",\"record\":[1]}", "'record'");
    assertBadRequest(JOBS, "{\"type\":\"DELETE\",\"table\":\"jobs\",\"record\":null,\"old_record\":null}", "'old_record'");
    assertBadRequest(JOBS, "{\"type\":\"INSERT\",\"table\":\"jobs\",\"record\":{\"title\":\"x\"}}", "'record.id'");
    assertBadRequest(JOBS, insert("jobs", "{\"id\":\"b1\",\"required_skills\":42}"), "'record.required_skills'");
    assertBadRequest(JOBS, insert("jobs", "{\"id\":\"b1\",\"remote\":\"sometimes\"}"), "'record.remote'");
    assertBadRequest(JOBS, insert("jobs", "{\"id\":\"b1\",\"required_skills\":[\"a\",{\"b\":1}]}"), "'record.required_skills'");
    assertBadRequest(CANDIDATES, insert("candidates", "{\"id\":\"b1\",\"years_experience\":\"many\"}"), "'record.years_experience'");
    assertBadRequest(CANDIDATES, insert("jobs", "{\"id\":\"b1\"}"), "'table'");
    assertBadRequest("/api/webhooks/supabase", insert("profiles", "{\"id\":\"b1\"}"), "'table'");
    assertBadRequest(CANDIDATES, insert("candidates", "{\"id\":{\"nested\":true}}"), "'record.id'");
  }

  @Test
  void anOversizedBodyIs413AndAWrongMethod405() {
    String huge = insert("jobs", "{\"id\":\"big\",\"description\":\"" + "x".repeat(300_000) + "\"}");
    Response tooLarge = webhooks.bearer(JOBS, huge);
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.code()).isEqualTo("too_large");
    assertThat(api.get(JOBS, WebhookClient.SECRET).status()).isEqualTo(405);
    // Under the body limit, but its two rows would not fit the one message that takes them to their partition.
    String row = "{\"id\":\"big\",\"description\":\"" + "x".repeat(120_000) + "\"}";
    Response rowsTooLarge =
        webhooks.bearer(
            JOBS, "{\"type\":\"UPDATE\",\"table\":\"jobs\",\"schema\":\"public\",\"record\":" + row
                + ",\"old_record\":" + row + "}");
    assertThat(rowsTooLarge.status()).isEqualTo(413);
    assertThat(rowsTooLarge.code()).isEqualTo("too_large");
  }

  @Test
  void unknownFieldsAndColumnsAreTolerated() {
    Response response =
        webhooks.bearer(JOBS, "{\"type\":\"INSERT\",\"table\":\"jobs\",\"schema\":\"public\",\"commit_timestamp\":\"x\","
            + "\"record\":{\"id\":42,\"required_skills\":\"{t1a,t1b}\",\"whatever\":[1,2]},\"old_record\":null}");
    accepted(response);
    assertThat(response.json().get("recordId").asText()).isEqualTo("42");
  }

  private static void assertBadRequest(String path, String body, String fieldMention) {
    Response response = webhooks.bearer(path, body);
    assertThat(response.status()).as(body).isEqualTo(400);
    assertThat(response.code()).isEqualTo("bad_request");
    assertThat(response.json().get("detail").asText()).as(body).contains(fieldMention);
  }

  /** Jobs and candidates are processed on different slices: the deletion must be through before the next step. */
  private static void awaitClosed(String jobId) {
    JobStore jobs = new JobStore(Database.get(node.node().system()).dataSource());
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (jobs.find(jobId).open() && System.nanoTime() < deadline) notifier.settle(Duration.ofMillis(50));
    assertThat(jobs.find(jobId).open()).as(jobId + " closed").isFalse();
  }

  /** Waits until the candidate index matches exactly these users to a job asking for the skill. */
  private static void awaitIndexMatches(String skill, String... userIds) {
    var system = node.node().system();
    JobMatcher matcher = new JobMatcher(system, MatchingSettings.fromConfig(system.settings().config()));
    JobPosting probe = new JobPosting("probe", "", "", List.of(skill), null, null, null, true, null, true);
    long deadline = System.nanoTime() + WAIT.toNanos();
    List<String> matched = List.of();
    while (System.nanoTime() < deadline) {
      matched = matcher.allMatches(probe, system).toCompletableFuture().join().stream()
          .map(CandidateMatch::userId).sorted().toList();
      if (matched.equals(List.of(userIds))) return;
      notifier.settle(Duration.ofMillis(100));
    }
    assertThat(matched).containsExactly(userIds);
  }

  /**
   * The notifier is shared by every test of the class, so a test waits on the calls about its own job: a count of
   * all calls would already be reached by the tests that ran before it.
   */
  private static void awaitCallsAbout(String jobId, int count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (notifier.callsAbout(jobId).size() < count && System.nanoTime() < deadline) notifier.settle(Duration.ofMillis(50));
    assertThat(notifier.callsAbout(jobId)).as("notifications about " + jobId).hasSizeGreaterThanOrEqualTo(count);
  }

  private static void awaitCallsFor(String userId, int count) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (notifier.callsFor(userId).size() < count && System.nanoTime() < deadline) notifier.settle(Duration.ofMillis(50));
    assertThat(notifier.callsFor(userId)).as("notifications of " + userId).hasSizeGreaterThanOrEqualTo(count);
  }
}
