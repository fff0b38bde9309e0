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
    final ArrayDeque<Conversation.Notice> held = new ArrayDeque<>();

    Track(long lastSeq) {
      this.lastSeq = lastSeq;
    }
  }

  private final Port port;
  private final Map<String, Track> tracks = new HashMap<>();

  OrderedDelivery(Port port) {
    this.port = port;
  }

  /** A join is on its way: hold live notices until {@link #joined}. */
  void joining(String conversationId) {
    tracks.computeIfAbsent(conversationId, id -> new Track(0)).filling = true;
  }

  /** The joined frame went out with {@code messages}; the device now stands at their end, or at {@code lastSeq}. */
  void joined(String conversationId, List<MessageView> messages, long lastSeq, boolean hasMore) {
    Track track = tracks.get(conversationId);
    if (track == null) return; // left meanwhile
    track.lastSeq = messages.isEmpty() ? lastSeq : messages.get(messages.size() - 1).seq();
    continueFilling(conversationId, track, hasMore);
  }

  /** A page of history, fetched to fill a gap. */
  void page(String conversationId, List<MessageView> messages, boolean hasMore) {
    Track track = tracks.get(conversationId);
    if (track == null) return;
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

  void leave(String conversationId) {
    tracks.remove(conversationId);
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
      // The first message this device sees of a conversation it has not joined sets where it stands.
      track = new Track(m.message().seq() - 1);
      tracks.put(notice.conversationId(), track);
    }
    if (track == null) port.emit(notice);
    else if (track.filling) track.held.add(notice);
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
