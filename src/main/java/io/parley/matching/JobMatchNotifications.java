package io.parley.matching;

import akka.Done;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.conversation.ConversationIds;
import io.parley.http.Json;
import io.parley.notification.Notifications;
import io.parley.user.User;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job matches as {@code job_match} notifications in the candidate's inbox: on their devices at once when they are
 * online, pushed when they are not. The idempotency key makes a repeated match a no-op in the inbox.
 */
public final class JobMatchNotifications {
  private static final Logger log = LoggerFactory.getLogger(JobMatchNotifications.class);
  private static final int MAX_TITLE = 200;

  private JobMatchNotifications() {}

  public static MatchNotifier into(Notifications notifications) {
    return (userId, match, key) -> {
      // A candidate row whose user id no signed-in user can have: retrying would stall its slice for nothing.
      if (!ConversationIds.isUserId(userId)) {
        log.warn("Job {} matches candidate user '{}', which is not a valid user id: not notified", match.jobId(), userId);
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      return notifications.send(userId, draft(match), key, key).thenApply(notified -> Done.getInstance());
    };
  }

  static User.Draft draft(JobMatch match) {
    String title =
        "New job match: " + match.title() + (match.company() == null || match.company().isBlank() ? "" : " at " + match.company());
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.put("jobId", match.jobId());
    data.put("score", match.percent());
    data.putPOJO("reasons", match.reasons());
    if (match.company() != null) data.put("company", match.company());
    return new User.Draft(
        "job_match", shorten(title), match.percent() + "% match: " + match.summary(), data.toString(), null, null);
  }

  private static String shorten(String text) {
    return text.codePointCount(0, text.length()) <= MAX_TITLE
        ? text
        : text.substring(0, text.offsetByCodePoints(0, MAX_TITLE - 1)) + "…";
  }
}
