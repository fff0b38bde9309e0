package io.parley.conversation;

import io.parley.Sha256;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Identifiers of conversations. A direct conversation's id is derived from its pair, which is what makes
 * creating one idempotent across nodes without any lookup.
 */
public final class ConversationIds {
  /** Direct conversations' ids start with it; a direct conversation always has exactly two participants. */
  public static final String DIRECT_PREFIX = "d_";
  private static final Pattern CONVERSATION_ID = Pattern.compile("[dg]_[0-9a-f]{32}");
  private static final Pattern MESSAGE_ID =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private ConversationIds() {}

  public static String direct(String userA, String userB) {
    String first = userA.compareTo(userB) <= 0 ? userA : userB;
    String second = first.equals(userA) ? userB : userA;
    return DIRECT_PREFIX + Sha256.hex(first + "\n" + second).substring(0, 32);
  }

  public static String newGroup() {
    return "g_" + UUID.randomUUID().toString().replace("-", "");
  }

  /** A message id as the conversation makes them (a random UUID): anything else names no message. */
  public static boolean isMessageId(String id) {
    return id != null && MESSAGE_ID.matcher(id).matches();
  }

  public static boolean isConversationId(String id) {
    return id != null && CONVERSATION_ID.matcher(id).matches();
  }
}
