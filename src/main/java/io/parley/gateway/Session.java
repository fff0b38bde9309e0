package io.parley.gateway;

import io.parley.Texts;
import io.parley.TokenBucket;
import io.parley.UserBudgets;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.Signal;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.parley.Futures;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import io.parley.auth.Principal;
import io.parley.auth.TokenVerifier;
import io.parley.conversation.Conversation;
import io.parley.conversation.Conversations;
import io.parley.conversation.MessageView;
import io.parley.gateway.Frames.ServerFrame;
import io.parley.gateway.WebSocketCloseCodes.Close;
import io.parley.metrics.GatewayStats;
import io.parley.metrics.Metrics;
import io.parley.notification.LiveBroadcasts;
import io.parley.notification.NotificationWire;
import io.parley.notification.Notifications;
import io.parley.user.Presences;
import io.parley.user.User;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One WebSocket connection: it authenticates, turns client frames into calls on conversations, and writes every
 * notice for its user to the socket in seq order per conversation, filling any gap from history first.
 */
public final class Session implements OrderedDelivery.Port {
  private static final Logger log = LoggerFactory.getLogger(Session.class);

  /** Local to the node that holds the socket; only {@link FromUser} crosses the cluster, inside its adapter. */
  public sealed interface Command {}

  public record Incoming(String text) implements Command {}

  /** A frame the socket layer refused before parsing: binary, or larger than the limit. */
  public record IncomingRejected(ApiError error, String message) implements Command {}

  public enum ClientGone implements Command {
    INSTANCE
  }

  private record FromUser(User.ToSession message) implements Command {}

  private record Broadcast(LiveBroadcasts.Live live) implements Command {}

  private record Verified(Principal principal, String ref) implements Command {}

  private record VerifyFailed(ApiException failure, String ref) implements Command {}

  private record Answer(ServerFrame frame) implements Command {}

  private record SubscribeFailed(ServerFrame error) implements Command {}

  /** A typing frame failed; {@code forgotten}: the user may not type there at all, so the session need not stop it when it closes. */
  private record TypingRefused(String conversationId, boolean forgotten, ServerFrame error) implements Command {}

  /** {@code request} numbers the subscribe among the session's presence requests, to tell what came after it. */
  private record Subscribed(String ref, long request, List<String> userIds, java.util.Set<String> visible)
      implements Command {}

  /** A page of history, or the answer to a join (its frame, and the messages in it as the entity gave them). */
  private record Caught(
      String conversationId, Conversations.HistoryPage page, Frames.Joined joined, List<MessageView> joinedMessages)
      implements Command {}

  /** {@code join} is the frame whose answer failed, null when a gap was being filled; {@code attempt} counts from 1. */
  private record CatchUpFailed(String conversationId, String ref, Throwable failure, Frames.Join join, int attempt)
      implements Command {}

  /** Runs a join again whose conversation was out of reach a moment ago. */
  private record RetryJoin(String ref, Frames.Join join, int attempt) implements Command {}

  /** Told by {@link LocalSessions} to every session of the node. */
  public enum NodeNotice implements Command {
    /** The node is going away: close with 1012 so that the client reconnects to another node. */
    RESTARTING,
    /** Shards moved after a crash: register again with the user entity, wherever it lives now. */
    REREGISTER
  }

  private enum Quiet implements Command {
    INSTANCE
  }

  /** Asks history again for a gap that could not be filled a moment ago; also the key of its timer. */
  private record RefillGap(String conversationId) implements Command {}

  private enum Timer implements Command {
    RESUME_WINDOW,
    AUTH_DEADLINE,
    TOKEN_EXPIRY,
    REGISTRATION,
    IDLE_CHECK
  }

  /** Everything a session needs from its node; {@code connects} is each user's budget of new sessions on it. */
  public record Context(
      TokenVerifier verifier,
      Conversations conversations,
      ClusterSharding sharding,
      Presences presences,
      Notifications notifications,
      GatewaySettings settings,
      UserBudgets connects) {}

  /** Where frames go: the socket's outgoing queue, and the close code to use when it is completed. */
  public interface Outgoing {
    void send(String text);

    void close(Close close);

    /**
     * The session has taken one client frame ({@link Incoming} or {@link IncomingRejected}) from its mailbox: the
     * socket hands it only a few at a time, so that a session that falls behind leaves the rest in the socket.
     */
    void taken();
  }

  public static Behavior<Command> create(Context deps, Outgoing out, Optional<String> initialToken) {
    return Behaviors.setup(
        context -> Behaviors.withTimers(timers -> new Session(context, timers, deps, out).start(initialToken)));
  }

