package io.parley.http;

import static akka.http.javadsl.server.Directives.*;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.parley.api.Json;
import io.parley.gateway.Frames;
import io.parley.user.Presences;
import java.util.Arrays;
import java.util.List;

/** {@code GET /api/presence?userIds=a,b}: the same answer a WebSocket gets from presence.subscribe, once. */
public final class PresenceRoutes {
  /** Each entry has the shape of the WebSocket presence frame. */
  public record PresenceList(List<Frames.Presence> presence) {}

  private final Presences presences;
  private final Authentication authentication;

  public PresenceRoutes(Presences presences, Authentication authentication) {
    this.presences = presences;
    this.authentication = authentication;
  }

  public Route route() {
    return path(
        "presence",
        () ->
            get(
                () ->
                    authentication.user(
                        user ->
                            parameter(
                                "userIds",
                                ids -> {
                                  List<String> userIds =
                                      presences.validIds(
                                          Arrays.stream(ids.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
                                  return onSuccess(
                                      presences.presenceOf(user.userId(), userIds),
                                      list ->
                                          complete(
                                              StatusCodes.OK,
                                              new PresenceList(list.stream().map(Frames.Presence::of).toList()),
                                              Json.marshaller()));
                                }))));
  }
}
