package io.parley.push;

import akka.Done;
import akka.actor.typed.ActorSystem;
import akka.projection.ProjectionId;
import akka.projection.eventsourced.EventEnvelope;
import akka.projection.javadsl.Handler;
import akka.projection.jdbc.javadsl.JdbcProjection;
import io.parley.db.TaggedProjections;
import io.parley.notification.Announcements;
import io.parley.user.User;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Pushes from the journal, not from the request: the events that carry a push (a user's stored notification, a
 * chunk of a batch, a topic announcement) are tagged, and this projection sends them and only then stores its offset
 * (at least once). A node that dies between storing a notification and pushing
 * it loses nothing; the next instance of the projection pushes it. One instance per slice of users, plus one for
 * announcements to FCM topics, spread over the cluster.
 */
public final class PushProjection {
  private PushProjection() {}

  public static void init(ActorSystem<?> system, PushGateway gateway) {
    PushSettings settings = PushSettings.fromConfig(system.settings().config());
    PushDelivery delivery = new PushDelivery(system, gateway, settings);
    TaggedProjections.<Object>run(
        system,
        "push-projection",
        settings.tagSlices() + 1,
        instance -> instance < settings.tagSlices() ? User.pushTag(instance) : Announcements.TAG,
        (tag, events, sessions) ->
            JdbcProjection.groupedWithinAsync(
                    ProjectionId.of("push", tag), events, sessions, () -> new Pusher(delivery), system)
                .withGroup(settings.groupSize(), settings.groupWithin()));
  }

  private static final class Pusher extends Handler<List<EventEnvelope<Object>>> {
    private final PushDelivery delivery;

    Pusher(PushDelivery delivery) {
      this.delivery = delivery;
    }

    @Override
    public CompletionStage<Done> process(List<EventEnvelope<Object>> envelopes) {
      return delivery.deliver(envelopes.stream().map(EventEnvelope::event).toList());
    }
  }
}
