package io.parley.push;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import io.parley.Futures;
import io.parley.user.Inbox.Notification;
import io.parley.user.User;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * What became of stored notifications by the time their pushes leave, asked of their users' entities: one read,
 * replaced, or made a deleted message's tombstone is not pushed; one revised (its message edited) is pushed as it is
 * now. One ask per user and group of pushes, not one per push.
 */
final class DuePushes {
  /** Notifications per ask: the answer carries them whole (at most 4 KiB of push each), far inside Artery's frame. */
  static final int MAX_PER_ASK = 16;

  /** A push about to leave: its user, its notification as the push was built from it, and whether it was held. */
  record Pending(String userId, Notification stored, boolean held) {}

  record Key(String userId, String notificationId) {}

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final PushSettings settings;

  DuePushes(ActorSystem<?> system, PushSettings settings) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.settings = settings;
  }

  /** The pushes still due, each with the notification to push now; those left out are not to be pushed. */
  CompletionStage<Map<Key, Notification>> check(Collection<Pending> pending) {
    if (pending.isEmpty()) return CompletableFuture.completedFuture(Map.of());
    // A push to several devices of one user is asked about once.
    Map<String, Map<String, Pending>> byUser = new LinkedHashMap<>();
    for (Pending push : pending) {
      byUser.computeIfAbsent(push.userId(), u -> new LinkedHashMap<>()).merge(push.stored().id(), push,
          (one, other) -> one.held() ? one : other);
    }
    List<List<Pending>> asks = new ArrayList<>();
    for (Map<String, Pending> ofUserById : byUser.values()) {
      List<Pending> ofUser = List.copyOf(ofUserById.values());
      for (int from = 0; from < ofUser.size(); from += MAX_PER_ASK) {
        asks.add(ofUser.subList(from, Math.min(ofUser.size(), from + MAX_PER_ASK)));
      }
    }
    Map<Key, Notification> due = new HashMap<>();
    return Source.from(asks)
        .mapAsyncUnordered(settings.ownerCheckParallelism(), this::ask)
        .runWith(
            Sink.fold(
                due,
                (all, answered) -> {
                  all.putAll(answered);
                  return all;
                }),
            system);
  }

  /**
   * An entity that does not answer gets its pushes as they were stored, as it would have without the question: a
   * push is sent at least once, and the user's entity is the only one who knows better.
   */
  private CompletionStage<Map<Key, Notification>> ask(List<Pending> ofUser) {
    String userId = ofUser.get(0).userId();
    List<String> ids = ofUser.stream().map(p -> p.stored().id()).toList();
    List<String> held = ofUser.stream().filter(Pending::held).map(p -> p.stored().id()).toList();
    String legacyHeld = held.isEmpty() ? null : held.get(0);
    return Futures.direct(
            sharding
                .entityRefFor(User.ENTITY_KEY, userId)
                .<User.PushConfirmed>ask(
                    replyTo -> new User.ConfirmPush(legacyHeld, replyTo, ids, held), settings.confirmTimeout()))
        .thenApply(answer -> due(ofUser, answer, legacyHeld))
        .exceptionally(noAnswer -> due(ofUser, null, null));
  }

  private static Map<Key, Notification> due(List<Pending> ofUser, User.PushConfirmed answer, String legacyHeld) {
    Map<Key, Notification> due = new HashMap<>();
    String userId = ofUser.get(0).userId();
    if (answer != null && answer.pushable() != null) {
      for (Notification now : answer.pushable()) due.put(new Key(userId, now.id()), now);
      return due;
    }
    // No answer, or a node of an earlier version, which confirms the one held push it knows of and nothing else.
    for (Pending push : ofUser) {
      boolean refused = answer != null && push.stored().id().equals(legacyHeld) && !answer.push();
      if (!refused) due.put(new Key(userId, push.stored().id()), push.stored());
    }
    return due;
  }
}
