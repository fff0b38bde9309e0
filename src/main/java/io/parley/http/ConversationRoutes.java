package io.parley.http;

import static akka.http.javadsl.server.Directives.*;
import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.auth.Principal;
import io.parley.conversation.ConversationReadModel;
import io.parley.conversation.ConversationSummary;
import io.parley.conversation.Conversations;
import io.parley.http.ConversationWire.*;
import java.util.List;
import java.util.Optional;

/** REST over conversations, under {@code /api/conversations}. A non-participant always sees 404. */
public final class ConversationRoutes {
  private final Conversations conversations;
  private final Authentication authentication;
  private final RequestBodies bodies;

  public ConversationRoutes(Conversations conversations, Authentication authentication, RequestBodies bodies) {
    this.conversations = conversations;
    this.authentication = authentication;
    this.bodies = bodies;
  }

  public Route route() {
    return pathPrefix(
        "conversations",
        () ->
            authentication.user(
                user ->
                    concat(
                        pathEndOrSingleSlash(
                            () ->
                                concat(
                                    post(() -> bodies.json(CreateConversation.class, body -> create(user, body))),
                                    get(() -> list(user)))),
                        pathPrefix(segment(), id -> conversation(user, id)))));
  }

  private Route conversation(Principal user, String id) {
    String userId = user.userId();
    return concat(
        pathEndOrSingleSlash(
            () -> get(() -> onSuccess(conversations.get(userId, id), view -> ok(ConversationBody.of(view))))),
        pathPrefix(
            "participants",
            () ->
                concat(
                    pathEndOrSingleSlash(
                        () ->
                            post(
                                () ->
                                    bodies.json(
                                        AddParticipants.class,
                                        body ->
                                            onSuccess(
                                                conversations.addParticipants(userId, id, body.userIds()),
                                                view -> ok(ConversationBody.of(view)))))),
                    path(
                        segment(),
                        removed ->
                            delete(
                                () ->
                                    onSuccess(
                                        conversations.removeParticipant(userId, id, removed),
                                        view -> ok(ConversationBody.of(view))))))),
        pathPrefix(
            "messages",
            () ->
                concat(
                    pathEndOrSingleSlash(() -> concat(get(() -> history(userId, id)), post(() -> postMessage(user, id)))),
                    path(
                        segment(),
                        messageId ->
                            concat(
                                patch(
                                    () ->
                                        bodies.json(
                                            EditMessage.class,
                                            body ->
                                                onSuccess(
                                                    conversations.edit(userId, id, messageId, body.content()),
                                                    message -> ok(Message.of(message))))),
                                delete(
                                    () ->
                                        onSuccess(
                                            conversations.delete(userId, id, messageId),
                                            message -> ok(Message.of(message)))))))),
        path(
            "read",
            () ->
                post(
                    () ->
                        bodies.json(
                            MarkRead.class,
                            body -> {
                              if (body.seq() == null) throw badRequest("field 'seq' is required");
                              return onSuccess(
                                  conversations.markRead(userId, id, body.seq()), w -> ok(Watermarks.of(w)));
                            }))));
  }

  private Route create(Principal user, CreateConversation body) {
    if ("direct".equals(body.type())) {
      String other = body.userId();
      if (other == null && body.participantIds() != null && body.participantIds().size() == 1) {
        other = body.participantIds().get(0);
      }
      if (other == null) throw badRequest("field 'userId' is required for a direct conversation");
      return onSuccess(
          conversations.createDirect(user.userId(), other),
          view -> complete(StatusCodes.OK, ConversationBody.of(view), Json.marshaller()));
    }
    if ("group".equals(body.type())) {
      List<String> participants = body.participantIds() == null ? List.of() : body.participantIds();
      return onSuccess(
          conversations.createGroup(user.userId(), body.title(), participants),
          view -> complete(StatusCodes.CREATED, ConversationBody.of(view), Json.marshaller()));
    }
    throw badRequest("field 'type' must be \"direct\" or \"group\"");
  }

  private Route list(Principal user) {
    return parameterOptional(
        "cursor",
        cursor ->
            parameterOptional(
                "limit",
                limit -> {
                  int pageSize = pageSize(limit);
                  ConversationReadModel.ListCursor after = cursor.map(ListCursors::decode).orElse(null);
                  return onSuccess(
                      conversations.list(user.userId(), after, pageSize),
                      rows -> {
                        List<ConversationListItem> items = rows.stream().map(ConversationListItem::of).toList();
                        String next = null;
                        if (rows.size() == pageSize) {
                          ConversationSummary last = rows.get(rows.size() - 1);
                          next = ListCursors.encode(new ConversationReadModel.ListCursor(last.lastActivityAt(), last.conversationId()));
                        }
                        return ok(new ConversationList(items, next));
                      });
                }));
  }

  private Route history(String userId, String id) {
    return parameterOptional(
        "before",
        before ->
            parameterOptional(
                "limit",
                limit -> {
                  Long beforeSeq = before.map(value -> QueryParameters.longValue("before", value, 1)).orElse(null);
                  return onSuccess(
                      conversations.history(userId, id, beforeSeq, pageSize(limit)),
                      page -> ok(History.of(page)));
                }));
  }

  private Route postMessage(Principal user, String id) {
    return bodies.json(
        PostMessage.class,
        body -> {
          String metadata = Json.objectText(body.metadata(), "metadata");
          return onSuccess(
              conversations.post(user, id, body.clientMsgId(), body.content(), metadata),
              posted ->
                  complete(
                      posted.duplicate() ? StatusCodes.OK : StatusCodes.CREATED,
                      Message.of(posted.message()),
                      Json.marshaller()));
        });
  }

  private int pageSize(Optional<String> limit) {
    int max = conversations.settings().maxPageSize();
    // Clamped while still a long, so that a huge limit cannot wrap around to a negative int.
    return limit.map(value -> (int) Math.min(QueryParameters.longValue("limit", value, 1), max))
        .orElse(conversations.settings().defaultPageSize());
  }

  private static Route ok(Object body) {
    return complete(StatusCodes.OK, body, Json.marshaller());
  }

  private static ApiException badRequest(String message) {
    return new ApiException(ApiError.BAD_REQUEST, message);
  }
}
