package io.parley.conversation;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.api.ApiError;
import io.parley.conversation.Conversation.*;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The conversation entity on its own; the testkit also serializes every command, event, reply and state. */
class ConversationTest {
  private static final ConversationSettings SETTINGS =
      new ConversationSettings(4000, 2048, 5, 200, 3, 4, 2, 500, 4, 200, 50, java.time.Duration.ofSeconds(6));

  private static final ActorTestKit testKit =
      ActorTestKit.create(
          ParleyConfig.load(
              EventSourcedBehaviorTestKit.config()
                  .withFallback(ConfigFactory.parseString("akka.actor.provider = local"))));

  private EventSourcedBehaviorTestKit<Command, Event, ConversationState> kit;
  private final java.util.List<String> notified = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void fresh() {
    notified.clear();
    Conversation.Fanout recording =
        (userIds, notice) ->
            new java.util.TreeSet<>(userIds).forEach(u -> notified.add(u + ":" + notice.getClass().getSimpleName()));
    kit =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Conversation.create("g_" + "0".repeat(32), SETTINGS, recording));
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  private void group(String creator, String... others) {
    CommandResultWithReply<Command, Event, ConversationState, Reply> result =
        kit.<Reply>runCommand(r -> new Create(Kind.GROUP, "Team", creator, List.of(others), r));
    assertThat(result.reply()).isInstanceOf(Summary.class);
  }

  private Posted post(String sender, String clientMsgId, String content) {
    return (Posted) kit.<Reply>runCommand(r -> new PostMessage(sender, clientMsgId, content, null, null, r)).reply();
  }

  private Rejected rejected(Reply reply) {
    assertThat(reply).isInstanceOf(Rejected.class);
    return (Rejected) reply;
  }

  @Test
  void repliesAboutAFullWindowOfTheLongestMessagesFitInOneMessageToAnotherNode() {
    ConversationSettings product = ConversationSettings.fromConfig(testKit.system().settings().config());
    EventSourcedBehaviorTestKit<Command, Event, ConversationState> largest =
        EventSourcedBehaviorTestKit.create(
            testKit.system(), Conversation.create("g_" + "1".repeat(32), product, (userIds, notice) -> {}));
    // As many participants as a group may have, each with the longest user id there may be.
    List<String> others =
        java.util.stream.IntStream.range(1, product.maxParticipants())
            .mapToObj(i -> String.format("%s%08d", "u".repeat(120), i))
            .toList();
    assertThat(largest.<Reply>runCommand(r -> new Create(Kind.GROUP, "T", "ana", others.subList(0, 1), r)).reply())
        .isInstanceOf(Summary.class);
    // As many deletions and edits below the window as the conversation remembers for readers of the read side
    // (before the others join: the testkit serializes the state after each of these commands).
    for (int i = 1; i <= product.recentWindow() + 1; i++) {
      String clientMsgId = "short" + i;
      largest.<Reply>runCommand(r -> new PostMessage("ana", clientMsgId, "short", null, null, r));
    }
    MessageLocation belowTheWindow = new MessageLocation(1, "ana", false);
    for (int i = 0; i < 1000; i++) {
      String id = java.util.UUID.randomUUID().toString();
      largest.<Reply>runCommand(r -> new DeleteMessage("ana", id, belowTheWindow, r));
    }
    for (int i = 0; i < 500; i++) {
      String id = java.util.UUID.randomUUID().toString();
      largest.<Reply>runCommand(r -> new EditMessage("ana", id, "edited", belowTheWindow, r));
    }
    assertThat(largest.<Reply>runCommand(r -> new AddParticipants("ana", others.subList(1, others.size()), r)).reply())
        .isInstanceOf(Summary.class);
    // The longest text, in characters of three bytes each, with the most metadata.
    String longest = "語".repeat(product.maxContentLength());
    String metadata = "{\"k\":\"" + "x".repeat(product.maxMetadataBytes() - 10) + "\"}";
    for (int i = 1; i <= product.recentWindow(); i++) {
      String clientMsgId = "c" + i;
      assertThat(largest.<Reply>runCommand(r -> new PostMessage("ana", clientMsgId, longest, metadata, null, r)).reply())
          .isInstanceOf(Posted.class);
    }

    long firstLong = product.recentWindow() + 2;
    long lastLong = firstLong + product.recentWindow() - 1;
    Reply recipients = largest.<Reply>runCommand(r -> new GetRecipients(firstLong, lastLong, List.of(), r)).reply();
    assertThat(((Recipients) recipients).held()).hasSize(product.recentWindow());
    assertFitsOneFrame(recipients);

    // A page of history of the longest messages is cut short, at the end away from where it starts.
    Messages after =
        (Messages) largest.<Reply>runCommand(r -> new GetMessages("ana", 0, Long.MAX_VALUE, 200, false, r)).reply();
    assertFitsOneFrame(after);
    assertThat(after.messages()).isNotEmpty().hasSizeLessThan(product.recentWindow());
    assertThat(after.messages().get(0).seq()).isEqualTo(firstLong);
    assertThat(after.deletedBelowWindow()).hasSize(1000);
    assertThat(after.editedBelowWindow()).hasSize(500);
    Messages before =
        (Messages) largest.<Reply>runCommand(r -> new GetMessages("ana", 0, Long.MAX_VALUE, 200, true, r)).reply();
    assertFitsOneFrame(before);
    assertThat(before.messages().get(before.messages().size() - 1).seq()).isEqualTo(lastLong);
    assertThat(before.deletedBelowWindow()).hasSize(1000);
    assertThat(before.editedBelowWindow()).hasSize(500);
  }

