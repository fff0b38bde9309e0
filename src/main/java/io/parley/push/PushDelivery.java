package io.parley.push;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.pattern.Patterns;
import io.parley.Futures;
import io.parley.notification.Announcements;
import io.parley.notification.LiveBroadcasts;
import io.parley.notification.NotificationBatch;
import io.parley.user.DeviceDirectory;
import io.parley.user.Inbox;
import io.parley.user.DeviceOwner;
import io.parley.user.Inbox.Notification;
import io.parley.user.User;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns stored notifications into pushes, as the notifications are when the pushes leave ({@link DuePushes}): equal
 * pushes to many users go out as one multicast, passing faults are retried with backoff and jitter, and tokens FCM
 * calls dead are taken off their user. It completes only when every push is settled, which is what lets the push
 * projection move its offset: a crash before that pushes again. A group whose failure is Parley's or Google's rather
 * than a token's fails instead, and the projection tries it again later.
 */
public final class PushDelivery {
  private static final Logger log = LoggerFactory.getLogger(PushDelivery.class);

  /**
   * One device a push goes to. {@code notification}: the user's notification it shows, as it was last found due;
   * null for a batch's push, which is not in the user's inbox yet.
   */
  private record Target(String token, String userId, Notification notification) {}

  /** A stored notification whose push is still due, as it is now. */
  private record Due(String userId, Notification notification, List<User.Device> pushTo) {}

  /** What became of the push to {@code target} (null: a topic) once its retries are over. */
  private record Settled(Target target, PushOutcome outcome) {}

  /** The group could not be pushed for a reason no token is to blame for; its events must be pushed again. */
  public static final class GroupFailed extends RuntimeException {
    GroupFailed(String message) {
      super(message);
    }
  }

  private final ActorSystem<?> system;
  private final PushGateway gateway;
  private final PushSettings settings;
  private final PushStats stats;
  private final ClusterSharding sharding;
  private final LiveBroadcasts live;
  private final DeviceDirectory.Reader directory;
  private final DuePushes due;
  /**
   * Users a device push of this node has got through to, up to {@link #USERS_CONFIRMING_PROJECT}: once that many,
   * Parley sends as the right Firebase project, and a token answered SENDER_ID_MISMATCH is the token's fault
   * (registered for another project), not Parley's.
   */
  private final Set<String> usersReached = ConcurrentHashMap.newKeySet();

  /**
   * Distinct users whose devices must have received a push before tokens answered SENDER_ID_MISMATCH are removed.
   * More than one, since a developer's device registered under the wrong project gets pushes from it too; a topic
   * push never counts, since FCM accepts a send to any topic of any project.
   */
  static final int USERS_CONFIRMING_PROJECT = 3;

  public PushDelivery(ActorSystem<?> system, PushGateway gateway, PushSettings settings) {
    this.system = system;
    this.gateway = gateway;
    this.settings = settings;
    this.stats = PushStats.get(system);
    this.sharding = ClusterSharding.get(system);
    this.live = LiveBroadcasts.get(system);
    this.directory = new DeviceDirectory.Reader(system);
    this.due = new DuePushes(system, settings);
  }

  /** Completes when every push of the group is settled; fails with {@link GroupFailed} when it must be pushed again. */
  public CompletionStage<Done> deliver(List<?> events) {
    return stillDue(newestPerCollapseKey(events))
        .thenCompose(due -> batchTargets(due).thenCompose(batches -> send(due, batches)));
  }

  /**
   * The devices each stored batch goes to: those of its users with no session open on any node, as the directory of
   * tokens has them; no user entity is started. The push carries no per-user count, since it leaves before the
   * inboxes have it.
   */
  private CompletionStage<Map<PushMessage, List<Target>>> batchTargets(List<Object> events) {
    List<CompletableFuture<Map.Entry<PushMessage, List<Target>>>> resolved = new ArrayList<>();
    for (Object event : events) {
      if (!(event instanceof NotificationBatch.BatchStored batch)) continue;
      PushMessage message = PushMessage.of(batch.draft().toNotification(Inbox.idOf(1), 1), settings);
      resolved.add(
          live.onlineAmong(batch.userIds(), settings.presenceTimeout())
              .thenCompose(
                  online -> directory.tokensOf(batch.userIds().stream().filter(u -> !online.contains(u)).toList()))
              .<Map.Entry<PushMessage, List<Target>>>thenApply(
                  tokens -> {
                    List<Target> targets = new ArrayList<>();
                    tokens.forEach((userId, userTokens) -> userTokens.forEach(t -> targets.add(new Target(t, userId, null))));
                    return Map.entry(message, targets);
                  })
              .exceptionallyCompose(
                  failure ->
                      CompletableFuture.failedFuture(
                          new GroupFailed("the devices of a batch's users could not be read: " + failure)))
              .toCompletableFuture());
    }
    return Futures.all(resolved)
        .thenApply(
            entries -> {
              Map<PushMessage, List<Target>> targets = new LinkedHashMap<>();
              for (Map.Entry<PushMessage, List<Target>> entry : entries) {
                targets.computeIfAbsent(entry.getKey(), m -> new ArrayList<>()).addAll(entry.getValue());
              }
              return targets;
            });
  }

