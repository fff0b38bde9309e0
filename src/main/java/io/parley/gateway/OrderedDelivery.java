package io.parley.gateway;

import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One device's view of each conversation: the last seq it got. Messages go out in seq order, each once; when one
 * arrives past a gap, or while a join is answered, notices are held back until history has filled the gap. Not
 * thread-safe: it belongs to its session actor.
 */
final class OrderedDelivery {
  /** What the session does for it: write to the client, and fetch history after a seq. */
  interface Port {
    void emit(Conversation.Notice notice);

    void emit(MessageView message);

    void fetchAfter(String conversationId, long afterSeq);
  }

  private static final class Track {
    long lastSeq;
    boolean filling;
    /** Notices may have been lost while a fetch was under way: fetch once more when it ends. */
    boolean stale;
    /** Joins under way: only their answers set where the device stands, and nothing goes out before the last. */
    int joining;
    /** Messages came before the device said where it stands (a reconnect that has not sent join yet). */
    boolean positionUnknown;
    final ArrayDeque<Conversation.Notice> held = new ArrayDeque<>();

    Track(long lastSeq) {
      this.lastSeq = lastSeq;
    }
  }

  static final int MAX_HELD = 1000;

  private final Port port;
  private final Map<String, Track> tracks = new HashMap<>();
  /** Just connected: a reconnecting client is about to join with since, so its first live message must not set its place. */
  private boolean settling = true;

  OrderedDelivery(Port port) {
    this.port = port;
  }

  /** A join is on its way: hold live notices until {@link #joined}. */
  void joining(String conversationId) {
    Track track = tracks.computeIfAbsent(conversationId, id -> new Track(0));
    track.filling = true;
    track.joining++;
  }

  /**
   * The resume window after connecting is over: conversations the client did not join start at the first message
   * held for them, and everything held goes out in order.
   */
  void settled() {
    settling = false;
    tracks.forEach(
        (conversationId, track) -> {
          if (!track.positionUnknown || track.joining > 0) return;
          track.positionUnknown = false;
          Conversation.Notice first = track.held.peek();
          track.lastSeq = first instanceof Conversation.MessageNotice m ? m.message().seq() - 1 : track.lastSeq;
          continueFilling(conversationId, track, false);
        });
  }

  /**
   * The joined frame went out with {@code messages}; the device now stands at their end, or at {@code lastSeq}, or
   * where it stood already if that is further: it never goes back to messages it has had. Live notices wait for the
   * answer of the last join under way.
   */
  void joined(String conversationId, List<MessageView> messages, long lastSeq, boolean hasMore) {
    Track track = tracks.get(conversationId);
    if (track == null) return; // left meanwhile
    long end = messages.isEmpty() ? lastSeq : messages.get(messages.size() - 1).seq();
    track.lastSeq = track.positionUnknown ? end : Math.max(track.lastSeq, end);
    track.joining = Math.max(0, track.joining - 1);
    track.positionUnknown = false;
    if (track.joining > 0) {
      track.stale |= hasMore;
      return;
    }
    continueFilling(conversationId, track, hasMore);
  }

  /**
   * A page of history, fetched to fill a gap. One that comes while a join is under way is dropped: the join's answer
   * says where the device stands, and what the page held is fetched again after it.
   */
  void page(String conversationId, List<MessageView> messages, boolean hasMore) {
    Track track = tracks.get(conversationId);
    if (track == null) return;
    if (track.joining > 0) {
      track.stale = true;
      return;
    }
    for (MessageView message : messages) {
      if (message.seq() == track.lastSeq + 1) {
        port.emit(message);
        track.lastSeq = message.seq();
      }
    }
    continueFilling(conversationId, track, hasMore);
  }

  /**
   * History could not be had. Notices held for that conversation would arrive with a gap: they are dropped, and the
   * client resumes with join and since.
   */
  void failed(String conversationId) {
    tracks.remove(conversationId);
  }

  boolean isFilling(String conversationId) {
    Track track = tracks.get(conversationId);
    return track != null && track.filling;
  }

  /** Fetches again what a failed fetch was for: everything after the last seq delivered. */
  void refill(String conversationId) {
    Track track = tracks.get(conversationId);
    if (track != null && track.filling) port.fetchAfter(conversationId, track.lastSeq);
  }

