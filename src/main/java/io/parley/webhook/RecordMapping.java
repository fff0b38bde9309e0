package io.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import io.parley.Texts;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.matching.CandidateProfile;
import io.parley.matching.JobPosting;
import io.parley.matching.Level;
import io.parley.matching.Locations;
import io.parley.matching.Skills;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads jobs and candidates out of table rows, through a configurable list of column names per field (the first
 * column present wins), so that a platform whose tables name their columns differently can still use Parley. A
 * value of the wrong type is a 400 that names the column.
 */
public final class RecordMapping {
  private static final Logger log = LoggerFactory.getLogger(RecordMapping.class);
  static final int MAX_ID_LENGTH = 200;
  /**
   * Longest values of the columns Parley stores (conf/schema: parley_job, parley_job_skill): a longer one is the
   * sender's 400 at intake, never a write that fails in processing and holds up its slice for good. A value stored
   * normalized (a location's lower-cased city, a skill's key) is checked as stored, since lower-casing can lengthen
   * it and an alias replace it. Lengths are UTF-16 units, which H2 counts; PostgreSQL counts code points, never more.
   */
  static final int MAX_TITLE_LENGTH = 1000;
  static final int MAX_LOCATION_LENGTH = 500;
  static final int MAX_JOB_TYPE_LENGTH = 100;
  static final int MAX_SKILL_LENGTH = Skills.MAX_KEY_LENGTH;
  /** Far more skills than a job asks for or a profile lists, and few enough to match and index cheaply. */
  static final int MAX_SKILLS = 100;

  private static final Pattern LIST_SEPARATOR = Pattern.compile("[,;]");
  private static final List<String> JOB_FIELDS =
      List.of("id", "title", "company", "skills", "level", "location", "remote", "job-type", "status", "version");
  private static final List<String> CANDIDATE_FIELDS =
      List.of("id", "user-id", "skills", "level", "years", "location", "open-to-remote", "job-alerts", "version");
  /**
   * A timestamp as PostgreSQL writes one into JSON ({@code 2026-11-22T10:00:00.123456+00:00}), with {@code Z}, an
   * offset of hours only, or a space for the {@code T} as in its text output; without an offset (a column of type
   * timestamp) it is taken as UTC, the same for every event of the column, so versions still compare among
   * themselves; but they are also compared with receipt times, so such a column must hold UTC (docs/api.md).
   */
  private static final DateTimeFormatter TIMESTAMP =
      new DateTimeFormatterBuilder()
          .parseCaseInsensitive()
          .append(DateTimeFormatter.ISO_LOCAL_DATE)
          .appendLiteral('T')
          .append(DateTimeFormatter.ISO_LOCAL_TIME)
          .optionalStart()
          .appendOffset("+HH:mm", "Z")
          .optionalEnd()
          .toFormatter();

  /** Field name to the columns that may hold it, read once: a missing key fails at start, not per webhook. */
  private final Map<String, List<String>> jobs;
  private final Map<String, List<String>> candidates;
  private final Set<String> closedStatuses;
  /** The tables whose version column was found holding something else than a timestamp: warned about once. */
  private final Set<String> unreadVersions = ConcurrentHashMap.newKeySet();

  RecordMapping(Config columns, List<String> closedStatuses) {
    this.jobs = fields(columns.getConfig("jobs"), JOB_FIELDS);
    this.candidates = fields(columns.getConfig("candidates"), CANDIDATE_FIELDS);
    this.closedStatuses =
        closedStatuses.stream().map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
  }

  private static Map<String, List<String>> fields(Config table, List<String> names) {
    Map<String, List<String>> fields = new HashMap<>();
    for (String name : names) fields.put(name, List.copyOf(table.getStringList(name)));
    return Map.copyOf(fields);
  }

  static RecordMapping fromConfig(Config columns, List<String> closedStatuses) {
    return new RecordMapping(columns, closedStatuses);
  }

  /** The row's primary key, which orders and deduplicates its events; {@code where} is "record" or "old_record". */
  public String jobId(JsonNode row, String where) {
    return id(row, where, jobs.get("id"));
  }

  public String candidateId(JsonNode row, String where) {
    return id(row, where, candidates.get("id"));
  }

  /**
   * The row's version (its {@code updated_at}), which orders the row's events; null when no version column is
   * configured, or the row has none, or one that is not a timestamp, and its events are then judged by when they
   * were received (see {@link io.parley.matching.RowVersions}).
   */
  public Instant jobVersion(JsonNode row, String where) {
    return version(row, where, jobs.get("version"), "jobs");
  }

