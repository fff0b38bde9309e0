package io.parley.notification;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import com.typesafe.config.Config;
import io.parley.Futures;
import io.parley.conversation.Conversation;
import io.parley.conversation.ConversationSettings;
import io.parley.conversation.ConversationView.Participant;
import io.parley.conversation.MessageView;
import io.parley.db.TaggedProjections;
import io.parley.user.User;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Puts each message into the inboxes of the participants who had no session to hear it, from the journal. The
 * conversation tells its participants' sessions at once when it stores a message, but that tell is not retried: a
 * crash, or a shard handing off, between the message being stored and an inbox storing its notification would lose
 * the notification and its push. Read from the journal instead (at least once, the offset saved after every inbox of
 * a group has answered), a crash repeats messages rather than losing them, and the inbox's idempotency key (the
 * message id) keeps each notification single.
 */
public final class MessageInboxes {
  private MessageInboxes() {}

  record Settings(
      boolean enabled, int groupSize, Duration groupWithin, int parallelism, Duration askTimeout, Duration presenceTimeout) {
    static Settings fromConfig(Config root) {
      Config c = root.getConfig("parley.notifications.messages");
      return new Settings(
          c.getBoolean("enabled"), c.getInt("group-size"), c.getDuration("group-within"), c.getInt("parallelism"),
          c.getDuration("ask-timeout"), root.getDuration("parley.push.presence-timeout"));
    }
  }

  public static void init(ActorSystem<?> system) {
    Settings settings = Settings.fromConfig(system.settings().config());
    if (!settings.enabled()) return;
    int slices = ConversationSettings.fromConfig(system.settings().config()).tagSlices();
    TaggedProjections.<Conversation.Event>run(
        system,
        "message-inbox-projection",
        slices,
        Conversation::sliceTag,
        (tag, events, sessions) ->
            JdbcProjection.groupedWithinAsync(
                    ProjectionId.of("message-inboxes", tag), events, sessions, () -> new Filler(system, settings), system)
                .withGroup(settings.groupSize(), settings.groupWithin()));
  }

  static final class Filler extends Handler<List<EventEnvelope<Conversation.Event>>> {
    private final ActorSystem<?> system;
    private final ClusterSharding sharding;
    private final LiveBroadcasts live;
    private final Settings settings;
    /**
     * Completes when the inboxes may be told, once every conversation of the group has answered: at once, but for
     * tests, which change a message in that gap.
     */
    private final Supplier<CompletionStage<?>> beforeNotifying;

    Filler(ActorSystem<?> system, Settings settings) {
      this(system, settings, () -> CompletableFuture.completedFuture(null));
    }

    Filler(ActorSystem<?> system, Settings settings, Supplier<CompletionStage<?>> beforeNotifying) {
      this.system = system;
      this.sharding = ClusterSharding.get(system);
      this.live = LiveBroadcasts.get(system);
      this.settings = settings;
      this.beforeNotifying = beforeNotifying;
    }

