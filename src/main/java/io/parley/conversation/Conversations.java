package io.parley.conversation;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.EntityRef;
import akka.japi.function.Function;
import akka.pattern.Patterns;
import io.parley.Futures;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.auth.Principal;
import io.parley.auth.UserIds;
import io.parley.conversation.Conversation.Command;
import io.parley.conversation.Conversation.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * What REST and WebSocket callers can do with conversations. It hides where an answer comes from: the sharded entity
 * for everything current, the read side for lists and for history older than the entity's window.
 */
public final class Conversations {

  /** A page of history, oldest first; {@code hasMore} says whether older messages exist. */
  public record HistoryPage(List<MessageView> messages, long lastSeq, boolean hasMore) {}

  private static final int READ_SIDE_ATTEMPTS = 10;
  private static final Duration READ_SIDE_RETRY = Duration.ofMillis(300);

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final ConversationReadModel readModel;
  private final ConversationSettings settings;
  private final ConversationLimits limits;
  private final Duration askTimeout;
  private final io.parley.metrics.Metrics metrics;
  /** Asks to conversation entities this node lets wait at once; see {@link #askAny}. */
  private final AdmissionLimit admission;
  private final FanOutBudget fanOut;

  public Conversations(ActorSystem<?> system, ConversationReadModel readModel) {
    this.metrics = io.parley.metrics.Metrics.get(system);
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.readModel = readModel;
    this.settings = ConversationSettings.fromConfig(system.settings().config());
    this.limits = new ConversationLimits(settings);
    this.askTimeout = system.settings().config().getDuration("parley.http.ask-timeout");
    this.admission = AdmissionLimit.fromConfig(system.settings().config().getConfig("parley.conversation"));
    metrics.admissionLimit(admission::limit);
    this.fanOut = FanOutBudget.fromConfig(system.settings().config());
  }

  public ConversationSettings settings() {
    return settings;
  }

  public CompletionStage<ConversationView> createDirect(String userId, String otherUserId) {
    if (!UserIds.isValid(otherUserId)) return failed(ApiError.BAD_REQUEST, UserIds.invalid(otherUserId));
    String id = ConversationIds.direct(userId, otherUserId);
    return summary(
        userId,
        id,
        replyTo -> new Conversation.Create(Conversation.Kind.DIRECT, null, userId, List.of(otherUserId), replyTo));
  }

  public CompletionStage<ConversationView> createGroup(String userId, String title, List<String> participantIds) {
    LinkedHashSet<String> participants = new LinkedHashSet<>();
    participants.add(userId);
    if (participantIds != null) participants.addAll(participantIds);
    // Checked here as well as in the entity, like a message: see post.
    Optional<Conversation.Rejected> refusal = limits.groupTitle(title).or(() -> limits.userIds(participants));
    if (refusal.isPresent()) return refused(refusal.get());
    List<String> named = List.copyOf(participants);
    return summary(
        userId,
        ConversationIds.newGroup(),
        replyTo -> new Conversation.Create(Conversation.Kind.GROUP, title, userId, named, replyTo));
  }

  public CompletionStage<ConversationView> get(String userId, String conversationId) {
    return summary(userId, conversationId, replyTo -> new Conversation.Get(userId, replyTo));
  }

  public CompletionStage<ConversationView> addParticipants(String userId, String conversationId, List<String> ids) {
    // Checked here as well as in the entity, like a message: see post.
    Optional<Conversation.Rejected> refusal = limits.userIds(ids);
    if (refusal.isPresent()) return refused(refusal.get());
    // Each id once: a body can name one long id two thousand times, and the command need carry it only once.
    List<String> distinct = List.copyOf(new LinkedHashSet<>(ids));
    return summary(userId, conversationId, replyTo -> new Conversation.AddParticipants(userId, distinct, replyTo));
  }

  public CompletionStage<ConversationView> removeParticipant(String userId, String conversationId, String removed) {
    return summary(userId, conversationId, replyTo -> new Conversation.RemoveParticipant(userId, removed, replyTo));
  }