  public Instant candidateVersion(JsonNode row, String where) {
    return version(row, where, candidates.get("version"), "candidates");
  }

  /**
   * A version that is not a timestamp (a bigint or date {@code updated_at}, on by default) is no version rather than
   * the sender's 400: Supabase does not retry a 400, so every event of the table would be lost, and so would those
   * already stored, which processing reads again. Logged once per table, so that the operator sees it.
   */
  private Instant version(JsonNode row, String where, List<String> columns, String table) {
    try {
      return new Row(row, where).timestamp(columns);
    } catch (ApiException notATimestamp) {
      if (unreadVersions.add(table)) {
        log.warn(
            "The {} table's version column is not a timestamp ({}): its events are taken as having no version, and"
                + " judged by when they are received. Set parley.webhook.columns.{}.version to a timestamp column,"
                + " or to [] for arrival order. Logged once.",
            table, notATimestamp.getMessage(), table);
      }
      return null;
    }
  }

  /** Whether a version column is configured; a DELETE without a version then still leaves a tombstone. */
  public boolean jobsVersioned() {
    return !jobs.get("version").isEmpty();
  }

  public boolean candidatesVersioned() {
    return !candidates.get("version").isEmpty();
  }

  public JobPosting job(JsonNode row, String where, Skills skills) {
    Row r = new Row(row, where);
    String location = r.text(jobs.get("location"), MAX_LOCATION_LENGTH);
    String city = r.city(jobs.get("location"), location);
    Boolean remote = r.bool(jobs.get("remote"));
    String status = r.text(jobs.get("status"));
    boolean open = status == null || !closedStatuses.contains(status.trim().toLowerCase(Locale.ROOT));
    return new JobPosting(
        jobId(row, where),
        r.text(jobs.get("title"), MAX_TITLE_LENGTH),
        r.text(jobs.get("company"), MAX_TITLE_LENGTH),
        r.skills(jobs.get("skills"), skills),
        Level.parse(r.text(jobs.get("level"))),
        city,
        Locations.label(location),
        Boolean.TRUE.equals(remote) || Locations.isRemote(location),
        r.text(jobs.get("job-type"), MAX_JOB_TYPE_LENGTH),
        open);
  }

  public CandidateProfile candidate(JsonNode row, String where, Skills skills) {
    Row r = new Row(row, where);
    String candidateId = candidateId(row, where);
    String userId = r.text(candidates.get("user-id"), MAX_ID_LENGTH);
    Level level = Level.parse(r.text(candidates.get("level")));
    if (level == null) {
      Double years = r.number(candidates.get("years"));
      if (years != null) level = Level.fromYears(years);
    }
    String location = r.text(candidates.get("location"), MAX_LOCATION_LENGTH);
    String city = r.city(candidates.get("location"), location);
    Boolean openToRemote = r.bool(candidates.get("open-to-remote"));
    Boolean jobAlerts = r.bool(candidates.get("job-alerts"));
    return new CandidateProfile(
        candidateId,
        userId == null || userId.isBlank() ? candidateId : userId,
        r.skills(candidates.get("skills"), skills),
        level,
        city,
        Locations.label(location),
        Boolean.TRUE.equals(openToRemote),
        // job_alerts is an opt-out: a row without the column, or with null, gets alerts.
        !Boolean.FALSE.equals(jobAlerts));
  }

  private static String id(JsonNode row, String where, List<String> columns) {
    Row r = new Row(row, where);
    String id = r.text(columns);
    if (id == null || id.isBlank()) {
      throw new ApiException(ApiError.BAD_REQUEST, "field '" + where + "." + columns.get(0) + "' is required");
    }
    if (id.length() > MAX_ID_LENGTH) {
      throw new ApiException(
          ApiError.BAD_REQUEST, "field '" + where + "." + r.column(columns) + "' is longer than " + MAX_ID_LENGTH);
    }
    return id;
  }

  /** Typed access to one row's columns, with errors that name the column. */
  private record Row(JsonNode row, String where) {
    /** The first of the columns present with a non-null value, or null. */
    String column(List<String> columns) {
      for (String column : columns) {
        JsonNode value = row.get(column);
        if (value != null && !value.isNull()) return column;
      }
      return null;
    }

    String text(List<String> columns) {
      String column = column(columns);
      if (column == null) return null;
      JsonNode value = row.get(column);
      if (value.isNumber()) return value.asText();
      if (value.isTextual()) {
        if (Texts.containsNul(value.asText())) throw bad(column, "must not contain NUL characters");
        return value.asText();
      }
      throw bad(column, "must be a string");
    }

    String text(List<String> columns, int maxLength) {
      String text = text(columns);
      if (text != null && text.length() > maxLength) throw bad(column(columns), "is longer than " + maxLength);
      return text;
    }

