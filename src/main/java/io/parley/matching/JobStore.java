package io.parley.matching;

import io.parley.db.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import javax.sql.DataSource;

/**
 * The jobs Parley has seen ({@code parley_job}, with their skills in {@code parley_job_skill}), so that a candidate
 * who changes their profile can be matched against the open jobs of the last days without a scan of them all.
 */
public final class JobStore {
  private static final String COLUMNS =
      "j.job_id, j.title, j.company, j.skills, j.level, j.city, j.location_label, j.remote, j.job_type, j.is_open";

  private final DataSource dataSource;

  public JobStore(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /**
   * Stores the job as it is at {@code at}, unless the stored row is of a newer {@code version} (see {@link
   * RowVersions}; null: none in the row, judged by {@code at} when {@code versioned}, else arrival order); returns
   * whether it did. The row keeps its stored version when the event has none. {@code posted_at} is when the
   * job last opened: its insert, or the change that opened it (a draft published, a closed job reopened), since only
   * from then can a candidate who signs up be matched to it; an edit of an open job leaves it, so the edit does not
   * make the job new.
   */
  public boolean upsert(JobPosting job, Instant version, boolean versioned, Instant at) {
    return Transactions.run(
        dataSource,
        connection -> {
          Stored stored = stored(connection, job.jobId());
          if (stored != null
              && !RowVersions.writes(version, versioned ? at : null, stored.version(), stored.deleted())) {
            return false;
          }
          Instant kept = RowVersions.kept(version, stored == null ? null : stored.version());
          try (Sql sql = new Sql(connection)) {
            String skills = String.join(",", job.skills());
            String level = job.level() == null ? null : job.level().name();
            if (stored != null) {
              sql.update(
                  // The CASE reads is_open as it was before this update, in PostgreSQL and H2 alike.
                  "UPDATE parley_job SET title = ?, company = ?, skills = ?, level = ?, city = ?,"
                      + " location_label = ?, remote = ?, job_type = ?, is_open = ?, updated_at = ?,"
                      + " posted_at = CASE WHEN is_open = FALSE AND ? = TRUE THEN ? ELSE posted_at END,"
                      + " row_version = ?, row_deleted = FALSE WHERE job_id = ?",
                  job.title(), job.company(), skills, level, job.city(), job.locationLabel(), job.remote(),
                  job.jobType(), job.open(), at, job.open(), at, kept, job.jobId());
            } else {
              sql.update(
                  "INSERT INTO parley_job (job_id, title, company, skills, level, city, location_label, remote,"
                      + " job_type, is_open, posted_at, updated_at, row_version, row_deleted)"
                      + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, FALSE)",
                  job.jobId(), job.title(), job.company(), skills, level, job.city(), job.locationLabel(),
                  job.remote(), job.jobType(), job.open(), at, at, kept);
            }
            sql.update("DELETE FROM parley_job_skill WHERE job_id = ?", job.jobId());
            for (String skill : job.skills()) {
              sql.batch("INSERT INTO parley_job_skill (skill, job_id) VALUES (?, ?)", skill, job.jobId());
            }
            sql.flush();
          }
          return true;
        });
  }

