package io.parley.db;

import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.ShardedDaemonProcessSettings;
import akka.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import akka.persistence.jdbc.query.javadsl.JdbcReadJournal;
import akka.persistence.query.Offset;
import akka.projection.Projection;
import akka.projection.ProjectionBehavior;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.eventsourced.javadsl.EventSourcedProvider;
import akka.projection.javadsl.SourceProvider;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Runs a projection of tagged events once per tag, each instance somewhere in the cluster (ShardedDaemonProcess),
 * stopped gracefully when its node leaves so that its offset is saved before another node takes over.
 */
public final class TaggedProjections {
  private TaggedProjections() {}

  /** Builds the projection of one tag from its events and the sessions its offsets (and writes) go through. */
  @FunctionalInterface
  public interface Factory<E> {
    Projection<EventEnvelope<E>> create(
        String tag, SourceProvider<Offset, EventEnvelope<E>> events, Supplier<PlainJdbcSession> sessions);
  }

  public static <E> void run(
      ActorSystem<?> system, String name, int instances, IntFunction<String> tagOf, Factory<E> factory) {
    DataSource dataSource = Database.get(system).dataSource();
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            name,
            instances,
            instance -> {
              String tag = tagOf.apply(instance);
              SourceProvider<Offset, EventEnvelope<E>> events =
                  EventSourcedProvider.eventsByTag(system, JdbcReadJournal.Identifier(), tag);
              return ProjectionBehavior.create(factory.create(tag, events, () -> new PlainJdbcSession(dataSource)));
            },
            ShardedDaemonProcessSettings.create(system),
            Optional.of(ProjectionBehavior.stopMessage()));
  }
}
