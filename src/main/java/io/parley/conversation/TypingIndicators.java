package io.parley.conversation;

import akka.actor.typed.javadsl.TimerScheduler;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Who is typing in one conversation, by the sessions that said so, with a timer per user. Memory only: a restart
 * forgets it, which is why every notice carries a time to live. Each change answers the notice the others must get.
 */
final class TypingIndicators {
  private static final class Typist {
    final Set<String> sessions = new HashSet<>();
    long lastNoticeNanos;
  }

  private final String conversationId;
  private final Duration timeout;
  private final TimerScheduler<Conversation.Command> timers;
  private final Function<String, Conversation.Command> expired;
  private final Map<String, Typist> typists = new HashMap<>();

  TypingIndicators(
      String conversationId,
      Duration timeout,
      TimerScheduler<Conversation.Command> timers,
      Function<String, Conversation.Command> expired) {
    this.conversationId = conversationId;
    this.timeout = timeout;
    this.timers = timers;
    this.expired = expired;
  }

  List<String> userIds() {
    return List.copyOf(typists.keySet());
  }

  /** Starts or renews; others hear again only when their copy is half way to running out, not on every keystroke. */
  Optional<Conversation.TypingNotice> start(String userId, String sessionId) {
    Typist typist = typists.computeIfAbsent(userId, id -> new Typist());
    typist.sessions.add(sessionId);
    timers.startSingleTimer(userId, expired.apply(userId), timeout);
    long now = System.nanoTime();
    if (now - typist.lastNoticeNanos <= timeout.toNanos() / 2) return Optional.empty();
    typist.lastNoticeNanos = now;
    return Optional.of(notice(userId, true));
  }

  /** One session stopped; the user stops typing when their last typing session does. */
  Optional<Conversation.TypingNotice> stop(String userId, String sessionId) {
    Typist typist = typists.get(userId);
    if (typist == null) return Optional.empty();
    typist.sessions.remove(sessionId);
    return typist.sessions.isEmpty() ? clear(userId) : Optional.empty();
  }

  /** The user sent a message, or their timer ran out. */
  Optional<Conversation.TypingNotice> clear(String userId) {
    if (typists.remove(userId) == null) return Optional.empty();
    timers.cancel(userId);
    return Optional.of(notice(userId, false));
  }

  private Conversation.TypingNotice notice(String userId, boolean isTyping) {
    return new Conversation.TypingNotice(conversationId, userId, isTyping, timeout.toMillis());
  }
}
