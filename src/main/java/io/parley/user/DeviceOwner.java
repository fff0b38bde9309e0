package io.parley.user;

import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.RetentionCriteria;
import io.parley.CborSerializable;
import io.parley.Sha256;

/**
 * Who a push token belongs to, one sharded entity per token: a token names one device, and a device is signed in as
 * one user at a time, so registering it for a new user must take it away from the previous one. Keyed by the
 * token's SHA-256, since tokens are long and opaque.
 */
public final class DeviceOwner
    extends EventSourcedBehaviorWithEnforcedReplies<DeviceOwner.Command, DeviceOwner.Event, DeviceOwner.State> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DeviceOwner");

  public sealed interface Command extends CborSerializable {}

  /** Makes {@code userId} the owner; the reply names the previous owner (null when none, or the same user). */
  public record Claim(String userId, ActorRef<StatusReply<Claimed>> replyTo) implements Command {}

  public record Claimed(String previousOwner) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record OwnerChanged(String userId) implements Event {}

  public record State(String owner) implements CborSerializable {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> new DeviceOwner(ctx.getEntityId())));
  }

  public static String entityId(String token) {
    return Sha256.hex(token);
  }

  private DeviceOwner(String entityId) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
  }

  @Override
  public State emptyState() {
    return new State(null);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 1);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(
            Claim.class,
            (state, claim) -> {
              if (claim.userId().equals(state.owner())) {
                return Effect().reply(claim.replyTo(), StatusReply.success(new Claimed(null)));
              }
              return Effect()
                  .persist(new OwnerChanged(claim.userId()))
                  .thenReply(claim.replyTo(), s -> StatusReply.success(new Claimed(state.owner())));
            })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(OwnerChanged.class, (state, e) -> new State(e.userId()))
        .build();
  }
}