  /**
   * A deleted job stays for the record, closed, so that nobody is matched to it any more, and as the tombstone that
   * keeps an older INSERT or UPDATE arriving later from reopening it; a job never seen gets a row for that alone. The
   * tombstone's version is the DELETE's, or with none the newest of the row's and {@code at} when {@code versioned}
   * (see {@link RowVersions#tombstone}). Returns false, changing nothing, when the stored row is newer.
   */
  public boolean close(String jobId, Instant version, boolean versioned, Instant at) {
    return Transactions.run(
        dataSource,
        connection -> {
          Stored stored = stored(connection, jobId);
          Instant known = stored == null ? null : stored.version();
          if (!RowVersions.deletes(version, known)) return false;
          Instant tombstone = RowVersions.tombstone(version, known, versioned ? at : null);
          try (Sql sql = new Sql(connection)) {
            if (stored != null) {
              sql.update(
                  "UPDATE parley_job SET is_open = FALSE, updated_at = ?, row_version = ?, row_deleted = TRUE"
                      + " WHERE job_id = ?",
                  at, tombstone, jobId);
              sql.update("DELETE FROM parley_job_skill WHERE job_id = ?", jobId);
            } else if (tombstone != null) {
              sql.update(
                  "INSERT INTO parley_job (job_id, skills, remote, is_open, posted_at, updated_at, row_version,"
                      + " row_deleted) VALUES (?, '', FALSE, FALSE, ?, ?, ?, TRUE)",
                  jobId, at, at, tombstone);
            }
          }
          return true;
        });
  }

  /** What decides whether an event of the job is newer: the version last applied, and whether it was a DELETE. */
  private record Stored(Instant version, boolean deleted) {}

  /** Locked until the transaction ends, for the rare moment two nodes run one slice's projection at once. */
  private static Stored stored(Connection connection, String jobId) throws SQLException {
    try (PreparedStatement statement =
        connection.prepareStatement("SELECT row_version, row_deleted FROM parley_job WHERE job_id = ? FOR UPDATE")) {
      Sql.bind(statement, jobId);
      try (ResultSet rows = statement.executeQuery()) {
        if (!rows.next()) return null;
        return new Stored(Sql.instant(rows, "row_version"), rows.getBoolean("row_deleted"));
      }
    }
  }

  /**
   * Open jobs posted, published or reopened since {@code since} that could match the candidate: those that share a skill with them, or
   * all of them when {@code anySkill} (the weights let a candidate match without a shared skill).
   */
  public List<JobPosting> openJobsFor(CandidateProfile candidate, Instant since, boolean anySkill) {
    if (!anySkill && candidate.skills().isEmpty()) return List.of();
    String where =
        anySkill
            ? ""
            : " AND j.job_id IN (SELECT s.job_id FROM parley_job_skill s WHERE s.skill IN ("
                + String.join(", ", Collections.nCopies(candidate.skills().size(), "?"))
                + "))";
    String query = "SELECT " + COLUMNS + " FROM parley_job j WHERE j.is_open = TRUE AND j.posted_at >= ?" + where;
    return Transactions.run(
        dataSource,
        connection -> {
          List<Object> parameters = new ArrayList<>();
          parameters.add(since);
          if (!anySkill) parameters.addAll(candidate.skills());
          return read(connection, query, parameters.toArray());
        });
  }

  /** One job as stored, or null; for tests and the status of a job. */
  public JobPosting find(String jobId) {
    return Transactions.run(
        dataSource,
        connection -> {
          List<JobPosting> jobs = read(connection, "SELECT " + COLUMNS + " FROM parley_job j WHERE j.job_id = ?", jobId);
          return jobs.isEmpty() ? null : jobs.get(0);
        });
  }

  private static List<JobPosting> read(Connection connection, String query, Object... parameters) throws SQLException {
    try (PreparedStatement statement = connection.prepareStatement(query)) {
      Sql.bind(statement, parameters);
      try (ResultSet rows = statement.executeQuery()) {
        List<JobPosting> jobs = new ArrayList<>();
        while (rows.next()) {
          String skills = rows.getString("skills");
          String level = rows.getString("level");
          jobs.add(
              new JobPosting(
                  rows.getString("job_id"),
                  rows.getString("title"),
                  rows.getString("company"),
                  skills == null || skills.isEmpty() ? List.of() : Arrays.asList(skills.split(",")),
                  level == null ? null : Level.valueOf(level),
                  rows.getString("city"),
                  rows.getString("location_label"),
                  rows.getBoolean("remote"),
                  rows.getString("job_type"),
                  rows.getBoolean("is_open")));
        }
        return jobs;
      }
    }
  }
}
