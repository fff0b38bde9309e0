package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.Texts;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.matching.MatchNotifier;
import io.parley.notification.NotificationWire.AdminSend;
import io.parley.notification.NotificationWire.AdminSent;
import io.parley.notification.NotificationWire.NotificationDraft;
import io.parley.notification.Notifications;
import io.parley.user.User;

/**
 * {@code POST /api/admin/notifications}, for the platform's own backend (service_role key or admin token): to users,
 * to an FCM topic, or to everyone online. 202 means the notifications are stored; pushes (and, for a send to several
 * users, the inboxes) follow from the journal.
 */
public final class AdminNotificationRoutes {
  private static final java.time.Duration HTTP_TIMEOUT_MARGIN = java.time.Duration.ofSeconds(10);

  private final Notifications notifications;
  private final Authentication authentication;
  private final RequestBodies bodies;
  private final int maxDataBytes;
  private final java.time.Duration sendDeadline;
  private final scala.concurrent.duration.FiniteDuration requestTimeout;

  public AdminNotificationRoutes(
      Notifications notifications,
      Authentication authentication,
      RequestBodies bodies,
      int maxDataBytes,
      java.time.Duration requestTimeout,
      java.time.Duration idleTimeout) {
    // Past the server's idle timeout Akka resets the connection without an answer, and a keyless send's client
    // would never learn the key to retry it with.
    if (idleTimeout != null && requestTimeout.plus(HTTP_TIMEOUT_MARGIN).compareTo(idleTimeout) >= 0) {
      throw new IllegalArgumentException(
          "parley.notifications.admin-request-timeout (" + requestTimeout + ") plus " + HTTP_TIMEOUT_MARGIN.toSeconds()
              + " s must be shorter than akka.http.server.idle-timeout (" + idleTimeout + ")");
    }
    this.notifications = notifications;
    this.authentication = authentication;
    this.bodies = bodies;
    this.maxDataBytes = maxDataBytes;
    this.sendDeadline = requestTimeout;
    // The send itself gives up first, so that its answer, not this timeout's, says which key to retry it with.
    this.requestTimeout =
        scala.concurrent.duration.FiniteDuration.fromNanos(requestTimeout.plus(HTTP_TIMEOUT_MARGIN).toNanos());
  }

  /** A send to thousands of users answers once every chunk of them is stored, which can outlast the server's usual timeout. */
  public Route route() {
    return path(
        akka.http.javadsl.server.PathMatchers.segment("admin").slash("notifications"),
        () ->
            post(
                () ->
                    // The answer past it is the server's own (HttpServer): problem+json, with CORS headers.
                    withRequestTimeout(
                        requestTimeout, () -> authentication.admin(() -> bodies.json(AdminSend.class, this::send)))));
  }

  private Route send(AdminSend request) {
    User.Draft draft = draft(request.notification());
    String key = request.idempotencyKey();
    if (key != null && (key.isBlank() || key.length() > 200)) {
      throw new ApiException(ApiError.BAD_REQUEST, "field 'idempotencyKey' must be 1-200 characters");
    }
    if (key != null && Texts.containsNul(key)) {
      throw new ApiException(ApiError.BAD_REQUEST, "field 'idempotencyKey' must not contain NUL characters");
    }
    // Batches and inbox keys share one namespace with job matches: such a key would be taken for a job's matches.
    if (key != null && key.startsWith(MatchNotifier.KEY_PREFIX)) {
      throw new ApiException(
          ApiError.BAD_REQUEST, "field 'idempotencyKey' must not start with '" + MatchNotifier.KEY_PREFIX + "' (job matches' keys)");
    }
    boolean broadcast = Boolean.TRUE.equals(request.broadcast());
    int targets = (request.userIds() != null ? 1 : 0) + (request.topic() != null ? 1 : 0) + (broadcast ? 1 : 0);
    if (targets != 1) {
      throw new ApiException(ApiError.BAD_REQUEST, "give exactly one of 'userIds', 'topic' and 'broadcast': true");
    }
    if (request.userIds() != null) {
      return onSuccess(
          notifications.send(request.userIds(), draft, key, sendDeadline),
          sent -> accepted(new AdminSent(sent.accepted(), sent.duplicates(), sent.batchId(), null)));
    }
    return onSuccess(
        notifications.announce(request.topic(), draft, key),
        announced ->
            accepted(new AdminSent(announced.duplicate() ? 0 : 1, announced.duplicate() ? 1 : 0, key, announced.announcementId())));
  }

  private User.Draft draft(NotificationDraft body) {
    if (body == null) throw new ApiException(ApiError.BAD_REQUEST, "field 'notification' is required");
    String data = Json.objectText(body.data(), "notification.data");
    return Notifications.draft(body.kind(), body.title(), body.body(), data, body.push(), body.collapseKey(), maxDataBytes);
  }

  private static Route accepted(AdminSent sent) {
    return complete(StatusCodes.ACCEPTED, sent, Json.marshaller());
  }
}
