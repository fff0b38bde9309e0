package io.parley.conversation;

import io.parley.Texts;
import io.parley.api.ApiError;
import io.parley.auth.UserIds;
import io.parley.conversation.Conversation.Rejected;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;

/**
 * The size and shape rules for what a client writes into a conversation. The entity applies them, and so does
 * {@link Conversations} before it asks: a request up to the body limit would make a command larger than Artery's
 * frame, which is dropped on its way to an entity on another node, so it must be refused where it arrives.
 */
record ConversationLimits(ConversationSettings settings) {

  Optional<Rejected> clientMsgId(String clientMsgId) {
    if (clientMsgId != null && (clientMsgId.isEmpty() || clientMsgId.length() > 128)) {
      return badRequest("clientMsgId must be 1 to 128 characters");
    }
    if (Texts.containsNul(clientMsgId)) return badRequest("clientMsgId must not contain NUL characters");
    return Optional.empty();
  }

  Optional<Rejected> content(String content) {
    if (content == null || content.isBlank()) return badRequest("content must be non-empty text");
    if (content.codePointCount(0, content.length()) > settings.maxContentLength()) {
      return badRequest("content longer than " + settings.maxContentLength() + " characters");
    }
    if (Texts.containsNul(content)) return badRequest("content must not contain NUL characters");
    return Optional.empty();
  }

  Optional<Rejected> metadata(String metadata) {
    if (metadata != null && metadata.getBytes(StandardCharsets.UTF_8).length > settings.maxMetadataBytes()) {
      return Optional.of(
          new Rejected(ApiError.TOO_LARGE, "metadata larger than " + settings.maxMetadataBytes() + " bytes"));
    }
    return Optional.empty();
  }

  /** A group's title, as given: it is stored stripped. */
  Optional<Rejected> groupTitle(String title) {
    String stripped = title == null ? "" : title.strip();
    // Zero-width spaces and the like are no title either: a list would show an empty row.
    if (Texts.showsNothing(stripped)) return badRequest("a group needs a title");
    if (stripped.codePointCount(0, stripped.length()) > settings.maxTitleLength()) {
      return badRequest("title longer than " + settings.maxTitleLength());
    }
    if (Texts.containsNul(stripped)) return badRequest("title must not contain NUL characters");
    return Optional.empty();
  }

  /**
   * Users named to be in a conversation, at its creation or added later: each a valid user id, and no more of them
   * (duplicates counted once) than a group may have. The entity also counts who is in it already.
   */
  Optional<Rejected> userIds(Collection<String> userIds) {
    if (userIds == null || userIds.isEmpty()) return badRequest("userIds must name at least one user");
    for (String id : userIds) if (!UserIds.isValid(id)) return badRequest(UserIds.invalid(id));
    return participantCount(new HashSet<>(userIds).size());
  }

  Optional<Rejected> participantCount(int participants) {
    if (participants > settings.maxParticipants()) {
      return badRequest("more than " + settings.maxParticipants() + " participants");
    }
    return Optional.empty();
  }

  private static Optional<Rejected> badRequest(String message) {
    return Optional.of(new Rejected(ApiError.BAD_REQUEST, message));
  }
}
