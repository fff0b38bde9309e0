package io.parley.webhook;

/**
 * Supabase Database Webhook bodies exactly as Supabase sends them: {@code type}, {@code table}, {@code schema},
 * {@code record} and {@code old_record}, with the rows' columns as the seeds' tables have them.
 */
final class Payloads {
  private Payloads() {}

  static String jobRow(String id, String skills, String level, String location, boolean remote) {
    return "{\"id\":\"" + id + "\",\"title\":\"Backend Engineer " + id + "\",\"company_id\":\"c0a8\","
        + "\"company_name\":\"Acme\",\"description\":\"Build things\",\"required_skills\":" + skills + ","
        + "\"experience_level\":\"" + level + "\",\"location\":\"" + location + "\",\"remote\":" + remote + ","
        + "\"job_type\":\"full-time\",\"salary_min\":60000,\"status\":\"open\","
        + "\"created_at\":\"2024-05-01T12:00:00.123456+00:00\",\"updated_at\":null}";
  }

  static String candidateRow(String id, String skills, String level, String location, boolean openToRemote,
      boolean jobAlerts) {
    return "{\"id\":\"" + id + "\",\"user_id\":\"user-" + id + "\",\"full_name\":\"Ana Example\",\"skills\":" + skills
        + ",\"experience_level\":\"" + level + "\",\"years_experience\":6,\"location\":\"" + location + "\","
        + "\"open_to_remote\":" + openToRemote + ",\"job_alerts\":" + jobAlerts + ","
        + "\"created_at\":\"2024-05-01T12:00:00.123456+00:00\"}";
  }

  static String insert(String table, String row) {
    return "{\"type\":\"INSERT\",\"table\":\"" + table + "\",\"schema\":\"public\",\"record\":" + row
        + ",\"old_record\":null}";
  }

  static String update(String table, String row, String oldRow) {
    return "{\"type\":\"UPDATE\",\"table\":\"" + table + "\",\"schema\":\"public\",\"record\":" + row
        + ",\"old_record\":" + oldRow + "}";
  }

  /** With the table's default replica identity, Supabase sends only the primary key of a deleted row. */
  static String delete(String table, String id) {
    return "{\"type\":\"DELETE\",\"table\":\"" + table + "\",\"schema\":\"public\",\"record\":null,"
        + "\"old_record\":{\"id\":\"" + id + "\"}}";
  }

  /** With the table's REPLICA IDENTITY FULL, old_record is the whole row; its key and version are what count here. */
  static String delete(String table, String id, String updatedAt) {
    return "{\"type\":\"DELETE\",\"table\":\"" + table + "\",\"schema\":\"public\",\"record\":null,"
        + "\"old_record\":{\"id\":\"" + id + "\",\"updated_at\":\"" + updatedAt + "\"}}";
  }

  /** The row with its updated_at column set, as a table with Supabase's usual trigger has it. */
  static String versioned(String row, String updatedAt) {
    String column = "\"updated_at\":\"" + updatedAt + "\"";
    return row.contains("\"updated_at\":null")
        ? row.replace("\"updated_at\":null", column)
        : "{" + column + "," + row.substring(1);
  }
}
