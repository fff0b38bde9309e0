package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import akka.Done;
import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.cluster.sharding.typed.javadsl.Entity;
import akka.cluster.typed.Cluster;
import akka.cluster.typed.Join;
import akka.pattern.StatusReply;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.push.FcmPushGateway;
import io.parley.user.DeviceOwner;
import io.parley.user.User;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A DELETE and a POST of the same token by the same user, interleaved step by step: whatever the interleaving, a
 * token that ends up stored for the user is owned by them, so that its pushes are not refused as not_owner. The user and owner entities are stand-ins kept in
 * maps, behind real sharding, so that the test can hold one answer back while the other request runs.
 */
class DeviceTokenRaceTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              ConfigFactory.parseString(
                  "akka.actor.provider = cluster\nakka.remote.artery.canonical.port = 0\n"
                      + "akka.remote.artery.canonical.hostname = 127.0.0.1")));

  /** Each user's stored tokens. */
  private static final Map<String, Set<String>> devices = new ConcurrentHashMap<>();
  /** The registration each user's token was last stored by: "user|token". */
  private static final Map<String, String> registrations = new ConcurrentHashMap<>();
  /** Each token entity's owner. */
  private static final Map<String, String> owners = new ConcurrentHashMap<>();
  /** Holds back the answer to the next command of this class, until completed. */
  private static volatile Class<?> heldCommand;
  /** The next command of this class is carried out and never answered, as when its answer is lost. */
  private static volatile Class<?> unansweredCommand;
  private static volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);

  private final Notifications notifications = new Notifications(testKit.system(), FcmPushGateway::requirePushable);

  static {
    Cluster cluster = Cluster.get(testKit.system());
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    ClusterSharding sharding = ClusterSharding.get(testKit.system());
    sharding.init(Entity.of(User.ENTITY_KEY, ctx -> user(ctx.getEntityId())));
    sharding.init(Entity.of(DeviceOwner.ENTITY_KEY, ctx -> owner(ctx.getEntityId())));
  }

  @BeforeEach
  void fresh() {
    devices.clear();
    owners.clear();
    registrations.clear();
    heldCommand = null;
    unansweredCommand = null;
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void aRegistrationBetweenTheStepsOfAnUnregistrationLeavesTheTokenOwned() throws Exception {
    register("ana", "tok-1");

    // The DELETE is held after its first step; the POST runs whole in between.
    CompletionStage<Done> delete = holdingNext(User.UnregisterDevice.class, DeviceOwner.Release.class,
        () -> notifications.unregisterDevice("ana", "tok-1"));
    register("ana", "tok-1");
    gate.complete(null);
    delete.toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertConsistent("ana", "tok-1");
  }

  @Test
  void anUnregistrationBetweenTheOwnerLookupAndTheRestOfARegistrationLeavesTheTokenOwned() throws Exception {
    register("ana", "tok-2");

    // The POST looked the owner up (ana) and is held; the DELETE runs whole in between.
    whileHeld(
            DeviceOwner.GetOwner.class,
            () -> notifications.registerDevice("ana", "tok-2", "ios"),
            () -> notifications.unregisterDevice("ana", "tok-2").toCompletableFuture().get(10, TimeUnit.SECONDS))
        .join();

    assertThat(devices.get("ana")).contains("tok-2");
    assertConsistent("ana", "tok-2");
  }

  @Test
  void twoUsersRegisteringOneTokenAtOnceLeaveItStoredOnlyByItsOwner() throws Exception {
    // ana's claim is made and its answer held; bo takes the token from ana and stores it before ana has stored it,
    // so bo's hand-over finds nothing to take from ana, and ana then stores a token bo owns.
    whileHeld(DeviceOwner.Claim.class, () -> notifications.registerDevice("ana", "tok-3", "ios"), () -> register("bo", "tok-3"))
        .join();

    assertThat(owners.get(DeviceOwner.entityId("tok-3"))).isEqualTo("bo");
    assertThat(devices.get("bo")).contains("tok-3");
    assertThat(devices.get("ana")).doesNotContain("tok-3");
    assertConsistent("ana", "tok-3");
  }

  @Test
  void aRegistrationStoredBetweenTheHandOverAndTheClaimOfAnotherUserIsTakenBackAfterTheClaim() throws Exception {
    register("ana", "tok-4");
    // bo looked ana up as the owner and took the token from her; the answer is held before bo claims it. ana's app
    // registers the token again meanwhile: ana claims it, stores it, and finds herself still the owner.
    whileHeld(User.UnregisterDevice.class, () -> notifications.registerDevice("bo", "tok-4", "ios"), () -> register("ana", "tok-4"))
        .join();

    assertThat(owners.get(DeviceOwner.entityId("tok-4"))).isEqualTo("bo");
    assertThat(devices.get("bo")).contains("tok-4");
    assertThat(devices.get("ana")).doesNotContain("tok-4");
  }

  @Test
  void aRegistrationWhoseStoreWasAppliedButNotAnsweredStillChecksItsOwnership() throws Exception {
    // As above, and ana's store is applied but its answer lost: her request fails, and still undoes the store.
    CompletableFuture<Done> ana =
        whileHeld(
            DeviceOwner.Claim.class,
            () -> notifications.registerDevice("ana", "tok-5", "ios"),
            () -> {
              register("bo", "tok-5");
              unansweredCommand = User.RegisterDevice.class;
            });
    assertThat(ana).isCompletedExceptionally();

    assertThat(owners.get(DeviceOwner.entityId("tok-5"))).isEqualTo("bo");
    assertThat(devices.get("bo")).contains("tok-5");
    assertThat(devices.get("ana")).doesNotContain("tok-5");
  }

  interface Step {
    void run() throws Exception;
  }

  /**
   * Starts {@code request} holding the answer to the next command of class {@code held} (its state change is made),
   * runs {@code meanwhile} once it is held, then lets {@code request} go on and waits until it has completed, either
   * way.
   */
  private CompletableFuture<Done> whileHeld(
      Class<?> held, java.util.function.Supplier<CompletionStage<Done>> request, Step meanwhile) throws Exception {
    heldCommand = held;
    gate = new CompletableFuture<>();
    CompletableFuture<Done> started = request.get().toCompletableFuture();
    await(() -> heldCommand == null);
    meanwhile.run();
    gate.complete(null);
    started.handle((done, failure) -> done).get(20, TimeUnit.SECONDS);
    return started;
  }

  /**
   * Starts {@code request} holding the answer to whichever of the two commands it sends first, and waits until it
   * has been held: the state change is made, only the answer waits.
   */
  private CompletionStage<Done> holdingNext(
      Class<?> one, Class<?> other, java.util.function.Supplier<CompletionStage<Done>> request) {
    gate = new CompletableFuture<>();
    heldFirstOf = Set.of(one, other);
    CompletionStage<Done> started = request.get();
    await(() -> heldFirstOf == null);
    return started;
  }

  private static volatile Set<Class<?>> heldFirstOf;

  private void register(String userId, String token) throws Exception {
    notifications.registerDevice(userId, token, "ios").toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private static void assertConsistent(String userId, String token) {
    boolean stored = devices.getOrDefault(userId, Set.of()).contains(token);
    boolean owned = userId.equals(owners.get(DeviceOwner.entityId(token)));
    // Owned and not stored is harmless: nothing is pushed to it. Stored and not owned, every push to it is refused.
    if (stored) assertThat(owned).as("a token stored for %s is owned by them", userId).isTrue();
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("in time").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  /** Answers now, or once the gate opens when this is the command held back. */
  private static void answer(Object command, Runnable reply) {
    boolean hold = false;
    synchronized (DeviceTokenRaceTest.class) {
      if (command.getClass() == unansweredCommand) {
        unansweredCommand = null;
        return;
      }
      if (command.getClass() == heldCommand) {
        heldCommand = null;
        hold = true;
      } else if (heldFirstOf != null && heldFirstOf.contains(command.getClass())) {
        heldFirstOf = null;
        hold = true;
      }
    }
    if (hold) gate.thenRun(reply);
    else reply.run();
  }

  private static Behavior<User.Command> user(String userId) {
    return Behaviors.receiveMessage(
        command -> {
          Set<String> stored = devices.computeIfAbsent(userId, id -> ConcurrentHashMap.newKeySet());
          if (command instanceof User.RegisterDevice register) {
            stored.add(register.token());
            registrations.put(userId + "|" + register.token(), String.valueOf(register.registration()));
            answer(command, () -> register.replyTo().tell(StatusReply.ack()));
          } else if (command instanceof User.UnregisterDevice unregister) {
            String held = registrations.get(userId + "|" + unregister.token());
            if (unregister.onlyIfRegistration() == null || unregister.onlyIfRegistration().equals(held)) {
              stored.remove(unregister.token());
            }
            answer(command, () -> unregister.replyTo().tell(StatusReply.ack()));
          } else if (command instanceof User.TakeDeviceChange take) {
            take.replyTo().tell(new User.DeviceChangeTaken(0));
          }
          return Behaviors.same();
        });
  }

  private static Behavior<DeviceOwner.Command> owner(String entityId) {
    return Behaviors.receiveMessage(
        command -> {
          String current = owners.get(entityId);
          if (command instanceof DeviceOwner.GetOwner get) {
            answer(command, () -> get.replyTo().tell(new DeviceOwner.Owner(current)));
          } else if (command instanceof DeviceOwner.Claim claim) {
            owners.put(entityId, claim.userId());
            String previous = claim.userId().equals(current) ? null : current;
            answer(command, () -> claim.replyTo().tell(StatusReply.success(new DeviceOwner.Claimed(previous))));
          } else if (command instanceof DeviceOwner.Release release) {
            if (release.userId().equals(current)) owners.remove(entityId);
            answer(command, () -> release.replyTo().tell(StatusReply.ack()));
          }
          return Behaviors.same();
        });
  }
}