  public CompletionStage<List<ConversationSummary>> list(
      String userId, ConversationReadModel.ListCursor after, int limit) {
    return readModel.conversationsOf(userId, after, limit);
  }

  /** {@code sender} is who the verified token speaks for: their id, and the name others see on notifications. */
  public CompletionStage<Conversation.Posted> post(
      Principal sender, String conversationId, String clientMsgId, String content, String metadata) {
    // Checked here as well as in the entity: an oversized command would never reach an entity on another node.
    Optional<Conversation.Rejected> badMessage =
        limits.clientMsgId(clientMsgId).or(() -> limits.content(content)).or(() -> limits.metadata(metadata));
    if (badMessage.isPresent()) return refused(badMessage.get());
    // Before paying: an id that names no conversation is not asked for, nor paid for.
    if (!ConversationIds.isConversationId(conversationId)) return failed(ApiError.NOT_FOUND, "conversation not found");
    long started = System.nanoTime();
    String userId = sender.userId();
    int[] paid = new int[1];
    try {
      paid[0] = fanOut.payFirst(userId, conversationId);
    } catch (ApiException overBudget) {
      return CompletableFuture.failedFuture(overBudget);
    }
    return postPaid(sender, conversationId, clientMsgId, content, metadata, paid, true)
        .whenComplete(
            (posted, failure) -> {
              if (failure == null && !posted.duplicate()) {
                metrics.persisted(Duration.ofNanos(System.nanoTime() - started));
                fanOut.stored(userId, conversationId, paid[0], posted.recipients());
              } else if (failure == null) {
                // A retry of a message stored before, and paid for then.
                fanOut.notStored(userId, conversationId, paid[0], false);
              } else if (Futures.cause(failure) instanceof ApiException refused
                  && refused.error() != ApiError.TIMEOUT) {
                fanOut.notStored(userId, conversationId, paid[0], refused.error() == ApiError.NOT_FOUND);
              }
              // Else its fate is unknown (a timeout): it may have been stored, and keeps what it paid.
            })
        .thenCompose(
            posted ->
                posted.duplicate() && posted.message().content() == null && posted.message().deletedAt() == null
                    ? originalFromReadSide(conversationId, posted)
                    : CompletableFuture.completedFuture(posted));
  }

  /**
   * A retry of a message older than the window: its original comes from the read side, once that shows the deletion
   * or the last edit the conversation knows of (as history does), so that a retry never shows text taken back.
   */
  private CompletionStage<Conversation.Posted> originalFromReadSide(String conversationId, Conversation.Posted posted) {
    MessageView original = posted.message();
    Set<String> deleted = posted.deletedBelowWindow() ? Set.of(original.messageId()) : Set.of();
    Map<String, Instant> lastEdit =
        original.editedAt() == null ? Map.of() : Map.of(original.messageId(), original.editedAt());
    return whenIndexed(
        () ->
            readModel
                .message(conversationId, original.messageId())
                .thenApply(
                    row ->
                        row.isEmpty()
                            ? Optional.of(posted)
                            : row.filter(m -> !lagsBehind(m, deleted, lastEdit))
                                .map(m -> new Conversation.Posted(m, true, 0, false))),
        0);
  }

  /**
   * Asks the conversation to store the message; {@code paid[0]} is what the sender has paid for it (see
   * {@link FanOutBudget}), raised if it must be.
   */
  private CompletionStage<Conversation.Posted> postPaid(
      Principal sender,
      String conversationId,
      String clientMsgId,
      String content,
      String metadata,
      int[] paid,
      boolean mayPayMore) {
    String userId = sender.userId();
    return askAny(
            conversationId,
            replyTo ->
                new Conversation.PostMessage(
                    userId, clientMsgId, content, metadata, sender.displayName(), paid[0], replyTo))
        .thenCompose(
            reply -> {
              if (reply instanceof Conversation.Posted posted) return CompletableFuture.completedFuture(posted);
              if (!(reply instanceof Conversation.Underreserved under)) return unexpected(reply);
              if (!mayPayMore) return failed(ApiError.UNAVAILABLE, "the conversation's members are changing; retry");
              fanOut.payRest(userId, conversationId, paid[0], under.recipients());
              paid[0] = under.recipients();
              return postPaid(sender, conversationId, clientMsgId, content, metadata, paid, false);
            });
  }