  /**
   * The users' notifications whose push is still due, as their entities hold them now: a push leaves a group (or,
   * replayed after an outage, far) later than its notification was stored, and meanwhile it may have been read, or
   * its message edited or deleted, whose text must not reach the lock screen. Held pushes (decided while their
   * user's entity had just started) are dropped too if a session registered again meanwhile.
   */
  private CompletionStage<List<Object>> stillDue(List<Object> events) {
    List<DuePushes.Pending> pending = new ArrayList<>();
    for (Object event : events) {
      if (event instanceof User.NotificationAdded added) {
        pending.add(new DuePushes.Pending(added.userId(), added.notification(), Boolean.TRUE.equals(added.pushHeld())));
      }
    }
    return due.check(pending)
        .thenApply(
            now -> {
              List<Object> left = new ArrayList<>(events.size());
              for (Object event : events) {
                if (event instanceof User.NotificationAdded added) {
                  Notification current = now.get(new DuePushes.Key(added.userId(), added.notification().id()));
                  if (current != null) left.add(new Due(added.userId(), current, added.pushTo()));
                } else {
                  left.add(event);
                }
              }
              return left;
            });
  }

  private CompletionStage<Done> send(List<Object> events, Map<PushMessage, List<Target>> batches) {
    Map<PushMessage, List<Target>> toDevices = new LinkedHashMap<>(batches);
    List<Map.Entry<PushMessage, String>> toTopics = new ArrayList<>();
    for (Object event : events) {
      if (event instanceof Due pushed) {
        PushMessage message = PushMessage.of(pushed.notification(), settings);
        List<Target> targets = toDevices.computeIfAbsent(message, m -> new ArrayList<>());
        for (User.Device device : pushed.pushTo()) {
          targets.add(new Target(device.token(), pushed.userId(), pushed.notification()));
        }
      } else if (event instanceof Announcements.Announced announced && announced.topic() != null) {
        toTopics.add(Map.entry(PushMessage.of(announced.notification(), settings), announced.topic()));
      }
    }
    Set<String> tokens = new HashSet<>();
    toDevices.values().forEach(targets -> targets.forEach(target -> tokens.add(target.token())));
    return owners(tokens)
        .thenCompose(
            owners -> {
              List<CompletableFuture<List<Settled>>> sends = new ArrayList<>();
              for (Map.Entry<PushMessage, String> topic : toTopics) {
                sends.add(
                    sendToTopic(topic.getKey(), topic.getValue(), 1)
                        .thenApply(outcome -> List.of(new Settled(null, outcome)))
                        .toCompletableFuture());
              }
              toDevices.forEach(
                  (message, targets) -> {
                    List<Target> owned = stillOwned(targets, owners);
                    if (!owned.isEmpty()) sends.add(sendToDevices(message, owned, 1).toCompletableFuture());
                  });
              return Futures.all(sends)
                  .thenCompose(
                      perSend -> {
                        List<Settled> pushes = new ArrayList<>();
                        perSend.forEach(pushes::addAll);
                        List<PushOutcome> settled = pushes.stream().map(Settled::outcome).toList();
                        for (Settled push : pushes) {
                          if (push.outcome() == PushOutcome.SENT
                              && push.target() != null
                              && usersReached.size() < USERS_CONFIRMING_PROJECT) {
                            usersReached.add(push.target().userId());
                          }
                        }
                        boolean projectConfirmed = usersReached.size() >= USERS_CONFIRMING_PROJECT;
                        if (projectConfirmed) forgetTokensOfOtherSenders(pushes);
                        String failure = groupFailure(settled, projectConfirmed);
                        if (failure == null) return done();
                        log.warn("Pushes of {} event(s) not settled, to be pushed again: {}", events.size(), failure);
                        return CompletableFuture.<Done>failedFuture(new GroupFailed(failure));
                      });
            });
  }