    @Override
    public CompletionStage<Done> process(List<EventEnvelope<Conversation.Event>> envelopes) {
      Map<String, List<Conversation.MessagePosted>> postedByConversation = new LinkedHashMap<>();
      // Changes later in the same group, by message id: a message is never notified as it was before them.
      Map<String, Conversation.Event> changed = new HashMap<>();
      for (EventEnvelope<Conversation.Event> envelope : envelopes) {
        Conversation.Event event = envelope.event();
        if (event instanceof Conversation.MessagePosted posted) {
          postedByConversation.computeIfAbsent(posted.conversationId(), id -> new ArrayList<>()).add(posted);
        } else if (event instanceof Conversation.MessageEdited edited) {
          changed.merge(edited.messageId(), edited, (earlier, later) -> earlier instanceof Conversation.MessageDeleted ? earlier : later);
        } else if (event instanceof Conversation.MessageDeleted deleted) {
          changed.put(deleted.messageId(), deleted);
        }
      }
      if (postedByConversation.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
      List<CompletionStage<Map<String, List<Conversation.MessageNotice>>>> asked = new ArrayList<>();
      postedByConversation.forEach((id, posted) -> asked.add(noticesFor(id, posted, changed)));
      return Futures.all(asked)
          .thenCompose(notices -> beforeNotifying.get().thenCompose(held -> notifyAll(notices)));
    }

    /**
     * The message as the conversation holds it now, none when it was deleted since: the conversation says so (the
     * delete maybe in a later group, the message maybe out of its window), or a delete later in this group does. One
     * that left the conversation's window is known only as it was posted, and may have been edited since: it is
     * notified without its text, or with that of the last edit in this group when the conversation says no edit came
     * after it ({@code lastEdited}, null when it could not say), never with text its sender replaced or deleted.
     */
    static Optional<MessageView> current(
        Conversation.MessagePosted posted,
        Map<Long, MessageView> held,
        Set<String> deletedSince,
        Map<String, Instant> lastEdited,
        Map<String, Conversation.Event> changed) {
      Conversation.Event change = changed.get(posted.messageId());
      if (deletedSince.contains(posted.messageId()) || change instanceof Conversation.MessageDeleted) {
        return Optional.empty();
      }
      MessageView view = held.get(posted.seq());
      // The window has every change stored before the question, this group's and any later edit.
      if (view != null) return view.deleted() ? Optional.empty() : Optional.of(view);
      MessageView unknownText = posted.view().withoutContent();
      // Equal, not "at or after": an entity that moved to a node whose clock is behind stamps a later edit earlier.
      // A time the conversation no longer remembers (500 later edits outside its window) proves nothing either.
      return Optional.of(
          change instanceof Conversation.MessageEdited edited
                  && lastEdited != null
                  && edited.at().equals(lastEdited.get(posted.messageId()))
              ? unknownText.edited(edited.content(), edited.at())
              : unknownText);
    }

    /**
     * Who of the conversation's participants each message is for, as the conversation stands now: not its sender,
     * nor anyone whose watermark already passed it (a device got it, or they read it, or they joined after it),
     * and nobody at all for a message deleted since. An edit made since shows in the notification when the
     * conversation can tell it is the last.
     */
    private CompletionStage<Map<String, List<Conversation.MessageNotice>>> noticesFor(
        String conversationId, List<Conversation.MessagePosted> posted, Map<String, Conversation.Event> changed) {
      long fromSeq = posted.get(0).seq();
      long toSeq = posted.get(posted.size() - 1).seq();
      List<String> messageIds = posted.stream().map(Conversation.MessagePosted::messageId).toList();
      return Futures.direct(
              sharding
                  .entityRefFor(Conversation.ENTITY_KEY, conversationId)
                  .<Conversation.Reply>ask(
                      replyTo -> new Conversation.GetRecipients(fromSeq, toSeq, messageIds, replyTo),
                      settings.askTimeout()))
          .thenApply(
              reply -> {
                Map<String, List<Conversation.MessageNotice>> byUser = new LinkedHashMap<>();
                if (!(reply instanceof Conversation.Recipients recipients)) return byUser;
                Map<Long, MessageView> held = new HashMap<>();
                for (MessageView view : recipients.held()) held.put(view.seq(), view);
                Set<String> deletedSince = recipients.deleted() == null ? Set.of() : Set.copyOf(recipients.deleted());
                for (Conversation.MessagePosted message : posted) {
                  Optional<MessageView> current =
                      current(message, held, deletedSince, recipients.lastEdited(), changed);
                  if (current.isEmpty()) continue;
                  MessageView now = current.get();
                  for (Participant p : recipients.participants()) {
                    if (p.userId().equals(message.senderId())
                        || p.deliveredUpTo() >= message.seq()
                        || p.readUpTo() >= message.seq()) {
                      continue;
                    }
                    byUser
                        .computeIfAbsent(p.userId(), id -> new ArrayList<>())
                        .add(new Conversation.MessageNotice(now, message.senderName()));
                  }
                }
                return byUser;
              });
    }

    /**
     * Every user's notices in order, one at a time, and {@code parallelism} users at once. Users with a session open
     * on some node are left out without starting or asking their entity: in a busy chat most recipients are online,
     * and their devices had the message live. (The entity would refuse the notice for them too.)
     */
    private CompletionStage<Done> notifyAll(List<Map<String, List<Conversation.MessageNotice>>> perConversation) {
      Map<String, List<Conversation.MessageNotice>> byUser = new LinkedHashMap<>();
      for (Map<String, List<Conversation.MessageNotice>> notices : perConversation) {
        notices.forEach((userId, list) -> byUser.computeIfAbsent(userId, id -> new ArrayList<>()).addAll(list));
      }
      if (byUser.isEmpty()) return CompletableFuture.completedFuture(Done.getInstance());
      return live.onlineAmong(List.copyOf(byUser.keySet()), settings.presenceTimeout())
          .thenCompose(
              online ->
                  Source.from(byUser.entrySet())
                      .filter(entry -> !online.contains(entry.getKey()))
                      .mapAsyncUnordered(settings.parallelism(), entry -> notifyInOrder(entry.getKey(), entry.getValue(), 0))
                      .runWith(Sink.ignore(), system));
    }

    private CompletionStage<Done> notifyInOrder(String userId, List<Conversation.MessageNotice> notices, int next) {
      if (next == notices.size()) return CompletableFuture.completedFuture(Done.getInstance());
      return Futures.direct(
              sharding
                  .entityRefFor(User.ENTITY_KEY, userId)
                  .<Done>ask(replyTo -> new User.NotifyMessage(notices.get(next), replyTo), settings.askTimeout()))
          .thenCompose(done -> notifyInOrder(userId, notices, next + 1));
    }
  }
}