  public CompletionStage<MessageView> edit(String userId, String conversationId, String messageId, String content) {
    Optional<Conversation.Rejected> badContent = limits.content(content);
    if (badContent.isPresent()) return refused(badContent.get());
    return changeMessage(
        conversationId,
        messageId,
        located -> replyTo -> new Conversation.EditMessage(userId, messageId, content, located, replyTo));
  }

  public CompletionStage<MessageView> delete(String userId, String conversationId, String messageId) {
    return changeMessage(
        conversationId,
        messageId,
        located -> replyTo -> new Conversation.DeleteMessage(userId, messageId, located, replyTo));
  }

  public CompletionStage<Conversation.Watermarks> markRead(String userId, String conversationId, long seq) {
    return ask(
        conversationId, replyTo -> new Conversation.MarkRead(userId, seq, replyTo), Conversation.Watermarks.class);
  }

  public CompletionStage<Conversation.Watermarks> markDelivered(String userId, String conversationId, long seq) {
    return ask(
        conversationId,
        replyTo -> new Conversation.MarkDelivered(userId, seq, replyTo),
        Conversation.Watermarks.class);
  }

  public CompletionStage<Conversation.Typing> setTyping(
      String userId, String sessionId, String conversationId, boolean isTyping) {
    return ask(
        conversationId,
        replyTo -> new Conversation.SetTyping(userId, sessionId, isTyping, replyTo),
        Conversation.Typing.class);
  }

  /** Messages with {@code afterSeq < seq}, oldest first, at most {@code limit}: what a resuming client missed. */
  public CompletionStage<HistoryPage> since(String userId, String conversationId, long afterSeq, int limit) {
    return ask(
            conversationId,
            replyTo -> new Conversation.GetMessages(userId, afterSeq, Long.MAX_VALUE, limit, false, replyTo),
            Conversation.Messages.class)
        .thenCompose(
            held -> {
              long missingUpTo = Math.min(held.oldestHeldSeq() - 1, Math.min(afterSeq, held.lastSeq()) + limit);
              if (afterSeq >= missingUpTo) {
                return CompletableFuture.completedFuture(
                    new HistoryPage(held.messages(), held.lastSeq(), afterSeq + held.messages().size() < held.lastSeq()));
              }
              int fromReadSide = (int) (missingUpTo - afterSeq);
              return contiguousBefore(conversationId, missingUpTo + 1, fromReadSide, held)
                  .thenApply(
                      older -> {
                        List<MessageView> all = new ArrayList<>(older);
                        for (MessageView m : held.messages()) if (all.size() < limit) all.add(m);
                        long last = all.isEmpty() ? afterSeq : all.get(all.size() - 1).seq();
                        return new HistoryPage(all, held.lastSeq(), last < held.lastSeq());
                      });
            });
  }

  /** The {@code limit} messages just below {@code beforeSeq} (newest when null), oldest first. */
  public CompletionStage<HistoryPage> history(String userId, String conversationId, Long beforeSeq, int limit) {
    long before = beforeSeq == null ? Long.MAX_VALUE : beforeSeq;
    return ask(
            conversationId,
            replyTo -> new Conversation.GetMessages(userId, 0, before, limit, true, replyTo),
            Conversation.Messages.class)
        .thenCompose(
            held -> {
              long lowestHeld =
                  held.messages().isEmpty()
                      ? Math.min(before, held.lastSeq() + 1)
                      : held.messages().get(0).seq();
              int missing = (int) Math.min(limit - held.messages().size(), lowestHeld - 1);
              // A page the entity cut short for its size stops there: what it left out is still in its window, and
              // the read side may not have caught up with it (nor with its deletes and edits).
              if (missing <= 0 || lowestHeld > held.oldestHeldSeq()) {
                return CompletableFuture.completedFuture(
                    new HistoryPage(held.messages(), held.lastSeq(), lowestHeld > 1));
              }
              return contiguousBefore(conversationId, lowestHeld, missing, held)
                  .thenApply(
                      older -> {
                        List<MessageView> all = new ArrayList<>(older);
                        all.addAll(held.messages());
                        return new HistoryPage(all, held.lastSeq(), all.get(0).seq() > 1);
                      });
            });
  }

