package io.parley.notification;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.Offset;
import akka.projection.ProjectionBehavior;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.Handler;
import akka.projection.javadsl.SourceProvider;
import akka.projection.jdbc.javadsl.JdbcProjection;
import io.parley.db.Database;
import io.parley.db.PlainJdbcSession;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import javax.sql.DataSource;

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
    DataSource dataSource = Database.get(system).dataSource();
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            "batch-inbox-projection",
            slices,
            slice -> {
              String tag = NotificationBatch.inboxTag(slice);
              SourceProvider<Offset, EventEnvelope<NotificationBatch.Event>> source =
                  EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
              return ProjectionBehavior.create(
                  JdbcProjection.atLeastOnceAsync(
                      ProjectionId.of("batch-inbox", tag),
                      source,
                      () -> new PlainJdbcSession(dataSource),
                      () -> new Filler(notifications),
                      system)
                      .withSaveOffset(1, java.time.Duration.ZERO));
            },
            ShardedDaemonProcessSettings.create(system),
            Optional.of(ProjectionBehavior.stopMessage()));
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
