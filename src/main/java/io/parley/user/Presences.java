package io.parley.user;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import io.parley.Futures;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.auth.UserIds;
import io.parley.conversation.ConversationReadModel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Who may see whose presence: a user sees the presence of the people they share a conversation with, and, with
 * {@code presence-requires-contact} (the default), only of those who created that conversation or have posted in it:
 * anyone can start a conversation with anyone, and adding someone to a group must not reveal when they are online.
 * Everyone else appears offline, never seen.
 */
public final class Presences {
  private final ClusterSharding sharding;
  private final ConversationReadModel readModel;
  private final Duration askTimeout;
  private final int maxIds;
  private final boolean requiresContact;

  public Presences(ActorSystem<?> system, ConversationReadModel readModel) {
    this.sharding = ClusterSharding.get(system);
    this.readModel = readModel;
    this.askTimeout = system.settings().config().getDuration("parley.http.ask-timeout");
    this.maxIds = system.settings().config().getInt("parley.gateway.max-presence-ids");
    this.requiresContact = system.settings().config().getBoolean("parley.gateway.presence-requires-contact");
  }

  /** The distinct, valid ids of a request; a bad list is a 400. */
  public List<String> validIds(List<String> userIds) {
    if (userIds == null || userIds.isEmpty()) {
      throw new ApiException(ApiError.BAD_REQUEST, "userIds must name at least one user");
    }
    LinkedHashSet<String> distinct = new LinkedHashSet<>(userIds);
    if (distinct.size() > maxIds) throw new ApiException(ApiError.BAD_REQUEST, "at most " + maxIds + " userIds");
    for (String id : distinct) {
      if (!UserIds.isValid(id)) throw new ApiException(ApiError.BAD_REQUEST, UserIds.invalid(id));
    }
    return List.copyOf(distinct);
  }

  /** Those of {@code userIds} whose presence {@code viewer} may see. */
  public CompletionStage<Set<String>> visibleTo(String viewer, List<String> userIds) {
    return requiresContact
        ? readModel.inContactWith(viewer, userIds)
        : readModel.sharingAConversationWith(viewer, userIds);
  }

  /** What {@code viewer} sees of each of {@code userIds}, in the order asked. */
  public CompletionStage<List<User.Presence>> presenceOf(String viewer, List<String> userIds) {
    return visibleTo(viewer, userIds)
        .thenCompose(
            visible -> {
              List<CompletableFuture<User.Presence>> answers = new ArrayList<>();
              for (String id : userIds) {
                answers.add(
                    visible.contains(id)
                        ? Futures.direct(
                            sharding.entityRefFor(User.ENTITY_KEY, id).<User.Presence>ask(User.GetPresence::new, askTimeout))
                        : CompletableFuture.completedFuture(hidden(id)));
              }
              return Futures.all(answers);
            });
  }

  public static User.Presence hidden(String userId) {
    return new User.Presence(userId, User.Status.OFFLINE, null);
  }
}