    /** A finite number of at least 0: {@code "NaN"} or {@code "Infinity"} parse as doubles and mean nothing here. */
    Double number(List<String> columns) {
      String column = column(columns);
      if (column == null) return null;
      JsonNode value = row.get(column);
      double number;
      if (value.isNumber()) {
        number = value.asDouble();
      } else if (value.isTextual()) {
        try {
          number = Double.parseDouble(value.asText().trim());
        } catch (NumberFormatException e) {
          throw bad(column, "must be a number");
        }
      } else {
        throw bad(column, "must be a number");
      }
      if (!Double.isFinite(number) || number < 0) throw bad(column, "must be a number of at least 0");
      return number;
    }

    /** To the microsecond, PostgreSQL's precision and that of the job store's column, so both compare alike. */
    Instant timestamp(List<String> columns) {
      String column = column(columns);
      if (column == null) return null;
      JsonNode value = row.get(column);
      String problem = "must be a timestamp such as 2026-11-22T10:00:00.123456+00:00";
      if (!value.isTextual()) throw bad(column, problem);
      String text = value.asText().trim();
      if (text.length() > 10 && text.charAt(10) == ' ') text = text.substring(0, 10) + 'T' + text.substring(11);
      try {
        TemporalAccessor parsed = TIMESTAMP.parse(text);
        Instant instant =
            parsed.isSupported(ChronoField.OFFSET_SECONDS)
                ? OffsetDateTime.from(parsed).toInstant()
                : LocalDateTime.from(parsed).toInstant(ZoneOffset.UTC);
        return instant.truncatedTo(ChronoUnit.MICROS);
      } catch (DateTimeException e) {
        throw bad(column, problem);
      }
    }

    Boolean bool(List<String> columns) {
      String column = column(columns);
      if (column == null) return null;
      JsonNode value = row.get(column);
      if (value.isBoolean()) return value.asBoolean();
      if (value.isTextual()) {
        switch (value.asText().trim().toLowerCase(Locale.ROOT)) {
          case "true", "t", "yes" -> { return true; }
          case "false", "f", "no" -> { return false; }
          default -> { }
        }
      }
      throw bad(column, "must be a boolean");
    }

    /** A JSON array of strings, or one string separated by commas (a Postgres array literal's braces are dropped). */
    List<String> list(List<String> columns) {
      String column = column(columns);
      if (column == null) return List.of();
      JsonNode value = row.get(column);
      List<String> items = new ArrayList<>();
      if (value.isArray()) {
        for (JsonNode item : value) {
          if (!item.isTextual()) throw bad(column, "must be an array of strings or a comma-separated string");
          items.add(item.asText());
        }
      } else if (value.isTextual()) {
        String text = value.asText().trim();
        if (text.startsWith("{") && text.endsWith("}")) text = text.substring(1, text.length() - 1);
        for (String item : LIST_SEPARATOR.split(text)) items.add(item.replace("\"", "").trim());
      } else {
        throw bad(column, "must be an array of strings or a comma-separated string");
      }
      if (items.size() > MAX_SKILLS) throw bad(column, "has more than " + MAX_SKILLS + " items");
      for (String item : items) {
        if (item.length() > MAX_SKILL_LENGTH) throw bad(column, "has an item longer than " + MAX_SKILL_LENGTH);
        if (Texts.containsNul(item)) throw bad(column, "must not contain NUL characters");
      }
      return items;
    }

    /**
     * The location's city key, as parley_job.city stores it; a candidate's takes the same limit, so that any city
     * they give can be a job's.
     */
    String city(List<String> columns, String location) {
      String city = Locations.city(location);
      if (city != null && city.length() > MAX_LOCATION_LENGTH) {
        throw bad(column(columns), "is longer than " + MAX_LOCATION_LENGTH + " once lower-cased, as it is stored"
            + " (some letters, such as '\u0130', lower-case to two characters)");
      }
      return city;
    }

    /** The skills' index keys, as parley_job_skill stores them: an alias may fold a skill into a longer key. */
    List<String> skills(List<String> columns, Skills skills) {
      List<String> keys = skills.normalizeAll(list(columns));
      for (String key : keys) {
        if (key.length() > MAX_SKILL_LENGTH) {
          throw bad(column(columns), "has an item longer than " + MAX_SKILL_LENGTH + " once normalized, as it is stored");
        }
      }
      return keys;
    }

    ApiException bad(String column, String problem) {
      return new ApiException(ApiError.BAD_REQUEST, "field '" + where + "." + column + "' " + problem);
    }
  }
}
