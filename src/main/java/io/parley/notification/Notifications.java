package io.parley.notification;

import akka.Done;
import akka.NotUsed;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.pattern.StatusReply;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.typesafe.config.Config;
import io.parley.Futures;
import io.parley.Texts;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.auth.UserIds;
import io.parley.user.DeviceOwner;
import io.parley.user.Inbox;
import io.parley.user.User;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * What REST, WebSocket and the platform's backend can do with notifications: store them in users' inboxes (each
 * answer means the notification is in the journal), read and page inboxes, and keep the device tokens pushes go to.
 */
public final class Notifications {
  /** How many of an admin send's users were given the notification, and how many had it already (same key). */
  public record Sent(int accepted, int duplicates, String batchId) {}

  private static final Pattern KIND = Pattern.compile("[a-z][a-z0-9_.-]{0,63}");
  /** Tries of one user's part of an admin send before the request fails with 503 (a retry then stores nothing twice). */
  private static final int SEND_ATTEMPTS = 3;
  /** Tries of each step of a device's hand-over from one user to another before the request fails with 503. */
  private static final int HAND_OVER_ATTEMPTS = 3;
  /** Device tokens are printable ASCII, as FCM's are. */
  private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x7e]+");
  /** The bound on tokens before max-token-length: some stored then may be this long, and must stay removable. */
  private static final int STORED_TOKEN_MAX = 4096;
  /** The longest max-token-length allowed; tokens are ASCII, so as many bytes, well within an index key. */
  public static final int INDEXED_TOKEN_MAX = 1024;

  private final ActorSystem<?> system;
  private final Consumer<User.Draft> requirePushable;
  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final int maxRecipients;
  private final int maxTokenLength;
  private final java.util.Set<String> pushedKinds;
  private final int batchChunkSize;
  private final int fanoutParallelism;
  private final int defaultPageSize;
  private final int maxPageSize;

  /**
   * {@code requirePushable} refuses (throws {@link ApiException}) a notification to be pushed whose push FCM would
   * refuse for its size: stored, it would reach the inbox and never a phone, and its push would fail on every retry.
   */
  public Notifications(ActorSystem<?> system, Consumer<User.Draft> requirePushable) {
    this.system = system;
    this.requirePushable = requirePushable;
    this.sharding = ClusterSharding.get(system);
    Config config = system.settings().config();
    this.askTimeout = config.getDuration("parley.http.ask-timeout");
    this.maxRecipients = config.getInt("parley.notifications.max-recipients");
    this.maxTokenLength = maxTokenLength(config);
    this.pushedKinds = java.util.Set.copyOf(config.getStringList("parley.notifications.pushed-kinds"));
    this.batchChunkSize = config.getInt("parley.notifications.batch.chunk-size");
    this.fanoutParallelism = config.getInt("parley.notifications.batch.fanout-parallelism");
    this.defaultPageSize = config.getInt("parley.notifications.default-page-size");
    this.maxPageSize = config.getInt("parley.notifications.max-page-size");
  }

  /**
   * {@code parley.notifications.max-token-length}, refused above {@link #INDEXED_TOKEN_MAX}: the device directory's
   * primary key holds the token, and PostgreSQL cannot index a key of more than about 2,700 bytes.
   */
  public static int maxTokenLength(Config config) {
    int length = config.getInt("parley.notifications.max-token-length");
    if (length < 1 || length > INDEXED_TOKEN_MAX) {
      throw new IllegalArgumentException(
          "parley.notifications.max-token-length must be 1-" + INDEXED_TOKEN_MAX + " (was " + length + "): the device"
              + " directory's primary key holds the token, and PostgreSQL cannot index keys much longer");
    }
    return length;
  }

  /**
   * Stores {@code draft} for each user; completes once it is in the journal. A send to one user without an
   * idempotency key goes to that user's inbox at once. Any other send is stored once per chunk of users
   * ({@link NotificationBatch}), and its inboxes and pushes follow from the journal ({@link BatchFanout}, the push
   * projection), so that the answer costs a write per chunk rather than one per inbox. The batch entity of a key is
   * the one record of who has the notification: a retry that names one user or many, in any order, gives nobody the
   * notification, or its push, twice.
   */
  public CompletionStage<Sent> send(List<String> userIds, User.Draft draft, String idempotencyKey) {
    return send(userIds, draft, idempotencyKey, null);
  }

  /**
   * As above, failing with {@link ApiError#TIMEOUT} once {@code deadline} (null: none) has passed; no new chunk is
   * asked for after that (the one in flight may still be asked again, which its batch entity answers as a repeat).
   * A failed send without a key fails naming the key it was stored under, since its client cannot otherwise retry it
   * without giving the notification twice to whoever has it already.
   */
  public CompletionStage<Sent> send(List<String> userIds, User.Draft draft, String idempotencyKey, Duration deadline) {
    List<String> recipients = recipients(userIds);
    boolean pushed = draft.pushed(pushedKinds);
    if (pushed) requirePushable.accept(draft);
    if (idempotencyKey != null) return store(recipients, draft, pushed, idempotencyKey, deadline);
    String batchId = UUID.randomUUID().toString();
    CompletionStage<Sent> sending =
        recipients.size() == 1
            ? withDeadline(sendRetrying(recipients.get(0), draft, batchId, SEND_ATTEMPTS), deadline)
                .thenApply(notified -> new Sent(notified.duplicate() ? 0 : 1, notified.duplicate() ? 1 : 0, batchId))
            : store(recipients, draft, pushed, batchId, deadline);
    return sending.exceptionallyCompose(
        failure ->
            CompletableFuture.failedFuture(
                Futures.cause(failure) instanceof ApiException api ? api.withIdempotencyKey(batchId) : failure));
  }

  private CompletionStage<Sent> store(
      List<String> recipients, User.Draft draft, boolean pushed, String batchId, Duration deadline) {
    EntityRef<NotificationBatch.Command> batch = sharding.entityRefFor(NotificationBatch.ENTITY_KEY, batchId);
    List<List<String>> chunks = new java.util.ArrayList<>();
    for (int from = 0; from < recipients.size(); from += batchChunkSize) {
      chunks.add(recipients.subList(from, Math.min(recipients.size(), from + batchChunkSize)));
    }
    Source<NotificationBatch.Stored, NotUsed> stored =
        Source.from(chunks)
            .mapAsync(
                1,
                chunk ->
                    retryingOnTimeout(
                        () ->
                            timed(
                                batch.<NotificationBatch.Stored>askWithStatus(
                                    replyTo -> new NotificationBatch.Store(draft, pushed, List.copyOf(chunk), replyTo),
                                    askTimeout)),
                        SEND_ATTEMPTS));
    // The stream's own timeout, not one around its result: the stream stops asking for chunks before it fails, so
    // nothing is stored after the answer that names the key.
    return timedOut(
        (deadline == null ? stored : stored.completionTimeout(deadline))
            .runWith(
                Sink.fold(
                    new Sent(0, 0, batchId),
                    (sent, chunk) ->
                        new Sent(sent.accepted() + chunk.accepted(), sent.duplicates() + chunk.duplicates(), batchId)),
                system),
        deadline);
  }

  /** Fails {@code answer} with {@link ApiError#TIMEOUT} once {@code deadline} (null: none) has passed. */
  private static <T> CompletionStage<T> withDeadline(CompletionStage<T> answer, Duration deadline) {
    if (deadline == null) return answer;
    return timedOut(answer.toCompletableFuture().orTimeout(deadline.toMillis(), TimeUnit.MILLISECONDS), deadline);
  }

  /** {@code answer}, a deadline's {@link TimeoutException} turned into {@link ApiError#TIMEOUT}. */
  private static <T> CompletionStage<T> timedOut(CompletionStage<T> answer, Duration deadline) {
    return timeoutAs(answer, "the send did not finish within " + deadline + "; retry");
  }

  /**
   * Gives each user of a stored batch its notification in their inbox, with the batch id as idempotency key, so that
   * doing it again after a crash changes nothing. The inbox does not push it: the push projection has.
   */
  CompletionStage<Done> fillInboxes(NotificationBatch.BatchStored stored) {
    User.Draft inboxOnly = stored.draft().withoutPush();
    return Source.from(stored.userIds())
        .mapAsyncUnordered(fanoutParallelism, userId -> sendRetrying(userId, inboxOnly, stored.batchId(), SEND_ATTEMPTS))
        .runWith(Sink.ignore(), system);
  }

  private CompletionStage<User.Notified> sendRetrying(String userId, User.Draft draft, String key, int attemptsLeft) {
    return retryingOnTimeout(() -> send(userId, draft, key, key), attemptsLeft);
  }

  /**
   * Asks again when the answer timed out (an entity recovering, or moving to another node); any other failure, or
   * the last timeout, is the caller's. Only for asks that are harmless to repeat.
   */
  private static <T> CompletionStage<T> retryingOnTimeout(
      java.util.function.Supplier<CompletionStage<T>> ask, int attemptsLeft) {
    return ask.get()
        .exceptionallyCompose(
            failure ->
                attemptsLeft > 1 && Futures.cause(failure) instanceof ApiException api && api.error() == ApiError.TIMEOUT
                    ? retryingOnTimeout(ask, attemptsLeft - 1)
                    : CompletableFuture.failedFuture(failure));
  }

  /** Stores one notification for one user; {@code idempotencyKey} makes a retry harmless. */
  public CompletionStage<User.Notified> send(String userId, User.Draft draft, String idempotencyKey, String batchId) {
    return askStatus(userId, replyTo -> new User.Notify(draft, idempotencyKey, batchId, replyTo));
  }

  /** Stores an announcement once: to everyone online when {@code topic} is null, else to that FCM topic. */
  public CompletionStage<Announcements.Accepted> announce(String topic, User.Draft draft, String idempotencyKey) {
    if (topic != null && !topic.matches("[a-zA-Z0-9_.~%-]{1,900}")) {
      throw new ApiException(ApiError.BAD_REQUEST, "field 'topic' must be 1-900 characters of a-z, A-Z, 0-9, -_.~%");
    }
    if (topic != null) requirePushable.accept(draft);
    return timed(
        sharding
            .entityRefFor(Announcements.ENTITY_KEY, Announcements.entityId(topic))
            .<Announcements.Accepted>askWithStatus(
                replyTo -> new Announcements.Announce(draft, topic, idempotencyKey, replyTo), askTimeout));
  }

  public CompletionStage<Inbox.Page> list(String userId, boolean unreadOnly, String before, Integer limit) {
    long beforeNumber = before == null ? Long.MAX_VALUE : notificationNumber(before);
    int size = limit == null ? defaultPageSize : Math.max(1, Math.min(limit, maxPageSize));
    return timed(user(userId).ask(replyTo -> new User.ListNotifications(unreadOnly, beforeNumber, size, replyTo), askTimeout));
  }

  public CompletionStage<User.UnreadCount> markRead(String userId, String notificationId) {
    notificationNumber(notificationId);
    return this.<User.UnreadCount>askStatus(userId, replyTo -> new User.MarkNotificationsRead(notificationId, replyTo))
        .exceptionallyCompose(
            failure ->
                failure instanceof StatusReply.ErrorMessage || failure.getCause() instanceof StatusReply.ErrorMessage
                    ? CompletableFuture.failedFuture(new ApiException(ApiError.NOT_FOUND, "notification not found"))
                    : CompletableFuture.failedFuture(failure));
  }

  public CompletionStage<User.UnreadCount> markAllRead(String userId) {
    return askStatus(userId, replyTo -> new User.MarkNotificationsRead(null, replyTo));
  }

  /**
   * Registers a push token for {@code userId}. A token names one device, signed in as one user at a time: it is
   * taken away from whoever had it before, and that user's entity confirms it before the token is claimed, so a
   * retry of a failed registration finds the same previous owner and finishes the hand-over. A push stored for the
   * previous owner and not yet sent is stopped at push time by the owner check.
   */
  public CompletionStage<Done> registerDevice(String userId, String token, String platform) {
    validToken(token, maxTokenLength);
    User.Platform parsed = platform(platform);
    // Claimed even when it looked like ours already (claiming is idempotent): a DELETE of ours may have released it
    // since the owner was looked up, and the token would then sit in our devices with no owner.
    String registration = UUID.randomUUID().toString();
    return takeDeviceChange(userId)
        .thenCompose(taken -> owner(token))
        .thenCompose(previous -> handOver(token, previous, userId))
        .thenCompose(previous -> claim(token, userId))
        .thenCompose(claimed -> storeRegistration(userId, token, parsed, registration));
  }

  /**
   * Stores the registration, then checks that it still owns the token ({@link #keepIfStillOwned}); the check runs
   * when storing failed too, since a store whose answer was lost may still have been applied.
   */
  private CompletionStage<Done> storeRegistration(
      String userId, String token, User.Platform platform, String registration) {
    return Futures.direct(
            this.<Done>askStatus(userId, replyTo -> new User.RegisterDevice(token, platform, registration, replyTo)))
        .handle((done, failure) -> failure)
        .thenCompose(
            failure -> {
              CompletionStage<Done> checked = keepIfStillOwned(userId, token, registration);
              if (failure == null) return checked;
              return checked.handle((done, ignored) -> done).thenCompose(done -> CompletableFuture.failedFuture(failure));
            });
  }

  /**
   * Forgets the registration just stored if the token was claimed by someone else since this one's claim: their
   * hand-over asked this user to drop it before it was stored, and it would stay in this user's list, owned by
   * another, every push to it refused. Only this registration is forgotten, never a newer one of the same token
   * (registered again since, after claiming it back).
   */
  private CompletionStage<Done> keepIfStillOwned(String userId, String token, String registration) {
    return owner(token)
        .thenCompose(
            owner ->
                userId.equals(owner)
                    ? CompletableFuture.completedFuture(Done.getInstance())
                    : handOverStep(
                        () ->
                            this.<Done>askStatus(
                                userId,
                                replyTo ->
                                    new User.UnregisterDevice(token, "registered_by_another_user", registration, replyTo))));
  }

  /**
   * Gives up a device token's ownership, so that no push stored before reaches that device, then forgets it. In that
   * order: a registration of the same token by the same user that runs in between claims it again and stores it
   * again, whereas a release after it would leave the token stored with no owner, every push to it refused. Takes
   * tokens longer than max-token-length too, so that one stored before the limit can still be removed.
   */
  public CompletionStage<Done> unregisterDevice(String userId, String token) {
    validToken(token, STORED_TOKEN_MAX);
    return takeDeviceChange(userId)
        .thenCompose(
            taken ->
                handOverStep(
                    () ->
                        deviceOwner(token)
                            .<Done>askWithStatus(replyTo -> new DeviceOwner.Release(userId, replyTo), askTimeout)))
        .thenCompose(
            released ->
                handOverStep(
                    () -> this.<Done>askStatus(userId, replyTo -> new User.UnregisterDevice(token, "unregistered", replyTo))));
  }

  /** Fails with {@link ApiError#RATE_LIMITED} when the user has registered or removed devices too often of late. */
  private CompletionStage<Done> takeDeviceChange(String userId) {
    return timed(user(userId).<User.DeviceChangeTaken>ask(User.TakeDeviceChange::new, askTimeout))
        .thenCompose(
            taken ->
                taken.retryAfterMillis() == 0
                    ? CompletableFuture.completedFuture(Done.getInstance())
                    : CompletableFuture.failedFuture(
                        ApiException.rateLimited(
                            "too many device registrations and removals",
                            Duration.ofMillis(taken.retryAfterMillis()))));
  }

  private CompletionStage<String> owner(String token) {
    return handOverStep(() -> deviceOwner(token).<DeviceOwner.Owner>ask(DeviceOwner.GetOwner::new, askTimeout))
        .thenApply(DeviceOwner.Owner::userId);
  }

  /** Makes {@code userId} the owner, and takes the token off whoever held the claim before. */
  private CompletionStage<String> claim(String token, String userId) {
    return handOverStep(
            () ->
                deviceOwner(token)
                    .<DeviceOwner.Claimed>askWithStatus(replyTo -> new DeviceOwner.Claim(userId, replyTo), askTimeout))
        // Taken from the previous owner again even when it is the one handed over from before the claim: that user's
        // own registration may have stored the token since (its claim lost to this one, and it checks the owner only
        // after storing, so it may have seen itself still owning it).
        .thenCompose(claimed -> handOver(token, claimed.previousOwner(), userId));
  }

  /** Takes the token off {@code previous}, unless that is nobody or {@code userId} itself; answers {@code previous}. */
  private CompletionStage<String> handOver(String token, String previous, String userId) {
    if (previous == null || previous.equals(userId)) return CompletableFuture.completedFuture(previous);
    return handOverStep(
            () ->
                this.<Done>askStatus(
                    previous, replyTo -> new User.UnregisterDevice(token, "registered_by_another_user", replyTo)))
        .thenApply(done -> previous);
  }

  /** One step of a token's hand-over or release, asked again when it times out: each is harmless to repeat. */
  private static <T> CompletionStage<T> handOverStep(java.util.function.Supplier<CompletionStage<T>> ask) {
    return retryingOnTimeout(() -> timed(ask.get()), HAND_OVER_ATTEMPTS);
  }

  private EntityRef<DeviceOwner.Command> deviceOwner(String token) {
    return sharding.entityRefFor(DeviceOwner.ENTITY_KEY, DeviceOwner.entityId(token));
  }

  public CompletionStage<List<User.Device>> devices(String userId) {
    return timed(user(userId).<User.Devices>ask(User.GetDevices::new, askTimeout)).thenApply(User.Devices::devices);
  }

  /** A notification from the platform's backend, checked field by field. */
  public static User.Draft draft(
      String kind, String title, String body, String data, Boolean push, String collapseKey, int maxDataBytes) {
    if (kind == null || !KIND.matcher(kind).matches()) {
      throw new ApiException(
          ApiError.BAD_REQUEST, "field 'kind' must be 1-64 characters of a-z, 0-9, '_', '.', '-', starting with a letter");
    }
    requireText("title", title, 200, true);
    requireText("body", body, 2000, false);
    requireText("collapseKey", collapseKey, 128, false);
    if (data != null && data.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > maxDataBytes) {
      throw new ApiException(ApiError.TOO_LARGE, "field 'data' is larger than " + maxDataBytes + " bytes");
    }
    return new User.Draft(kind, title, body == null ? "" : body, data, push, collapseKey);
  }

  private static void requireText(String field, String value, int max, boolean required) {
    if (value == null) {
      if (required) throw new ApiException(ApiError.BAD_REQUEST, "field '" + field + "' is required");
      return;
    }
    if (required && value.isBlank()) throw new ApiException(ApiError.BAD_REQUEST, "field '" + field + "' is empty");
    if (value.codePointCount(0, value.length()) > max) {
      throw new ApiException(ApiError.BAD_REQUEST, "field '" + field + "' is longer than " + max + " characters");
    }
    if (Texts.containsNul(value)) {
      throw new ApiException(ApiError.BAD_REQUEST, "field '" + field + "' must not contain NUL characters");
    }
  }

  private List<String> recipients(List<String> userIds) {
    if (userIds == null || userIds.isEmpty()) {
      throw new ApiException(ApiError.BAD_REQUEST, "field 'userIds' must name at least one user");
    }
    LinkedHashSet<String> distinct = new LinkedHashSet<>(userIds);
    if (distinct.size() > maxRecipients) {
      throw new ApiException(ApiError.BAD_REQUEST, "at most " + maxRecipients + " userIds per request");
    }
    for (String id : distinct) {
      if (id == null || !UserIds.isValid(id)) throw new ApiException(ApiError.BAD_REQUEST, UserIds.invalid(id));
    }
    return List.copyOf(distinct);
  }

  private static long notificationNumber(String id) {
    if (id == null || !id.matches("n[1-9][0-9]{0,17}")) {
      throw new ApiException(ApiError.BAD_REQUEST, "not a notification id: " + brief(id));
    }
    return Long.parseLong(id.substring(1));
  }

  private static void validToken(String token, int maxLength) {
    if (token == null || token.length() > maxLength || !TOKEN.matcher(token).matches()) {
      throw new ApiException(ApiError.BAD_REQUEST, "field 'token' must be 1-" + maxLength + " printable ASCII characters");
    }
  }

  private static User.Platform platform(String platform) {
    if (platform != null) {
      switch (platform.toLowerCase(Locale.ROOT)) {
        case "android":
          return User.Platform.ANDROID;
        case "ios":
          return User.Platform.IOS;
        case "web":
          return User.Platform.WEB;
        default:
          break;
      }
    }
    throw new ApiException(ApiError.BAD_REQUEST, "field 'platform' must be android, ios or web");
  }

  private EntityRef<User.Command> user(String userId) {
    return sharding.entityRefFor(User.ENTITY_KEY, userId);
  }

  private <T> CompletionStage<T> askStatus(
      String userId, java.util.function.Function<akka.actor.typed.ActorRef<StatusReply<T>>, User.Command> command) {
    return timed(user(userId).<T>askWithStatus(replyTo -> command.apply(replyTo), askTimeout));
  }

  private static <T> CompletionStage<T> timed(CompletionStage<T> answer) {
    return timeoutAs(answer, "the user's inbox did not answer in time; retry");
  }

  /** {@code answer}, completed where it completes, its {@link TimeoutException} turned into {@link ApiError#TIMEOUT}. */
  private static <T> CompletionStage<T> timeoutAs(CompletionStage<T> answer, String message) {
    return Futures.direct(answer)
        .exceptionallyCompose(
            failure ->
                CompletableFuture.failedFuture(
                    Futures.cause(failure) instanceof TimeoutException || failure.getCause() instanceof TimeoutException
                        ? new ApiException(ApiError.TIMEOUT, message)
                        : failure));
  }

  private static String brief(String text) {
    return text == null ? "null" : Texts.shortened(text, 40);
  }
}
