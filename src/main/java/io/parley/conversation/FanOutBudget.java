package io.parley.conversation;

import com.typesafe.config.Config;
import io.parley.UserBudgets;
import io.parley.api.ApiException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each sender's budget, on this node, of the people their messages reach: a message costs one for each participant it
 * goes to (an inbox write for each one offline), so that a script posting to groups of made-up users cannot multiply
 * its writes by the group's size.
 *
 * <p>A message is paid for before it is sent, so that sends in parallel cannot all pass on what one would; the
 * conversation refuses a message that goes to more than were paid for, saying how many it would, and the sender pays
 * the rest before asking again. What is paid first is what the sender has learnt as a participant: as many as their
 * last message there went to, or their last view of it showed; else one. A stranger therefore pays the same for any
 * group, whether it exists or not, and the budget tells them neither that it exists nor how large it is: the
 * conversation answers them 404 before it would name its size.
 */
final class FanOutBudget {
  private static final String REFUSAL = "your messages have reached too many people of late";
  private static final int MAX_REMEMBERED = 100_000;

  private final UserBudgets budgets;
  /** How many the sender's next message to a conversation is paid for first, keyed by {@link #key}. */
  private final ConcurrentHashMap<String, Integer> recipients = new ConcurrentHashMap<>();

  FanOutBudget(UserBudgets budgets) {
    this.budgets = budgets;
  }

  static FanOutBudget fromConfig(Config config) {
    return new FanOutBudget(
        UserBudgets.fromConfig(
            config,
            "parley.conversation.fan-out-budget.recipients-per-second",
            "parley.conversation.fan-out-budget.burst"));
  }

  /**
   * Takes what a message is paid for before it is sent, and says how much that is (0: no budget, the conversation
   * need not check); or throws {@code rate_limited}.
   */
  int payFirst(String senderId, String conversationId) {
    if (!budgets.isOn()) return 0;
    // A direct conversation has two participants for good.
    int remembered = isDirect(conversationId) ? 1 : recipients.getOrDefault(key(senderId, conversationId), 1);
    if (remembered > 1) {
      try {
        budgets.take(senderId, remembered, REFUSAL);
        return remembered;
      } catch (ApiException refused) {
        // What was remembered may be stale (the sender has left, or the group shrank): pay as a stranger pays, and let
        // the conversation name its size to a member, who is then refused by payRest if it is still too many.
      }
    }
    budgets.take(senderId, 1, REFUSAL);
    return 1;
  }

  /** The conversation said the message goes to {@code goesTo}, more than {@code paid}: takes the rest, or throws. */
  void payRest(String senderId, String conversationId, int paid, int goesTo) {
    remember(senderId, conversationId, goesTo);
    budgets.take(senderId, goesTo - paid, REFUSAL);
  }

  /** The message was stored and went to {@code goesTo}: gives back what was paid beyond that. */
  void stored(String senderId, String conversationId, int paid, int goesTo) {
    // 0 from a node of an earlier version: it was stored all the same.
    int cost = Math.max(1, goesTo);
    remember(senderId, conversationId, cost);
    budgets.adjust(senderId, cost - paid);
  }

  /**
   * Nothing was stored, for certain: gives back all that was paid. {@code notParticipant}: the sender is not (or no
   * longer) in the conversation, and their next message there is paid for as by a stranger.
   */
  void notStored(String senderId, String conversationId, int paid, boolean notParticipant) {
    budgets.adjust(senderId, -paid);
    if (notParticipant) recipients.remove(key(senderId, conversationId));
  }

  /** What a participant saw of the conversation; a view without them (they just left) forgets what they paid there. */
  void seen(String userId, ConversationView view) {
    boolean participant = view.participants().stream().anyMatch(p -> p.userId().equals(userId));
    if (participant) remember(userId, view.conversationId(), Math.max(1, view.participants().size() - 1));
    else recipients.remove(key(userId, view.conversationId()));
  }

  private void remember(String senderId, String conversationId, int goesTo) {
    if (isDirect(conversationId)) return;
    // Bounded by forgetting all at once: a sender's next message to a forgotten group is asked again, once.
    if (recipients.size() >= MAX_REMEMBERED) recipients.clear();
    recipients.put(key(senderId, conversationId), goesTo);
  }

  private static boolean isDirect(String conversationId) {
    return conversationId.startsWith(ConversationIds.DIRECT_PREFIX);
  }

  /** User ids have no spaces. */
  private static String key(String senderId, String conversationId) {
    return senderId + ' ' + conversationId;
  }
}