  /**
   * Exactly {@code count} messages below {@code beforeSeq} from the read side. Seqs have no gaps, so a short answer
   * means the projection has not caught up yet: wait for it rather than hand out a history with a hole. Nor may a
   * message show text its sender deleted or edited because the projection has not got to that change yet: the
   * conversation's answer ({@code held}) names its latest deletions and edits below its window.
   */
  private CompletionStage<List<MessageView>> contiguousBefore(
      String conversationId, long beforeSeq, int count, Conversation.Messages held) {
    Set<String> deleted = held.deletedBelowWindow() == null ? Set.of() : Set.copyOf(held.deletedBelowWindow());
    Map<String, Instant> edited = held.editedBelowWindow() == null ? Map.of() : held.editedBelowWindow();
    return whenIndexed(
        () ->
            readModel
                .messagesBefore(conversationId, beforeSeq, count)
                .thenApply(
                    rows ->
                        rows.size() == count
                                && (rows.isEmpty()
                                    || (rows.get(0).seq() == beforeSeq - count
                                        && rows.get(rows.size() - 1).seq() == beforeSeq - 1))
                                && rows.stream().noneMatch(row -> lagsBehind(row, deleted, edited))
                            ? Optional.of(rows)
                            : Optional.empty()),
        0);
  }

  /** Whether the read side's row lacks a deletion or the last edit that the conversation has stored. */
  private static boolean lagsBehind(MessageView row, Set<String> deleted, Map<String, Instant> lastEdits) {
    if (row.deleted()) return false;
    if (deleted.contains(row.messageId())) return true;
    Instant lastEdit = lastEdits.get(row.messageId());
    return lastEdit != null && !lastEdit.equals(row.editedAt());
  }

  /**
   * Runs a read-side lookup until it answers, while an empty answer means that the projection is still catching
   * up; after {@code READ_SIDE_ATTEMPTS} the caller gets 503 and retries later.
   */
  private <T> CompletionStage<T> whenIndexed(Supplier<CompletionStage<Optional<T>>> lookup, int attempt) {
    return lookup
        .get()
        .thenCompose(
            answer -> {
              if (answer.isPresent()) return CompletableFuture.completedFuture(answer.get());
              if (attempt + 1 >= READ_SIDE_ATTEMPTS) {
                return failed(ApiError.UNAVAILABLE, "history is still being indexed; retry shortly");
              }
              return Patterns.after(
                  READ_SIDE_RETRY,
                  system.classicSystem().scheduler(),
                  system.executionContext(),
                  () -> whenIndexed(lookup, attempt + 1));
            });
  }

  /** Edits and deletes try the entity first; for a message older than its window, the read side says where it is. */
  private CompletionStage<MessageView> changeMessage(
      String conversationId,
      String messageId,
      java.util.function.Function<Conversation.MessageLocation, Function<ActorRef<Reply>, Command>> command) {
    // An id the conversation never made is not looked up: the read side would pass it to the database as it is.
    if (!ConversationIds.isMessageId(messageId)) return failed(ApiError.NOT_FOUND, "message not found");
    return askAny(conversationId, command.apply(null))
        .thenCompose(
            reply -> {
              if (reply instanceof Conversation.MessageChanged changed) {
                return CompletableFuture.completedFuture(changed.message());
              }
              if (!(reply instanceof Conversation.MessageNotHeld notHeld)) return unexpected(reply);
              return locateOnReadSide(conversationId, messageId, notHeld.oldestHeldSeq() - 1)
                  .thenCompose(
                      original -> {
                        Conversation.MessageLocation located =
                            new Conversation.MessageLocation(original.seq(), original.senderId(), original.deleted());
                        return ask(conversationId, command.apply(located), Conversation.MessageChanged.class)
                            .thenApply(changed -> mergeChange(original, changed.message()));
                      });
            });
  }

