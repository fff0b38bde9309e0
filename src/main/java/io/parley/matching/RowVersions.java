package io.parley.matching;

import java.time.Duration;
import java.time.Instant;

/**
 * Which of a row's webhook events wins: the one of the newest version (the row's own {@code updated_at}), not the
 * last to arrive, since Supabase sends its webhooks asynchronously and a sender's retry re-sends older events after
 * newer ones. An event without a version is judged by when Parley received it. A deleted row leaves a tombstone: its
 * version.
 */
public final class RowVersions {
  private RowVersions() {}

  /**
   * The event's version, or null (none, judged by {@code receivedAt}) when it is later than {@code receivedAt} plus
   * {@code allowance} (the clocks' disagreement). An INSERT's {@code updated_at} is whatever the client sent (a
   * trigger only sets it on UPDATE): kept, a date in the future would make every real change after it stale. Not
   * the receipt time either, which an UPDATE made before the INSERT's webhook arrived would lose to.
   */
  public static Instant trusted(Instant version, Instant receivedAt, Duration allowance) {
    if (version == null || receivedAt == null) return version;
    return version.isAfter(receivedAt.plus(allowance)) ? null : version;
  }

  /**
   * Whether an INSERT or UPDATE of {@code version} (null: none) is to be applied over the row's {@code stored}
   * version. One without a version is judged by {@code receivedAt}, since the row was at that state before Parley
   * received it: so it cannot undo a deletion or a change made after that; {@code receivedAt} null (a table without
   * a version column) applies it in arrival order.
   */
  public static boolean writes(Instant version, Instant receivedAt, Instant stored, boolean deleted) {
    return writes(version != null ? version : receivedAt, stored, deleted);
  }

  /**
   * The version a row keeps once an INSERT or UPDATE of {@code version} applied: its own, else the one stored (a
   * tombstone's included). Never the receipt time of an event without a version: a real UPDATE made before that
   * INSERT's webhook arrived (pg_net sends in batches) would be stale then; and never null over a known version,
   * which would let any older event in.
   */
  public static Instant kept(Instant version, Instant stored) {
    return version != null ? version : stored;
  }

  /**
   * Whether an INSERT or UPDATE of {@code version} is to be applied over the row's
   * {@code stored} version (null: unknown). Over a live row an equal version applies, as a harmless replay or an edit
   * whose {@code updated_at} was not bumped; over a tombstone it does not, since the row was deleted after it was at
   * that version.
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
