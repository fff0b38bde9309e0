package io.parley.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.matching.CandidateProfile;
import io.parley.matching.JobPosting;
import io.parley.matching.Level;
import io.parley.matching.MatchingSettings;
import io.parley.matching.Skills;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rows read through the configured column names, so a platform with its own schema needs no code. */
class RecordMappingTest {
  private static final MatchingSettings MATCHING = MatchingSettings.fromConfig(ParleyConfig.load());

  @Test
  void readsTheSeedsColumns() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();
    JsonNode row = Json.MAPPER.readTree("{\"id\":7,\"title\":\"Dev\",\"company_id\":\"c9\",\"required_skills\":"
        + "\"JS, React.js; Node.js\",\"experience_level\":\"Mid-Level\",\"location\":\"Remote\",\"status\":\"Filled\"}");

    JobPosting job = mapping.job(row, "record", MATCHING.skills());

    assertThat(job.jobId()).isEqualTo("7");
    assertThat(job.company()).isEqualTo("c9");
    assertThat(job.skills()).containsExactly("javascript", "react", "node");
    assertThat(job.level()).isEqualTo(Level.MID);
    assertThat(job.remote()).isTrue();
    assertThat(job.city()).isNull();
    assertThat(job.open()).isFalse();
  }

  @Test
  void aVersionIsReadAsPostgreSQLWritesATimestampToTheMicrosecond() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();

    assertThat(version(mapping, "\"2026-11-22T10:00:00.123456+00:00\""))
        .isEqualTo(Instant.parse("2026-11-22T10:00:00.123456Z"));
    assertThat(version(mapping, "\"2026-11-22 12:00:00.5+02\"")).isEqualTo(Instant.parse("2026-11-22T10:00:00.5Z"));
    assertThat(version(mapping, "\"2026-11-22T10:00:00.123456789Z\""))
        .isEqualTo(Instant.parse("2026-11-22T10:00:00.123456Z"));
    assertThat(version(mapping, "\"2026-11-22T10:00:00\"")).as("a timestamp without time zone, as UTC")
        .isEqualTo(Instant.parse("2026-11-22T10:00:00Z"));
    assertThat(version(mapping, "null")).isNull();
    assertThat(mapping.candidatesVersioned()).isTrue();
  }

  @Test
  void aVersionThatIsNotATimestampIsNoVersionRatherThanTheSendersError() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();

    // A bigint or date updated_at, or a malformed value: Supabase would not retry a 400, and the event would be lost.
    for (String bad : List.of("\"yesterday\"", "\"2026-13-01T00:00:00Z\"", "\"infinity\"", "1732269600", "true",
        "\"2026-11-22\"")) {
      assertThat(version(mapping, bad)).as(bad).isNull();
    }
  }

  @Test
  void withoutAVersionColumnRowsHaveNoVersion() throws Exception {
    RecordMapping mapping =
        WebhookSettings.fromConfig(
                ParleyConfig.load(ConfigFactory.parseString("parley.webhook.columns.jobs.version = []")), false)
            .mapping();
    JsonNode row = Json.MAPPER.readTree("{\"id\":\"j1\",\"updated_at\":\"not even a time\"}");

    assertThat(mapping.jobVersion(row, "record")).isNull();
    assertThat(mapping.jobsVersioned()).isFalse();
  }

  private static Instant version(RecordMapping mapping, String value) throws Exception {
    return mapping.candidateVersion(Json.MAPPER.readTree("{\"id\":\"c1\",\"updated_at\":" + value + "}"), "old_record");
  }

  @Test
  void aPlatformWithOtherColumnNamesIsMappedByConfiguration() throws Exception {
    RecordMapping mapping =
        WebhookSettings.fromConfig(
                ParleyConfig.load(ConfigFactory.parseString(
                    "parley.webhook.columns.candidates { id = [uuid], user-id = [profile_id], skills = [skill_list],"
                        + " level = [seniority], location = [city], job-alerts = [wants_emails] }")),
                false)
            .mapping();
    JsonNode row = Json.MAPPER.readTree("{\"uuid\":\"k1\",\"profile_id\":\"p1\",\"skill_list\":[\"Go\"],"
        + "\"seniority\":\"Sr\",\"city\":\"Lyon, France\",\"years_experience\":1,\"wants_emails\":null}");

    CandidateProfile candidate = mapping.candidate(row, "record", MATCHING.skills());

    assertThat(candidate.candidateId()).isEqualTo("k1");
    assertThat(candidate.userId()).isEqualTo("p1");
    assertThat(candidate.skills()).containsExactly("go");
    assertThat(candidate.level()).isEqualTo(Level.SENIOR);
    assertThat(candidate.city()).isEqualTo("lyon");
    assertThat(candidate.locationLabel()).isEqualTo("Lyon");
    assertThat(candidate.jobAlerts()).as("null is no opt-out").isTrue();
    assertThatThrownBy(() -> mapping.candidate(Json.MAPPER.readTree("{\"id\":\"k1\"}"), "record", MATCHING.skills()))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("'record.uuid' is required");
  }

  @Test
  void yearsStandInForAMissingLevel() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();
    JsonNode row = Json.MAPPER.readTree("{\"id\":\"c\",\"years_experience\":\"9\",\"job_alerts\":\"false\"}");

    CandidateProfile candidate = mapping.candidate(row, "record", MATCHING.skills());

    assertThat(candidate.level()).isEqualTo(Level.LEAD);
    assertThat(candidate.userId()).isEqualTo("c");
    assertThat(candidate.jobAlerts()).isFalse();
  }

  @Test
  void valuesLongerThanTheirColumnsOrNonsenseNumbersAreTheSendersError() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();
    java.util.function.BiConsumer<String, String> refusedJob = (row, message) ->
        assertThatThrownBy(() -> mapping.job(Json.MAPPER.readTree(row), "record", MATCHING.skills()))
            .isInstanceOf(ApiException.class)
            .hasMessageContaining(message);
    java.util.function.BiConsumer<String, String> refusedCandidate = (row, message) ->
        assertThatThrownBy(() -> mapping.candidate(Json.MAPPER.readTree(row), "record", MATCHING.skills()))
            .isInstanceOf(ApiException.class)
            .hasMessageContaining(message);

    refusedJob.accept("{\"id\":\"j\",\"title\":\"" + "t".repeat(1001) + "\"}", "'record.title' is longer than 1000");
    refusedJob.accept("{\"id\":\"j\",\"title\":\"a\\u0000b\"}", "'record.title' must not contain NUL characters");
    refusedJob.accept("{\"id\":\"j\",\"required_skills\":[\"a\\u0000\"]}", "must not contain NUL characters");
    refusedJob.accept("{\"id\":\"j\",\"job_type\":\"" + "t".repeat(101) + "\"}", "'record.job_type' is longer than 100");
    refusedJob.accept("{\"id\":\"j\",\"location\":\"" + "p".repeat(501) + "\"}", "'record.location' is longer than 500");
    refusedJob.accept("{\"id\":\"j\",\"required_skills\":[\"" + "s".repeat(201) + "\"]}", "has an item longer than 200");
    String manySkills = java.util.stream.IntStream.range(0, 101).mapToObj(i -> "s" + i).collect(java.util.stream.Collectors.joining(","));
    refusedCandidate.accept("{\"id\":\"c\",\"skills\":\"" + manySkills + "\"}", "'record.skills' has more than 100 items");
    refusedCandidate.accept("{\"id\":\"c\",\"user_id\":\"" + "u".repeat(201) + "\"}", "'record.user_id' is longer than 200");
    for (String nonsense : List.of("\"NaN\"", "\"Infinity\"", "\"1e400\"", "-3")) {
      refusedCandidate.accept("{\"id\":\"c\",\"years_experience\":" + nonsense + "}", "'record.years_experience' must be a number of at least 0");
    }
    assertThat(mapping.job(Json.MAPPER.readTree("{\"id\":\"j\",\"title\":\"" + "t".repeat(1000) + "\"}"), "record", MATCHING.skills()).title())
        .hasSize(1000);
  }

  @Test
  void aLocationIsCheckedAsItIsStoredLowerCased() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();
    String dotted = "\u0130";
    // 251 of them are 502 characters lower-cased: 'i' and a combining dot each.
    assertThatThrownBy(() -> mapping.job(row("{\"id\":\"j\",\"location\":\"" + dotted.repeat(251) + ", X\"}"), "record",
            MATCHING.skills()))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("'record.location' is longer than 500 once lower-cased");
    assertThatThrownBy(() -> mapping.candidate(row("{\"id\":\"c\",\"location\":\"" + dotted.repeat(251) + "\"}"),
            "record", MATCHING.skills()))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("'record.location' is longer than 500 once lower-cased");
    JobPosting fits = mapping.job(row("{\"id\":\"j\",\"location\":\"" + dotted.repeat(250) + "\"}"), "record", MATCHING.skills());
    assertThat(fits.city()).hasSize(500);
    assertThat(fits.locationLabel()).hasSize(250);
  }

  @Test
  void aSkillIsCheckedAsItIsStoredNormalized() throws Exception {
    RecordMapping mapping = WebhookSettings.fromConfig(ParleyConfig.load(), false).mapping();
    String dotted = "\u0130";
    // A skill's key drops the combining dot; an alias may fold a short skill into a key longer than the column.
    assertThat(mapping.job(row("{\"id\":\"j\",\"required_skills\":[\"" + dotted.repeat(200) + "\"]}"), "record",
            MATCHING.skills()).skills())
        .containsExactly("i".repeat(200));
    Skills longAlias = new Skills(Map.of("k8s", "k".repeat(201)));
    assertThatThrownBy(() -> mapping.job(row("{\"id\":\"j\",\"required_skills\":[\"K8s\"]}"), "record", longAlias))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("'record.required_skills' has an item longer than 200 once normalized");
    assertThatThrownBy(() -> mapping.candidate(row("{\"id\":\"c\",\"skills\":\"k8s\"}"), "record", longAlias))
        .isInstanceOf(ApiException.class)
        .hasMessageContaining("'record.skills' has an item longer than 200 once normalized");
  }

  @Test
  void theRowHashIgnoresColumnOrder() {
    SupabasePayload a = SupabasePayload.parse(bytes("{\"type\":\"INSERT\",\"table\":\"jobs\",\"record\":{\"id\":1,\"t\":{\"x\":1,\"y\":2}}}"));
    SupabasePayload b = SupabasePayload.parse(bytes("{\"table\":\"jobs\",\"record\":{\"t\":{\"y\":2,\"x\":1},\"id\":1},\"type\":\"insert\"}"));
    SupabasePayload c = SupabasePayload.parse(bytes("{\"type\":\"INSERT\",\"table\":\"jobs\",\"record\":{\"id\":1,\"t\":{\"x\":1,\"y\":3}}}"));

    assertThat(a.rowHash()).isEqualTo(b.rowHash()).isNotEqualTo(c.rowHash());
    assertThat(b.type()).isEqualTo("INSERT");
  }

  private static JsonNode row(String json) throws Exception {
    return Json.MAPPER.readTree(json);
  }

  private static byte[] bytes(String json) {
    return json.getBytes(StandardCharsets.UTF_8);
  }
}