  @Test
  void repliesAndSnapshotsOfEarlierVersionsAreReadWithoutTheFieldsAddedSince() throws Exception {
    java.util.Map<String, java.time.Instant> edited =
        java.util.Map.of("m2", java.time.Instant.parse("2026-01-01T10:00:00Z"));
    Recipients recipients = new Recipients(List.of(), List.of(), List.of("m1"), edited);
    Messages messages = new Messages(List.of(), 5, 3, List.of("m1"), edited);
    assertThat(withoutField(recipients, "deleted")).isEqualTo(new Recipients(List.of(), List.of(), null, edited));
    assertThat(withoutField(recipients, "lastEdited"))
        .isEqualTo(new Recipients(List.of(), List.of(), List.of("m1"), null));
    assertThat(withoutField(messages, "editedBelowWindow")).isEqualTo(new Messages(List.of(), 5, 3, List.of("m1"), null));
    assertThat(withoutField(new ConversationState("g_" + "3".repeat(32)), "editedOutsideWindow").editedOutsideWindow())
        .isEmpty();
  }

  /** The message as a node that does not know {@code field} yet would have written it. */
  @SuppressWarnings("unchecked")
  private static <T> T withoutField(T reply, String field) throws Exception {
    akka.actor.ActorSystem classic = akka.actor.typed.javadsl.Adapter.toClassic(testKit.system());
    akka.serialization.Serialization serialization = akka.serialization.SerializationExtension.get(classic);
    akka.serialization.Serializer serializer = serialization.findSerializerFor(reply);
    com.fasterxml.jackson.databind.ObjectMapper cbor =
        akka.serialization.jackson.JacksonObjectMapperProvider.get(classic)
            .getOrCreate("jackson-cbor", java.util.Optional.empty());
    com.fasterxml.jackson.databind.node.ObjectNode tree =
        (com.fasterxml.jackson.databind.node.ObjectNode) cbor.readTree(serializer.toBinary(reply));
    assertThat(tree.remove(field)).isNotNull();
    return (T) serialization
        .deserialize(cbor.writeValueAsBytes(tree), serializer.identifier(),
            akka.serialization.Serializers.manifestFor(serializer, reply))
        .get();
  }

  /** As another node, or the snapshot store, reads it. */
  @SuppressWarnings("unchecked")
  private static <T> T serializedAndBack(T value) {
    akka.serialization.Serialization serialization =
        akka.serialization.SerializationExtension.get(akka.actor.typed.javadsl.Adapter.toClassic(testKit.system()));
    return serialization.deserialize(serialization.serialize(value).get(), (Class<T>) value.getClass()).get();
  }