  private static final Close INTERNAL_ERROR = new Close(1011, "internal_error");

  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Context deps;
  private final Outgoing out;
  private final String sessionId = UUID.randomUUID().toString();
  private final ActorRef<User.ToSession> inbox;
  private final ActorRef<LiveBroadcasts.Live> broadcasts;
  private final TokenBucket rateLimit;
  private final TokenBucket typingLimit;
  /** Conversations where this session said it was typing; they hear it stopped when the session ends. */
  private final java.util.Set<String> typingIn = new java.util.HashSet<>();
  /** When the session was signed in: the user entity closes the oldest sessions first when there are too many. */
  private long connectedAtMillis;
  /** Presence requests so far, subscribes and unsubscribes, in the order the client sent them. */
  private long presenceRequests;
  /** Subscribes waiting for the read side to say whom the user may follow. */
  private int subscribesPending;
  /** The latest unsubscribe of each user while subscribes were pending; cleared once none is. */
  private final Map<String, Long> unsubscribedAt = new HashMap<>();
  /** Users whose presence this session follows, and what it last told the client of each. */
  private final Map<String, User.Presence> watching = new HashMap<>();
  private final OrderedDelivery delivery = new OrderedDelivery(this);
  private Principal principal;
  /** Token verifications under way; until the first succeeds, client frames wait in {@link #early}. */
  private int verifying;
  /**
   * Client frames that came before the session knew its user, in order; made on the first. A client may send join
   * as soon as the socket opens, and its token (header, query or auth frame) is verified on another thread.
   */
  private java.util.ArrayDeque<Command> early;
  private long lastHeardNanos = System.nanoTime();
  private boolean closing;
  private final GatewayStats stats;
  private final Metrics metrics;

  private Session(ActorContext<Command> context, TimerScheduler<Command> timers, Context deps, Outgoing out) {
    this.context = context;
    this.timers = timers;
    this.deps = deps;
    this.out = out;
    this.inbox = context.messageAdapter(User.ToSession.class, FromUser::new);
    this.broadcasts = context.messageAdapter(LiveBroadcasts.Live.class, Broadcast::new);
    this.stats = GatewayStats.get(context.getSystem());
    this.metrics = Metrics.get(context.getSystem());
    this.rateLimit = new TokenBucket(deps.settings().framesPerSecond(), deps.settings().frameBurst());
    this.typingLimit = new TokenBucket(deps.settings().typingPerSecond(), deps.settings().typingBurst());
  }

  private Behavior<Command> start(Optional<String> initialToken) {
    stats.connections.incrementAndGet();
    if (!LocalSessions.get(context.getSystem()).add(context.getSelf())) context.getSelf().tell(NodeNotice.RESTARTING);
    timers.startSingleTimer(Timer.AUTH_DEADLINE, deps.settings().authTimeout());
    timers.startTimerWithFixedDelay(Timer.IDLE_CHECK, deps.settings().heartbeat());
    initialToken.ifPresent(token -> verify(token, null));
    // One dispatch method rather than a BehaviorBuilder: the builder's cases and lambdas are made anew for every
    // session, about a kilobyte for each open socket.
    return Behaviors.receive((context, command) -> onMessage(command), (context, signal) -> onSignal(signal));
  }

  /** What the mailbox hands over; frames that waited for the token are replayed through {@link #onCommand}. */
  private Behavior<Command> onMessage(Command command) {
    if (command instanceof Incoming || command instanceof IncomingRejected) out.taken();
    return onCommand(command);
  }

