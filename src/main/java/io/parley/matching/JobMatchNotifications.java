package io.parley.matching;

import akka.Done;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.Futures;
import io.parley.Texts;
import io.parley.api.Json;
import io.parley.auth.UserIds;
import io.parley.notification.Notifications;
import io.parley.push.FcmPushGateway;
import io.parley.push.PushMessage;
import io.parley.user.User;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Job matches as {@code job_match} notifications, stored as a batch ({@code notification.NotificationBatch}) under
 * the job's idempotency key: one journal write for up to a chunk of candidates rather than one per inbox. From the
 * journal, candidates with no session open are pushed and every inbox gets it, live on the devices of those online.
 * The batch of a job holds every candidate it was stored for, so a repeated match notifies nobody twice.
 */
public final class JobMatchNotifications {
  private static final Logger log = LoggerFactory.getLogger(JobMatchNotifications.class);
  private static final int MAX_TITLE = 200;

  private JobMatchNotifications() {}

  /**
   * One batch send per distinct notification among the job's matches: the score and the reasons, all the draft
   * depends on besides the job, repeat a lot across the candidates of a job.
   */
  public static MatchNotifier into(Notifications notifications) {
    return (matches, key) -> {
      Map<JobMatch, User.Draft> drafts = new HashMap<>();
      Map<User.Draft, List<String>> recipients = new LinkedHashMap<>();
      for (MatchDelivery.Pending p : matches) {
        // A candidate row whose user id no signed-in user can have: retrying would stall its slice for nothing.
        if (!UserIds.isValid(p.userId())) {
          log.warn("Job {} matches candidate user '{}', which is not a valid user id: not notified", p.match().jobId(), p.userId());
          continue;
        }
        User.Draft draft = drafts.computeIfAbsent(p.match(), JobMatchNotifications::draft);
        recipients.computeIfAbsent(draft, d -> new ArrayList<>()).add(p.userId());
      }
      List<CompletionStage<Notifications.Sent>> sends = new ArrayList<>();
      recipients.forEach((draft, userIds) -> sends.add(notifications.send(userIds, draft, key)));
      return Futures.all(sends).thenApply(sent -> Done.getInstance());
    };
  }

  /**
   * The notification of a match, always small enough for FCM to push: the company and the location come from the
   * platform's rows, unbounded, so the body gives way first, then data's copies of the company and the reasons
   * (the title and body say them too); a match that still does not fit goes to the inbox only.
   */
  static User.Draft draft(JobMatch match) {
    String title = title(match);
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

  /** "New job match: Backend Engineer at Acme"; a job row without a title is told by its company, or by neither. */
  private static String title(JobMatch match) {
    boolean titled = match.title() != null && !match.title().isBlank();
    boolean company = match.company() != null && !match.company().isBlank();
    String at = company ? " at " + match.company() : "";
    return titled ? "New job match: " + match.title() + at : "New job match" + at;
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
