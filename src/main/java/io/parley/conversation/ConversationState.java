package io.parley.conversation;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility;
import io.parley.CborSerializable;
import io.parley.conversation.Conversation.Event;
import io.parley.conversation.Conversation.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What a {@link Conversation} knows between commands. It is mutated in place by the event handler only: copying a
 * window of messages and a dedup table on every message would cost more than the write itself at full rate. Nothing
 * mutable leaves the entity: replies carry immutable views, and snapshots a {@link #copy()}.
 */
@JsonAutoDetect(
    fieldVisibility = Visibility.ANY,
    getterVisibility = Visibility.NONE,
    isGetterVisibility = Visibility.NONE)
public final class ConversationState implements CborSerializable {

  /** The original of a message whose clientMsgId may be retried, kept beyond the window at a fraction of its size. */
  record Sent(String messageId, long seq, Instant at) implements CborSerializable {}

  private String conversationId;
  private Kind kind;
  private String title;
  private String createdBy;
  private Instant createdAt;
  private long lastSeq;
  private LinkedHashMap<String, ConversationView.Participant> members = new LinkedHashMap<>();
  /** The newest messages, oldest first, with consecutive seqs. */
  private ArrayList<MessageView> recent = new ArrayList<>();
  /** Keyed by sender and clientMsgId, in posting order so that the oldest entries go first. */
  private LinkedHashMap<String, Sent> sentByClientMsgId = new LinkedHashMap<>();
  /**
   * Per member, by clientMsgId, the newest of their own that left {@link #sentByClientMsgId}, oldest first: in a busy
   * group the shared table turns over in minutes, and a member's retry must not depend on how much others wrote.
   */
  private LinkedHashMap<String, LinkedHashMap<String, Sent>> olderSentBySender = new LinkedHashMap<>();
  /**
   * The newest messages deleted outside the window (deleted there, or deleted and then pushed out of it), oldest
   * first: the read side may not show those deletions yet, and an edit or a second delete must not take its word.
   */
  private LinkedHashSet<String> deletedOutsideWindow = new LinkedHashSet<>();

  /**
   * The last edit's time of the newest messages edited outside the window (edited there, or edited and then pushed
   * out of it), oldest first: the read side may show an older text of those yet.
   */
  private LinkedHashMap<String, Instant> editedOutsideWindow = new LinkedHashMap<>();

  /** Far more deletions than the read side falls behind by in one conversation. */
  private static final int DELETIONS_REMEMBERED = 1000;

  /**
   * Far more edits than the read side falls behind by in one conversation, and few enough that they and the
   * deletions fit beside a page of history in a reply to another node (see Conversation.fitForAnotherNode).
   */
  private static final int EDITS_REMEMBERED = 500;

  @SuppressWarnings("unused") // for Jackson
  private ConversationState() {}

  ConversationState(String conversationId) {
    this.conversationId = conversationId;
  }

  ConversationState copy() {
    ConversationState copy = new ConversationState(conversationId);
    copy.kind = kind;
    copy.title = title;
    copy.createdBy = createdBy;
    copy.createdAt = createdAt;
    copy.lastSeq = lastSeq;
    copy.members = new LinkedHashMap<>(members);
    copy.recent = new ArrayList<>(recent);
    copy.sentByClientMsgId = new LinkedHashMap<>(sentByClientMsgId);
    copy.olderSentBySender = new LinkedHashMap<>();
    olderSentBySender.forEach((sender, sent) -> copy.olderSentBySender.put(sender, new LinkedHashMap<>(sent)));
    copy.deletedOutsideWindow = new LinkedHashSet<>(deletedOutsideWindow);
    copy.editedOutsideWindow = new LinkedHashMap<>(editedOutsideWindow);
    return copy;
  }

  // ---------------------------------------------------------------- queries

  public boolean isCreated() {
    return createdAt != null;
  }

  public Kind kind() {
    return kind;
  }

  public String createdBy() {
    return createdBy;
  }

  public long lastSeq() {
    return lastSeq;
  }

  public boolean isMember(String userId) {
    return userId != null && members.containsKey(userId);
  }

  public java.util.Set<String> memberIds() {
    return java.util.Set.copyOf(members.keySet());
  }

  public int memberCount() {
    return members.size();
  }

  public ConversationView.Participant member(String userId) {
    return members.get(userId);
  }

  public ConversationView view() {
    return new ConversationView(
        conversationId, kind, title, createdBy, createdAt, List.copyOf(members.values()), lastSeq, List.of());
  }

  public Conversation.Watermarks watermarks(String userId) {
    ConversationView.Participant member = members.get(userId);
    return new Conversation.Watermarks(userId, member.deliveredUpTo(), member.readUpTo(), lastSeq);
  }

  /** The first seq the window holds; {@code lastSeq + 1} when it holds none. */
  public long oldestHeldSeq() {
    return recent.isEmpty() ? lastSeq + 1 : recent.get(0).seq();
  }

  public MessageView messageAt(long seq) {
    long index = seq - oldestHeldSeq();
    return index >= 0 && index < recent.size() ? recent.get((int) index) : null;
  }

  /** Whether the message was deleted, as far as the entity knows of one outside its window (see the field). */
  public List<String> deletedOutsideWindow() {
    return List.copyOf(deletedOutsideWindow);
  }

  public boolean deletedOutsideWindow(String messageId) {
    return deletedOutsideWindow.contains(messageId);
  }

  /** When each message the entity remembers as edited outside its window was last edited (see the field). */
  public Map<String, Instant> editedOutsideWindow() {
    return Map.copyOf(editedOutsideWindow);
  }

  /** Of {@code messageIds}, those remembered as edited outside the window, with the time of their last edit. */
  public Map<String, Instant> lastEditedOutsideWindow(List<String> messageIds) {
    Map<String, Instant> lastEdited = new LinkedHashMap<>();
    for (String messageId : messageIds) {
      Instant at = editedOutsideWindow.get(messageId);
      if (at != null) lastEdited.put(messageId, at);
    }
    return Map.copyOf(lastEdited);
  }

  /** Whether the message was deleted, as the window or the memory of deletions outside it says. */
  public boolean knownDeleted(String messageId) {
    MessageView held = findByMessageId(messageId);
    return held != null ? held.deleted() : deletedOutsideWindow.contains(messageId);
  }

  public MessageView findByMessageId(String messageId) {
    for (int i = recent.size() - 1; i >= 0; i--) {
      if (recent.get(i).messageId().equals(messageId)) return recent.get(i);
    }
    return null;
  }

  /**
   * The original message of a retried clientMsgId: whole when still in the window, else without its content and
   * with the time of its last edit when that is remembered.
   */
  public MessageView findByClientMsgId(String senderId, String clientMsgId) {
    Sent sent = sentByClientMsgId.get(dedupKey(senderId, clientMsgId));
    LinkedHashMap<String, Sent> older = olderSentBySender.get(senderId);
    if (sent == null && older != null) sent = older.get(clientMsgId);
    if (sent == null) return null;
    MessageView held = messageAt(sent.seq());
    if (held != null) return held;
    return new MessageView(conversationId, sent.messageId(), sent.seq(), senderId, clientMsgId, null, null, sent.at(),
        editedOutsideWindow.get(sent.messageId()), null);
  }

  public List<MessageView> messagesBetween(long afterSeq, long beforeSeq, int limit, boolean newestFirst) {
    // A client may claim to have seen any seq, up to Long.MAX_VALUE: nothing is after one past the last.
    if (afterSeq >= lastSeq) return List.of();
    long from = Math.max(afterSeq + 1, oldestHeldSeq());
    long to = Math.min(beforeSeq - 1, lastSeq);
    if (limit == 0 || from > to) return List.of();
    if (to - from + 1 > limit) {
      if (newestFirst) from = to - limit + 1;
      else to = from + limit - 1;
    }
    int offset = (int) (from - oldestHeldSeq());
    return List.copyOf(recent.subList(offset, offset + (int) (to - from + 1)));
  }

  /** The message after an edit or delete; for one older than the window, what the event itself says. */
  public MessageView changedView(Event change, String senderId) {
    if (change instanceof Conversation.MessageEdited edited) {
      MessageView held = messageAt(edited.seq());
      return held != null && !held.deleted()
          ? held.edited(edited.content(), edited.at())
          : new MessageView(conversationId, edited.messageId(), edited.seq(), senderId, null, edited.content(), null,
              null, edited.at(), null);
    }
    Conversation.MessageDeleted deleted = (Conversation.MessageDeleted) change;
    MessageView held = messageAt(deleted.seq());
    if (held != null) return held.deleted() ? held : held.tombstone(deleted.at());
    return new MessageView(conversationId, deleted.messageId(), deleted.seq(), senderId, null, null, null, null, null,
        deleted.at());
  }

  // ---------------------------------------------------------------- event application

  void apply(Event event, ConversationSettings settings) {
    if (event instanceof Conversation.ConversationCreated e) {
      kind = e.kind();
      title = e.title();
      createdBy = e.createdBy();
      createdAt = e.at();
      for (String userId : e.participants()) members.put(userId, new ConversationView.Participant(userId, e.at(), 0, 0));
    } else if (event instanceof Conversation.ParticipantsAdded e) {
      for (String userId : e.userIds()) {
        members.put(userId, new ConversationView.Participant(userId, e.at(), e.readUpTo(), e.readUpTo()));
      }
    } else if (event instanceof Conversation.ParticipantRemoved e) {
      members.remove(e.userId());
      olderSentBySender.remove(e.userId());
    } else if (event instanceof Conversation.MessagePosted e) {
      applyPosted(e, settings);
    } else if (event instanceof Conversation.MessageEdited e) {
      if (messageAt(e.seq()) == null) rememberEdited(e.messageId(), e.at());
      else replaceHeld(e.seq(), held -> held.edited(e.content(), e.at()));
    } else if (event instanceof Conversation.MessageDeleted e) {
      // A deletion outdates every edit; the read side is checked for it instead.
      editedOutsideWindow.remove(e.messageId());
      if (messageAt(e.seq()) == null) rememberDeleted(e.messageId());
      else replaceHeld(e.seq(), held -> held.tombstone(e.at()));
    } else if (event instanceof Conversation.DeliveredUpTo e) {
      advance(e.userId(), e.seq(), false);
    } else if (event instanceof Conversation.ReadUpTo e) {
      advance(e.userId(), e.seq(), true);
    }
  }

  private void applyPosted(Conversation.MessagePosted e, ConversationSettings settings) {
    lastSeq = e.seq();
    recent.add(e.view());
    // The window may have been larger when the snapshot was taken; trim to the configured size either way.
    if (recent.size() > settings.recentWindow()) {
      List<MessageView> leaving = recent.subList(0, recent.size() - settings.recentWindow());
      for (MessageView view : leaving) {
        if (view.deleted()) rememberDeleted(view.messageId());
        else if (view.editedAt() != null) rememberEdited(view.messageId(), view.editedAt());
      }
      leaving.clear();
    }
    if (e.clientMsgId() != null) {
      sentByClientMsgId.put(dedupKey(e.senderId(), e.clientMsgId()), new Sent(e.messageId(), e.seq(), e.at()));
      Iterator<Map.Entry<String, Sent>> oldest = sentByClientMsgId.entrySet().iterator();
      while (sentByClientMsgId.size() > settings.dedupWindow() && oldest.hasNext()) {
        Map.Entry<String, Sent> leaving = oldest.next();
        oldest.remove();
        keepOlderSent(leaving.getKey(), leaving.getValue(), settings.dedupPerSender());
      }
    }
    // Whoever writes a message has read everything before it.
    advance(e.senderId(), e.seq(), true);
  }

  /** Keeps an entry that left the shared table among its sender's newest {@code perSender}, if they are a member. */
  private void keepOlderSent(String key, Sent sent, int perSender) {
    int separator = key.indexOf('\u0000');
    String senderId = key.substring(0, separator);
    if (perSender == 0 || !members.containsKey(senderId)) return;
    LinkedHashMap<String, Sent> older = olderSentBySender.computeIfAbsent(senderId, id -> new LinkedHashMap<>());
    older.put(key.substring(separator + 1), sent);
    keepNewest(older.keySet(), perSender);
  }

  private void rememberDeleted(String messageId) {
    deletedOutsideWindow.add(messageId);
    keepNewest(deletedOutsideWindow, DELETIONS_REMEMBERED);
  }

  private void rememberEdited(String messageId, Instant at) {
    // Removed first, so that a message edited again counts as the newest.
    editedOutsideWindow.remove(messageId);
    editedOutsideWindow.put(messageId, at);
    keepNewest(editedOutsideWindow.keySet(), EDITS_REMEMBERED);
  }

  /** Drops the oldest of {@code insertionOrdered} until at most {@code bound} are left. */
  private static void keepNewest(java.util.Collection<String> insertionOrdered, int bound) {
    Iterator<String> oldest = insertionOrdered.iterator();
    while (insertionOrdered.size() > bound && oldest.hasNext()) {
      oldest.next();
      oldest.remove();
    }
  }

  private void replaceHeld(long seq, java.util.function.UnaryOperator<MessageView> change) {
    MessageView held = messageAt(seq);
    if (held != null && !held.deleted()) recent.set((int) (seq - oldestHeldSeq()), change.apply(held));
  }

  /** Watermarks only move forward, and whatever is read has been delivered. */
  private void advance(String userId, long seq, boolean read) {
    ConversationView.Participant m = members.get(userId);
    if (m == null) return;
    long delivered = Math.max(m.deliveredUpTo(), seq);
    long readUpTo = read ? Math.max(m.readUpTo(), seq) : m.readUpTo();
    members.put(userId, new ConversationView.Participant(userId, m.joinedAt(), delivered, readUpTo));
  }

  /** Sender ids never hold a NUL (auth.UserIds), so the first one parts the two. */
  private static String dedupKey(String senderId, String clientMsgId) {
    return senderId + '\u0000' + clientMsgId;
  }
}