  private Behavior<Command> onCommand(Command command) {
    if ((command instanceof Incoming || command instanceof IncomingRejected) && waitForToken(command)) {
      return Behaviors.same();
    }
    if (command instanceof Incoming incoming) return onIncoming(incoming);
    if (command instanceof IncomingRejected r) return reply(new Frames.Error(null, r.error().code(), r.message()));
    if (command instanceof Verified verified) {
      verifying--;
      return afterVerification(onVerified(verified));
    }
    if (command instanceof VerifyFailed failed) {
      verifying--;
      return afterVerification(onVerifyFailed(failed));
    }
    if (command instanceof Answer a) return reply(a.frame());
    if (command instanceof FromUser fromUser) return onFromUser(fromUser);
    if (command instanceof Broadcast b) {
      return reply(
          new Frames.Notification(NotificationWire.NotificationBody.of(b.live().notification()), null, true, null));
    }
    if (command instanceof SubscribeFailed failed) {
      subscribeAnswered();
      return reply(failed.error());
    }
    if (command instanceof TypingRefused refused) {
      // A refusal for want of time or room (timeout, unavailable) may follow an indicator that was set: it is still
      // stopped when the session closes.
      if (refused.forgotten()) typingIn.remove(refused.conversationId());
      return reply(refused.error());
    }
    if (command instanceof Caught caught) return onCaught(caught);
    if (command instanceof Subscribed subscribed) return onSubscribed(subscribed);
    if (command instanceof CatchUpFailed failed) return onCatchUpFailed(failed);
    if (command instanceof RetryJoin r) {
      if (!closing) join(r.ref(), r.join(), r.attempt());
      return Behaviors.same();
    }
    if (command instanceof RefillGap r) {
      delivery.refill(r.conversationId());
      return Behaviors.same();
    }
    if (command instanceof Timer timer) {
      return switch (timer) {
        case AUTH_DEADLINE -> onAuthDeadline();
        case RESUME_WINDOW -> {
          delivery.settled();
          yield Behaviors.same();
        }
        case TOKEN_EXPIRY -> onTokenExpiry();
        case REGISTRATION -> register();
        case IDLE_CHECK -> onIdleCheck();
      };
    }
    if (command instanceof NodeNotice notice) {
      return switch (notice) {
        case REREGISTER -> register();
        case RESTARTING ->
            closeWith(1012, "service_restart", ApiError.UNAVAILABLE, "this node is restarting; reconnect and join with since");
      };
    }
    if (command == ClientGone.INSTANCE) return onClientGone();
    return Behaviors.same(); // Quiet
  }

  private Behavior<Command> onSignal(Signal signal) {
    if (!(signal instanceof PostStop)) return Behaviors.unhandled();
    // Stopped by a failure nothing foresaw, the session would leave its socket open and unread: close it. After any
    // other stop the socket is closed or closing already, and this changes nothing.
    out.close(INTERNAL_ERROR);
    stats.connections.decrementAndGet();
    LocalSessions.get(context.getSystem()).remove(context.getSelf());
    return Behaviors.same();
  }

  // ---------------------------------------------------------------- authentication

  /**
   * Holds a client frame that came while the session's first token is being verified, so that it is answered as
   * from the user the token names rather than refused as unauthenticated. Past the frame burst they are not held.
   */
  private boolean waitForToken(Command frame) {
    if (principal != null || verifying == 0) return false;
    if (early == null) early = new java.util.ArrayDeque<>(4);
    if (early.size() >= deps.settings().frameBurst()) return false;
    early.add(frame);
    return true;
  }

  /** Once the user is known, or no verification is left, the frames that waited are handled, in order. */
  private Behavior<Command> afterVerification(Behavior<Command> next) {
    if (early != null && (principal != null || verifying == 0)) {
      java.util.ArrayDeque<Command> waited = early;
      early = null;
      for (Command frame : waited) onCommand(frame);
    }
    return next;
  }

  private void verify(String token, String ref) {
    verifying++;
    context.pipeToSelf(
        deps.verifier().verifyUser(token),
        (verified, failure) -> {
          if (failure == null) return new Verified(verified, ref);
          Throwable cause = Futures.cause(failure);
          return new VerifyFailed(
              cause instanceof ApiException api ? api : new ApiException(ApiError.UNAUTHORIZED, "invalid token"), ref);
        });
  }

  private Behavior<Command> onVerified(Verified verified) {
    if (closing) return Behaviors.same();
    Principal fresh = verified.principal();
    // Verified in time, but its answer came too late (a key set was being fetched): it is expired all the same.
    if (!Instant.now().isBefore(fresh.validUntil())) {
      return onVerifyFailed(
          new VerifyFailed(new ApiException(ApiError.TOKEN_EXPIRED, "the token has expired"), verified.ref()));
    }
    if (principal != null && !principal.userId().equals(fresh.userId())) {
      return closeWith(4001, ApiError.FORBIDDEN, "a session cannot change its user");
    }
    boolean first = principal == null;
    if (first) {
      // A script reconnecting in a loop would start a session and evict one of the user's others each time.
      try {
        deps.connects().take(fresh.userId(), "too many new sessions for this user");
      } catch (ApiException refused) {
        return closeWith(1013, "try_again_later", refused.error(), refused.getMessage());
      }
      connectedAtMillis = System.currentTimeMillis();
    }
    // The token sent last is in force, even one that expires sooner than the one before: the session lasts as long
    // as the token the client holds now.
    principal = fresh;
    timers.cancel(Timer.AUTH_DEADLINE);
    armTokenExpiry();
    if (first) {
      timers.startSingleTimer(Timer.RESUME_WINDOW, deps.settings().resumeWindow());
      register();
      LiveBroadcasts.get(context.getSystem()).subscribe(broadcasts, principal.userId());
      timers.startTimerWithFixedDelay(Timer.REGISTRATION, deps.settings().registrationRefresh());
      send(new Frames.Connected(principal.userId(), sessionId, deps.settings().heartbeat().toMillis()));
    } else {
      send(new Frames.Ok(verified.ref(), "auth"));
    }
    return Behaviors.same();
  }