  private static void assertFitsOneFrame(Reply reply) {
    byte[] serialized =
        akka.serialization.SerializationExtension.get(akka.actor.typed.javadsl.Adapter.toClassic(testKit.system()))
            .serialize(reply)
            .get();
    long frame = testKit.system().settings().config().getBytes("akka.remote.artery.advanced.maximum-frame-size");
    assertThat(serialized.length).as("bytes, against a frame of %d", frame).isLessThan((int) (frame * 0.9));
  }

  @Test
  void createsAGroupWithItsCreatorAndParticipants() {
    var result = kit.<Reply>runCommand(r -> new Create(Kind.GROUP, " Team ", "ana", List.of("bo", "cy"), r));
    ConversationView view = ((Summary) result.reply()).conversation();
    assertThat(view.title()).isEqualTo("Team");
    assertThat(view.participants()).extracting(ConversationView.Participant::userId).containsExactly("ana", "bo", "cy");
    assertThat(result.event()).isInstanceOf(ConversationCreated.class);
  }

  @Test
  void rejectsGroupsWithoutTitleOrSecondParticipant() {
    assertThat(rejected(kit.<Reply>runCommand(r -> new Create(Kind.GROUP, " ", "ana", List.of("bo"), r)).reply()).error())
        .isEqualTo(ApiError.BAD_REQUEST);
    assertThat(rejected(kit.<Reply>runCommand(r -> new Create(Kind.GROUP, "T", "ana", List.of("ana"), r)).reply()).error())
        .isEqualTo(ApiError.BAD_REQUEST);
    assertThat(rejected(kit.<Reply>runCommand(r -> new Create(Kind.GROUP, "T", "ana", List.of("b o"), r)).reply()).message())
        .contains("invalid user id");
    assertThat(kit.getState().isCreated()).isFalse();
  }

  @Test
  void directConversationCreatedTwiceIsTheSameConversation() {
    var first = kit.<Reply>runCommand(r -> new Create(Kind.DIRECT, null, "ana", List.of("bo"), r));
    var again = kit.<Reply>runCommand(r -> new Create(Kind.DIRECT, null, "bo", List.of("ana"), r));
    assertThat(again.hasNoEvents()).isTrue();
    assertThat(((Summary) again.reply()).conversation()).isEqualTo(((Summary) first.reply()).conversation());
  }

  @Test
  void messagesGetGaplessSeqsAndTheSenderHasReadThem() {
    group("ana", "bo");
    assertThat(post("ana", "c1", "hello").message().seq()).isEqualTo(1);
    assertThat(post("bo", "c1", "hi").message().seq()).isEqualTo(2);
    assertThat(post("ana", null, "how are you").message().seq()).isEqualTo(3);
    ConversationState state = kit.getState();
    assertThat(state.lastSeq()).isEqualTo(3);
    assertThat(state.member("ana").readUpTo()).isEqualTo(3);
    assertThat(state.member("bo").readUpTo()).isEqualTo(2);
  }

  @Test
  void retriedClientMsgIdReturnsTheOriginalWithoutANewEvent() {
    group("ana", "bo");
    Posted original = post("ana", "c1", "hello");
    var retry = kit.<Reply>runCommand(r -> new PostMessage("ana", "c1", "hello", null, null, r));
    assertThat(retry.hasNoEvents()).isTrue();
    Posted again = (Posted) retry.reply();
    assertThat(again.duplicate()).isTrue();
    assertThat(again.message()).isEqualTo(original.message());
    // The same clientMsgId from another sender is another message.
    assertThat(post("bo", "c1", "hello").message().seq()).isEqualTo(2);
  }

  @Test
  void dedupOutlivesTheWindowButNotItsOwnBound() {
    group("ana", "bo");
    Posted first = post("ana", "c1", "one");
    for (int i = 2; i <= 4; i++) post("ana", "c" + i, "m" + i);
    // Window is 3 messages, dedup is 4: c1 is out of the window but still remembered, without its content.
    Posted retry = post("ana", "c1", "one");
    assertThat(retry.duplicate()).isTrue();
    assertThat(retry.message().messageId()).isEqualTo(first.message().messageId());
    assertThat(retry.message().content()).isNull();
    // Past the table (4) and ana's own newest two that left it (c2, c3 once c7 is in), c1 is new again.
    for (int i = 5; i <= 7; i++) post("ana", "c" + i, "m" + i);
    assertThat(post("ana", "c1", "one").duplicate()).isFalse();
  }