  /**
   * Takes the tokens FCM says belong to another sender off their users, as it does those FCM calls unregistered: kept,
   * they fail every push for ever. Only once Parley's own project is confirmed by pushes to several users' devices,
   * since a wrong project would make every token answer so, and removing them all would silence every device.
   */
  private void forgetTokensOfOtherSenders(List<Settled> pushes) {
    for (Settled push : pushes) {
      if (push.outcome() == PushOutcome.SENDER_ID_MISMATCH && push.target() != null) {
        sharding
            .entityRefFor(User.ENTITY_KEY, push.target().userId())
            .tell(new User.UnregisterDevice(push.target().token(), push.outcome().reason(), null));
      }
    }
  }

  /**
   * Who holds each token now. Pushes leave from the journal some time after they were stored, and a device may have
   * been signed in as another user meanwhile: that user must not see the previous one's notifications.
   */
  private CompletionStage<Map<String, String>> owners(Set<String> tokens) {
    if (tokens.isEmpty()) return CompletableFuture.completedFuture(Map.of());
    return DeviceOwner.ownersOf(system, tokens, settings.ownerCheckParallelism(), settings.ownerCheckTimeout())
        .exceptionallyCompose(
            failure ->
                CompletableFuture.failedFuture(
                    new GroupFailed("the owners of the group's device tokens did not answer: " + failure)));
  }

  /**
   * The retried targets whose push is still due and whose token their user still holds, asked again, by the push each
   * now gets (a notification revised meanwhile is pushed as it is now): a retry leaves seconds after the first check.
   */
  private CompletionStage<Map<PushMessage, List<Target>>> stillDueNow(PushMessage message, List<Target> targets) {
    List<DuePushes.Pending> pending = new ArrayList<>();
    for (Target target : targets) {
      if (target.notification() != null) pending.add(new DuePushes.Pending(target.userId(), target.notification(), false));
    }
    return due.check(pending)
        .thenCompose(
            now -> {
              List<Target> stillDue = new ArrayList<>(targets.size());
              for (Target target : targets) {
                if (target.notification() == null) {
                  stillDue.add(target);
                  continue;
                }
                Notification current = now.get(new DuePushes.Key(target.userId(), target.notification().id()));
                if (current != null) stillDue.add(new Target(target.token(), target.userId(), current));
              }
              Set<String> tokens = new HashSet<>();
              stillDue.forEach(target -> tokens.add(target.token()));
              return owners(tokens).thenApply(owners -> stillOwned(stillDue, owners));
            })
        .thenApply(
            owned -> {
              Map<PushMessage, List<Target>> byMessage = new LinkedHashMap<>();
              for (Target target : owned) {
                PushMessage now = target.notification() == null ? message : PushMessage.of(target.notification(), settings);
                byMessage.computeIfAbsent(now, m -> new ArrayList<>()).add(target);
              }
              return byMessage;
            });
  }

  private List<Target> stillOwned(List<Target> targets, Map<String, String> owners) {
    List<Target> owned = new ArrayList<>(targets.size());
    for (Target target : targets) {
      if (target.userId().equals(owners.get(target.token()))) owned.add(target);
      else stats.record(PushOutcome.NOT_OWNER);
    }
    return owned;
  }

  /**
   * Why the group must be pushed again, or null once it is done. A token's own fault settles its push; a failure
   * that no token explains does not: credentials refused, tokens "of another sender" while the project is not
   * confirmed (Parley may be sending as the wrong project, and a developer's device registered under that project
   * getting through proves nothing: the others' pushes must not be lost), or retries used up (a rate limit's
   * included) while nothing got through. Once the project is confirmed, a token of another project settles its push
   * and is forgotten: one user's stale token never fails the pushes of others. A push given up while others of its
   * group got through settles too, so that those are not sent again.
   */
  private static String groupFailure(List<PushOutcome> settled, boolean projectConfirmed) {
    for (PushOutcome outcome : settled) {
      if (outcome.refusesCredentials()) return "FCM refused Parley's credentials (" + outcome.reason() + ")";
    }
    if (!projectConfirmed && settled.contains(PushOutcome.SENDER_ID_MISMATCH)) {
      return "tokens answered sender_id_mismatch and the project is not confirmed yet: is parley.push.firebase the"
          + " app's Firebase project?";
    }
    if (settled.contains(PushOutcome.GAVE_UP) && !settled.contains(PushOutcome.SENT)) {
      return "passing faults (or a rate limit) outlasted the retries, and no push of the group got through";
    }
    return null;
  }