  private Behavior<Command> onVerifyFailed(VerifyFailed failed) {
    ApiException failure = failed.failure();
    // A failed refresh leaves the current token in force until it expires.
    if (principal != null) return reply(new Frames.Error(failed.ref(), failure.error().code(), failure.getMessage()));
    return closeWith(4001, failure.error(), failure.getMessage());
  }

  private Behavior<Command> onAuthDeadline() {
    return principal == null
        ? closeWith(4001, ApiError.TOKEN_MISSING, "send an auth frame first")
        : Behaviors.same();
  }

  private Behavior<Command> register() {
    if (principal != null && !closing) {
      userEntity().tell(new User.Connect(sessionId, inbox, connectedAtMillis));
      for (String id : watching.keySet()) userEntity(id).tell(new User.Watch(inbox));
    }
    return Behaviors.same();
  }

  private EntityRef<User.Command> userEntity() {
    return userEntity(principal.userId());
  }

  private EntityRef<User.Command> userEntity(String userId) {
    return deps.sharding().entityRefFor(User.ENTITY_KEY, userId);
  }

  // ---------------------------------------------------------------- client frames

  /** The fields every frame is read for before its type is known. */
  private static final java.util.Set<String> ENVELOPE = java.util.Set.of("type", "ref");

  private Behavior<Command> onIncoming(Incoming incoming) {
    lastHeardNanos = System.nanoTime();
    stats.framesIn.incrementAndGet();
    if (closing) return Behaviors.same();
    String text = incoming.text();
    Map<String, JsonNode> frame;
    try {
      // Only the type and the ref: the frame's record reads the rest (a send's metadata exactly), and skips what it
      // does not know, so that no value of a field the server does not read can refuse the frame.
      frame = Json.fieldsOf(text, ENVELOPE);
    } catch (JsonProcessingException e) {
      return reply(new Frames.Error(null, ApiError.BAD_REQUEST.code(), "frame is not valid JSON: " + Json.brief(e.getOriginalMessage())));
    } catch (RuntimeException e) {
      return reply(new Frames.Error(null, ApiError.BAD_REQUEST.code(), "frame is not valid JSON"));
    }
    if (frame == null) {
      return reply(new Frames.Error(null, ApiError.BAD_REQUEST.code(), "frame must be a JSON object"));
    }
    JsonNode refNode = frame.get("ref");
    if (refNode != null && !(refNode.isTextual() && refNode.textValue().length() <= 128)) {
      return reply(new Frames.Error(null, ApiError.BAD_REQUEST.code(), "ref must be a string of at most 128 characters"));
    }
    String ref = refNode == null ? null : refNode.textValue();
    JsonNode typeNode = frame.get("type");
    if (typeNode == null || !typeNode.isTextual()) {
      return reply(new Frames.Error(ref, ApiError.BAD_REQUEST.code(), "frame needs a string type"));
    }
    String type = typeNode.textValue();
    // Typing has a budget of its own, so that a fast typist is never refused a message.
    if (!(type.equals("typing") ? typingLimit : rateLimit).tryTake()) {
      return reply(new Frames.Error(ref, ApiError.RATE_LIMITED.code(), "too many frames; slow down"));
    }
    try {
      return dispatch(type, ref, text);
    } catch (RuntimeException e) {
      // A frame the code did not foresee is that frame's error, logged when it is a defect: the session and its
      // socket go on, as an HTTP request's failure leaves its connection open.
      return reply(errorFrame(ref, e));
    }
  }

