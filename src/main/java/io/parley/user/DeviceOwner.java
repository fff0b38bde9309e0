package io.parley.user;

import akka.Done;
import akka.actor.typed.ActorRef;
import akka.actor.typed.ActorSystem;
import akka.actor.typed.Behavior;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.sharding.typed.javadsl.EntityTypeKey;
import akka.pattern.StatusReply;
import akka.persistence.typed.PersistenceId;
import akka.persistence.typed.javadsl.CommandHandlerWithReply;
import akka.persistence.typed.javadsl.EventHandler;
import akka.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import akka.persistence.typed.javadsl.RetentionCriteria;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import io.parley.CborSerializable;
import io.parley.Futures;
import io.parley.Sha256;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Who a push token belongs to, one sharded entity per token: a token names one device, and a device is signed in as
 * one user at a time, so registering it for a new user must take it away from the previous one, and a push stored
 * for the previous one must not reach it any more (the push projection asks here before sending). Keyed by the
 * token's SHA-256, since tokens are long and opaque.
 */
public final class DeviceOwner
    extends EventSourcedBehaviorWithEnforcedReplies<DeviceOwner.Command, DeviceOwner.Event, DeviceOwner.State> {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DeviceOwner");

  public sealed interface Command extends CborSerializable {}

  /**
   * Makes {@code userId} the owner; the reply names the owner it took the token from (null when none). Claimed again
   * by the owner, it names that one again: the claimant's hand-over from it may not have finished (the first answer
   * was lost, or the hand-over failed and the client retries), and repeating a hand-over is harmless.
   */
  public record Claim(String userId, ActorRef<StatusReply<Claimed>> replyTo) implements Command {}

  public record Claimed(String previousOwner) implements CborSerializable {}

  /** Gives the token up if {@code userId} holds it (the device was unregistered); anyone else's release is a no-op. */
  public record Release(String userId, ActorRef<StatusReply<Done>> replyTo) implements Command {}

  public record GetOwner(ActorRef<Owner> replyTo) implements Command {}

  /** {@code userId} null: nobody holds the token. */
  public record Owner(String userId) implements CborSerializable {}

  public sealed interface Event extends CborSerializable {}

  public record OwnerChanged(String userId) implements Event {}

  public record Released(String userId) implements Event {}

  /** {@code displaced}: the owner {@code owner} took the token from (null in snapshots taken before it was kept). */
  public record State(String owner, String displaced) implements CborSerializable {}

  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId())));
  }

  /** The entity of one token, {@code entityId} being {@link #entityId(String)} of it. */
  public static Behavior<Command> create(String entityId) {
    return new DeviceOwner(entityId);
  }

  public static String entityId(String token) {
    return Sha256.hex(token);
  }

  /**
   * The owner of each token, asking at most {@code parallelism} entities at once; a token nobody holds maps to null.
   * Fails when an entity does not answer within {@code timeout}.
   */
  public static CompletionStage<Map<String, String>> ownersOf(
      ActorSystem<?> system, Collection<String> tokens, int parallelism, Duration timeout) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Map<String, String> owners = new HashMap<>();
    return Source.from(List.copyOf(tokens))
        .mapAsyncUnordered(
            parallelism,
            token ->
                Futures.direct(sharding.entityRefFor(ENTITY_KEY, entityId(token)).<Owner>ask(GetOwner::new, timeout))
                    .thenApply(owner -> Map.entry(token, Optional.ofNullable(owner.userId()))))
        .runWith(
            Sink.fold(
                owners,
                (all, owner) -> {
                  all.put(owner.getKey(), owner.getValue().orElse(null));
                  return all;
                }),
            system);
  }

  DeviceOwner(String entityId) {
    super(PersistenceId.of(ENTITY_KEY.name(), entityId));
  }

  @Override
  public State emptyState() {
    return new State(null, null);
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
                return Effect().reply(claim.replyTo(), StatusReply.success(new Claimed(state.displaced())));
              }
              return Effect()
                  .persist(new OwnerChanged(claim.userId()))
                  .thenReply(claim.replyTo(), s -> StatusReply.success(new Claimed(state.owner())));
            })
        .onCommand(
            Release.class,
            (state, release) -> {
              if (!release.userId().equals(state.owner())) return Effect().reply(release.replyTo(), StatusReply.ack());
              return Effect().persist(new Released(release.userId())).thenReply(release.replyTo(), s -> StatusReply.ack());
            })
        .onCommand(GetOwner.class, (state, get) -> Effect().reply(get.replyTo(), new Owner(state.owner())))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            OwnerChanged.class,
            (state, e) -> e.userId().equals(state.owner()) ? state : new State(e.userId(), state.owner()))
        .onEvent(Released.class, (state, e) -> new State(null, null))
        .build();
  }
}
