package io.parley.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.webhook.WebhookIntake.*;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An intake partition: every delivery is journaled, a redelivery as such; the testkit serializes all of it. */
class WebhookIntakeTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              EventSourcedBehaviorTestKit.config()
                  .withFallback(ConfigFactory.parseString("akka.actor.provider = local"))));

  private final WebhookSettings settings =
      WebhookSettings.fromConfig(
          ParleyConfig.load(ConfigFactory.parseString(
              "parley.webhook { secret = s, dedup-window = 2, snapshot-every = 2, tag-slices = 4, journal-plugin = \"\" }")),
          false);
  private EventSourcedBehaviorTestKit<Command, Event, WebhookIntake.State> kit;

  @BeforeEach
  void fresh() {
    // The state itself never leaves the entity: its snapshot adapter turns it into a Snapshot record, checked below.
    kit =
        EventSourcedBehaviorTestKit.create(
            testKit.system(),
            WebhookIntake.create(5, settings),
            EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void storesAnEventThenRecordsItsRedeliveryWithoutProcessingItAgain() {
    var first = kit.<Accepted>runCommand(r -> new Accept(delivery("k1"), r));
    var again = kit.<Accepted>runCommand(r -> new Accept(delivery("k1"), r));

    assertThat(first.reply().duplicate()).isFalse();
    assertThat(first.event()).isInstanceOf(WebhookReceived.class);
    assertThat(again.reply().duplicate()).isTrue();
    assertThat(again.event()).isInstanceOf(WebhookRedelivered.class);
    Stats stats = kit.<Stats>runCommand(GetStats::new).reply();
    assertThat(stats.received()).isEqualTo(2);
    assertThat(stats.duplicates()).isEqualTo(1);
  }

  @Test
  void remembersTheNewestKeysAcrossARestart() {
    kit.<Accepted>runCommand(r -> new Accept(delivery("k1"), r));
    kit.<Accepted>runCommand(r -> new Accept(delivery("k2"), r));
    kit.<Accepted>runCommand(r -> new Accept(delivery("k3"), r));

    kit.restart();

    assertThat(kit.<Accepted>runCommand(r -> new Accept(delivery("k3"), r)).reply().duplicate()).isTrue();
    // The window holds two keys: the oldest has been forgotten.
    assertThat(kit.<Accepted>runCommand(r -> new Accept(delivery("k1"), r)).reply().duplicate()).isFalse();
    assertThat(kit.<Stats>runCommand(GetStats::new).reply().received()).isEqualTo(5);
  }

  @Test
  void theSnapshotCarriesTheWindowInItsOrder() {
    WebhookIntake.State state = new WebhookIntake.State(3);
    for (String key : java.util.List.of("k1", "k2", "k3")) state.remember(key);
    Snapshot snapshot = state.snapshot();
    assertThat(snapshot.keys()).as("empty, for a node of the version before digests").isEmpty();
    assertThat(snapshot.keyDigests()).hasSize(3 * 16);

    WebhookIntake.State restored =
        WebhookIntake.State.of(new SerializationTestKit(testKit.system()).verifySerialization(snapshot, false), 3);
    assertThat(restored.seen("k1")).isTrue();
    assertThat(restored.seen("k3")).isTrue();
    assertThat(restored.seen("k4")).isFalse();
    restored.remember("k4");
    assertThat(restored.seen("k1")).as("the oldest key is still the first to go").isFalse();
    assertThat(restored.seen("k2")).isTrue();
  }

  /** What snapshots held before digests: the keys themselves, and no keyDigests field at all. */
  record SnapshotWithKeys(java.util.List<String> keys, long received, long duplicates, java.time.Instant lastEventAt)
      implements io.parley.CborSerializable {}

  @Test
  void aSnapshotTakenWithKeysStillRestores() throws Exception {
    var serialization = akka.serialization.SerializationExtension.get(testKit.system());
    var old = new SnapshotWithKeys(java.util.List.of("k0", "k1", "k2"), 3, 1, java.time.Instant.parse("2024-05-01T12:00:00Z"));
    var serializer = (akka.serialization.SerializerWithStringManifest) serialization.findSerializerFor(old);
    Snapshot read = (Snapshot) serializer.fromBinary(serializer.toBinary(old), Snapshot.class.getName());

    WebhookIntake.State restored = WebhookIntake.State.of(read, 2);
    assertThat(restored.seen("k0")).as("the oldest key of a window of two").isFalse();
    assertThat(restored.seen("k1")).isTrue();
    assertThat(restored.seen("k2")).isTrue();
    assertThat(restored.seen("k3")).isFalse();
    assertThat(restored.stats()).isEqualTo(new Stats(3, 1, java.time.Instant.parse("2024-05-01T12:00:00Z")));
  }

  @Test
  void aNodeOfTheVersionBeforeDigestsReadsANewSnapshot() throws Exception {
    WebhookIntake.State state = new WebhookIntake.State(3);
    state.remember("k1");
    var serialization = akka.serialization.SerializationExtension.get(testKit.system());
    var serializer = (akka.serialization.SerializerWithStringManifest) serialization.findSerializerFor(state.snapshot());
    // What the previous version did with it: read it as its own record, and restore every key in it.
    var read = (SnapshotWithKeys) serializer.fromBinary(serializer.toBinary(state.snapshot()), SnapshotWithKeys.class.getName());
    assertThat(read.keys()).isEmpty();
  }

  @Test
  void tagsEveryEventWithThePartitionsSlice() {
    assertThat(WebhookIntake.sliceTag(5 % 4)).isEqualTo("webhook-1");
    assertThat(WebhookIntake.partitionOf(Kind.JOB, "42", 32)).isEqualTo(WebhookIntake.partitionOf(Kind.JOB, "42", 32));
  }

  private static Delivery delivery(String key) {
    return new Delivery(key, null, Kind.JOB, "jobs", "public", "INSERT", "42", "{\"id\":\"42\"}", null, "shared-secret");
  }
}