  private Behavior<Command> dispatch(String type, String ref, String frame) {
    if (type.equals("auth")) {
      verify(field(frame, Frames.Auth.class).token(), ref);
      return Behaviors.same();
    }
    if (type.equals("ping")) return reply(new Frames.Pong(ref));
    if (principal == null) {
      throw new ApiException(ApiError.UNAUTHORIZED, "send an auth frame first");
    }
    String userId = principal.userId();
    Conversations conversations = deps.conversations();
    switch (type) {
      case "send" -> {
        Frames.Send send = field(frame, Frames.Send.class);
        String metadata = Json.objectText(send.metadata(), "metadata");
        answer(
            ref,
            conversations.post(principal, send.conversationId(), send.clientMsgId(), send.content(), metadata),
            posted ->
                new Frames.Sent(
                    ref,
                    posted.message().conversationId(),
                    posted.message().messageId(),
                    posted.message().seq(),
                    posted.message().clientMsgId(),
                    posted.message().at()));
      }
      case "edit" -> {
        Frames.Edit edit = field(frame, Frames.Edit.class);
        answer(
            ref,
            conversations.edit(userId, edit.conversationId(), edit.messageId(), edit.content()),
            m -> new Frames.MessageUpdated(ref, m.conversationId(), m.messageId(), m.seq(), m.content(), m.editedAt()));
      }
      case "delete" -> {
        Frames.Delete delete = field(frame, Frames.Delete.class);
        answer(
            ref,
            conversations.delete(userId, delete.conversationId(), delete.messageId()),
            m -> new Frames.MessageDeleted(ref, m.conversationId(), m.messageId(), m.seq(), m.deletedAt()));
      }
      case "delivered", "read" -> {
        Frames.Watermark mark = field(frame, Frames.Watermark.class);
        if (mark.seq() == null) throw new ApiException(ApiError.BAD_REQUEST, "field 'seq' is required");
        var moved =
            type.equals("read")
                ? conversations.markRead(userId, mark.conversationId(), mark.seq())
                : conversations.markDelivered(userId, mark.conversationId(), mark.seq());
        answer(ref, moved, w -> new Frames.Ok(ref, type));
      }
      case "join" -> join(ref, field(frame, Frames.Join.class), 1);
      case "leave" -> {
        // Only typing ends: messages go to every device, joined or not, so the device keeps its place (and whatever
        // is being fetched or held for it) in the conversation. The conversation is asked even when this session
        // was not typing there, so that a conversation the user is not in is not_found, as for every other frame,
        // whether it exists or not.
        String conversationId = field(frame, Frames.Leave.class).conversationId();
        typingIn.remove(conversationId);
        answer(
            ref,
            conversations.setTyping(userId, sessionId, conversationId, false),
            stopped -> new Frames.Ok(ref, type));
      }
      case "typing" -> {
        Frames.SetTyping typing = field(frame, Frames.SetTyping.class);
        if (typing.isTyping() == null) throw new ApiException(ApiError.BAD_REQUEST, "field 'isTyping' is required");
        if (typing.isTyping()) typingIn.add(typing.conversationId());
        else typingIn.remove(typing.conversationId());
        CompletionStage<Conversation.Typing> set =
            conversations.setTyping(userId, sessionId, typing.conversationId(), typing.isTyping());
        // Only failures are answered: typing is too frequent to acknowledge.
        context.pipeToSelf(
            set,
            (ok, failure) ->
                failure == null
                    ? Quiet.INSTANCE
                    : new TypingRefused(typing.conversationId(), notAllowed(failure), errorFrame(ref, failure)));
      }
      case "presence.subscribe" -> subscribe(ref, field(frame, Frames.PresenceIds.class));
      case "presence.unsubscribe" -> {
        unsubscribe(deps.presences().validIds(field(frame, Frames.PresenceIds.class).userIds()));
        send(new Frames.Ok(ref, type));
      }
      case "presence.set" -> {
        String status = String.valueOf(field(frame, Frames.PresenceSet.class).status());
        if (!java.util.Set.of("online", "away", "busy", "invisible").contains(status)) {
          throw new ApiException(ApiError.BAD_REQUEST, "status must be online, away, busy or invisible");
        }
        userEntity().tell(new User.SetStatus(User.Status.valueOf(status.toUpperCase(java.util.Locale.ROOT))));
        send(new Frames.Ok(ref, type));
      }
      case "notification.ack" -> {
        Frames.NotificationAck ack = field(frame, Frames.NotificationAck.class);
        boolean all = Boolean.TRUE.equals(ack.all());
        if (all == (ack.notificationId() != null)) {
          throw new ApiException(ApiError.BAD_REQUEST, "give either 'notificationId' or 'all': true");
        }
        Notifications notifications = deps.notifications();
        answer(
            ref,
            all ? notifications.markAllRead(userId) : notifications.markRead(userId, ack.notificationId()),
            count -> new Frames.UnreadCount(ref, count.unreadCount()));
      }
      case "device.register" -> {
        Frames.DeviceRegister device = field(frame, Frames.DeviceRegister.class);
        answer(ref, deps.notifications().registerDevice(userId, device.token(), device.platform()), done -> new Frames.Ok(ref, type));
      }
      case "device.unregister" -> {
        Frames.DeviceUnregister device = field(frame, Frames.DeviceUnregister.class);
        answer(ref, deps.notifications().unregisterDevice(userId, device.token()), done -> new Frames.Ok(ref, type));
      }
      default -> throw new ApiException(ApiError.BAD_REQUEST, "unknown frame type '" + Texts.shortened(type, 40) + "'");
    }
    return Behaviors.same();
  }