  /**
   * Pushes of one group go out at once, in no set order; a newer push with the same collapse key for the same user
   * replaces the older one on the device anyway, so only the newest is sent, and an older one can never land last.
   */
  private static List<Object> newestPerCollapseKey(List<?> events) {
    Map<Object, Object> newest = new LinkedHashMap<>();
    for (Object event : events) {
      Object key = event;
      if (event instanceof User.NotificationAdded added && added.notification().collapseKey() != null) {
        key = List.of(added.userId(), added.notification().collapseKey());
        newest.remove(key);
      }
      newest.put(key, event);
    }
    return List.copyOf(newest.values());
  }

  /** The final outcome of each target, once retries are over. */
  private CompletionStage<List<Settled>> sendToDevices(PushMessage message, List<Target> targets, int attempt) {
    List<String> tokens = targets.stream().map(Target::token).toList();
    stats.calls.addAndGet((tokens.size() + PushGateway.MAX_TOKENS_PER_MULTICAST - 1) / PushGateway.MAX_TOKENS_PER_MULTICAST);
    return gateway
        .sendToDevices(message, tokens)
        .thenCompose(
            results -> {
              List<Settled> settled = new ArrayList<>(targets.size());
              List<Target> again = new ArrayList<>();
              Duration told = null;
              int rateLimitedGivenUp = 0;
              Iterator<PushResult> next = results.iterator();
              for (Target target : targets) {
                PushResult pushed = next.next();
                PushOutcome result = pushed.outcome();
                stats.record(result);
                if (result.removesToken()) {
                  sharding
                      .entityRefFor(User.ENTITY_KEY, target.userId())
                      .tell(new User.UnregisterDevice(target.token(), result.reason(), null));
                }
                if (result.retryable() && attempt < settings.maxAttempts()) {
                  again.add(target);
                  told = longer(told, pushed.retryAfter());
                } else {
                  if (result == PushOutcome.QUOTA_EXCEEDED) rateLimitedGivenUp++;
                  settled.add(new Settled(target, result.retryable() ? lastTry(result) : result));
                }
              }
              // A rate limit is usually the project's: every token of a multicast reaches its last try together.
              if (rateLimitedGivenUp > 0) logRateLimitedGivenUp(rateLimitedGivenUp);
              if (again.isEmpty()) return CompletableFuture.completedFuture(settled);
              return later(attempt, told, () -> stillDueNow(message, again))
                  .thenCompose(
                      byMessage -> {
                        List<CompletableFuture<List<Settled>>> retries = new ArrayList<>();
                        byMessage.forEach(
                            (now, owned) -> retries.add(sendToDevices(now, owned, attempt + 1).toCompletableFuture()));
                        return Futures.all(retries);
                      })
                  .thenApply(
                      retried -> {
                        retried.forEach(settled::addAll);
                        return settled;
                      });
            });
  }

  private CompletionStage<PushOutcome> sendToTopic(PushMessage message, String topic, int attempt) {
    stats.calls.incrementAndGet();
    return gateway
        .sendToTopic(message, topic)
        .thenCompose(
            pushed -> {
              PushOutcome result = pushed.outcome();
              stats.record(result);
              if (!result.retryable()) return CompletableFuture.completedFuture(result);
              if (attempt >= settings.maxAttempts()) {
                if (result == PushOutcome.QUOTA_EXCEEDED) logRateLimitedGivenUp(1);
                return CompletableFuture.completedFuture(lastTry(result));
              }
              return later(attempt, pushed.retryAfter(), () -> sendToTopic(message, topic, attempt + 1));
            });
  }

  /**
   * A passing fault on the last try is given up, a rate limit too: its tries waited as long as FCM asked (up to
   * {@code retry.max-retry-after} each), and failing the group for it would send its other pushes again, on every
   * restart, while no later push of the slice leaves.
   */
  private PushOutcome lastTry(PushOutcome result) {
    stats.record(PushOutcome.GAVE_UP);
    return PushOutcome.GAVE_UP;
  }

  private void logRateLimitedGivenUp(int pushes) {
    log.warn("{} push(es) still rate-limited (quota_exceeded) after {} tries given up", pushes, settings.maxAttempts());
  }

  private static Duration longer(Duration a, Duration b) {
    if (a == null) return b;
    if (b == null) return a;
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** Try {@code attempt + 1}, after the backoff or the Retry-After FCM answered try {@code attempt} with. */
  private <T> CompletionStage<T> later(
      int attempt, Duration retryAfter, java.util.concurrent.Callable<CompletionStage<T>> retry) {
    return Patterns.after(
        settings.retryDelay(attempt, ThreadLocalRandom.current().nextDouble(), retryAfter),
        system.classicSystem().scheduler(),
        system.executionContext(),
        retry);
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
