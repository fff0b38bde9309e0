package io.parley.http;

import static akka.http.javadsl.server.Directives.*;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.api.Json;
import io.parley.notification.NotificationWire.NotificationPage;
import io.parley.notification.NotificationWire.UnreadCount;
import io.parley.notification.Notifications;

/** A user's own inbox, under {@code /api/notifications}: list and page it, mark one or all read. */
public final class NotificationRoutes {
  private final Notifications notifications;
  private final Authentication authentication;

  public NotificationRoutes(Notifications notifications, Authentication authentication) {
    this.notifications = notifications;
    this.authentication = authentication;
  }

  public Route route() {
    return pathPrefix(
        "notifications",
        () ->
            authentication.user(
                user ->
                    concat(
                        pathEndOrSingleSlash(
                            () ->
                                get(
                                    () ->
                                        parameterOptional(
                                            "unread",
                                            unread ->
                                                parameterOptional(
                                                    "before",
                                                    before ->
                                                        parameterOptional(
                                                            "limit",
                                                            limit ->
                                                                onSuccess(
                                                                    notifications.list(
                                                                        user.userId(),
                                                                        QueryParameters.bool("unread", unread),
                                                                        before.orElse(null),
                                                                        QueryParameters.positiveInt("limit", limit)),
                                                                    page ->
                                                                        complete(
                                                                            StatusCodes.OK,
                                                                            NotificationPage.of(page),
                                                                            Json.marshaller()))))))),
                        path(
                            "read-all",
                            () ->
                                post(
                                    () ->
                                        onSuccess(
                                            notifications.markAllRead(user.userId()),
                                            count -> unread(count.unreadCount())))),
                        path(
                            segment().slash("read"),
                            id ->
                                post(
                                    () ->
                                        onSuccess(
                                            notifications.markRead(user.userId(), id),
                                            count -> unread(count.unreadCount())))))));
  }

  private static Route unread(int count) {
    return complete(StatusCodes.OK, new UnreadCount(count), Json.marshaller());
  }
}