  /**
   * Notices may have been lost (the user entity moved, or its node crashed): every conversation fetches what came
   * after the last seq it delivered, so a device misses nothing even when no later message reveals the gap.
   */
  void resync() {
    tracks.forEach(
        (conversationId, track) -> {
          if (track.filling) {
            track.stale = true;
          } else {
            track.filling = true;
            port.fetchAfter(conversationId, track.lastSeq);
          }
        });
  }

  void notice(Conversation.Notice notice) {
    Track track = tracks.get(notice.conversationId());
    if (track == null && notice instanceof Conversation.MessageNotice m) {
      // The first message this device sees of a conversation it has not joined sets where it stands, unless the
      // session has just connected: then it waits for a join, or for the resume window to end.
      track = new Track(m.message().seq() - 1);
      if (settling) {
        track.filling = true;
        track.positionUnknown = true;
      }
      tracks.put(notice.conversationId(), track);
    }
    if (track == null) port.emit(notice);
    else if (track.filling) hold(notice, track);
    else deliver(notice, track);
  }

  private void continueFilling(String conversationId, Track track, boolean hasMore) {
    if (hasMore || track.stale) {
      track.stale = false;
      port.fetchAfter(conversationId, track.lastSeq);
      return;
    }
    track.filling = false;
    while (!track.filling && !track.held.isEmpty()) deliver(track.held.poll(), track);
  }

  /**
   * Held notices wait for history to fill a gap, which can take as long as a node's shards take to move. Past
   * {@link #MAX_HELD} (a big group's receipts fill it fast), what history brings back gives way first: a message is
   * dropped, or a held one makes room, and history is fetched past it again. A typing notice is dropped (it is stale
   * by then). A receipt replaces an earlier one of the same user and kind, which it moves past. An edit or a delete
   * comes from no history fetch, since the device may have the message already: it replaces an earlier change of the
   * same message, or takes the place of a held message, and else is kept beyond the bound, up to twice it, which
   * only edits of that many different messages during one fill could reach.
   */
  private void hold(Conversation.Notice notice, Track track) {
    if (track.held.size() < MAX_HELD) {
      track.held.add(notice);
      return;
    }
    if (notice instanceof Conversation.MessageNotice) {
      track.stale = true;
    } else if (notice instanceof Conversation.ReceiptNotice receipt) {
      boolean replaced =
          track.held.removeIf(
              held -> held instanceof Conversation.ReceiptNotice earlier
                  && earlier.userId().equals(receipt.userId())
                  && earlier.kind() == receipt.kind());
      if (replaced || makeRoomFromMessages(track)) track.held.add(receipt);
    } else if (notice instanceof Conversation.MessageChangedNotice change) {
      String messageId = change.message().messageId();
      boolean replaced =
          track.held.removeIf(
              held -> held instanceof Conversation.MessageChangedNotice earlier
                  && earlier.message().messageId().equals(messageId));
      if (!replaced) makeRoomFromMessages(track);
      // Past twice the bound only edits of that many different messages during one fill remain: the newest are
      // dropped rather than let one sender grow every member's session without limit.
      if (replaced || track.held.size() < 2 * MAX_HELD) track.held.add(change);
    }
    // A typing notice is dropped.
  }

  /** Drops the newest held message, which history brings back; false when none is held. */
  private static boolean makeRoomFromMessages(Track track) {
    var newestFirst = track.held.descendingIterator();
    while (newestFirst.hasNext()) {
      if (newestFirst.next() instanceof Conversation.MessageNotice) {
        newestFirst.remove();
        track.stale = true;
        return true;
      }
    }
    return false;
  }

  private void deliver(Conversation.Notice notice, Track track) {
    if (!(notice instanceof Conversation.MessageNotice m)) {
      port.emit(notice);
      return;
    }
    long seq = m.message().seq();
    if (seq <= track.lastSeq) return; // already delivered through history
    if (seq == track.lastSeq + 1) {
      port.emit(notice);
      track.lastSeq = seq;
      return;
    }
    track.filling = true;
    track.held.addFirst(notice);
    port.fetchAfter(m.conversationId(), track.lastSeq);
  }
}
