package io.parley.push;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.pattern.Patterns;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.http.Json;
import io.parley.notification.Announcements;
import io.parley.user.Inbox.Notification;
import io.parley.user.User;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Turns stored notifications into pushes: equal pushes to many users go out as one multicast, passing faults are
 * retried with backoff and jitter, and tokens FCM calls dead are taken off their user. It completes only when every
 * push is settled, which is what lets the push projection move its offset: a crash before that pushes again.
 */
public final class PushDelivery {
  /** FCM refuses these data keys. */
  private static final Set<String> RESERVED_KEYS = Set.of("from", "notification", "message_type", "collapse_key");

  private record Target(String token, String userId) {}

  private final ActorSystem<?> system;
  private final PushGateway gateway;
  private final PushSettings settings;
  private final PushStats stats;
  private final ClusterSharding sharding;

  public PushDelivery(ActorSystem<?> system, PushGateway gateway, PushSettings settings) {
    this.system = system;
    this.gateway = gateway;
    this.settings = settings;
    this.stats = PushStats.get(system);
    this.sharding = ClusterSharding.get(system);
  }

  public CompletionStage<Done> deliver(List<?> events) {
    return stillDue(newestPerCollapseKey(events)).thenCompose(this::send);
  }

  /**
   * Drops the held pushes (decided while their user's entity had just started) that the entity, asked now, no longer
   * wants: a session registered again meanwhile, or the notification was read or replaced. An entity that does not
   * answer gets its push, as it would have had without the hold.
   */
  private CompletionStage<List<Object>> stillDue(List<Object> events) {
    List<CompletableFuture<Object>> checked = new ArrayList<>(events.size());
    for (Object event : events) {
      if (event instanceof User.NotificationAdded added && Boolean.TRUE.equals(added.pushHeld())) {
        checked.add(
            sharding
                .entityRefFor(User.ENTITY_KEY, added.userId())
                .<User.PushConfirmed>ask(
                    replyTo -> new User.ConfirmPush(added.notification().id(), replyTo), settings.confirmTimeout())
                .<Object>thenApply(confirmed -> confirmed.push() ? event : null)
                .exceptionally(failure -> event)
                .toCompletableFuture());
      } else {
        checked.add(CompletableFuture.completedFuture(event));
      }
    }
    return CompletableFuture.allOf(checked.toArray(CompletableFuture[]::new))
        .thenApply(done -> checked.stream().map(CompletableFuture::join).filter(java.util.Objects::nonNull).toList());
  }

  private CompletionStage<Done> send(List<Object> events) {
    Map<PushMessage, List<Target>> toDevices = new LinkedHashMap<>();
    List<CompletionStage<Done>> sends = new ArrayList<>();
    for (Object event : events) {
      if (event instanceof User.NotificationAdded added) {
        List<Target> targets = toDevices.computeIfAbsent(messageFor(added.notification()), m -> new ArrayList<>());
        for (User.Device device : added.pushTo()) targets.add(new Target(device.token(), added.userId()));
      } else if (event instanceof Announcements.Announced announced && announced.topic() != null) {
        sends.add(sendToTopic(messageFor(announced.notification()), announced.topic(), 1));
      }
    }
    toDevices.forEach((message, targets) -> sends.add(sendToDevices(message, targets, 1)));
    return CompletableFuture.allOf(sends.stream().map(CompletionStage::toCompletableFuture).toArray(CompletableFuture[]::new))
        .thenApply(done -> Done.getInstance());
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

  private CompletionStage<Done> sendToDevices(PushMessage message, List<Target> targets, int attempt) {
    List<String> tokens = targets.stream().map(Target::token).toList();
    stats.calls.addAndGet((tokens.size() + PushGateway.MAX_TOKENS_PER_MULTICAST - 1) / PushGateway.MAX_TOKENS_PER_MULTICAST);
    return gateway
        .sendToDevices(message, tokens)
        .thenCompose(
            outcomes -> {
              List<Target> again = new ArrayList<>();
              Iterator<PushOutcome> outcome = outcomes.iterator();
              for (Target target : targets) {
                PushOutcome result = outcome.next();
                stats.record(result);
                if (result.removesToken()) {
                  sharding
                      .entityRefFor(User.ENTITY_KEY, target.userId())
                      .tell(new User.UnregisterDevice(target.token(), result.reason(), null));
                } else if (result.retryable()) {
                  if (attempt < settings.maxAttempts()) again.add(target);
                  else stats.record(PushOutcome.GAVE_UP);
                }
              }
              return again.isEmpty() ? done() : later(attempt, () -> sendToDevices(message, again, attempt + 1));
            });
  }

  private CompletionStage<Done> sendToTopic(PushMessage message, String topic, int attempt) {
    stats.calls.incrementAndGet();
    return gateway
        .sendToTopic(message, topic)
        .thenCompose(
            result -> {
              stats.record(result);
              if (!result.retryable()) return done();
              if (attempt >= settings.maxAttempts()) {
                stats.record(PushOutcome.GAVE_UP);
                return done();
              }
              return later(attempt, () -> sendToTopic(message, topic, attempt + 1));
            });
  }

  private CompletionStage<Done> later(int attempt, java.util.concurrent.Callable<CompletionStage<Done>> retry) {
    return Patterns.after(
        settings.backoff(attempt, ThreadLocalRandom.current().nextDouble()),
        system.classicSystem().scheduler(),
        system.executionContext(),
        retry);
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  /**
   * The push for a notification. Its data holds the notification's own data (FCM takes strings only) and its kind;
   * no per-user id, so that the same notification to many users stays one multicast.
   */
  PushMessage messageFor(Notification notification) {
    Map<String, String> data = new LinkedHashMap<>();
    JsonNode fields = Json.parse(notification.data(), JsonNode.class);
    fields.fields().forEachRemaining(field -> {
      String key = field.getKey();
      if (RESERVED_KEYS.contains(key) || key.startsWith("google") || key.startsWith("gcm")) return;
      data.put(key, field.getValue().isTextual() ? field.getValue().textValue() : field.getValue().toString());
    });
    data.put("kind", notification.kind());
    if (notification.count() > 1) data.put("count", String.valueOf(notification.count()));
    return new PushMessage(
        notification.kind(), notification.title(), notification.body(), Map.copyOf(data), notification.collapseKey(),
        link(data));
  }

  /** The page a web push opens: the conversation, the job, or the inbox. */
  private String link(Map<String, String> data) {
    if (settings.webAppUrl().isEmpty()) return null;
    String path = settings.otherPath();
    if (data.containsKey("conversationId")) {
      path = settings.conversationPath().replace("{conversationId}", urlEncode(data.get("conversationId")));
    } else if (data.containsKey("jobId")) {
      path = settings.jobPath().replace("{jobId}", urlEncode(data.get("jobId")));
    }
    return settings.webAppUrl() + path;
  }

  private static String urlEncode(String value) {
    return java.net.URLEncoder.encode(value, java.nio.charset.StandardCharsets.UTF_8);
  }
}
