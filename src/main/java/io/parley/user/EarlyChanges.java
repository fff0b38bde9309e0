package io.parley.user;

import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Edits and deletes that reached a user's entity before the notification of their message, to apply when it comes:
 * the message inboxes take a message as its conversation holds it and tell the entity a moment later, so a change
 * made in between is heard first, when there is no notification to revise yet. In memory, the newest only.
 */
final class EarlyChanges {
  private record Key(String conversationId, String messageId) {
    static Key of(MessageView message) {
      return new Key(message.conversationId(), message.messageId());
    }
  }

  /** Oldest first. */
  private final Map<Key, MessageView> changes;

  EarlyChanges(int bound) {
    this.changes =
        new LinkedHashMap<>() {
          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, MessageView> eldest) {
            return size() > bound;
          }
        };
  }

  /**
   * Kept as the inbox would show it. A delete is final, and of two edits the newer stays: a change heard after another
   * may have been made before it, by a conversation that has moved since.
   */
  void remember(MessageView changed) {
    Key key = Key.of(changed);
    MessageView known = changes.remove(key);
    boolean keepKnown = known != null && (known.deleted() || (!changed.deleted() && !changed.editedAfter(known.editedAt())));
    changes.put(key, keepKnown ? known : changed.forNotice(Conversation.NOTICE_TEXT_LIMIT));
  }

  /**
   * {@code notice} as the changes heard make it: empty when its message was deleted, with the edit's text when the
   * edit came after the text it took ({@code editedAt} says which; none is older than any edit).
   */
  Optional<Conversation.MessageNotice> applyTo(Conversation.MessageNotice notice) {
    MessageView taken = notice.message();
    MessageView change = changes.get(Key.of(taken));
    if (change == null) return Optional.of(notice);
    if (change.deleted()) return Optional.empty();
    return Optional.of(
        change.editedAfter(taken.editedAt())
            ? new Conversation.MessageNotice(taken.edited(change.content(), change.editedAt()), notice.senderName())
            : notice);
  }

  /** The message has its notification now: what changes it next revises that. */
  void forget(MessageView message) {
    changes.remove(Key.of(message));
  }
}
