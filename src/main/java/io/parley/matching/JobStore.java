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
   * Stores the job as it is at {@code at}. {@code posted_at} is when the job last opened: its insert, or the change
   * that opened it (a draft published, a closed job reopened), since only from then can a candidate who signs up be
   * matched to it; an edit of an open job leaves it, so the edit does not make the job new.
   */
  public void upsert(JobPosting job, Instant at) {
    Transactions.run(
        dataSource,
        connection -> {
          try (Sql sql = new Sql(connection)) {
            String skills = String.join(",", job.skills());
            String level = job.level() == null ? null : job.level().name();
            int updated =
                sql.update(
                    // The CASE reads is_open as it was before this update, in PostgreSQL and H2 alike.
                    "UPDATE parley_job SET title = ?, company = ?, skills = ?, level = ?, city = ?,"
                        + " location_label = ?, remote = ?, job_type = ?, is_open = ?, updated_at = ?,"
                        + " posted_at = CASE WHEN is_open = FALSE AND ? = TRUE THEN ? ELSE posted_at END"
                        + " WHERE job_id = ?",
                    job.title(), job.company(), skills, level, job.city(), job.locationLabel(), job.remote(),
                    job.jobType(), job.open(), at, job.open(), at, job.jobId());
            if (updated == 0) {
              sql.update(
                  "INSERT INTO parley_job (job_id, title, company, skills, level, city, location_label, remote,"
                      + " job_type, is_open, posted_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  job.jobId(), job.title(), job.company(), skills, level, job.city(), job.locationLabel(),
                  job.remote(), job.jobType(), job.open(), at, at);
            }
            sql.update("DELETE FROM parley_job_skill WHERE job_id = ?", job.jobId());
            for (String skill : job.skills()) {
              sql.batch("INSERT INTO parley_job_skill (skill, job_id) VALUES (?, ?)", skill, job.jobId());
            }
            sql.flush();
          }
          return null;
        });
  }

  /** A deleted job stays for the record, closed: nobody is matched to it any more. */
  public void close(String jobId, Instant at) {
    Transactions.run(
        dataSource,
        connection -> {
          try (Sql sql = new Sql(connection)) {
            sql.update("UPDATE parley_job SET is_open = FALSE, updated_at = ? WHERE job_id = ?", at, jobId);
            sql.update("DELETE FROM parley_job_skill WHERE job_id = ?", jobId);
          }
          return null;
        });
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
