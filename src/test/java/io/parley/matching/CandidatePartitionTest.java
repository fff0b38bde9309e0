package io.parley.matching;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.SerializationTestKit;
import akka.actor.typed.javadsl.Adapter;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.serialization.Serialization;
import akka.serialization.SerializationExtension;
import akka.serialization.jackson.JacksonCborSerializer;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import akka.serialization.jackson.JacksonObjectMapperProvider;
import io.parley.matching.CandidatePartition.*;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A partition of the candidate index; the testkit also serializes every command, event, reply and snapshot. */
class CandidatePartitionTest {
  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              EventSourcedBehaviorTestKit.config()
                  .withFallback(ConfigFactory.parseString("akka.actor.provider = local"))));

  private final MatchingSettings settings =
      MatchingSettings.fromConfig(
          ParleyConfig.load(ConfigFactory.parseString("parley.matching { page-size = 2, snapshot-every = 3 }")));
  private EventSourcedBehaviorTestKit<Command, Event, CandidateIndex> kit;

  @BeforeEach
  void fresh() {
    kit = partition("0", settings);
  }

  private static EventSourcedBehaviorTestKit<Command, Event, CandidateIndex> partition(
      String id, MatchingSettings settings) {
    // The state itself never leaves the entity: its snapshot adapter turns it into a Snapshot record, checked below.
    return EventSourcedBehaviorTestKit.create(
        testKit.system(),
        CandidatePartition.create(id, settings),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyState(false));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void indexesOnceAndIgnoresAnIdenticalProfile() {
    var first = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), null, null, r));
    var again = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), null, null, r));

    assertThat(first.events()).hasSize(1);
    assertThat(again.events()).isEmpty();
    assertThat(again.reply()).isTrue();
  }

  @Test
  void pagesThroughTheMatchesOfAJob() {
    for (int i = 0; i < 5; i++) {
      int n = i;
      kit.<Boolean>runCommand(r -> new Index(candidate("c" + n, "java"), null, null, r));
    }
    JobPosting job = job("j");

    List<String> seen = pageThrough(job, null, 2);

    assertThat(seen).containsExactly("u-c0", "u-c1", "u-c2", "u-c3", "u-c4");
  }

  @Test
  void aJobPagedBetweenThePagesOfAnotherDoesNotMakeItSkipACandidateWhenTheIndexChanges() {
    for (int i = 0; i < 6; i++) {
      int n = i;
      kit.<Boolean>runCommand(r -> new Index(candidate("c" + n, "java"), null, null, r));
    }
    JobPosting first = job("j1");
    MatchPage firstPage = kit.<MatchPage>runCommand(r -> new FindMatches(first, null, 3, r)).reply();
    kit.<MatchPage>runCommand(r -> new FindMatches(job("j2"), null, 3, r));
    // A candidate of the first page leaves: recomputed, the rest would move up and one would fall between the pages.
    String leaving = firstPage.toMatches().get(0).userId().substring("u-".length());
    kit.<Boolean>runCommand(r -> new Remove(leaving, null, null, r));
    MatchPage secondPage = kit.<MatchPage>runCommand(r -> new FindMatches(first, firstPage.next(), 3, r)).reply();

    List<String> seen = new ArrayList<>();
    firstPage.toMatches().forEach(m -> seen.add(m.userId()));
    secondPage.toMatches().forEach(m -> seen.add(m.userId()));
    assertThat(seen).containsExactlyInAnyOrder("u-c0", "u-c1", "u-c2", "u-c3", "u-c4", "u-c5");
  }

  @Test
  void aCandidateDeletedOrOptedOutWhileAJobIsPagedIsNotInItsLaterPages() {
    for (int i = 0; i < 6; i++) {
      int n = i;
      kit.<Boolean>runCommand(r -> new Index(candidate("c" + n, "java"), null, null, r));
    }
    JobPosting job = job("j");
    MatchPage firstPage = kit.<MatchPage>runCommand(r -> new FindMatches(job, null, 3, r)).reply();
    List<String> later = new ArrayList<>(List.of("u-c0", "u-c1", "u-c2", "u-c3", "u-c4", "u-c5"));
    firstPage.toMatches().forEach(m -> later.remove(m.userId()));
    String deleted = later.get(0).substring("u-".length());
    String optedOut = later.get(1).substring("u-".length());
    kit.<Boolean>runCommand(r -> new Remove(deleted, null, null, r));
    CandidateProfile noAlerts = new CandidateProfile(optedOut, "u-" + optedOut, List.of("java"), Level.SENIOR, "paris", "Paris", true, false);
    kit.<Boolean>runCommand(r -> new Index(noAlerts, null, null, r));

    assertThat(pageThrough(job, firstPage.next(), 3)).containsExactly(later.get(2));
  }

  @Test
  void aRestartBetweenTwoPagesSkipsNoCandidateOfEqualScore() {
    // Freed slots are reused, so the posting list's order is not the candidates', and recovery orders them anew.
    for (int i = 0; i < 6; i++) {
      int n = i;
      kit.<Boolean>runCommand(r -> new Index(candidate("c" + n, "java"), null, null, r));
    }
    kit.<Boolean>runCommand(r -> new Remove("c1", null, null, r));
    kit.<Boolean>runCommand(r -> new Remove("c3", null, null, r));
    kit.<Boolean>runCommand(r -> new Index(candidate("c6", "java"), null, null, r));
    kit.<Boolean>runCommand(r -> new Index(candidate("c7", "java"), null, null, r));
    JobPosting job = job("j");
    MatchPage firstPage = kit.<MatchPage>runCommand(r -> new FindMatches(job, null, 2, r)).reply();

    kit.restart();

    List<String> seen = new ArrayList<>();
    firstPage.toMatches().forEach(m -> seen.add(m.userId()));
    seen.addAll(pageThrough(job, firstPage.next(), 2));
    assertThat(seen).containsExactlyInAnyOrder("u-c0", "u-c2", "u-c4", "u-c5", "u-c6", "u-c7");
  }

  @Test
  void changesRankedBeforeTheCursorMoveNoCandidateAfterIt() {
    for (int i = 0; i < 6; i++) {
      int n = i;
      kit.<Boolean>runCommand(r -> new Index(candidate("c" + n, "java"), null, null, r));
    }
    JobPosting job = job("j");
    MatchPage firstPage = kit.<MatchPage>runCommand(r -> new FindMatches(job, null, 3, r)).reply();
    // Two delivered candidates leave and one ranked before them arrives: a position in the matches computed again
    // would now point past c3 and c4.
    kit.<Boolean>runCommand(r -> new Remove("c0", null, null, r));
    kit.<Boolean>runCommand(r -> new Remove("c1", null, null, r));
    kit.<Boolean>runCommand(r -> new Index(candidate("b0", "java"), null, null, r));
    kit.restart();

    List<String> rest = pageThrough(job, firstPage.next(), 3);

    assertThat(firstPage.toMatches()).extracting(CandidateMatch::userId).containsExactly("u-c0", "u-c1", "u-c2");
    assertThat(rest).containsExactly("u-c3", "u-c4", "u-c5");
  }

  @Test
  void aPageOfLongUserIdsAndReasonsStaysWithinArterysFrameAndLosesNoMatch() {
    // 1,200 matches of 128-character user ids, each with a 500-character location of two- and three-byte characters:
    // sent one by one with their reasons, that was seven times the frame.
    MatchingSettings defaults = MatchingSettings.fromConfig(ParleyConfig.load(ConfigFactory.empty()));
    var kit = partition("1", defaults);
    List<String> userIds = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      String id = String.format("%04d-", i) + "x".repeat(123);
      userIds.add(id);
      kit.<Boolean>runCommand(r -> new Index(
          new CandidateProfile(id, id, List.of("java"), Level.SENIOR, "zurich", "Zürich", false, true), null, null, r));
    }
    JobPosting job = new JobPosting(
        "j", "T", "C", List.of("java"), Level.SENIOR, "zurich", "Zürich 東京 ".repeat(50), false, null, true);
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    long frame = testKit.system().settings().config().getBytes("akka.remote.artery.advanced.maximum-frame-size");

    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    After after = null;
    MatchPage page;
    do {
      After cursor = after;
      page = kit.<MatchPage>runCommand(r -> new FindMatches(job, cursor, defaults.pageSize(), r)).reply();
      assertThat(serialization.findSerializerFor(page)).isInstanceOf(JacksonCborSerializer.class);
      sizes.add(serialization.serialize(page).get().length);
      page.toMatches().forEach(m -> seen.add(m.userId()));
      after = page.next();
    } while (!page.isLast());

    assertThat(sizes).hasSizeGreaterThan(1).allSatisfy(size -> assertThat(size).isLessThan((int) frame));
    assertThat(seen).containsExactlyInAnyOrderElementsOf(userIds);
  }

  @Test
  void recoversItsIndexFromSnapshotAndEvents() {
    for (int i = 0; i < 4; i++) {
      int n = i;
      kit.<Boolean>runCommand(r -> new Index(candidate("c" + n, "go"), null, null, r));
    }
    kit.<Boolean>runCommand(r -> new Remove("c1", null, null, r));

    kit.restart();

    assertThat(kit.getState().size()).isEqualTo(3);
    assertThat(kit.<Integer>runCommand(CountCandidates::new).reply()).isEqualTo(3);
    assertThat(kit.getState().contains("c1")).isFalse();
  }

  private static final Instant V1 = Instant.parse("2026-11-22T10:00:00.123456Z");
  private static final Instant V2 = Instant.parse("2026-11-22T10:00:01Z");
  private static final Instant RECEIVED = Instant.parse("2026-11-22T10:00:05Z");

  @Test
  void anUpdateSentBeforeADeletionAndArrivingAfterItDoesNotBringTheCandidateBack() {
    kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V1, null, r));
    var deleted = kit.<Boolean>runCommand(r -> new Remove("c1", V2, RECEIVED, r));
    var late = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "kotlin"), V2, null, r));

    assertThat(deleted.reply()).isTrue();
    assertThat(late.reply()).as("applied").isFalse();
    assertThat(late.events()).isEmpty();
    assertThat(kit.getState().contains("c1")).isFalse();
    assertThat(pageThrough(job("j"), null, 10)).isEmpty();
  }

  @Test
  void aDeletionWithoutAVersionOutranksWhatWasSentBeforeItWasReceivedAndNotWhatCameAfter() {
    kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V1, null, r));
    kit.<Boolean>runCommand(r -> new Remove("c1", null, RECEIVED, r));
    var sentBefore = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V2, null, r));
    var insertedAgain = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), RECEIVED.plusSeconds(60), null, r));

    assertThat(sentBefore.reply()).isFalse();
    assertThat(insertedAgain.reply()).isTrue();
    assertThat(kit.getState().contains("c1")).isTrue();
  }

  @Test
  void aDeletionArrivingBeforeTheInsertOfTheCandidateStillWins() {
    var deleted = kit.<Boolean>runCommand(r -> new Remove("c1", V2, RECEIVED, r));
    var inserted = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V1, null, r));

    assertThat(deleted.events()).hasSize(1);
    assertThat(inserted.reply()).isFalse();
    assertThat(kit.getState().contains("c1")).isFalse();
  }

  @Test
  void anOlderProfileDoesNotOverwriteANewerOneAndTheSameVersionAgainChangesNothing() {
    kit.<Boolean>runCommand(r -> new Index(candidate("c1", "kotlin"), V2, null, r));
    var older = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V1, null, r));
    var replay = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "kotlin"), V2, null, r));
    var olderDeletion = kit.<Boolean>runCommand(r -> new Remove("c1", V1, RECEIVED, r));

    assertThat(older.reply()).isFalse();
    assertThat(replay.reply()).isTrue();
    assertThat(replay.events()).isEmpty();
    assertThat(olderDeletion.reply()).isFalse();
    assertThat(kit.getState().holds(candidate("c1", "kotlin"), V2)).isTrue();
  }

  @Test
  void aProfileWithoutAVersionKeepsTheIndexedVersionAndDoesNotUndoADeletionMadeAfterItWasReceived() {
    kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V1, null, r));
    var unversioned = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "kotlin"), null, RECEIVED, r));
    var olderThanKept = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "go"), V1.minusSeconds(1), null, r));
    kit.<Boolean>runCommand(r -> new Remove("c2", RECEIVED, RECEIVED, r));
    var receivedBefore = kit.<Boolean>runCommand(r -> new Index(candidate("c2", "java"), null, V2, r));

    assertThat(unversioned.reply()).isTrue();
    assertThat(kit.getState().versionOf("c1")).isEqualTo(V1);
    assertThat(olderThanKept.reply()).isFalse();
    assertThat(receivedBefore.reply()).isFalse();
    assertThat(kit.getState().contains("c2")).isFalse();
  }

  @Test
  void withoutVersionsEventsApplyInTheOrderTheyCome() {
    kit.<Boolean>runCommand(r -> new Remove("c1", null, null, r));
    var inserted = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), null, null, r));
    kit.<Boolean>runCommand(r -> new Remove("c1", null, null, r));
    var insertedAgain = kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), null, null, r));

    assertThat(inserted.reply()).isTrue();
    assertThat(insertedAgain.reply()).isTrue();
    assertThat(kit.getState().contains("c1")).isTrue();
  }

  @Test
  void versionsAndDeletionsSurviveARestartFromASnapshot() {
    // snapshot-every = 3: the restart reads the snapshot taken after the third event, then the fourth.
    kit.<Boolean>runCommand(r -> new Index(candidate("c1", "java"), V2, null, r));
    kit.<Boolean>runCommand(r -> new Remove("c2", V2, RECEIVED, r));
    kit.<Boolean>runCommand(r -> new Index(candidate("c3", "java"), null, null, r));
    kit.<Boolean>runCommand(r -> new Remove("c4", V2, RECEIVED, r));

    kit.restart();

    assertThat(kit.<Boolean>runCommand(r -> new Index(candidate("c1", "go"), V1, null, r)).reply()).isFalse();
    assertThat(kit.<Boolean>runCommand(r -> new Index(candidate("c2", "go"), V2, null, r)).reply()).isFalse();
    assertThat(kit.<Boolean>runCommand(r -> new Index(candidate("c4", "go"), V1, null, r)).reply()).isFalse();
    assertThat(kit.getState().versionOf("c3")).isNull();
  }

  @Test
  void aSnapshotOrEventTakenBeforeVersionsStillReads() throws Exception {
    var mapper = JacksonObjectMapperProvider.get(Adapter.toClassic(testKit.system())).getOrCreate("jackson-cbor",
        java.util.Optional.empty());
    Serialization serialization = SerializationExtension.get(Adapter.toClassic(testKit.system()));
    var serializer = serialization.serializerFor(Snapshot.class);
    byte[] oldSnapshot = mapper.writeValueAsBytes(java.util.Map.of("profiles", List.of(candidate("c1", "java"))));
    byte[] oldEvent = mapper.writeValueAsBytes(java.util.Map.of("candidateId", "c2"));

    Snapshot snapshot = (Snapshot) serialization.deserialize(oldSnapshot, serializer.identifier(),
        Snapshot.class.getName()).get();
    CandidateRemoved removed = (CandidateRemoved) serialization.deserialize(oldEvent, serializer.identifier(),
        CandidateRemoved.class.getName()).get();
    CandidateIndex index = CandidatePartition.restore(snapshot, 10);

    assertThat(index.holds(candidate("c1", "java"), null)).isTrue();
    assertThat(index.tombstones()).isEmpty();
    assertThat(removed).isEqualTo(new CandidateRemoved("c2", null));
  }

  @Test
  void theDeletionsRememberedAreBoundedOldestFirst() {
    CandidateIndex index = new CandidateIndex(2);
    index.remove("c1", V1);
    index.remove("c2", V1);
    index.remove("c3", V1);

    assertThat(index.tombstones()).containsOnlyKeys("c2", "c3");
    assertThat(index.isNewer("c1", V1, null)).isTrue();
    assertThat(index.isNewer("c2", V1, null)).isFalse();
  }

  @Test
  void theSnapshotSerializes() {
    Snapshot snapshot = new Snapshot(List.of(candidate("c1", "java"), candidate("c2", "go")),
        java.util.Arrays.asList(V1, null), List.of(new Tombstone("c3", V2)));
    assertThat(new SerializationTestKit(testKit.system()).verifySerialization(snapshot, true)).isEqualTo(snapshot);
  }

  @Test
  void partitionsAreStableForAnId() {
    assertThat(CandidatePartition.partitionOf("3f6c-candidate", 16)).isEqualTo(CandidatePartition.partitionOf("3f6c-candidate", 16));
    assertThat(Integer.parseInt(CandidatePartition.partitionOf("x", 16))).isBetween(0, 15);
  }

  /** The user ids of the job's matches from the cursor on, page by page, in the order they came. */
  private List<String> pageThrough(JobPosting job, After from, int limit) {
    List<String> seen = new ArrayList<>();
    After after = from;
    MatchPage page;
    do {
      After cursor = after;
      page = kit.<MatchPage>runCommand(r -> new FindMatches(job, cursor, limit, r)).reply();
      page.toMatches().forEach(m -> seen.add(m.userId()));
      after = page.next();
    } while (!page.isLast());
    return seen;
  }

  private static JobPosting job(String id) {
    return new JobPosting(id, "T", "C", List.of("java"), null, null, null, false, null, true);
  }

  private static CandidateProfile candidate(String id, String skill) {
    return new CandidateProfile(id, "u-" + id, List.of(skill), Level.SENIOR, "paris", "Paris", true, true);
  }
}
