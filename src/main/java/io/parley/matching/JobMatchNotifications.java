package io.parley.matching;

import akka.Done;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.conversation.ConversationIds;
import io.parley.Texts;
import io.parley.http.Json;
import io.parley.notification.Notifications;
import io.parley.push.FcmPushGateway;
import io.parley.push.PushMessage;
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

  /**
   * The notification of a match, always small enough for FCM to push: the company and the location come from the
   * platform's rows, unbounded, so the body gives way first, then data's copies of the company and the reasons
   * (the title and body say them too); a match that still does not fit goes to the inbox only.
   */
  static User.Draft draft(JobMatch match) {
    String title =
        "New job match: " + match.title() + (match.company() == null || match.company().isBlank() ? "" : " at " + match.company());
    ObjectNode data = Json.MAPPER.createObjectNode();
    data.put("jobId", match.jobId());
    data.put("score", match.percent());
    data.putPOJO("reasons", match.reasons());
    if (match.company() != null) data.put("company", match.company());
    String body = match.percent() + "% match: " + match.summary();
    User.Draft draft = fitted(new User.Draft("job_match", Texts.shortened(title, MAX_TITLE), body, data.toString(), null, null));
    if (pushable(draft)) return draft;
    data.remove("reasons");
    data.remove("company");
    draft = fitted(new User.Draft("job_match", draft.title(), body, data.toString(), null, null));
    if (pushable(draft)) return draft;
    log.warn("The job_match notification for job {} is too large to push even shortened: it goes to the inbox only", match.jobId());
    return new User.Draft(draft.kind(), draft.title(), draft.body(), draft.data(), false, null);
  }

  /** The draft with the longest shortening of its body whose push fits; the whole draft when it fits already. */
  private static User.Draft fitted(User.Draft draft) {
    if (pushable(draft)) return draft;
    String body = draft.body();
    int fits = 0;
    int tooMany = body.codePointCount(0, body.length());
    while (tooMany - fits > 1) {
      int middle = (fits + tooMany) >>> 1;
      if (pushable(withBody(draft, Texts.shortened(body, middle)))) fits = middle;
      else tooMany = middle;
    }
    return withBody(draft, Texts.shortened(body, fits));
  }

  private static User.Draft withBody(User.Draft draft, String body) {
    return new User.Draft(draft.kind(), draft.title(), body, draft.data(), draft.push(), draft.collapseKey());
  }

  private static boolean pushable(User.Draft draft) {
    return FcmPushGateway.payloadBytes(PushMessage.of(draft)) <= FcmPushGateway.MAX_PAYLOAD_BYTES;
  }
}