  /**
   * Follows the presence of those who share a conversation with this user; the others are answered once, as
   * offline, and never followed, so a stranger's presence cannot be probed.
   */
  private void subscribe(String ref, Frames.PresenceIds frame) {
    List<String> ids = deps.presences().validIds(frame.userIds());
    long request = ++presenceRequests;
    subscribesPending++;
    context.pipeToSelf(
        deps.presences().visibleTo(principal.userId(), ids),
        (visible, failure) ->
            failure == null
                ? new Subscribed(ref, request, ids, visible)
                : new SubscribeFailed(errorFrame(ref, failure)));
  }

  private void unsubscribe(List<String> ids) {
    long request = ++presenceRequests;
    for (String id : ids) {
      if (watching.remove(id) != null) userEntity(id).tell(new User.Unwatch(inbox));
      // A subscribe still waiting for the read side must not follow this user once it is answered.
      if (subscribesPending > 0) unsubscribedAt.put(id, request);
    }
  }

  /**
   * Every user is watched again, even one already followed: the user entity answers a watch with the presence of the
   * moment, so that every subscribe gets one presence frame per user, whatever came before.
   */
  private Behavior<Command> onSubscribed(Subscribed subscribed) {
    long added =
        subscribed.userIds().stream().filter(id -> subscribed.visible().contains(id) && !watching.containsKey(id)).count();
    if (watching.size() + added > deps.settings().maxWatchedUsers()) {
      subscribeAnswered();
      return reply(
          new Frames.Error(
              subscribed.ref(),
              ApiError.BAD_REQUEST.code(),
              "a session follows the presence of at most " + deps.settings().maxWatchedUsers()
                  + " users; unsubscribe from some first"));
    }
    for (String id : subscribed.userIds()) {
      if (unsubscribedAt.getOrDefault(id, 0L) > subscribed.request()) continue;
      if (subscribed.visible().contains(id)) {
        watching.put(id, null);
        userEntity(id).tell(new User.Watch(inbox));
      } else {
        send(Frames.Presence.of(Presences.hidden(id)));
      }
    }
    subscribeAnswered();
    return reply(new Frames.Ok(subscribed.ref(), "presence.subscribe"));
  }

  private void subscribeAnswered() {
    if (--subscribesPending == 0) unsubscribedAt.clear();
  }

  private <T> void answer(String ref, CompletionStage<T> result, java.util.function.Function<T, ServerFrame> frame) {
    context.pipeToSelf(
        result,
        (value, failure) -> failure == null ? new Answer(frame.apply(value)) : new Answer(errorFrame(ref, failure)));
  }

  // ---------------------------------------------------------------- delivery, in seq order

  private void join(String ref, Frames.Join join, int attempt) {
    if (join.since() != null && join.since() < 0) throw new ApiException(ApiError.BAD_REQUEST, "since must be >= 0");
    String id = join.conversationId();
    // A retry is the same join: it was counted once, and is answered (or fails) once.
    if (attempt == 1) delivery.joining(id);
    String userId = principal.userId();
    Conversations conversations = deps.conversations();
    CompletionStage<Caught> joined =
        conversations
            .get(userId, id)
            .thenCompose(
                view -> {
                  long since = join.since() == null ? view.lastSeq() : join.since();
                  return conversations
                      .since(userId, id, since, deps.settings().pageSize())
                      .thenApply(
                          page ->
                              new Caught(
                                  id,
                                  null,
                                  new Frames.Joined(
                                      ref,
                                      id,
                                      page.lastSeq(),
                                      view.participants().stream().map(Frames.Participant::of).toList(),
                                      view.typing(),
                                      deps.settings().typingTtl().toMillis(),
                                      page.messages().stream().map(Frames.Message::of).toList(),
                                      page.hasMore()),
                                  page.messages()));
                });
    context.pipeToSelf(
        joined, (caught, failure) -> failure == null ? caught : new CatchUpFailed(id, ref, failure, join, attempt));
  }