  /**
   * The shared table (4 here) turns over as fast as everyone writes; each member's own newest 2 past it are kept
   * however busy the conversation, and through a snapshot. A removed member's are dropped.
   */
  @Test
  void aMembersOwnNewestRetriesAreRecognisedHoweverMuchOthersWrite() {
    group("ana", "bo");
    post("ana", "a1", "one");
    Posted second = post("ana", "a2", "two");
    post("ana", "a3", "three");
    // The shared table now holds b7..b10; ana's own newest two past it are a2 and a3, bo's b5 and b6.
    for (int i = 1; i <= 10; i++) post("bo", "b" + i, "busy " + i);
    Posted retried = post("ana", "a2", "two");
    assertThat(retried.duplicate()).isTrue();
    assertThat(retried.message().messageId()).isEqualTo(second.message().messageId());
    assertThat(post("bo", "b5", "busy 5").duplicate()).isTrue();

    kit.restart();
    assertThat(post("ana", "a3", "three").duplicate()).as("through a restart").isTrue();
    assertThat(post("bo", "b6", "busy 6").duplicate()).as("through a restart").isTrue();
    // Past a member's own newest two, a clientMsgId is new again (and so is it once its sender has left).
    assertThat(post("ana", "a1", "one").duplicate()).isFalse();
    kit.<Reply>runCommand(r -> new RemoveParticipant("bo", "bo", r));
    kit.<Reply>runCommand(r -> new AddParticipants("ana", List.of("bo"), r));
    assertThat(post("bo", "b6", "busy 6").duplicate()).as("forgotten when bo left").isFalse();
  }

  @Test
  void validatesContent() {
    group("ana", "bo");
    assertThat(rejected(kit.<Reply>runCommand(r -> new PostMessage("ana", "x", "  ", null, null, r)).reply()).error())
        .isEqualTo(ApiError.BAD_REQUEST);
    String tooLong = "é".repeat(4001);
    assertThat(rejected(kit.<Reply>runCommand(r -> new PostMessage("ana", "x", tooLong, null, null, r)).reply()).message())
        .contains("4000");
    String emoji = "😀".repeat(4000); // 8000 UTF-16 units, 4000 characters
    assertThat(post("ana", "e", emoji).message().seq()).isEqualTo(1);
    String metadata = "{\"a\":\"" + "x".repeat(3000) + "\"}";
    assertThat(rejected(kit.<Reply>runCommand(r -> new PostMessage("ana", "m", "hi", metadata, null, r)).reply()).error())
        .isEqualTo(ApiError.TOO_LARGE);
  }

  @Test
  void strangersSeeNotFound() {
    group("ana", "bo");
    post("ana", "c1", "secret");
    assertThat(rejected(kit.<Reply>runCommand(r -> new Get("eve", r)).reply()).error()).isEqualTo(ApiError.NOT_FOUND);
    assertThat(rejected(kit.<Reply>runCommand(r -> new PostMessage("eve", "c", "x", null, null, r)).reply()).error())
        .isEqualTo(ApiError.NOT_FOUND);
    assertThat(rejected(kit.<Reply>runCommand(r -> new GetMessages("eve", 0, Long.MAX_VALUE, 10, true, r)).reply()).error())
        .isEqualTo(ApiError.NOT_FOUND);
  }

  @Test
  void everyParticipantHearsOfMessagesChangesAndReceiptsAfterTheyArePersisted() {
    group("ana", "bo", "cy");
    String id = post("ana", "n1", "hi").message().messageId();
    kit.<Reply>runCommand(r -> new MarkRead("bo", 1, r));
    kit.<Reply>runCommand(r -> new EditMessage("ana", id, "hello", null, r));
    kit.<Reply>runCommand(r -> new PostMessage("eve", "x", "intruder", null, null, r));
    kit.<Reply>runCommand(r -> new MarkRead("bo", 1, r)); // no movement, no receipt
    assertThat(notified)
        .containsExactly(
            "ana:MessageNotice", "bo:MessageNotice", "cy:MessageNotice",
            "ana:ReceiptNotice", "bo:ReceiptNotice", "cy:ReceiptNotice",
            "ana:MessageChangedNotice", "bo:MessageChangedNotice", "cy:MessageChangedNotice");
  }