  /**
   * A message below the window. Absent from a read side that has projected everything up to {@code coveredUpTo}, it
   * does not exist; absent from one still catching up, it may: wait for the projection.
   */
  private CompletionStage<MessageView> locateOnReadSide(String conversationId, String messageId, long coveredUpTo) {
    return whenIndexed(
        () ->
            readModel
                .message(conversationId, messageId)
                .thenCompose(
                    row ->
                        row.isPresent()
                            ? CompletableFuture.completedFuture(row)
                            : readModel
                                .projectedUpTo(conversationId)
                                .thenCompose(
                                    projected ->
                                        projected >= coveredUpTo
                                            ? failed(ApiError.NOT_FOUND, "message not found")
                                            : CompletableFuture.completedFuture(Optional.<MessageView>empty()))),
        0);
  }

  private static MessageView mergeChange(MessageView original, MessageView change) {
    if (original.deleted()) return original;
    return change.deleted()
        ? original.tombstone(change.deletedAt())
        : original.edited(change.content(), change.editedAt());
  }

  /** The conversation as {@code userId} asked for it; what their next message there costs is known from it. */
  private CompletionStage<ConversationView> summary(
      String userId, String conversationId, Function<ActorRef<Reply>, Command> command) {
    return ask(conversationId, command, Conversation.Summary.class)
        .thenApply(
            summary -> {
              fanOut.seen(userId, summary.conversation());
              return summary.conversation();
            });
  }

  private <T extends Reply> CompletionStage<T> ask(
      String conversationId, Function<ActorRef<Reply>, Command> command, Class<T> expected) {
    return askAny(conversationId, command)
        .thenCompose(reply -> expected.isInstance(reply) ? CompletableFuture.completedFuture(expected.cast(reply))
            : unexpected(reply));
  }

  private CompletionStage<Reply> askAny(String conversationId, Function<ActorRef<Reply>, Command> command) {
    // Garbage ids never reach sharding, so probing them cannot spawn entities.
    if (!ConversationIds.isConversationId(conversationId)) return failed(ApiError.NOT_FOUND, "conversation not found");
    // Load shedding: past the admission limit, the journal is behind, and queueing more only makes every write
    // wait until the journal's circuit breaker opens and fails them all. Refusing the excess at once keeps the
    // node serving what it can; the client retries (a send with the same clientMsgId is never stored twice).
    if (!admission.tryAcquire()) {
      metrics.shed();
      return failed(ApiError.UNAVAILABLE, "the node is at capacity; retry shortly");
    }
    long asked = System.nanoTime();
    EntityRef<Command> entity = sharding.entityRefFor(Conversation.ENTITY_KEY, conversationId);
    return Futures.direct(entity.ask(command, askTimeout))
        .whenComplete(
            (reply, failure) -> {
              if (failure instanceof TimeoutException) admission.releaseUnanswered();
              else admission.release(System.nanoTime() - asked);
            })
        .exceptionallyCompose(
            failure ->
                failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException
                    ? failed(ApiError.TIMEOUT, "the conversation did not answer in time; retry")
                    : CompletableFuture.failedFuture(failure));
  }

  private static <T> CompletionStage<T> unexpected(Reply reply) {
    if (reply instanceof Conversation.Rejected rejected) return refused(rejected);
    return failed(ApiError.INTERNAL, "unexpected reply " + reply.getClass().getSimpleName());
  }

  private static <T> CompletionStage<T> refused(Conversation.Rejected rejected) {
    return failed(rejected.error(), rejected.message());
  }

  private static <T> CompletionStage<T> failed(ApiError error, String message) {
    return CompletableFuture.failedFuture(new ApiException(error, message));
  }
}