  private Behavior<Command> onCaught(Caught caught) {
    if (caught.joined() != null) {
      Frames.Joined joined = caught.joined();
      send(joined);
      delivery.joined(caught.conversationId(), caught.joinedMessages(), joined.lastSeq(), joined.hasMore());
    } else {
      delivery.page(caught.conversationId(), caught.page().messages(), caught.page().hasMore());
    }
    return Behaviors.same();
  }

  @Override
  public void emit(MessageView message) {
    send(Frames.Message.of(message));
  }

  @Override
  public void fetchAfter(String conversationId, long afterSeq) {
    context.pipeToSelf(
        deps.conversations().since(principal.userId(), conversationId, afterSeq, deps.settings().pageSize()),
        (page, failure) ->
            failure == null
                ? new Caught(conversationId, page, null, List.of())
                : new CatchUpFailed(conversationId, null, failure, null, 1));
  }

  private Behavior<Command> onCatchUpFailed(CatchUpFailed failed) {
    // The conversation is out of reach (its node died, its shard is moving): the device keeps its place and its held
    // notices, and the session asks again, so that it never stands at some later message with a gap behind it.
    String id = failed.conversationId();
    // A gap fill is retried whatever went wrong (a read side out of connections...), unless the user may no longer
    // read the conversation: given up, the gap would never be filled.
    if (failed.join() == null && delivery.isFilling(id) && !refused(failed.failure())) {
      timers.startSingleTimer(new RefillGap(id), deps.settings().refillRetry());
      return Behaviors.same();
    }
    if (passing(failed.failure()) && delivery.isFilling(id)) {
      if (failed.join() != null && failed.attempt() < MAX_JOIN_ATTEMPTS) {
        // A key of its own: two joins of one conversation can both be waiting, and a timer started under the key of
        // another replaces it, so that join would never be answered and the conversation would be held for good.
        timers.startSingleTimer(
            new Object(), new RetryJoin(failed.ref(), failed.join(), failed.attempt() + 1), deps.settings().refillRetry());
        return Behaviors.same();
      }
    }
    delivery.failed(failed.conversationId());
    return reply(errorFrame(failed.ref(), failed.failure()));
  }

  /** A join retried this often (each try waits up to ask-timeout: about as long as a crashed node's shards take to move) is answered with its error. */
  private static final int MAX_JOIN_ATTEMPTS = 12;

  /**
   * Closes the session when the verifier would no longer accept its token (the token's exp plus the leeway), so that a
   * token is good for as long on a socket as over REST. Akka's scheduler refuses delays past about 248 days (and the
   * session would stop on that refusal), so a token valid longer is checked again every {@link #LONGEST_TIMER}.
   */
  private Behavior<Command> armTokenExpiry() {
    Duration untilExpiry = Duration.between(Instant.now(), principal.validUntil());
    Duration delay = untilExpiry.isNegative() ? Duration.ZERO : untilExpiry;
    timers.startSingleTimer(Timer.TOKEN_EXPIRY, delay.compareTo(LONGEST_TIMER) > 0 ? LONGEST_TIMER : delay);
    return Behaviors.same();
  }

  private static final Duration LONGEST_TIMER = Duration.ofDays(1);

  private Behavior<Command> onTokenExpiry() {
    Instant now = Instant.now();
    if (now.isBefore(principal.validUntil())) return armTokenExpiry();
    // A fresh token sent just before expiry may still be verifying (its key set being fetched): it decides, for as
    // long as a verification can take, so that a client that refreshed in time is not closed.
    if (verifying > 0 && now.isBefore(principal.validUntil().plus(REFRESH_VERIFICATION_GRACE))) {
      timers.startSingleTimer(Timer.TOKEN_EXPIRY, Duration.ofMillis(250));
      return Behaviors.same();
    }
    return closeWith(4001, ApiError.TOKEN_EXPIRED, "the access token expired");
  }

  /** Longer than a token's verification takes, a key set's fetch included. */
  private static final Duration REFRESH_VERIFICATION_GRACE = Duration.ofSeconds(10);

  private static boolean refused(Throwable failure) {
    return Futures.cause(failure) instanceof ApiException api
        && (api.error() == ApiError.NOT_FOUND || api.error() == ApiError.FORBIDDEN || api.error() == ApiError.BAD_REQUEST);
  }

  private static boolean passing(Throwable failure) {
    return Futures.cause(failure) instanceof ApiException api
        && (api.error() == ApiError.TIMEOUT || api.error() == ApiError.UNAVAILABLE);
  }

