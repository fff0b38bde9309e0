package io.parley.user;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.cluster.sharding.typed.javadsl.ClusterSharding;
import akka.pattern.StatusReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import io.parley.user.User.*;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The user entity's inbox and devices on their own; the testkit also serializes every command, event and state. */
class UserTest {
  private static final Settings SETTINGS = settings(3, 4, 2);

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              EventSourcedBehaviorTestKit.config()
                  // The entity counts online users per node, which needs a cluster member, even a lone one.
                  .withFallback(ConfigFactory.parseString("akka.remote.artery.canonical.port = 0"))));

  private EventSourcedBehaviorTestKit<Command, Event, State> kit;
  private TestProbe<ClusterSharding.ShardCommand> shard;

  @BeforeEach
  void fresh() {
    shard = testKit.createTestProbe();
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u1", shard.ref(), SETTINGS));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void keepsTheNewestNotificationsAndForgetsNoIdempotencyKeyInItsWindow() {
    for (int i = 1; i <= 4; i++) notify("comment", "c" + i, "key-" + i);

    assertThat(kit.getState().inbox().newestFirst()).extracting(Inbox.Notification::title).containsExactly("c4", "c3", "c2");
    assertThat(kit.getState().inbox().unreadCount()).isEqualTo(3);
    Notified again = notify("comment", "c4 again", "key-4");
    assertThat(again.duplicate()).isTrue();
    assertThat(kit.getState().inbox().newestFirst()).hasSize(3);
  }

  @Test
  void aReplayUnderAnotherConfigurationGivesTheSameInboxAndDevices() {
    for (int i = 1; i <= 5; i++) notify("comment", "c" + i, "key-" + i);
    for (String token : List.of("t1", "t2", "t3")) {
      kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice(token, Platform.WEB, r));
    }
    State before = kit.getState();
    assertThat(before.inbox().recentKeys().oldestFirst()).containsExactly("key-2", "key-3", "key-4", "key-5");
    Object[] journal = kit.persistenceTestKit().persistedInStorage("User|u1").toArray();

    for (Settings changed : List.of(settings(100, 100, 10), settings(1, 1, 1))) {
      EventSourcedBehaviorTestKit<Command, Event, State> replay =
          EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u1", shard.ref(), changed));
      replay.initialize(journal);
      assertThat(replay.getState()).as("replayed with %s", changed).isEqualTo(before);
    }
  }

  @Test
  void eventsWrittenBeforeEvictionsWereRecordedReplayWithTheConfiguredBounds() {
    Object[] legacy = new Object[5];
    for (int i = 1; i <= 5; i++) {
      Inbox.Notification n = draft("comment", "c" + i).toNotification(Inbox.idOf(i), 1);
      legacy[i - 1] = new NotificationAdded("u1", n, "key-" + i, null, List.of(), null, null, null, null, null);
    }
    kit.initialize(legacy);

    assertThat(kit.getState().inbox().newestFirst()).extracting(Inbox.Notification::id).containsExactly("n5", "n4", "n3");
    assertThat(kit.getState().inbox().recentKeys().oldestFirst()).containsExactly("key-2", "key-3", "key-4", "key-5");
  }

  @Test
  void aFloodOfMessagesCannotPushASendsKeyOutOfItsWindowNorTheOtherWayRound() {
    notify("job_match", "Match", "job-1-match");
    offline(message("m0", 1, "bo", "first"));
    for (int i = 1; i <= 10; i++) {
      offline(message("m" + i, i + 1, "bo", "message " + i));
    }
    for (int i = 1; i <= 2; i++) notify("comment", "c" + i, "comment-" + i);

    assertThat(notify("job_match", "Match again", "job-1-match").duplicate())
        .as("the send's key outlived ten messages").isTrue();
    offline(message("m10", 11, "bo", "message 10"));
    assertThat(kit.getState().inbox().collapsing("c1").replaced().count()).as("a redelivered message counts once").isEqualTo(11);
    assertThat(kit.getState().inbox().recentKeys().oldestFirst()).containsExactly("job-1-match", "comment-1", "comment-2");
    assertThat(kit.getState().inbox().messageKeys().oldestFirst()).containsExactly("message:m7", "message:m8", "message:m9", "message:m10");
  }

  @Test
  void anInboxSnapshotFromBeforeTheKeyWindowsWereSplitReadsBack() throws Exception {
    var mapper =
        akka.serialization.jackson.JacksonObjectMapperProvider.get(testKit.system()).getOrCreate("jackson-cbor", java.util.Optional.empty());
    byte[] old = mapper.writeValueAsBytes(java.util.Map.of("newestFirst", List.of(), "lastNumber", 7, "recentKeys", List.of("k1", "message:m1")));

    Inbox inbox = mapper.readValue(old, Inbox.class);
    assertThat(inbox.lastNumber()).isEqualTo(7);
    assertThat(inbox.recentKeys().oldestFirst()).containsExactly("k1", "message:m1");
    assertThat(inbox.messageKeys().oldestFirst()).isEmpty();
    assertThat(inbox.seen("message:m1")).isTrue();
    assertThat(mapper.readValue(mapper.writeValueAsBytes(inbox), Inbox.class)).isEqualTo(inbox);
  }

  @Test
  void pushesOnlyWhenNobodyIsConnectedAndTheKindIsPushed() {
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.ANDROID, r));
    var stored = kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft("job_match", "Match"), null, null, r));
    NotificationAdded added = (NotificationAdded) stored.event();
    assertThat(added.pushTo()).extracting(Device::token).containsExactly("phone");
    assertThat(added.userId()).isEqualTo("u1");

    var liked = kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft("like", "Liked"), null, null, r));
    assertThat(((NotificationAdded) liked.event()).pushTo()).isEmpty();

    var forced = kit.<StatusReply<Notified>>runCommand(
        r -> new Notify(new Draft("like", "Liked", "", null, true, null), null, null, r));
    assertThat(((NotificationAdded) forced.event()).pushTo()).hasSize(1);

    TestProbe<ToSession> session = testKit.createTestProbe();
    kit.runCommand(new Connect("s1", session.ref(), System.currentTimeMillis()));
    session.expectMessageClass(Welcome.class);
    var online = kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft("job_match", "Match 2"), null, null, r));
    assertThat(((NotificationAdded) online.event()).pushTo()).isEmpty();
    assertThat(session.expectMessageClass(NotificationNotice.class).notification().title()).isEqualTo("Match 2");
  }

  @Test
  void aPushDecidedRightAfterTheEntityStartedWaitsForSessionsToRegisterAgain() {
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-settle", shard.ref(), settings(10, 10, 2, Duration.ofMinutes(1))));
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.IOS, r));
    NotificationAdded held =
        (NotificationAdded) kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft("job_match", "Match"), null, null, r)).event();
    assertThat(held.pushTo()).extracting(Device::token).containsExactly("phone");
    assertThat(held.pushHeld()).isTrue();
    // A message's notification is not held: every node was just asked whether the user has a session open.
    NotificationAdded message = (NotificationAdded) offline(message("m1", 1, "bo", "hello")).event();
    assertThat(message.pushTo()).extracting(Device::token).containsExactly("phone");
    assertThat(message.pushHeld()).isFalse();

    TestProbe<PushConfirmed> projection = testKit.createTestProbe();
    kit.runCommand(new ConfirmPush(held.notification().id(), projection.ref()));
    TestProbe<ToSession> session = testKit.createTestProbe();
    kit.runCommand(new Connect("s1", session.ref(), System.currentTimeMillis()));
    assertThat(projection.receiveMessage().push())
        .as("the first answer comes once a session registered, and says no")
        .isFalse();
    kit.runCommand(new Disconnect("s1"));
    kit.runCommand(new ConfirmPush(held.notification().id(), projection.ref()));
    assertThat(projection.receiveMessage().push())
        .as("asked late, after the session left again: the user was online when it was decided")
        .isFalse();

    // Another start, and no session comes back: the push is held for the settle time, then confirmed.
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-settle", shard.ref(), settings(10, 10, 2, Duration.ofSeconds(3))));
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.IOS, r));
    NotificationAdded again =
        (NotificationAdded) kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft("job_match", "Match 2"), null, null, r)).event();
    assertThat(again.pushHeld()).isTrue();
    kit.runCommand(new ConfirmPush(again.notification().id(), projection.ref()));
    assertThat(projection.receiveMessage(Duration.ofSeconds(10)).push()).isTrue();

    NotificationAdded settled =
        (NotificationAdded) kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft("job_match", "Match 3"), null, null, r)).event();
    assertThat(settled.pushHeld()).as("once settled, an offline user's push goes at once").isFalse();
    assertThat(settled.pushTo()).hasSize(1);
  }

  @Test
  void answersAtOnceWhichPushesAreStillDueAsTheirNotificationsAreNow() {
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-due", shard.ref(), settings(10, 10, 2, Duration.ofMinutes(1))));
    String read = notify("job_match", "Read on another device", null).notificationId();
    String unread = notify("job_match", "Still unread", null).notificationId();
    kit.<StatusReply<UnreadCount>>runCommand(r -> new MarkNotificationsRead(read, r));

    TestProbe<PushConfirmed> projection = testKit.createTestProbe();
    kit.runCommand(new ConfirmPush(null, projection.ref(), List.of(read, unread, "n99"), List.of()));

    // None was held: the answer does not wait for presence to settle (a minute here).
    assertThat(projection.receiveMessage(Duration.ofSeconds(3)).pushable())
        .extracting(Inbox.Notification::title)
        .containsExactly("Still unread");
  }

  @Test
  void presenceSettlesFromTheEndOfRecoveryNotFromTheStart() {
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-slow", shard.ref(), settings(10, 10, 2, Duration.ofSeconds(2))));
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.IOS, r));
    // A long journal: replaying it takes longer than the whole settle time.
    kit.persistenceTestKit().withPolicy(new SlowReplay("User|u-slow", Duration.ofSeconds(3)));
    try {
      var restarted = testKit.spawn(User.create("u-slow", shard.ref(), settings(10, 10, 2, Duration.ofSeconds(2))));
      TestProbe<StatusReply<Notified>> sender = testKit.createTestProbe();
      restarted.tell(new Notify(draft("job_match", "Match"), null, null, sender.ref()));
      assertThat(sender.receiveMessage(Duration.ofSeconds(10)).isSuccess()).isTrue();

      List<Object> journal = kit.persistenceTestKit().persistedInStorage("User|u-slow");
      NotificationAdded added = (NotificationAdded) journal.get(journal.size() - 1);
      assertThat(added.pushHeld()).as("decided right after recovery, while sessions may still come back").isTrue();
      testKit.stop(restarted);
    } finally {
      kit.persistenceTestKit().resetPolicy();
    }
  }

  /** Replays one entity's events only after a delay, as a long journal would. */
  private record SlowReplay(String persistenceId, Duration delay)
      implements akka.persistence.testkit.ProcessingPolicy<akka.persistence.testkit.JournalOperation> {
    @Override
    public akka.persistence.testkit.ProcessingResult tryProcess(
        String id, akka.persistence.testkit.JournalOperation operation) {
      if (id.equals(persistenceId) && operation instanceof akka.persistence.testkit.ReadEvents) {
        try {
          Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return akka.persistence.testkit.ProcessingSuccess.getInstance();
    }
  }

  @Test
  void messagesWhileOfflineCollapseIntoOneNotificationPerConversationUntilRead() {
    offline(message("m1", 1, "bo", "Hi"));
    offline(message("m2", 2, "bo", "Are you there?"));
    offline(message("m2", 2, "bo", "Are you there?"));
    offline(message("m3", 3, "u1", "my own"));

    assertThat(kit.getState().inbox().newestFirst()).singleElement().satisfies(n -> {
      assertThat(n.count()).as("a redelivered message counts once").isEqualTo(2);
      assertThat(n.body()).isEqualTo("2 new messages from bo");
      assertThat(n.collapseKey()).isEqualTo("c1");
    });

    kit.runCommand(new Deliver(new Conversation.ReceiptNotice("c1", "u1", Conversation.ReceiptKind.READ, 2)));
    assertThat(kit.getState().inbox().unreadCount()).isZero();

    offline(message("m4", 4, "bo", "New one"));
    assertThat(kit.getState().inbox().newestFirst()).hasSize(2);
    assertThat(kit.getState().inbox().newestFirst().get(0).count()).isEqualTo(1);
  }

  @Test
  void aMessageToldLiveIsNeitherStoredNorPushedWhenTheUserHasLeftByTheTimeTheJournalBringsIt() {
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.ANDROID, r));
    TestProbe<ToSession> session = testKit.createTestProbe();
    kit.runCommand(new Connect("s1", session.ref(), System.currentTimeMillis()));
    session.expectMessageClass(Welcome.class);
    assertThat(offline(message("m0", 1, "bo", "while here")).hasNoEvents()).as("online now").isTrue();
    kit.runCommand(new Deliver(new Conversation.MessageNotice(message("m1", 2, "bo", "live"), null)));
    assertThat(session.expectMessageClass(Delivered.class).notice()).isInstanceOf(Conversation.MessageNotice.class);
    kit.runCommand(new Disconnect("s1"));

    var told = offline(message("m1", 2, "bo", "live"));
    assertThat(told.hasNoEvents()).as("told live before the user left").isTrue();
    assertThat(told.reply()).isEqualTo(akka.Done.getInstance());
    var missed = offline(message("m2", 3, "bo", "after you left"));
    NotificationAdded added = (NotificationAdded) missed.event();
    assertThat(added.notification().body()).isEqualTo("after you left");
    assertThat(added.pushTo()).extracting(Device::token).containsExactly("phone");
    assertThat(missed.reply()).isEqualTo(akka.Done.getInstance());
  }

  @Test
  void aMessageNotifiedWhilePresenceSettlesIsToldToTheSessionThatComesBack() {
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-back", shard.ref(), settings(10, 10, 2, Duration.ofMinutes(1))));
    offline(message("m1", 1, "bo", "while the entity restarted"));
    TestProbe<ToSession> session = testKit.createTestProbe();
    kit.runCommand(new Connect("s1", session.ref(), System.currentTimeMillis()));
    session.expectMessageClass(Welcome.class);
    NotificationNotice told = session.expectMessageClass(NotificationNotice.class);
    assertThat(told.notification().body()).isEqualTo("while the entity restarted");
    assertThat(told.unreadCount()).isEqualTo(1);
  }

  @Test
  void noticesThatCameBeforeASessionRegisteredAgainAfterAMoveAreReplayedToIt() {
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-moved", shard.ref(), settings(10, 10, 2, Duration.ofMinutes(1))));
    // The entity has just started elsewhere: one of two devices has registered again, the other not yet.
    TestProbe<ToSession> first = testKit.createTestProbe();
    kit.runCommand(new Connect("s1", first.ref(), System.currentTimeMillis()));
    first.expectMessageClass(Welcome.class);
    kit.runCommand(new Deliver(new Conversation.MessageNotice(message("m1", 1, "bo", "while the second moved"), null)));
    kit.runCommand(new Deliver(new Conversation.TypingNotice("g_1", "bo", true, 6000)));
    kit.runCommand(new Deliver(new Conversation.ReceiptNotice("g_1", "bo", Conversation.ReceiptKind.READ, 1)));
    first.expectMessageClass(Delivered.class);
    first.expectMessageClass(Delivered.class);
    first.expectMessageClass(Delivered.class);

    TestProbe<ToSession> second = testKit.createTestProbe();
    kit.runCommand(new Connect("s2", second.ref(), System.currentTimeMillis()));
    second.expectMessageClass(Welcome.class);
    assertThat(second.expectMessageClass(Delivered.class).notice())
        .isInstanceOf(Conversation.MessageNotice.class);
    assertThat(second.expectMessageClass(Delivered.class).notice())
        .as("typing is not replayed: it is stale by now")
        .isInstanceOf(Conversation.ReceiptNotice.class);
    second.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aNotificationThatCollapsedAnotherWhilePresenceSettledTellsTheDeviceWhichOneToDrop() {
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), User.create("u-collapse", shard.ref(), settings(10, 10, 2, Duration.ofMinutes(1))));
    TestProbe<ToSession> before = testKit.createTestProbe();
    kit.runCommand(new Connect("s1", before.ref(), System.currentTimeMillis()));
    before.expectMessageClass(Welcome.class);
    String first =
        kit.<StatusReply<Notified>>runCommand(r -> new Notify(collapsing("Ana likes your post", "likes"), "k1", null, r))
            .reply()
            .getValue()
            .notificationId();
    String firstId = before.expectMessageClass(NotificationNotice.class).notification().id();
    assertThat(firstId).isEqualTo(first);

    // The entity moves: its sessions register again only after the next notification collapsed the first.
    kit.restart();
    kit.<StatusReply<Notified>>runCommand(r -> new Notify(collapsing("Ana and Bo like your post", "likes"), "k2", null, r));
    TestProbe<ToSession> after = testKit.createTestProbe();
    kit.runCommand(new Connect("s2", after.ref(), System.currentTimeMillis()));
    after.expectMessageClass(Welcome.class);
    NotificationNotice told = after.expectMessageClass(NotificationNotice.class);
    assertThat(told.notification().title()).isEqualTo("Ana and Bo like your post");
    assertThat(told.replacedId()).isEqualTo(firstId);
  }

  @Test
  void deviceChangesGetABurstThenWaitForTheRate() {
    // settings(...): a burst of 3, then one a minute.
    for (int i = 0; i < 3; i++) {
      assertThat(kit.<DeviceChangeTaken>runCommand(TakeDeviceChange::new).reply().retryAfterMillis()).isZero();
    }
    long wait = kit.<DeviceChangeTaken>runCommand(TakeDeviceChange::new).reply().retryAfterMillis();
    assertThat(wait).isBetween(59_000L, 60_000L);
    assertThat(kit.<DeviceChangeTaken>runCommand(TakeDeviceChange::new).reply().retryAfterMillis()).isPositive();
  }

  /** Passivating would refill the budget: an entity whose bucket is not full again stays, however idle, until it is. */
  @Test
  void anIdleEntityStaysUntilItsDeviceBudgetIsFullAgain() {
    Settings quick = new Settings(
        20, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ZERO, 3, 4, 4, 2, 1, 3, Set.of("message"), 4,
        128 * 1024);
    TestProbe<ClusterSharding.ShardCommand> untouchedShard = testKit.createTestProbe();
    EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u-untouched", untouchedShard.ref(), quick));
    TestProbe<ClusterSharding.ShardCommand> changedShard = testKit.createTestProbe();
    var changed = EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u-changed", changedShard.ref(), quick));
    assertThat(changed.<DeviceChangeTaken>runCommand(TakeDeviceChange::new).reply().retryAfterMillis()).isZero();

    Settings refillsFast = new Settings(
        20, Duration.ofMillis(100), Duration.ofSeconds(5), Duration.ZERO, 3, 4, 4, 2, 600, 3, Set.of("message"), 4,
        128 * 1024);
    TestProbe<ClusterSharding.ShardCommand> refilledShard = testKit.createTestProbe();
    var refilled = EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u-refilled", refilledShard.ref(), refillsFast));
    assertThat(refilled.<DeviceChangeTaken>runCommand(TakeDeviceChange::new).reply().retryAfterMillis()).isZero();

    untouchedShard.expectMessageClass(ClusterSharding.Passivate.class, Duration.ofSeconds(3));
    changedShard.expectNoMessage(Duration.ofSeconds(1));
    refilledShard.expectMessageClass(ClusterSharding.Passivate.class, Duration.ofSeconds(3));
  }

  @Test
  void tooManySessionsCloseTheOldestByConnectionTimeWhateverOrderTheyRegisteredInAndItStaysClosed() {
    Settings two = new Settings(
        2, Duration.ofMinutes(1), Duration.ofSeconds(5), Duration.ZERO, 10, 10, 10, 2, 10, 20, Set.of("message"), 4,
        128 * 1024);
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u-many", shard.ref(), two));
    TestProbe<ToSession> second = testKit.createTestProbe();
    TestProbe<ToSession> first = testKit.createTestProbe();
    TestProbe<ToSession> third = testKit.createTestProbe();
    // After a move, the sessions register again in any order: here the newer one first.
    kit.runCommand(new Connect("s2", second.ref(), 2_000));
    kit.runCommand(new Connect("s1", first.ref(), 1_000));
    kit.runCommand(new Connect("s3", third.ref(), 3_000));
    first.expectMessageClass(Welcome.class);
    assertThat(first.expectMessageClass(Evicted.class)).isNotNull();
    second.expectMessageClass(Welcome.class);
    second.expectNoMessage(Duration.ofMillis(200));

    kit.runCommand(new Connect("s1", first.ref(), 1_000));
    first.expectNoMessage(Duration.ofMillis(200));
    second.expectNoMessage(Duration.ofMillis(100));
    third.expectMessageClass(Welcome.class);
    third.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aMessageWhoseTextMayHaveChangedIsNotifiedWithoutIt() {
    var stored = offline(message("m1", 1, "bo", "taken back since").withoutContent());
    assertThat(((NotificationAdded) stored.event()).notification().body()).isEqualTo("New message");
  }

  /**
   * The message inboxes take a message from its conversation and tell it here a moment later; its sender's edit or
   * delete in between reaches the entity first, as the conversation's notice, before there is a notification to revise.
   */
  @Test
  void anEditThatCameBeforeItsMessagesNotificationIsWhatTheNotificationAndItsPushShow() {
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.ANDROID, r));
    MessageView taken = message("m1", 1, "bo", "see you at 8");
    Instant editedAt = taken.at().plusSeconds(1);
    var early = kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(taken.edited("see you at 9", editedAt))));
    assertThat(early.hasNoEvents()).as("nothing to revise yet").isTrue();

    var notified = offline(taken);
    NotificationAdded added = (NotificationAdded) notified.event();
    assertThat(added.notification().body()).isEqualTo("see you at 9");
    assertThat(added.pushTo()).extracting(Device::token).containsExactly("phone");
    assertThat(notified.reply()).isEqualTo(akka.Done.getInstance());

    var again = offline(taken);
    assertThat(again.hasNoEvents()).as("a retry is the same message").isTrue();
    assertThat(kit.getState().inbox().newestFirst()).singleElement()
        .satisfies(n -> assertThat(n.body()).isEqualTo("see you at 9"));
  }

  @Test
  void aDeleteThatCameBeforeItsMessagesNotificationLeavesNothingToStoreOrPush() {
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("phone", Platform.ANDROID, r));
    MessageView taken = message("m1", 1, "bo", "the secret I take back");
    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(taken.tombstone(taken.at().plusSeconds(2)))));
    // An edit made before the delete, heard after it: its conversation moved in between.
    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(taken.edited("still secret", taken.at().plusSeconds(1)))));

    var notified = offline(taken);
    assertThat(notified.hasNoEvents()).as("no notification, so no push").isTrue();
    assertThat(notified.reply()).as("answered, so that the inboxes move on").isEqualTo(akka.Done.getInstance());
    assertThat(offline(taken).hasNoEvents()).as("nor when the inboxes retry").isTrue();
    assertThat(kit.getState().inbox().newestFirst()).isEmpty();

    NotificationAdded later = (NotificationAdded) offline(message("m2", 2, "bo", "a later message")).event();
    assertThat(later.notification().count()).as("the deleted message is not counted").isEqualTo(1);
    assertThat(later.notification().body()).isEqualTo("a later message");
  }

  @Test
  void ofTwoEditsHeardEarlyOutOfOrderTheNewerIsWhatTheNotificationShows() {
    MessageView taken = message("m1", 1, "bo", "as posted");
    Instant at = taken.at();
    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(taken.edited("second edit", at.plusSeconds(2)))));
    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(taken.edited("first edit", at.plusSeconds(1)))));

    var notified = offline(taken);
    assertThat(((NotificationAdded) notified.event()).notification().body()).isEqualTo("second edit");
  }

  @Test
  void anEditHeardEarlyIsNotShownOverTheLaterTextTheNotificationTook() {
    MessageView posted = message("m1", 1, "bo", "first");
    Instant at = posted.at();
    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(posted.edited("second", at.plusSeconds(1)))));

    var notified = offline(posted.edited("third", at.plusSeconds(2)));
    assertThat(((NotificationAdded) notified.event()).notification().body()).isEqualTo("third");
  }

  @Test
  void changesHeardOutOfOrderNeverBringBackADeletedOrReplacedText() {
    MessageView posted = message("m1", 1, "bo", "first");
    Instant at = posted.at();
    offline(posted);
    // Notices of a conversation that moved between two changes may come in either order.
    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(posted.edited("third", at.plusSeconds(3)))));
    var older = kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(posted.edited("second", at.plusSeconds(2)))));
    assertThat(older.hasNoEvents()).as("an edit older than the text shown").isTrue();
    assertThat(kit.getState().inbox().newestFirst()).singleElement()
        .satisfies(n -> assertThat(n.body()).isEqualTo("third"));

    kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(posted.tombstone(at.plusSeconds(5)))));
    var afterDelete =
        kit.runCommand(new Deliver(new Conversation.MessageChangedNotice(posted.edited("taken back", at.plusSeconds(4)))));
    assertThat(afterDelete.hasNoEvents()).as("an edit heard after the delete").isTrue();
    assertThat(kit.getState().inbox().newestFirst()).singleElement()
        .satisfies(n -> assertThat(n.body()).isEqualTo("Message deleted"))
        .satisfies(n -> assertThat(n.data()).contains("\"deleted\":true").doesNotContain("taken back"));
  }

  @Test
  void readingAConversationReadsOnlyTheMessageNotificationsItReadUpTo() {
    kit.<StatusReply<Notified>>runCommand(
        r -> new Notify(new Draft("comment", "Bo commented", "", null, null, "c1"), null, null, r));
    var otherKind = kit.runCommand(new Deliver(new Conversation.ReceiptNotice("c1", "u1", Conversation.ReceiptKind.READ, 5)));
    assertThat(otherKind.hasNoEvents()).as("a comment that shares the conversation's collapse key is not a message").isTrue();
    kit.<StatusReply<UnreadCount>>runCommand(r -> new MarkNotificationsRead("n1", r));

    offline(message("m1", 6, "bo", "Hi"));
    offline(message("m2", 7, "bo", "Still there?"));
    var upTo6 = kit.runCommand(new Deliver(new Conversation.ReceiptNotice("c1", "u1", Conversation.ReceiptKind.READ, 6)));
    assertThat(upTo6.hasNoEvents()).as("message 7 is still unread").isTrue();
    assertThat(kit.getState().inbox().unreadCount()).isEqualTo(1);

    kit.runCommand(new Deliver(new Conversation.ReceiptNotice("c1", "u1", Conversation.ReceiptKind.READ, 7)));
    assertThat(kit.getState().inbox().unreadCount()).isZero();
  }

  @Test
  void aPageOfLargeNotificationsStaysWithinItsBytesAndPagesOnWithACursor() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), User.create("u-large", shard.ref(), settings(100, 4, 2)));
    // As large as the admin route lets a notification be, in characters that take the most bytes.
    String title = "é".repeat(200);
    String body = "😀".repeat(2000);
    String data = "{\"blob\":\"" + "x".repeat(4000) + "\"}";
    for (int i = 0; i < 40; i++) {
      kit.<StatusReply<Notified>>runCommand(r -> new Notify(new Draft("system", title, body, data, false, null), null, null, r));
    }

    akka.serialization.Serialization serialization = akka.serialization.SerializationExtension.get(testKit.system());
    List<String> seen = new java.util.ArrayList<>();
    long before = Long.MAX_VALUE;
    while (true) {
      long cursor = before;
      Inbox.Page page = kit.<Inbox.Page>runCommand(r -> new ListNotifications(false, cursor, 200, r)).reply();
      int bytes = serialization.serialize(page).get().length;
      assertThat(bytes).as("a serialized page").isLessThanOrEqualTo(128 * 1024);
      assertThat(page.notifications()).isNotEmpty();
      page.notifications().forEach(n -> seen.add(n.id()));
      if (!page.hasMore()) break;
      before = page.notifications().get(page.notifications().size() - 1).number();
    }
    assertThat(seen).hasSize(40).doesNotHaveDuplicates().first().isEqualTo("n40");
  }

  @Test
  void keepsTheNewestDevicesAndForgetsRemovedOnes() {
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("t1", Platform.ANDROID, r));
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("t2", Platform.IOS, r));
    var third = kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("t3", Platform.WEB, r));

    assertThat(third.events()).containsExactly(
        new DeviceRemoved("t1", "device_limit"), third.events().get(1));
    assertThat(kit.getState().devices()).extracting(Device::token).containsExactly("t2", "t3");

    kit.runCommand(new UnregisterDevice("t2", "unregistered", null));
    assertThat(kit.getState().devices()).extracting(Device::token).containsExactly("t3");
    assertThat(kit.restart().state().devices()).extracting(Device::token).containsExactly("t3");
  }

  /** A conditional removal forgets the token only while it is held from the registration it names. */
  @Test
  void aConditionalRemovalForgetsOnlyTheRegistrationItNames() {
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("t1", Platform.ANDROID, "first", r));
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("t1", Platform.ANDROID, "again", r));
    kit.<StatusReply<akka.Done>>runCommand(r -> new RegisterDevice("t2", Platform.IOS, r));
    assertThat(kit.getState().devices()).extracting(Device::registration).containsExactly("again", null);

    var stale = kit.<StatusReply<akka.Done>>runCommand(
        r -> new UnregisterDevice("t1", "registered_by_another_user", "first", r));
    assertThat(stale.events()).isEmpty();
    assertThat(stale.reply().isSuccess()).isTrue();
    assertThat(kit.getState().devices()).extracting(Device::token).containsExactly("t1", "t2");

    var current = kit.<StatusReply<akka.Done>>runCommand(
        r -> new UnregisterDevice("t1", "registered_by_another_user", "again", r));
    assertThat(current.events()).containsExactly(new DeviceRemoved("t1", "registered_by_another_user"));
    assertThat(kit.restart().state().devices()).extracting(Device::token).containsExactly("t2");

    // t2 was stored with no registration id, as a node of an earlier version stores every token: any id names it.
    var unnamed = kit.<StatusReply<akka.Done>>runCommand(
        r -> new UnregisterDevice("t2", "registered_by_another_user", "any", r));
    assertThat(unnamed.events()).containsExactly(new DeviceRemoved("t2", "registered_by_another_user"));
  }

  @Test
  void marksOneOrAllReadAndRefusesUnknownIds() {
    notify("comment", "a", null);
    notify("comment", "b", null);

    var unknown = kit.<StatusReply<UnreadCount>>runCommand(r -> new MarkNotificationsRead("n9", r));
    assertThat(unknown.reply().isError()).isTrue();
    var one = kit.<StatusReply<UnreadCount>>runCommand(r -> new MarkNotificationsRead("n1", r));
    assertThat(one.reply().getValue().unreadCount()).isEqualTo(1);
    var all = kit.<StatusReply<UnreadCount>>runCommand(r -> new MarkNotificationsRead(null, r));
    assertThat(all.reply().getValue().unreadCount()).isZero();
    var nothingLeft = kit.<StatusReply<UnreadCount>>runCommand(r -> new MarkNotificationsRead(null, r));
    assertThat(nothingLeft.hasNoEvents()).isTrue();
  }

  @Test
  void aLastSeenTimeStoredWhileInvisibleByAnEarlierVersionDoesNotShowAfterAReplay() {
    Instant seen = Instant.parse("2026-01-01T10:00:00Z");
    kit.initialize(new LastSeen(seen), new StatusChosen(Status.INVISIBLE), new LastSeen(seen.plusSeconds(3600)));

    assertThat(kit.<Presence>runCommand(GetPresence::new).reply())
        .isEqualTo(new Presence("u1", Status.OFFLINE, seen));
  }

  private static Settings settings(int inboxSize, int keyWindow, int maxDevices) {
    return settings(inboxSize, keyWindow, maxDevices, Duration.ZERO);
  }

  private static Settings settings(int inboxSize, int keyWindow, int maxDevices, Duration presenceSettle) {
    return new Settings(
        20, Duration.ofMinutes(1), Duration.ofSeconds(5), presenceSettle, inboxSize, keyWindow, keyWindow, maxDevices,
        1, 3, Set.of("message", "job_match"), 4, 128 * 1024);
  }

  private Notified notify(String kind, String title, String key) {
    return kit.<StatusReply<Notified>>runCommand(r -> new Notify(draft(kind, title), key, null, r)).reply().getValue();
  }

  private static Draft draft(String kind, String title) {
    return new Draft(kind, title, "", "{\"x\":1}", null, null);
  }

  private static Draft collapsing(String title, String collapseKey) {
    return new Draft("like", title, "", "{\"x\":1}", null, collapseKey);
  }

  /** The message as it reaches the inbox from the journal ({@code notification.MessageInboxes}). */
  private EventSourcedBehaviorTestKit.CommandResultWithReply<Command, Event, State, akka.Done> offline(MessageView message) {
    return kit.runCommand(r -> new NotifyMessage(new Conversation.MessageNotice(message, null), r));
  }

  private static MessageView message(String id, long seq, String sender, String content) {
    return new MessageView("c1", id, seq, sender, "cm-" + id, content, null, Instant.now(), null, null);
  }
}
