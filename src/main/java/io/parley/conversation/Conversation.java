package io.parley.conversation;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.TimerScheduler;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.SnapshotAdapter;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.CommandHandlerWithReplyBuilder;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.ReplyEffect;
import akka.persistence.typed.javadsl.RetentionCriteria;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.parley.CborSerializable;
import io.parley.api.ApiError;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * One conversation, event-sourced: its participants and their watermarks, the gapless message sequence, and the
 * newest messages held in memory so that resume and the first history page need no database read.
 */
public final class Conversation
    extends EventSourcedBehaviorWithEnforcedReplies<Conversation.Command, Conversation.Event, ConversationState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Conversation");

  public enum Kind {
    DIRECT,
    GROUP
  }

  // ---------------------------------------------------------------- commands

  /** Every command acts on behalf of one user, who must be a participant unless the command creates. */
  public sealed interface Command extends CborSerializable {
    String userId();

    ActorRef<Reply> replyTo();
  }

  public record Create(Kind kind, String title, String userId, List<String> participantIds, ActorRef<Reply> replyTo)
      implements Command {}

  public record Get(String userId, ActorRef<Reply> replyTo) implements Command {}

  public record AddParticipants(String userId, List<String> userIds, ActorRef<Reply> replyTo) implements Command {}

  public record RemoveParticipant(String userId, String removedUserId, ActorRef<Reply> replyTo) implements Command {}

  /**
   * {@code senderName} is the name the sender set in their Supabase profile (null: none), for the notifications of
   * others. {@code reservedRecipients}: how many recipients the sender's fan-out budget has paid for; a conversation
   * with more answers {@link Underreserved} and stores nothing. 0 checks nothing (a node of an earlier version sends
   * none).
   */
  public record PostMessage(
      String userId,
      String clientMsgId,
      String content,
      String metadata,
      String senderName,
      int reservedRecipients,
      ActorRef<Reply> replyTo)
      implements Command {
    public PostMessage(
        String userId, String clientMsgId, String content, String metadata, String senderName, ActorRef<Reply> replyTo) {
      this(userId, clientMsgId, content, metadata, senderName, 0, replyTo);
    }
  }

  /** {@code located} comes from the read side for a message older than the in-memory window, else it is null. */
  public record EditMessage(
      String userId, String messageId, String content, MessageLocation located, ActorRef<Reply> replyTo)
      implements Command {}

  public record DeleteMessage(String userId, String messageId, MessageLocation located, ActorRef<Reply> replyTo)
      implements Command {}

  public record MarkDelivered(String userId, long seq, ActorRef<Reply> replyTo) implements Command {}

  public record MarkRead(String userId, long seq, ActorRef<Reply> replyTo) implements Command {}

  /** Messages with {@code afterSeq < seq < beforeSeq} from the window: the newest {@code limit} or the oldest. */
  public record GetMessages(
      String userId, long afterSeq, long beforeSeq, int limit, boolean newestFirst, ActorRef<Reply> replyTo)
      implements Command {}

  /** A session's typing indicator; kept in memory only, it expires on its own after {@code typing-timeout}. */
  public record SetTyping(String userId, String sessionId, boolean isTyping, ActorRef<Reply> replyTo)
      implements Command {}

  /**
   * Asked by the projection that puts messages into the inboxes of recipients who were offline
   * ({@code io.parley.notification.MessageInboxes}), not on behalf of a user: the participants as they are now, with
   * their watermarks, and the messages {@code fromSeq..toSeq} as they are now (edited, deleted), those still in the
   * window, which of {@code messageIds} (the projection's messages of that range) it knows were deleted, and when
   * those outside the window were last edited.
   */
  public record GetRecipients(long fromSeq, long toSeq, List<String> messageIds, ActorRef<Reply> replyTo)
      implements Command {
    @Override
    public String userId() {
      return null;
    }
  }

  /** The typing timer of a user ran out. */
  private record TypingExpired(String userId) implements Command {
    @Override
    public ActorRef<Reply> replyTo() {
      return null;
    }
  }

  /** Where the read side says an old message is, and who wrote it. */
  public record MessageLocation(long seq, String senderId, boolean deleted) implements CborSerializable {}

  // ---------------------------------------------------------------- replies

  public sealed interface Reply extends CborSerializable {}

  public record Rejected(ApiError error, String message) implements Reply {}

  public record Summary(ConversationView conversation) implements Reply {}

  /**
   * {@code recipients}: the other participants the new message goes to (0 for a duplicate, and from a node of an
   * earlier version). {@code deletedBelowWindow}: the original of a duplicate is older than the window, and the
   * conversation knows it was deleted since (the read side may not show it yet); false from an earlier version.
   */
  public record Posted(MessageView message, boolean duplicate, int recipients, boolean deletedBelowWindow)
      implements Reply {}

  /** The message would go to more recipients than were paid for: nothing was stored; pay for these and send again. */
  public record Underreserved(int recipients) implements Reply {}

  public record MessageChanged(MessageView message) implements Reply {}

  /**
   * The message is not in the window: the caller locates it on the read side, which holds every message below
   * {@code oldestHeldSeq} once it has caught up, and sends the command again.
   */
  public record MessageNotHeld(String messageId, long oldestHeldSeq) implements Reply {}

  public record Watermarks(String userId, long deliveredUpTo, long readUpTo, long lastSeq) implements Reply {}

  /**
   * {@code oldestHeldSeq} is the first seq in the window; anything below it lives on the read side. When the caller
   * will read there, {@code deletedBelowWindow} names the messages deleted there lately, and {@code editedBelowWindow}
   * the messages edited there lately with the time of their last edit, which the read side may not show yet (both
   * null from nodes of earlier versions).
   */
  public record Messages(
      List<MessageView> messages,
      long lastSeq,
      long oldestHeldSeq,
      List<String> deletedBelowWindow,
      Map<String, Instant> editedBelowWindow)
      implements Reply {}

  /**
   * {@code held}: the messages asked for that are still in the window, oldest first, as a notification shows them:
   * their text cut to {@link #NOTICE_TEXT_LIMIT} code points, without metadata. {@code deleted}: the ids asked about
   * that the conversation knows were deleted, in its window or outside it. {@code lastEdited}: the ids asked about
   * that it remembers as edited outside its window, with the time of their last edit, so that the asker can tell
   * whether an edit it read is still the text. Both are null from nodes of earlier versions, and for askers of earlier
   * versions, who ask about none.
   */
  public record Recipients(
      List<ConversationView.Participant> participants,
      List<MessageView> held,
      List<String> deleted,
      Map<String, Instant> lastEdited)
      implements Reply {}

  // ---------------------------------------------------------------- events

  public sealed interface Event extends CborSerializable {
    String conversationId();

    Instant at();
  }

  public record ConversationCreated(
      String conversationId, Kind kind, String title, String createdBy, List<String> participants, Instant at)
      implements Event {}

  public record ParticipantsAdded(String conversationId, String addedBy, List<String> userIds, long readUpTo, Instant at)
      implements Event {}

  public record ParticipantRemoved(String conversationId, String removedBy, String userId, Instant at)
      implements Event {}

  public record MessagePosted(
      String conversationId,
      String messageId,
      long seq,
      String senderId,
      String clientMsgId,
      String content,
      String metadata,
      Instant at,
      String senderName)
      implements Event {
    /** The message as it was posted. */
    public MessageView view() {
      return new MessageView(conversationId, messageId, seq, senderId, clientMsgId, content, metadata, at, null, null);
    }
  }

  public record MessageEdited(String conversationId, String messageId, long seq, String content, Instant at)
      implements Event {}

  public record MessageDeleted(String conversationId, String messageId, long seq, String senderId, Instant at)
      implements Event {}

  public record DeliveredUpTo(String conversationId, String userId, long seq, Instant at) implements Event {}

  public record ReadUpTo(String conversationId, String userId, long seq, Instant at) implements Event {}

  // ---------------------------------------------------------------- notices

  /**
   * What every participant's connected devices hear about at once, after the change is persisted. It crosses nodes
   * inside the user entity's {@code Deliver}, as a field of an interface type: the concrete type goes with it.
   */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "notice")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = MessageNotice.class, name = "message"),
    @JsonSubTypes.Type(value = MessageChangedNotice.class, name = "changed"),
    @JsonSubTypes.Type(value = ReceiptNotice.class, name = "receipt"),
    @JsonSubTypes.Type(value = TypingNotice.class, name = "typing")
  })
  public sealed interface Notice extends CborSerializable {
    String conversationId();
  }

  /** {@code senderName}: the name the sender set in their Supabase profile, null when it has none. */
  public record MessageNotice(MessageView message, String senderName) implements Notice {
    @Override
    public String conversationId() {
      return message.conversationId();
    }
  }

  /** An edit, or a delete when {@code message.deleted()}. */
  public record MessageChangedNotice(MessageView message) implements Notice {
    @Override
    public String conversationId() {
      return message.conversationId();
    }
  }

  public enum ReceiptKind {
    DELIVERED,
    READ
  }

  public record ReceiptNotice(String conversationId, String userId, ReceiptKind kind, long seq) implements Notice {}

  /** Sent when a user starts typing, again while they go on, and when they stop; {@code ttlMs} bounds it anyway. */
  public record TypingNotice(String conversationId, String userId, boolean isTyping, long ttlMs) implements Notice {}

  public record Typing(List<String> userIds) implements Reply {}

  /** Delivers notices to the devices of the given users; sharded users in production, a probe in tests. */
  @FunctionalInterface
  public interface Fanout {
    void tell(java.util.Collection<String> userIds, Notice notice);

    Fanout NONE = (userIds, notice) -> {};
  }

  // ---------------------------------------------------------------- setup

  public static void init(ActorSystem<?> system, Fanout fanout) {
    ConversationSettings settings = ConversationSettings.fromConfig(system.settings().config());
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), settings, fanout)));
  }

  public static Behavior<Command> create(String conversationId, ConversationSettings settings, Fanout fanout) {
    return Behaviors.withTimers(timers -> new Conversation(conversationId, settings, fanout, timers));
  }

  /** The tag of every event of a conversation: one of {@code tag-slices} slices, each with its own projection. */
  public static String tagFor(String conversationId, int slices) {
    return sliceTag(Math.floorMod(conversationId.hashCode(), slices));
  }

  public static String sliceTag(int slice) {
    return "conversation-" + slice;
  }

  private final String conversationId;
  private final ConversationSettings settings;
  private final ConversationLimits limits;
  private final Set<String> tags;
  private final Fanout fanout;
  private final TypingIndicators typing;

  private Conversation(
      String conversationId, ConversationSettings settings, Fanout fanout, TimerScheduler<Command> timers) {
    super(PersistenceId.of(ENTITY_KEY.name(), conversationId));
    this.conversationId = conversationId;
    this.settings = settings;
    this.limits = new ConversationLimits(settings);
    this.fanout = fanout;
    this.typing = new TypingIndicators(conversationId, settings.typingTimeout(), timers, TypingExpired::new);
    this.tags = Set.of(tagFor(conversationId, settings.tagSlices()));
  }

  @Override
  public ConversationState emptyState() {
    return new ConversationState(conversationId);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return tags;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(settings.snapshotEvery(), 2);
  }

  /** The state is mutated in place for speed, so a snapshot gets its own copy before it is serialized elsewhere. */
  @Override
  public SnapshotAdapter<ConversationState> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(ConversationState state) {
        return state.copy();
      }

      @Override
      public ConversationState fromJournal(Object from) {
        return (ConversationState) from;
      }
    };
  }

  // ---------------------------------------------------------------- command handlers

  @Override
  public CommandHandlerWithReply<Command, Event, ConversationState> commandHandler() {
    CommandHandlerWithReplyBuilder<Command, Event, ConversationState> builder = newCommandHandlerWithReplyBuilder();
    builder
        .forState(state -> !state.isCreated())
        .onCommand(Create.class, this::create)
        .onAnyCommand(command -> reject(command, ApiError.NOT_FOUND, "conversation not found"));
    builder
        .forState(ConversationState::isCreated)
        .onCommand(Create.class, this::createAgain)
        .onCommand(Get.class, participantOnly((state, get) -> Effect().reply(get.replyTo(), summary(state))))
        .onCommand(SetTyping.class, participantOnly(this::setTyping))
        .onCommand(TypingExpired.class, (state, expired) -> stopTyping(state, expired.userId()))
        .onCommand(GetRecipients.class, this::recipients)
        .onCommand(PostMessage.class, participantOnly(this::post))
        .onCommand(GetMessages.class, participantOnly(this::messages))
        .onCommand(MarkDelivered.class, participantOnly(this::markDelivered))
        .onCommand(MarkRead.class, participantOnly(this::markRead))
        .onCommand(EditMessage.class, participantOnly(this::edit))
        .onCommand(DeleteMessage.class, participantOnly(this::delete))
        .onCommand(AddParticipants.class, participantOnly(this::addParticipants))
        .onCommand(RemoveParticipant.class, participantOnly(this::removeParticipant));
    return builder.build();
  }

  private Summary summary(ConversationState state) {
    return new Summary(state.view().withTyping(typing.userIds()));
  }

  /**
   * More than a notification's preview shows, and little enough that a window of messages at the longest, with
   * every participant, stays well under Artery's frame (256 KiB): a reply over it would be dropped on its way to the
   * projection on another node, which would ask again for ever.
   */
  public static final int NOTICE_TEXT_LIMIT = 160;

  private ReplyEffect<Event, ConversationState> recipients(ConversationState state, GetRecipients command) {
    int limit = (int) Math.max(0, Math.min(command.toSeq() - command.fromSeq() + 1, settings.recentWindow()));
    List<MessageView> held =
        state.messagesBetween(command.fromSeq() - 1, command.toSeq() + 1, limit, false).stream()
            .map(message -> message.forNotice(NOTICE_TEXT_LIMIT))
            .toList();
    List<String> deleted =
        command.messageIds() == null ? null : command.messageIds().stream().filter(state::knownDeleted).toList();
    Map<String, Instant> lastEdited =
        command.messageIds() == null ? null : state.lastEditedOutsideWindow(command.messageIds());
    return Effect().reply(command.replyTo(), new Recipients(state.view().participants(), held, deleted, lastEdited));
  }

  private ReplyEffect<Event, ConversationState> setTyping(ConversationState state, SetTyping command) {
    (command.isTyping()
            ? typing.start(command.userId(), command.sessionId())
            : typing.stop(command.userId(), command.sessionId()))
        .ifPresent(notice -> notifyOthers(state, command.userId(), notice));
    return Effect().reply(command.replyTo(), new Typing(typing.userIds()));
  }

  private ReplyEffect<Event, ConversationState> stopTyping(ConversationState state, String userId) {
    typing.clear(userId).ifPresent(notice -> notifyOthers(state, userId, notice));
    return Effect().noReply();
  }

  private void notifyOthers(ConversationState state, String userId, Notice notice) {
    Set<String> others = new HashSet<>(state.memberIds());
    others.remove(userId);
    fanout.tell(others, notice);
  }

  /** A stranger learns nothing, not even that the conversation exists. */
  private <C extends Command> BiFunction<ConversationState, C, ReplyEffect<Event, ConversationState>> participantOnly(
      BiFunction<ConversationState, C, ReplyEffect<Event, ConversationState>> handler) {
    return (state, command) ->
        state.isMember(command.userId())
            ? handler.apply(state, command)
            : reject(command, ApiError.NOT_FOUND, "conversation not found");
  }

  private ReplyEffect<Event, ConversationState> create(ConversationState state, Create command) {
    LinkedHashSet<String> participants = new LinkedHashSet<>();
    participants.add(command.userId());
    if (command.participantIds() != null) participants.addAll(command.participantIds());
    Optional<Rejected> badIds = limits.userIds(participants);
    if (badIds.isPresent()) return reject(command, badIds.get());
    String title = null;
    if (command.kind() == Kind.DIRECT) {
      if (participants.size() != 2) {
        return reject(command, ApiError.BAD_REQUEST, "a direct conversation has exactly two distinct participants");
      }
    } else {
      Optional<Rejected> badTitle = limits.groupTitle(command.title());
      if (badTitle.isPresent()) return reject(command, badTitle.get());
      title = command.title().strip();
      if (participants.size() < 2) {
        return reject(command, ApiError.BAD_REQUEST, "a group needs at least two participants");
      }
    }
    ConversationCreated created =
        new ConversationCreated(
            conversationId, command.kind(), title, command.userId(), List.copyOf(participants), now());
    return Effect().persist(created).thenReply(command.replyTo(), this::summary);
  }

  /** Creating a direct conversation twice is how clients find it again; the same pair always lands here. */
  private ReplyEffect<Event, ConversationState> createAgain(ConversationState state, Create command) {
    if (state.kind() == Kind.DIRECT && command.kind() == Kind.DIRECT && state.isMember(command.userId())) {
      return Effect().reply(command.replyTo(), summary(state));
    }
    return reject(command, ApiError.CONFLICT, "conversation already exists");
  }

  private ReplyEffect<Event, ConversationState> post(ConversationState state, PostMessage command) {
    String clientMsgId = command.clientMsgId();
    Optional<Rejected> badId = limits.clientMsgId(clientMsgId);
    if (badId.isPresent()) return reject(command, badId.get());
    if (clientMsgId != null) {
      MessageView original = state.findByClientMsgId(command.userId(), clientMsgId);
      if (original != null) {
        boolean deletedBelow = original.content() == null && state.deletedOutsideWindow(original.messageId());
        return Effect().reply(command.replyTo(), new Posted(original, true, 0, deletedBelow));
      }
    }
    Optional<Rejected> badMessage = limits.content(command.content()).or(() -> limits.metadata(command.metadata()));
    if (badMessage.isPresent()) return reject(command, badMessage.get());
    int recipients = state.memberCount() - 1;
    if (command.reservedRecipients() > 0 && recipients > command.reservedRecipients()) {
      return Effect().reply(command.replyTo(), new Underreserved(recipients));
    }
    MessagePosted posted =
        new MessagePosted(
            conversationId,
            UUID.randomUUID().toString(),
            state.lastSeq() + 1,
            command.userId(),
            clientMsgId,
            command.content(),
            command.metadata(),
            now(),
            command.senderName());
    return Effect()
        .persist(posted)
        .thenRun(
            s -> {
              // Sending ends typing, and the others hear so before the message itself.
              stopTyping(s, command.userId());
              notifyParticipants(s, new MessageNotice(s.messageAt(posted.seq()), posted.senderName()));
            })
        .thenReply(command.replyTo(), s -> new Posted(s.messageAt(posted.seq()), false, s.memberCount() - 1, false));
  }

  private ReplyEffect<Event, ConversationState> edit(ConversationState state, EditMessage command) {
    MessageLocation location = locate(state, command.messageId(), command.located());
    if (location == null) return Effect().reply(command.replyTo(), new MessageNotHeld(command.messageId(), state.oldestHeldSeq()));
    if (!location.senderId().equals(command.userId())) {
      return reject(command, ApiError.FORBIDDEN, "only the sender can edit a message");
    }
    if (location.deleted()) return reject(command, ApiError.CONFLICT, "message was deleted");
    Optional<Rejected> badContent = limits.content(command.content());
    if (badContent.isPresent()) return reject(command, badContent.get());
    MessageEdited edited =
        new MessageEdited(conversationId, command.messageId(), location.seq(), command.content(), now());
    return Effect()
        .persist(edited)
        .thenRun(s -> notifyParticipants(s, new MessageChangedNotice(s.changedView(edited, location.senderId()))))
        .thenReply(command.replyTo(), s -> new MessageChanged(s.changedView(edited, location.senderId())));
  }

  private ReplyEffect<Event, ConversationState> delete(ConversationState state, DeleteMessage command) {
    MessageLocation location = locate(state, command.messageId(), command.located());
    if (location == null) return Effect().reply(command.replyTo(), new MessageNotHeld(command.messageId(), state.oldestHeldSeq()));
    if (!location.senderId().equals(command.userId())) {
      return reject(command, ApiError.FORBIDDEN, "only the sender can delete a message");
    }
    MessageDeleted deleted =
        new MessageDeleted(conversationId, command.messageId(), location.seq(), location.senderId(), now());
    if (location.deleted()) {
      return Effect().reply(command.replyTo(), new MessageChanged(state.changedView(deleted, location.senderId())));
    }
    return Effect()
        .persist(deleted)
        .thenRun(s -> notifyParticipants(s, new MessageChangedNotice(s.changedView(deleted, location.senderId()))))
        .thenReply(command.replyTo(), s -> new MessageChanged(s.changedView(deleted, location.senderId())));
  }

  /**
   * The window is authoritative for the messages it holds; older ones are taken from the read side's answer, except
   * for a deletion the read side may not have applied yet.
   */
  private static MessageLocation locate(ConversationState state, String messageId, MessageLocation fromReadSide) {
    MessageView held = state.findByMessageId(messageId);
    if (held != null) return new MessageLocation(held.seq(), held.senderId(), held.deleted());
    if (fromReadSide != null && fromReadSide.seq() < state.oldestHeldSeq() && fromReadSide.seq() >= 1) {
      return state.deletedOutsideWindow(messageId)
          ? new MessageLocation(fromReadSide.seq(), fromReadSide.senderId(), true)
          : fromReadSide;
    }
    return null;
  }

  private ReplyEffect<Event, ConversationState> markDelivered(ConversationState state, MarkDelivered command) {
    String problem = seqProblem(state, command.seq());
    if (problem != null) return reject(command, ApiError.BAD_REQUEST, problem);
    if (command.seq() <= state.member(command.userId()).deliveredUpTo()) {
      return Effect().reply(command.replyTo(), state.watermarks(command.userId()));
    }
    return Effect()
        .persist(new DeliveredUpTo(conversationId, command.userId(), command.seq(), now()))
        .thenRun(s -> notifyParticipants(s, receipt(command.userId(), ReceiptKind.DELIVERED, command.seq())))
        .thenReply(command.replyTo(), s -> s.watermarks(command.userId()));
  }

  private ReplyEffect<Event, ConversationState> markRead(ConversationState state, MarkRead command) {
    String problem = seqProblem(state, command.seq());
    if (problem != null) return reject(command, ApiError.BAD_REQUEST, problem);
    if (command.seq() <= state.member(command.userId()).readUpTo()) {
      return Effect().reply(command.replyTo(), state.watermarks(command.userId()));
    }
    return Effect()
        .persist(new ReadUpTo(conversationId, command.userId(), command.seq(), now()))
        .thenRun(s -> notifyParticipants(s, receipt(command.userId(), ReceiptKind.READ, command.seq())))
        .thenReply(command.replyTo(), s -> s.watermarks(command.userId()));
  }

  private ReplyEffect<Event, ConversationState> addParticipants(ConversationState state, AddParticipants command) {
    if (state.kind() == Kind.DIRECT) {
      return reject(command, ApiError.BAD_REQUEST, "a direct conversation has exactly two participants");
    }
    Optional<Rejected> badIds = limits.userIds(command.userIds());
    if (badIds.isPresent()) return reject(command, badIds.get());
    List<String> newcomers = command.userIds().stream().distinct().filter(id -> !state.isMember(id)).toList();
    if (newcomers.isEmpty()) return Effect().reply(command.replyTo(), summary(state));
    Optional<Rejected> tooMany = limits.participantCount(state.memberCount() + newcomers.size());
    if (tooMany.isPresent()) return reject(command, tooMany.get());
    ParticipantsAdded added =
        new ParticipantsAdded(conversationId, command.userId(), newcomers, state.lastSeq(), now());
    return Effect().persist(added).thenReply(command.replyTo(), this::summary);
  }

  private ReplyEffect<Event, ConversationState> removeParticipant(ConversationState state, RemoveParticipant command) {
    if (state.kind() == Kind.DIRECT) {
      return reject(command, ApiError.BAD_REQUEST, "a direct conversation has exactly two participants");
    }
    if (!state.isMember(command.removedUserId())) return reject(command, ApiError.NOT_FOUND, "not a participant");
    boolean leaving = command.userId().equals(command.removedUserId());
    if (!leaving && !command.userId().equals(state.createdBy())) {
      return reject(command, ApiError.FORBIDDEN, "only the group's creator can remove other participants");
    }
    ParticipantRemoved removed =
        new ParticipantRemoved(conversationId, command.userId(), command.removedUserId(), now());
    return Effect()
        .persist(removed)
        // Those who stay must not see someone who left typing on until the indicator times out.
        .thenRun(s -> typing.clear(removed.userId()).ifPresent(notice -> notifyOthers(s, removed.userId(), notice)))
        .thenReply(command.replyTo(), this::summary);
  }

  private ReplyEffect<Event, ConversationState> messages(ConversationState state, GetMessages query) {
    List<MessageView> page =
        fitForAnotherNode(
            state.messagesBetween(query.afterSeq(), query.beforeSeq(), Math.max(0, query.limit()), query.newestFirst()),
            query.newestFirst());
    // At most 1,000 deletions and 500 edits: sent only when the caller goes on to the read side (which a page from
    // the newest end does only when the window did not fill it).
    boolean readSideNext =
        query.afterSeq() + 1 < state.oldestHeldSeq() && (!query.newestFirst() || page.size() < query.limit());
    List<String> deleted = readSideNext ? state.deletedOutsideWindow() : List.of();
    Map<String, Instant> edited = readSideNext ? state.editedOutsideWindow() : Map.of();
    return Effect()
        .reply(query.replyTo(), new Messages(page, state.lastSeq(), state.oldestHeldSeq(), deleted, edited));
  }

  /**
   * A page's worth of messages as long as they may be (4,000 characters and 2 KB of metadata each) is megabytes, and
   * a reply over Artery's frame (256 KiB) is dropped on its way to a caller on another node, which would then time
   * out on that conversation's history for good. So a page stops at {@link #REPLY_BYTES}, counting every character
   * as three bytes, and keeps at least one message; it is cut at the end away from where it starts (its newest
   * messages after a seq, its oldest before one), and the caller pages on from there, or reads the rest from the
   * read side.
   */
  static List<MessageView> fitForAnotherNode(List<MessageView> page, boolean newestFirst) {
    long bytes = 0;
    int kept = 0;
    while (kept < page.size()) {
      MessageView next = page.get(newestFirst ? page.size() - 1 - kept : kept);
      bytes += estimatedBytes(next);
      if (bytes > REPLY_BYTES && kept > 0) break;
      kept++;
    }
    return kept == page.size() ? page : newestFirst ? page.subList(page.size() - kept, page.size()) : page.subList(0, kept);
  }

  static final long REPLY_BYTES = 128 * 1024;

  private static long estimatedBytes(MessageView message) {
    return 256 + 3L * (length(message.content()) + length(message.metadata()) + length(message.clientMsgId()));
  }

  private static int length(String text) {
    return text == null ? 0 : text.length();
  }

  private static String seqProblem(ConversationState state, long seq) {
    if (seq < 0) return "seq must not be negative";
    if (seq > state.lastSeq()) return "seq " + seq + " is beyond the last message (" + state.lastSeq() + ")";
    return null;
  }

  private ReceiptNotice receipt(String userId, ReceiptKind kind, long seq) {
    return new ReceiptNotice(conversationId, userId, kind, seq);
  }

  private void notifyParticipants(ConversationState state, Notice notice) {
    fanout.tell(state.memberIds(), notice);
  }

  /** Event times in microseconds, the precision both databases keep, so live and stored views agree to the digit. */
  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }

  private ReplyEffect<Event, ConversationState> reject(Command command, ApiError error, String message) {
    return reject(command, new Rejected(error, message));
  }

  private ReplyEffect<Event, ConversationState> reject(Command command, Rejected rejected) {
    return Effect().reply(command.replyTo(), rejected);
  }

  // ---------------------------------------------------------------- event handler

  @Override
  public EventHandler<ConversationState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              state.apply(event, settings);
              return state;
            });
  }
}