  private Behavior<Command> onFromUser(FromUser fromUser) {
    if (closing) return Behaviors.same();
    if (fromUser.message() instanceof User.Evicted evicted) {
      return closeWith(1008, "session_limit", ApiError.FORBIDDEN, evicted.reason());
    }
    if (fromUser.message() instanceof User.Moving) return register();
    // An entity that did not know this session (it moved, or its node crashed) may have dropped notices meanwhile.
    if (fromUser.message() instanceof User.Welcome) {
      delivery.resync();
      return Behaviors.same();
    }
    if (fromUser.message() instanceof User.Presence presence) {
      // Watches are renewed on every heartbeat and answered each time: tell the client about changes only.
      if (watching.containsKey(presence.userId()) && !presence.equals(watching.get(presence.userId()))) {
        watching.put(presence.userId(), presence);
        send(Frames.Presence.of(presence));
      }
      return Behaviors.same();
    }
    if (fromUser.message() instanceof User.NotificationNotice notice) {
      return reply(
          new Frames.Notification(
              NotificationWire.NotificationBody.of(notice.notification()), notice.unreadCount(), null, notice.replacedId()));
    }
    if (fromUser.message() instanceof User.UnreadCount count) {
      return reply(new Frames.UnreadCount(null, count.unreadCount()));
    }
    delivery.notice(((User.Delivered) fromUser.message()).notice());
    return Behaviors.same();
  }

  @Override
  public void emit(Conversation.Notice notice) {
    if (notice instanceof Conversation.MessageNotice m) {
      send(Frames.Message.of(m.message()));
      metrics.delivered(Duration.between(m.message().at(), Instant.now()));
    } else if (notice instanceof Conversation.MessageChangedNotice c) {
      var m = c.message();
      send(
          m.deleted()
              ? new Frames.MessageDeleted(null, m.conversationId(), m.messageId(), m.seq(), m.deletedAt())
              : new Frames.MessageUpdated(null, m.conversationId(), m.messageId(), m.seq(), m.content(), m.editedAt()));
    } else if (notice instanceof Conversation.TypingNotice t) {
      send(new Frames.Typing(t.conversationId(), t.userId(), t.isTyping(), t.ttlMs()));
    } else if (notice instanceof Conversation.ReceiptNotice r) {
      send(new Frames.Receipt(r.conversationId(), r.userId(), r.kind().name().toLowerCase(java.util.Locale.ROOT), r.seq()));
    }
  }

  // ---------------------------------------------------------------- lifecycle

  private Behavior<Command> onIdleCheck() {
    if (System.nanoTime() - lastHeardNanos > deps.settings().idleTimeout().toNanos()) {
      out.close(new Close(1001, "idle_timeout"));
      closing = true;
    }
    return Behaviors.same();
  }

  private Behavior<Command> onClientGone() {
    if (principal != null) {
      userEntity().tell(new User.Disconnect(sessionId));
      for (String id : watching.keySet()) userEntity(id).tell(new User.Unwatch(inbox));
      for (String conversationId : java.util.List.copyOf(typingIn)) stopTyping(conversationId);
    }
    return Behaviors.stopped();
  }

  private static boolean notAllowed(Throwable failure) {
    return Futures.cause(failure) instanceof ApiException refused
        && (refused.error() == ApiError.NOT_FOUND || refused.error() == ApiError.FORBIDDEN);
  }

  private void stopTyping(String conversationId) {
    if (typingIn.remove(conversationId)) {
      deps.conversations().setTyping(principal.userId(), sessionId, conversationId, false);
    }
  }

  private Behavior<Command> closeWith(int code, ApiError error, String message) {
    return closeWith(code, error.code(), error, message);
  }

  /** An error frame saying why, then the close frame with {@code code} and {@code reason}. */
  private Behavior<Command> closeWith(int code, String reason, ApiError error, String message) {
    if (!closing) {
      send(new Frames.Error(null, error.code(), message));
      out.close(new Close(code, reason));
      closing = true;
    }
    return Behaviors.same();
  }

  private Behavior<Command> reply(ServerFrame frame) {
    send(frame);
    return Behaviors.same();
  }

  private void send(ServerFrame frame) {
    if (closing) return;
    out.send(Json.write(frame));
    stats.framesOut.incrementAndGet();
  }

  private static Frames.Error errorFrame(String ref, Throwable failure) {
    Throwable cause = Futures.cause(failure);
    if (cause instanceof ApiException api) return new Frames.Error(ref, api.error().code(), api.getMessage());
    log.error("Unexpected failure in a WebSocket session", cause);
    return new Frames.Error(ref, ApiError.INTERNAL.code(), "internal error");
  }

  private static <T> T field(String frame, Class<T> type) {
    return Json.parse(frame, type);
  }
}
