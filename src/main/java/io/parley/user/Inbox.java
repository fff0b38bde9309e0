package io.parley.user;

import io.parley.CborSerializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A user's notification inbox, newest first and bounded: the oldest fall off once it holds {@code capacity}. It also
 * remembers the newest idempotency keys it took, so that a sender's retry never makes a second notification. Immutable:
 * every change returns a new inbox, which is what the event handler keeps.
 */
public record Inbox(List<Notification> newestFirst, long lastNumber, List<String> recentKeys)
    implements CborSerializable {

  /** One notification. {@code data} is a JSON object as text; {@code count} is how many messages a collapsed one stands for. */
  public record Notification(
      String id,
      String kind,
      String title,
      String body,
      String data,
      Instant createdAt,
      Instant readAt,
      String collapseKey,
      int count)
      implements CborSerializable {
    public boolean unread() {
      return readAt == null;
    }

    Notification readAt(Instant at) {
      return new Notification(id, kind, title, body, data, createdAt, at, collapseKey, count);
    }

    /** The number in {@code n<number>}: ids rise with time, which is what paging with {@code before} relies on. */
    public long number() {
      return Long.parseLong(id.substring(1));
    }
  }

  public static final Inbox EMPTY = new Inbox(List.of(), 0, List.of());

  public static String idOf(long number) {
    return "n" + number;
  }

  public String nextId() {
    return idOf(lastNumber + 1);
  }

  public boolean seen(String idempotencyKey) {
    return idempotencyKey != null && recentKeys.contains(idempotencyKey);
  }

  public int unreadCount() {
    int unread = 0;
    for (Notification n : newestFirst) if (n.unread()) unread++;
    return unread;
  }

  /** The unread notification that a new one with this collapse key would replace, if any. */
  public Notification unreadWithCollapseKey(String collapseKey) {
    if (collapseKey == null) return null;
    for (Notification n : newestFirst) if (n.unread() && collapseKey.equals(n.collapseKey())) return n;
    return null;
  }

  /** Ids of the unread notifications with this collapse key. */
  public List<String> unreadIdsWithCollapseKey(String collapseKey) {
    List<String> ids = new ArrayList<>();
    for (Notification n : newestFirst) if (n.unread() && collapseKey.equals(n.collapseKey())) ids.add(n.id());
    return ids;
  }

  public List<String> unreadIds() {
    List<String> ids = new ArrayList<>();
    for (Notification n : newestFirst) if (n.unread()) ids.add(n.id());
    return ids;
  }

  public boolean contains(String id) {
    for (Notification n : newestFirst) if (n.id().equals(id)) return true;
    return false;
  }

  /**
   * The notifications that fall off the end when one is added (replacing {@code replacedId}, if any) to an inbox of
   * {@code capacity}, oldest last. Decided when the command is handled and recorded in its event, so that a replay
   * drops the same ones whatever the configuration says by then.
   */
  public List<String> evictedBy(String replacedId, int capacity) {
    List<String> kept = new ArrayList<>(newestFirst.size());
    for (Notification n : newestFirst) if (!n.id().equals(replacedId)) kept.add(n.id());
    int over = kept.size() + 1 - capacity;
    return over <= 0 ? List.of() : List.copyOf(kept.subList(kept.size() - over, kept.size()));
  }

  /** The idempotency keys that fall out of a window of {@code window} keys when {@code idempotencyKey} enters it. */
  public List<String> keysForgottenBy(String idempotencyKey, int window) {
    if (idempotencyKey == null) return List.of();
    int over = recentKeys.size() + 1 - window;
    return over <= 0 ? List.of() : List.copyOf(recentKeys.subList(0, Math.min(over, recentKeys.size())));
  }

  /** The inbox with {@code added} first, without {@code replacedId} and {@code evicted}, and its key remembered. */
  public Inbox add(
      Notification added, String replacedId, String idempotencyKey, List<String> evicted, List<String> forgottenKeys) {
    Set<String> dropped = new HashSet<>(evicted);
    if (replacedId != null) dropped.add(replacedId);
    List<Notification> notifications = new ArrayList<>(newestFirst.size() + 1);
    notifications.add(added);
    for (Notification n : newestFirst) if (!dropped.contains(n.id())) notifications.add(n);
    List<String> keys = recentKeys;
    if (idempotencyKey != null) {
      Set<String> forgotten = Set.copyOf(forgottenKeys);
      keys = new ArrayList<>(recentKeys.size() + 1);
      for (String key : recentKeys) if (!forgotten.contains(key)) keys.add(key);
      keys.add(idempotencyKey);
    }
    return new Inbox(List.copyOf(notifications), added.number(), List.copyOf(keys));
  }

  public Inbox markRead(List<String> ids, Instant at) {
    Set<String> marked = Set.copyOf(ids);
    List<Notification> notifications = new ArrayList<>(newestFirst.size());
    for (Notification n : newestFirst) notifications.add(n.unread() && marked.contains(n.id()) ? n.readAt(at) : n);
    return new Inbox(List.copyOf(notifications), lastNumber, recentKeys);
  }

  /** Up to {@code limit} notifications numbered below {@code beforeNumber}, newest first, and whether more follow. */
  public Page page(boolean unreadOnly, long beforeNumber, int limit) {
    List<Notification> page = new ArrayList<>();
    boolean hasMore = false;
    for (Notification n : newestFirst) {
      if (n.number() >= beforeNumber || (unreadOnly && !n.unread())) continue;
      if (page.size() == limit) {
        hasMore = true;
        break;
      }
      page.add(n);
    }
    return new Page(List.copyOf(page), unreadCount(), hasMore);
  }

  public record Page(List<Notification> notifications, int unreadCount, boolean hasMore) implements CborSerializable {}
}
