package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.BehaviorInterceptor;
import akka.actor.typed.TypedActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.push.FcmPushGateway;
import io.parley.user.DeviceOwner;
import io.parley.user.User;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A DELETE and a POST of the same token, interleaved step by step against the real User and DeviceOwner entities
 * (behind real sharding, on the in-memory journal): each interleaving ends with the token stored only by its owner,
 * so that its pushes are not refused as not_owner. An interceptor in front of each entity sends the answer to one
 * chosen command through a gate, which holds it back (or loses it) after the entity has made its change.
 */
class DeviceTokenRaceTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              ConfigFactory.parseString(
                      "akka.actor.provider = cluster\nakka.remote.artery.canonical.port = 0\n"
                          + "akka.remote.artery.canonical.hostname = 127.0.0.1")
                  .withFallback(EventSourcedBehaviorTestKit.config())));

  /** What the interceptors do to the next command of one of these classes, whichever entity it reaches. */
  private static final AtomicReference<Hold> nextHold = new AtomicReference<>();

  private final Notifications notifications = new Notifications(testKit.system(), FcmPushGateway::requirePushable);

  static {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    ClusterSharding sharding = ClusterSharding.get(testKit.system());
    User.Settings settings = User.Settings.fromConfig(testKit.system().settings().config());
    sharding.init(
        Entity.of(
            User.ENTITY_KEY,
            ctx ->
                gatingAnswers(
                    User.Command.class,
                    User.create(ctx.getEntityId(), ctx.getShard(), settings),
                    DeviceTokenRaceTest::answeredVia)));
    sharding.init(
        Entity.of(
            DeviceOwner.ENTITY_KEY,
            ctx ->
                gatingAnswers(
                    DeviceOwner.Command.class,
                    DeviceOwner.create(ctx.getEntityId()),
                    DeviceTokenRaceTest::answeredVia)));
  }

  @AfterEach
  void noHoldLeftOver() {
    // A hold no command took would catch the next test's first command of that class.
    assertThat(nextHold.getAndSet(null)).as("a hold that no command took").isNull();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aRegistrationBetweenTheStepsOfAnUnregistrationLeavesTheTokenOwned() throws Exception {
    register("ana1", "tok-1");

    // The DELETE is held after its first step, whichever that is; the POST runs whole in between.
    Hold afterFirstStep = Hold.answerTo(User.UnregisterDevice.class, DeviceOwner.Release.class);
    CompletableFuture<Done> delete = start(afterFirstStep, () -> notifications.unregisterDevice("ana1", "tok-1"));
    register("ana1", "tok-1");
    afterFirstStep.release();
    delete.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

    // The DELETE finished last, so the token is gone from her devices; her claim is left over, which is harmless.
    assertThat(ownerOf("tok-1")).isEqualTo("ana1");
    assertThat(tokensOf("ana1")).doesNotContain("tok-1");
  }

  @Test
  void anUnregistrationBetweenTheOwnerLookupAndTheRestOfARegistrationLeavesTheTokenOwned() throws Exception {
    register("ana2", "tok-2");

    // The POST looked the owner up (ana2) and is held; the DELETE runs whole in between.
    whileHeld(
            Hold.answerTo(DeviceOwner.GetOwner.class),
            () -> notifications.registerDevice("ana2", "tok-2", "ios"),
            () -> notifications.unregisterDevice("ana2", "tok-2").toCompletableFuture().get(10, TimeUnit.SECONDS))
        .get();

    assertThat(ownerOf("tok-2")).isEqualTo("ana2");
    assertThat(tokensOf("ana2")).contains("tok-2");
  }

  @Test
  void twoUsersRegisteringOneTokenAtOnceLeaveItStoredOnlyByItsOwner() throws Exception {
    // ana3's claim is made and its answer held; bo3 takes the token from ana3 and stores it before ana3 has stored
    // it, so bo3's hand-over finds nothing to take from ana3, and ana3 then stores a token bo3 owns, and must undo it.
    whileHeld(
            Hold.answerTo(DeviceOwner.Claim.class),
            () -> notifications.registerDevice("ana3", "tok-3", "ios"),
            () -> register("bo3", "tok-3"))
        .get();

    assertThat(ownerOf("tok-3")).isEqualTo("bo3");
    assertThat(tokensOf("bo3")).contains("tok-3");
    assertThat(tokensOf("ana3")).doesNotContain("tok-3");
  }

  @Test
  void aRegistrationStoredBetweenTheHandOverAndTheClaimOfAnotherUserIsTakenBackAfterTheClaim() throws Exception {
    register("ana4", "tok-4");
    // bo4 looked ana4 up as the owner and took the token from her; the answer is held before bo4 claims it. ana4's
    // app registers the token again meanwhile: ana4 claims it, stores it, and finds herself still the owner.
    whileHeld(
            Hold.answerTo(User.UnregisterDevice.class),
            () -> notifications.registerDevice("bo4", "tok-4", "ios"),
            () -> register("ana4", "tok-4"))
        .get();

    assertThat(ownerOf("tok-4")).isEqualTo("bo4");
    assertThat(tokensOf("bo4")).contains("tok-4");
    assertThat(tokensOf("ana4")).doesNotContain("tok-4");
  }

  @Test
  void aClaimWhoseAnswerWasLostStillTakesTheTokenFromTheUserItDisplaced() throws Exception {
    register("ana6", "tok-6");
    // As above, and bo6's claim is made but its answer lost: the claim asked again finds bo6 the owner already, and
    // only its naming ana6 as the one displaced takes back the token ana6 stored in between.
    CompletableFuture<Done> bo =
        whileHeld(
            Hold.answerTo(User.UnregisterDevice.class),
            () -> notifications.registerDevice("bo6", "tok-6", "ios"),
            () -> {
              register("ana6", "tok-6");
              nextHold.set(Hold.loseAnswerTo(DeviceOwner.Claim.class));
            });
    assertThat(bo).isCompleted().isNotCompletedExceptionally();

    assertThat(ownerOf("tok-6")).isEqualTo("bo6");
    assertThat(tokensOf("bo6")).contains("tok-6");
    assertThat(tokensOf("ana6")).doesNotContain("tok-6");
  }

  @Test
  void aRegistrationWhoseStoreWasAppliedButNotAnsweredStillChecksItsOwnership() throws Exception {
    // As in the third test, and ana5's store is applied but its answer lost: her request fails, and still undoes it.
    CompletableFuture<Done> ana =
        whileHeld(
            Hold.answerTo(DeviceOwner.Claim.class),
            () -> notifications.registerDevice("ana5", "tok-5", "ios"),
            () -> {
              register("bo5", "tok-5");
              nextHold.set(Hold.loseAnswerTo(User.RegisterDevice.class));
            });
    assertThat(ana).isCompletedExceptionally();

    assertThat(ownerOf("tok-5")).isEqualTo("bo5");
    assertThat(tokensOf("bo5")).contains("tok-5");
    assertThat(tokensOf("ana5")).as("applied though unanswered, then undone").doesNotContain("tok-5");
  }

  interface Step {
    void run() throws Exception;
  }

  /**
   * The answer to the first command of one of {@code commands} to reach an entity: {@code answered} once the entity
   * has made its change and answered, passed on once {@link #release()}d, or never when {@code lost}.
   */
  private record Hold(
      Set<Class<?>> commands, boolean lost, CompletableFuture<Void> answered, CompletableFuture<Void> released) {
    static Hold answerTo(Class<?>... commands) {
      return new Hold(Set.of(commands), false, new CompletableFuture<>(), new CompletableFuture<>());
    }

    static Hold loseAnswerTo(Class<?> command) {
      return new Hold(Set.of(command), true, new CompletableFuture<>(), new CompletableFuture<>());
    }

    void release() {
      released.complete(null);
    }
  }

  /** Starts {@code request} under {@code hold}, and waits until the held command has been carried out. */
  private static CompletableFuture<Done> start(Hold hold, Supplier<CompletionStage<Done>> request) throws Exception {
    nextHold.set(hold);
    CompletableFuture<Done> started = request.get().toCompletableFuture();
    hold.answered().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    return started;
  }

  /**
   * Starts {@code request} under {@code hold}, runs {@code meanwhile} once the held command has been carried out,
   * then lets the answer through and waits until {@code request} has completed, either way.
   */
  private static CompletableFuture<Done> whileHeld(Hold hold, Supplier<CompletionStage<Done>> request, Step meanwhile)
      throws Exception {
    CompletableFuture<Done> started = start(hold, request);
    meanwhile.run();
    hold.release();
    started.handle((done, failure) -> done).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    return started;
  }

  private void register(String userId, String token) throws Exception {
    notifications.registerDevice(userId, token, "ios").toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static String ownerOf(String token) {
    return ClusterSharding.get(testKit.system())
        .entityRefFor(DeviceOwner.ENTITY_KEY, DeviceOwner.entityId(token))
        .<DeviceOwner.Owner>ask(DeviceOwner.GetOwner::new, WAIT)
        .toCompletableFuture()
        .join()
        .userId();
  }

  private static List<String> tokensOf(String userId) {
    return ClusterSharding.get(testKit.system())
        .entityRefFor(User.ENTITY_KEY, userId)
        .<User.Devices>ask(User.GetDevices::new, WAIT)
        .toCompletableFuture()
        .join()
        .devices()
        .stream()
        .map(User.Device::token)
        .toList();
  }

  /** Gives an answer's recipient a stand-in that the answer goes to instead. */
  interface Redirect {
    <T> ActorRef<T> via(ActorRef<T> replyTo);
  }

  /** The entity, with the answer to the command {@link #nextHold} names sent through a gate. */
  private static <C> Behavior<C> gatingAnswers(
      Class<C> commands, Behavior<C> entity, java.util.function.BiFunction<C, Redirect, C> redirected) {
    return Behaviors.intercept(
        () ->
            new BehaviorInterceptor<C, C>(commands) {
              @Override
              public Behavior<C> aroundReceive(TypedActorContext<C> ctx, C command, ReceiveTarget<C> target) {
                Hold hold = nextHold.get();
                boolean held =
                    hold != null && hold.commands().contains(command.getClass()) && nextHold.compareAndSet(hold, null);
                if (!held) return target.apply(ctx, command);
                Redirect throughGate =
                    new Redirect() {
                      @Override
                      public <T> ActorRef<T> via(ActorRef<T> replyTo) {
                        return ctx.asJava().spawnAnonymous(gate(hold, replyTo));
                      }
                    };
                return target.apply(ctx, redirected.apply(command, throughGate));
              }
            },
        entity);
  }

  /** Takes one answer, and passes it on to {@code replyTo} when the hold is released, unless it is lost. */
  private static <T> Behavior<T> gate(Hold hold, ActorRef<T> replyTo) {
    return Behaviors.receiveMessage(
        answer -> {
          hold.answered().complete(null);
          if (!hold.lost()) hold.released().thenRun(() -> replyTo.tell(answer));
          return Behaviors.stopped();
        });
  }

  private static User.Command answeredVia(User.Command command, Redirect redirect) {
    if (command instanceof User.RegisterDevice r) {
      return new User.RegisterDevice(r.token(), r.platform(), r.registration(), redirect.via(r.replyTo()));
    }
    if (command instanceof User.UnregisterDevice u) {
      return new User.UnregisterDevice(u.token(), u.reason(), u.onlyIfRegistration(), redirect.via(u.replyTo()));
    }
    throw new IllegalArgumentException("no answer of " + command.getClass().getSimpleName() + " can be held");
  }

  private static DeviceOwner.Command answeredVia(DeviceOwner.Command command, Redirect redirect) {
    if (command instanceof DeviceOwner.Claim c) return new DeviceOwner.Claim(c.userId(), redirect.via(c.replyTo()));
    if (command instanceof DeviceOwner.Release r) return new DeviceOwner.Release(r.userId(), redirect.via(r.replyTo()));
    if (command instanceof DeviceOwner.GetOwner g) return new DeviceOwner.GetOwner(redirect.via(g.replyTo()));
    throw new IllegalArgumentException("no answer of " + command.getClass().getSimpleName() + " can be held");
  }
}