  @Test
  void uncreatedConversationIsNotFound() {
    assertThat(rejected(kit.<Reply>runCommand(r -> new Get("ana", r)).reply()).error()).isEqualTo(ApiError.NOT_FOUND);
  }

  @Test
  void editAndDeleteOwnMessagesOnly() {
    group("ana", "bo");
    String id = post("ana", "c1", "helo").message().messageId();
    assertThat(rejected(kit.<Reply>runCommand(r -> new EditMessage("bo", id, "x", null, r)).reply()).error())
        .isEqualTo(ApiError.FORBIDDEN);
    MessageView edited = ((MessageChanged) kit.<Reply>runCommand(r -> new EditMessage("ana", id, "hello", null, r)).reply()).message();
    assertThat(edited.content()).isEqualTo("hello");
    assertThat(edited.editedAt()).isNotNull();
    MessageView deleted = ((MessageChanged) kit.<Reply>runCommand(r -> new DeleteMessage("ana", id, null, r)).reply()).message();
    assertThat(deleted.deleted()).isTrue();
    assertThat(deleted.content()).isNull();
    assertThat(deleted.seq()).isEqualTo(1);
    // Deleting twice is harmless, editing a tombstone is not allowed.
    assertThat(kit.<Reply>runCommand(r -> new DeleteMessage("ana", id, null, r)).hasNoEvents()).isTrue();
    assertThat(rejected(kit.<Reply>runCommand(r -> new EditMessage("ana", id, "again", null, r)).reply()).error())
        .isEqualTo(ApiError.CONFLICT);
    // The tombstone keeps its place in the history.
    Messages history = (Messages) kit.<Reply>runCommand(r -> new GetMessages("bo", 0, Long.MAX_VALUE, 10, true, r)).reply();
    assertThat(history.messages()).singleElement().satisfies(m -> assertThat(m.deleted()).isTrue());
  }

  @Test
  void editsOlderThanTheWindowNeedTheReadSidesLocation() {
    group("ana", "bo");
    String old = post("ana", "c1", "old").message().messageId();
    for (int i = 2; i <= 5; i++) post("bo", "c" + i, "m" + i);
    Reply notHeld = kit.<Reply>runCommand(r -> new EditMessage("ana", old, "new", null, r)).reply();
    assertThat(notHeld).isEqualTo(new MessageNotHeld(old, 3));
    MessageLocation located = new MessageLocation(1, "ana", false);
    assertThat(rejected(kit.<Reply>runCommand(r -> new EditMessage("bo", old, "new", located, r)).reply()).error())
        .isEqualTo(ApiError.FORBIDDEN);
    var edited = kit.<Reply>runCommand(r -> new EditMessage("ana", old, "new", located, r));
    assertThat(edited.event()).isEqualTo(new MessageEdited(kit.getState().view().conversationId(), old, 1, "new",
        ((MessageEdited) edited.event()).at()));
  }

  @Test
  void aDeletionOutsideTheWindowHoldsWhileTheReadSideStillShowsTheMessage() {
    group("ana", "bo");
    String old = post("ana", "c1", "old").message().messageId();
    String later = post("ana", "c2", "later").message().messageId();
    for (int i = 3; i <= 4; i++) post("bo", "c" + i, "m" + i);
    MessageLocation stale = new MessageLocation(1, "ana", false);
    assertThat(kit.<Reply>runCommand(r -> new DeleteMessage("ana", old, stale, r)).event()).isInstanceOf(MessageDeleted.class);

    // The read side has not applied the deletion yet and still says "not deleted".
    assertThat(rejected(kit.<Reply>runCommand(r -> new EditMessage("ana", old, "new", stale, r)).reply()).error())
        .isEqualTo(ApiError.CONFLICT);
    assertThat(kit.<Reply>runCommand(r -> new DeleteMessage("ana", old, stale, r)).hasNoEvents())
        .as("a second delete stores nothing")
        .isTrue();

    // A message deleted in the window, then pushed out of it, is known as deleted too; and after a restart.
    assertThat(kit.<Reply>runCommand(r -> new DeleteMessage("ana", later, null, r)).event()).isInstanceOf(MessageDeleted.class);
    for (int i = 5; i <= 7; i++) post("bo", "c" + i, "m" + i);
    kit.restart();
    MessageLocation staleLater = new MessageLocation(2, "ana", false);
    assertThat(rejected(kit.<Reply>runCommand(r -> new EditMessage("ana", later, "new", staleLater, r)).reply()).error())
        .isEqualTo(ApiError.CONFLICT);
  }

