package io.parley.matching;

import java.time.Instant;

/**
 * Which of a row's webhook events wins: the one of the newest version (the row's own {@code updated_at}), not the
 * last to arrive, since Supabase sends its webhooks asynchronously and a sender's retry re-sends older events after
 * newer ones. An event without a version falls back to arrival order. A deleted row leaves a tombstone: its version.
 */
public final class RowVersions {
  private RowVersions() {}

  /**
   * Whether an INSERT or UPDATE of {@code version} is to be applied over the row's {@code stored} version (null:
   * unknown). Over a live row an equal version applies, as a harmless replay or an edit whose {@code updated_at} was
   * not bumped; over a tombstone it does not, since the row was deleted after it was at that version.
   */
  public static boolean writes(Instant version, Instant stored, boolean deleted) {
    if (version == null || stored == null) return true;
    return deleted ? version.isAfter(stored) : !version.isBefore(stored);
  }

  /** Whether a DELETE of {@code version} (null: the sender gave none) is to be applied over the row's version. */
  public static boolean deletes(Instant version, Instant stored) {
    return version == null || stored == null || !version.isBefore(stored);
  }

  /**
   * The version a DELETE leaves in its tombstone: its own, or, when it carries none (old_record holds only the
   * primary key), the newest of the row's version and {@code receivedAt}, because the row was deleted before
   * Parley received the DELETE; so an older INSERT or UPDATE that arrives after it does not bring the row back.
   * Null when the table is not versioned ({@code receivedAt} null): no tombstone.
   */
  public static Instant tombstone(Instant version, Instant stored, Instant receivedAt) {
    if (version != null) return version;
    if (receivedAt == null) return null;
    return stored != null && stored.isAfter(receivedAt) ? stored : receivedAt;
  }
}
