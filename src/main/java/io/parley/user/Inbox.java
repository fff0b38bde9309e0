package io.parley.user;

import io.parley.CborSerializable;
import io.parley.Texts;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A user's notification inbox, newest first and bounded: the oldest fall off once it holds {@code capacity}. It also
 * remembers the newest idempotency keys it took, so that a retry never makes a second notification: those of sends
 * ({@code recentKeys}) and those of messages ({@code messageKeys}) in windows of their own, so that a flood of
 * messages cannot push out the key of a send that is about to be retried. Immutable: every change returns a new
 * inbox, which is what the event handler keeps.
 */
public record Inbox(List<Notification> newestFirst, long lastNumber, RecentKeys recentKeys, RecentKeys messageKeys)
    implements CborSerializable {

  /** Older snapshots hold one window for both, in {@code recentKeys}. */
  public Inbox {
    if (recentKeys == null) recentKeys = RecentKeys.EMPTY;
    if (messageKeys == null) messageKeys = RecentKeys.EMPTY;
  }

  /** Which window an idempotency key goes to. */
  public enum KeyWindow {
    SENDS,
    MESSAGES
  }

  /** What a new notification with some collapse key replaces (null: nothing), and the count it then has. */
  public record Collapse(Notification replaced, int count) {
    public String replacedId() {
      return replaced == null ? null : replaced.id();
    }
  }

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

  public static final Inbox EMPTY = new Inbox(List.of(), 0, RecentKeys.EMPTY, RecentKeys.EMPTY);

  public static String idOf(long number) {
    return "n" + number;
  }

  public String nextId() {
    return idOf(lastNumber + 1);
  }

  /** Either window: keys of messages stored before the windows were split are among those of sends. */
  public boolean seen(String idempotencyKey) {
    return recentKeys.contains(idempotencyKey) || messageKeys.contains(idempotencyKey);
  }

  public RecentKeys keys(KeyWindow window) {
    return window == KeyWindow.MESSAGES ? messageKeys : recentKeys;
  }

  public int unreadCount() {
    int unread = 0;
    for (Notification n : newestFirst) if (n.unread()) unread++;
    return unread;
  }

  /** What a new notification with {@code collapseKey} collapses: the unread one with that key, counted up. */
  public Collapse collapsing(String collapseKey) {
    if (collapseKey != null) {
      for (Notification n : newestFirst) if (n.unread() && collapseKey.equals(n.collapseKey())) return new Collapse(n, n.count() + 1);
    }
    return new Collapse(null, 1);
  }

  public List<String> unreadIds() {
    List<String> ids = new ArrayList<>();
    for (Notification n : newestFirst) if (n.unread()) ids.add(n.id());
    return ids;
  }

  public boolean contains(String id) {
    return find(id) != null;
  }

  /** The notification with this id, or null. */
  public Notification find(String id) {
    for (Notification n : newestFirst) if (n.id().equals(id)) return n;
    return null;
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

  /**
   * The inbox with {@code added} first, without {@code replacedId} and {@code evicted}, and its key in {@code window}
   * without {@code forgottenKeys}.
   */
  public Inbox add(
      Notification added,
      String replacedId,
      String idempotencyKey,
      KeyWindow window,
      List<String> evicted,
      List<String> forgottenKeys) {
    Set<String> dropped = new HashSet<>(evicted);
    if (replacedId != null) dropped.add(replacedId);
    List<Notification> notifications = new ArrayList<>(newestFirst.size() + 1);
    notifications.add(added);
    for (Notification n : newestFirst) if (!dropped.contains(n.id())) notifications.add(n);
    RecentKeys keys = keys(window).with(idempotencyKey, forgottenKeys);
    return new Inbox(
        List.copyOf(notifications),
        added.number(),
        window == KeyWindow.MESSAGES ? recentKeys : keys,
        window == KeyWindow.MESSAGES ? keys : messageKeys);
  }

  /** The inbox with {@code revised} in the place of the notification with its id. */
  public Inbox revise(Notification revised) {
    List<Notification> notifications = new ArrayList<>(newestFirst.size());
    for (Notification n : newestFirst) notifications.add(n.id().equals(revised.id()) ? revised : n);
    return new Inbox(List.copyOf(notifications), lastNumber, recentKeys, messageKeys);
  }

  public Inbox markRead(List<String> ids, Instant at) {
    Set<String> marked = Set.copyOf(ids);
    List<Notification> notifications = new ArrayList<>(newestFirst.size());
    for (Notification n : newestFirst) notifications.add(n.unread() && marked.contains(n.id()) ? n.readAt(at) : n);
    return new Inbox(List.copyOf(notifications), lastNumber, recentKeys, messageKeys);
  }

  /**
   * Up to {@code limit} notifications numbered below {@code beforeNumber}, newest first, and whether more follow. A
   * page crosses nodes as one message, so it also stops before its estimated size passes {@code maxBytes} (a page
   * always holds at least one, which the limits on a notification's fields keep far below any frame).
   */
  public Page page(boolean unreadOnly, long beforeNumber, int limit, int maxBytes) {
    List<Notification> page = new ArrayList<>();
    boolean hasMore = false;
    long bytes = 0;
    for (Notification n : newestFirst) {
      if (n.number() >= beforeNumber || (unreadOnly && !n.unread())) continue;
      long size = estimatedBytes(n);
      if (page.size() == limit || (!page.isEmpty() && bytes + size > maxBytes)) {
        hasMore = true;
        break;
      }
      page.add(n);
      bytes += size;
    }
    return new Page(List.copyOf(page), unreadCount(), hasMore);
  }

  /** Field names, times, count and framing of one serialized notification, generously. */
  private static final int NOTIFICATION_OVERHEAD_BYTES = 256;

  /** An upper bound of the bytes one notification takes in a serialized page: its text as UTF-8, plus overhead. */
  static long estimatedBytes(Notification n) {
    return NOTIFICATION_OVERHEAD_BYTES
        + Texts.utf8Length(n.id()) + Texts.utf8Length(n.kind()) + Texts.utf8Length(n.title())
        + Texts.utf8Length(n.body()) + Texts.utf8Length(n.data()) + Texts.utf8Length(n.collapseKey());
  }

  public record Page(List<Notification> notifications, int unreadCount, boolean hasMore) implements CborSerializable {}
}