  @Test
  void aReaderOfTheReadSideLearnsTheLastEditOfMessagesEditedBelowTheWindow() {
    ConversationSettings snapshotEveryEvent =
        new ConversationSettings(4000, 2048, 5, 200, 3, 4, 2, 1, 4, 200, 50, java.time.Duration.ofSeconds(6));
    kit = EventSourcedBehaviorTestKit.create(
        testKit.system(), Conversation.create("g_" + "2".repeat(32), snapshotEveryEvent, Conversation.Fanout.NONE));
    group("ana", "bo");
    String old = post("ana", "c1", "old").message().messageId();
    String later = post("ana", "c2", "later").message().messageId();
    for (int i = 3; i <= 4; i++) post("bo", "c" + i, "m" + i);
    MessageLocation located = new MessageLocation(1, "ana", false);
    kit.<Reply>runCommand(r -> new EditMessage("ana", old, "first edit", located, r));
    MessageEdited lastOfOld =
        (MessageEdited) kit.<Reply>runCommand(r -> new EditMessage("ana", old, "second edit", located, r)).event();
    // Edited in the window, then pushed out of it; and after a restart.
    MessageEdited lastOfLater =
        (MessageEdited) kit.<Reply>runCommand(r -> new EditMessage("ana", later, "edited", null, r)).event();
    for (int i = 5; i <= 6; i++) post("bo", "c" + i, "m" + i);
    kit.restart();
    assertThat(serializedAndBack(kit.getState().copy()).editedOutsideWindow())
        .as("in the snapshot")
        .isEqualTo(kit.getState().editedOutsideWindow());

    Messages page = (Messages) kit.<Reply>runCommand(r -> new GetMessages("bo", 0, Long.MAX_VALUE, 10, true, r)).reply();
    assertThat(page.editedBelowWindow()).isEqualTo(java.util.Map.of(old, lastOfOld.at(), later, lastOfLater.at()));
    assertThat(serializedAndBack(page)).isEqualTo(page);

    kit.<Reply>runCommand(r -> new DeleteMessage("ana", old, located, r));
    Messages afterDelete =
        (Messages) kit.<Reply>runCommand(r -> new GetMessages("bo", 0, Long.MAX_VALUE, 10, true, r)).reply();
    assertThat(afterDelete.editedBelowWindow()).as("the read side is checked for the delete instead").containsOnlyKeys(later);
    assertThat(afterDelete.deletedBelowWindow()).containsExactly(old);
  }

  @Test
  void recipientsNameTheMessagesAskedAboutThatWereDeletedInTheWindowOrOutsideIt() {
    group("ana", "bo");
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 1; i <= 5; i++) ids.add(post("ana", "c" + i, "m" + i).message().messageId());
    MessageLocation outside = new MessageLocation(1, "ana", false);
    kit.<Reply>runCommand(r -> new DeleteMessage("ana", ids.get(0), outside, r));
    kit.<Reply>runCommand(r -> new DeleteMessage("ana", ids.get(3), null, r));

