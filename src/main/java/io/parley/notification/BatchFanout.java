package io.parley.notification;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import io.parley.db.TaggedProjections;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Puts each stored batch into its users' inboxes, from the journal: at least once, its offset saved after a chunk's
 * every inbox has answered, so a crash repeats the chunk and the inboxes' idempotency keys (the batch id) keep each
 * notification single. The inbox is told not to push: the push projection pushes the batch on its own, without
 * waiting for the inboxes.
 */
public final class BatchFanout {
  private BatchFanout() {}

  public static void init(ActorSystem<?> system, Notifications notifications) {
    int slices = system.settings().config().getInt("parley.notifications.batch.tag-slices");
    TaggedProjections.<NotificationBatch.Event>run(
        system,
        "batch-inbox-projection",
        slices,
        NotificationBatch::inboxTag,
        (tag, events, sessions) ->
            JdbcProjection.atLeastOnceAsync(
                    ProjectionId.of("batch-inbox", tag), events, sessions, () -> new Filler(notifications), system)
                .withSaveOffset(1, java.time.Duration.ZERO));
  }

  private static final class Filler extends Handler<EventEnvelope<NotificationBatch.Event>> {
    private final Notifications notifications;

    Filler(Notifications notifications) {
      this.notifications = notifications;
    }

    @Override
    public CompletionStage<Done> process(EventEnvelope<NotificationBatch.Event> envelope) {
      if (envelope.event() instanceof NotificationBatch.BatchStored stored) {
        return notifications.fillInboxes(stored);
      }
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }
}