    Recipients recipients = (Recipients) kit.<Reply>runCommand(r -> new GetRecipients(1, 5, ids, r)).reply();
    assertThat(recipients.deleted()).containsExactly(ids.get(0), ids.get(3));
    Recipients forAnEarlierAsker = (Recipients) kit.<Reply>runCommand(r -> new GetRecipients(1, 5, null, r)).reply();
    assertThat(forAnEarlierAsker.deleted()).isNull();
  }

  @Test
  void recipientsSayWhenTheMessagesAskedAboutWereLastEditedOutsideTheWindow() {
    group("ana", "bo");
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 1; i <= 5; i++) ids.add(post("ana", "c" + i, "m" + i).message().messageId());
    MessageLocation outside = new MessageLocation(1, "ana", false);
    kit.<Reply>runCommand(r -> new EditMessage("ana", ids.get(0), "first edit", outside, r));
    MessageEdited last =
        (MessageEdited)
            kit.<Reply>runCommand(r -> new EditMessage("ana", ids.get(0), "second edit", outside, r)).event();
    kit.<Reply>runCommand(r -> new EditMessage("ana", ids.get(4), "edited in the window", null, r));

    Recipients recipients = (Recipients) kit.<Reply>runCommand(r -> new GetRecipients(1, 5, ids, r)).reply();
    assertThat(recipients.lastEdited())
        .as("a message edited in the window is held with its text instead")
        .isEqualTo(java.util.Map.of(ids.get(0), last.at()));
    assertThat(recipients.held()).last().extracting(MessageView::content).isEqualTo("edited in the window");
    Recipients aboutOthers =
        (Recipients) kit.<Reply>runCommand(r -> new GetRecipients(2, 5, ids.subList(1, 5), r)).reply();
    assertThat(aboutOthers.lastEdited()).as("only the messages asked about").isEmpty();
    Recipients forAnEarlierAsker = (Recipients) kit.<Reply>runCommand(r -> new GetRecipients(1, 5, null, r)).reply();
    assertThat(forAnEarlierAsker.lastEdited()).isNull();
  }

  @Test
  void watermarksOnlyMoveForward() {
    group("ana", "bo");
    for (int i = 1; i <= 3; i++) post("ana", "c" + i, "m" + i);
    var delivered = kit.<Reply>runCommand(r -> new MarkDelivered("bo", 3, r));
    assertThat(delivered.reply()).isEqualTo(new Watermarks("bo", 3, 0, 3));
    var read = kit.<Reply>runCommand(r -> new MarkRead("bo", 2, r));
    assertThat(read.reply()).isEqualTo(new Watermarks("bo", 3, 2, 3));
    var backwards = kit.<Reply>runCommand(r -> new MarkRead("bo", 1, r));
    assertThat(backwards.hasNoEvents()).isTrue();
    assertThat(backwards.reply()).isEqualTo(new Watermarks("bo", 3, 2, 3));
    assertThat(rejected(kit.<Reply>runCommand(r -> new MarkRead("bo", 9, r)).reply()).error())
        .isEqualTo(ApiError.BAD_REQUEST);
    assertThat(rejected(kit.<Reply>runCommand(r -> new MarkRead("bo", -1, r)).reply()).error())
        .isEqualTo(ApiError.BAD_REQUEST);
  }

  @Test
  void membersAreAddedAndRemoved() {
    group("ana", "bo");
    post("ana", "c1", "before cy");
    var added = kit.<Reply>runCommand(r -> new AddParticipants("bo", List.of("cy", "cy", "ana"), r));
    assertThat(added.event()).isInstanceOf(ParticipantsAdded.class);
    assertThat(kit.getState().member("cy").readUpTo()).isEqualTo(1);
    assertThat(rejected(kit.<Reply>runCommand(r -> new RemoveParticipant("bo", "cy", r)).reply()).error())
        .isEqualTo(ApiError.FORBIDDEN);
    kit.<Reply>runCommand(r -> new RemoveParticipant("ana", "cy", r));
    assertThat(kit.getState().isMember("cy")).isFalse();
    kit.<Reply>runCommand(r -> new RemoveParticipant("bo", "bo", r));
    assertThat(kit.getState().isMember("bo")).isFalse();
    var tooMany = kit.<Reply>runCommand(r -> new AddParticipants("ana", List.of("a1", "a2", "a3", "a4", "a5"), r));
    assertThat(rejected(tooMany.reply()).error()).isEqualTo(ApiError.BAD_REQUEST);
  }

  @Test
  void someoneRemovedWhileTypingStopsTypingForThoseWhoStay() {
    group("ana", "bo", "cy");
    kit.<Reply>runCommand(r -> new SetTyping("cy", "s1", true, r));
    notified.clear();
    kit.<Reply>runCommand(r -> new RemoveParticipant("ana", "cy", r));
    assertThat(notified).containsExactly("ana:TypingNotice", "bo:TypingNotice");
    Summary after = (Summary) kit.<Reply>runCommand(r -> new Get("ana", r)).reply();
    assertThat(after.conversation().typing()).isEmpty();
  }

  @Test
  void windowServesTheNewestMessagesAndSaysWhereItStarts() {
    group("ana", "bo");
    for (int i = 1; i <= 5; i++) post("ana", "c" + i, "m" + i);
    Messages newest = (Messages) kit.<Reply>runCommand(r -> new GetMessages("bo", 0, Long.MAX_VALUE, 2, true, r)).reply();
    assertThat(newest.messages()).extracting(MessageView::seq).containsExactly(4L, 5L);
    assertThat(newest.oldestHeldSeq()).isEqualTo(3);
    Messages since = (Messages) kit.<Reply>runCommand(r -> new GetMessages("bo", 3, Long.MAX_VALUE, 10, false, r)).reply();
    assertThat(since.messages()).extracting(MessageView::seq).containsExactly(4L, 5L);
  }

  @Test
  void aMessageGoingToMoreThanWerePaidForIsRefusedAndNothingStored() {
    group("ana", "bo", "cy");
    Reply underpaid = kit.<Reply>runCommand(r -> new PostMessage("ana", "u1", "hi all", null, null, 1, r)).reply();
    assertThat(underpaid).isEqualTo(new Conversation.Underreserved(2));
    assertThat(kit.getState().lastSeq()).isZero();
    Reply paid = kit.<Reply>runCommand(r -> new PostMessage("ana", "u1", "hi all", null, null, 2, r)).reply();
    assertThat(((Posted) paid).recipients()).isEqualTo(2);
    Reply unchecked = kit.<Reply>runCommand(r -> new PostMessage("ana", "u2", "from an older node", null, null, 0, r)).reply();
    assertThat(unchecked).isInstanceOf(Posted.class);
    Reply retry = kit.<Reply>runCommand(r -> new PostMessage("ana", "u1", "hi all", null, null, 1, r)).reply();
    assertThat(((Posted) retry).duplicate()).as("a retry is answered whatever it paid").isTrue();
    Reply stranger = kit.<Reply>runCommand(r -> new PostMessage("eve", "e1", "hi", null, null, 1, r)).reply();
    assertThat(rejected(stranger).error()).as("a stranger learns nothing of the size").isEqualTo(ApiError.NOT_FOUND);
  }

  @Test
  void aClientClaimingToHaveSeenMoreThanThereIsGetsNothing() {
    group("ana", "bo");
    for (int i = 1; i <= 3; i++) post("ana", "c" + i, "m" + i);
    for (long claimed : new long[] {3, 4, Long.MAX_VALUE - 1, Long.MAX_VALUE}) {
      Messages after =
          (Messages) kit.<Reply>runCommand(r -> new GetMessages("bo", claimed, Long.MAX_VALUE, 10, false, r)).reply();
      assertThat(after.messages()).as("after " + claimed).isEmpty();
    }
  }

  @Test
  void recoversTheSameStateFromItsEvents() {
    group("ana", "bo");
    for (int i = 1; i <= 5; i++) post(i % 2 == 0 ? "bo" : "ana", "c" + i, "m" + i);
    kit.<Reply>runCommand(r -> new MarkRead("bo", 5, r));
    ConversationView before = kit.getState().view();
    List<MessageView> window = kit.getState().messagesBetween(0, Long.MAX_VALUE, 10, true);
    kit.restart();
    assertThat(kit.getState().view()).isEqualTo(before);
    assertThat(kit.getState().messagesBetween(0, Long.MAX_VALUE, 10, true)).isEqualTo(window);
    assertThat(post("ana", "c5", "m5").duplicate()).isTrue();
  }
}
