package io.parley.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Seq order per conversation on one device, whatever order notices and history pages arrive in. */
class OrderedDeliveryTest {
  private final List<String> out = new ArrayList<>();
  private final OrderedDelivery.Port port =
          new OrderedDelivery.Port() {
            @Override
            public void emit(Conversation.Notice notice) {
              out.add(label(notice));
            }

            @Override
            public void emit(MessageView message) {
              out.add("h" + message.seq());
            }

            @Override
            public void fetchAfter(String conversationId, long afterSeq) {
              out.add("fetch>" + afterSeq);
            }
          };
  private final OrderedDelivery delivery = new OrderedDelivery(port);

  /** Most tests look at a session connected a while ago, past its resume window. */
  @org.junit.jupiter.api.BeforeEach
  void afterTheResumeWindow() {
    delivery.settled();
  }

  private static String label(Conversation.Notice notice) {
    if (notice instanceof Conversation.MessageNotice m) return "m" + m.message().seq();
    if (notice instanceof Conversation.MessageChangedNotice c) return "changed" + c.message().seq();
    if (notice instanceof Conversation.ReceiptNotice r) return r.kind().name().toLowerCase() + ":" + r.userId() + ":" + r.seq();
    return "other";
  }

  private static MessageView message(long seq) {
    return new MessageView("c", "id" + seq, seq, "ana", null, "x", null, Instant.EPOCH, null, null);
  }

  private static Conversation.MessageNotice notice(long seq) {
    return new Conversation.MessageNotice(message(seq), null);
  }

  @Test
  void aGapIsFilledFromHistoryBeforeWhatCameAfterIt() {
    delivery.notice(notice(1));
    delivery.notice(notice(4));
    delivery.notice(notice(5));
    delivery.page("c", List.of(message(2), message(3), message(4)), false);
    delivery.notice(notice(4));
    delivery.notice(notice(6));
    assertThat(out).containsExactly("m1", "fetch>1", "h2", "h3", "h4", "m5", "m6");
  }

  @Test
  void aJoinHoldsLiveMessagesAndDropsThoseItsPageAlreadyHad() {
    delivery.joining("c");
    delivery.notice(notice(3));
    delivery.notice(new Conversation.ReceiptNotice("c", "bo", Conversation.ReceiptKind.READ, 2));
    delivery.notice(notice(4));
    delivery.joined("c", List.of(message(2), message(3)), 3, false);
    assertThat(out).containsExactly("read:bo:2", "m4");
  }

  @Test
  void twoJoinsAtOnceNeverMoveTheDeviceBackNorLetLiveMessagesOutBeforeTheLastAnswer() {
    delivery.joining("c");
    delivery.joining("c");
    delivery.joined("c", List.of(message(1), message(2), message(3), message(4), message(5)), 5, false);
    delivery.notice(notice(6));
    assertThat(out).as("held until the second join is answered").isEmpty();
    delivery.joined("c", List.of(message(1), message(2), message(3), message(4), message(5)), 5, false);
    delivery.notice(notice(7));
    assertThat(out).containsExactly("m6", "m7");
  }

  @Test
  void aHistoryPageThatComesDuringAJoinWaitsForItsAnswer() {
    delivery.notice(notice(1));
    delivery.notice(notice(3));
    delivery.joining("c");
    delivery.page("c", List.of(message(2), message(3)), false);
    delivery.joined("c", List.of(message(2)), 3, false);
    delivery.page("c", List.of(message(3)), false);
    delivery.notice(notice(4));
    assertThat(out).containsExactly("m1", "fetch>1", "fetch>2", "h3", "m4");
  }

  @Test
  void aJoinWithMoreToComeFetchesPageAfterPage() {
    delivery.joining("c");
    delivery.notice(notice(6));
    delivery.joined("c", List.of(message(1), message(2)), 5, true);
    delivery.page("c", List.of(message(3), message(4)), true);
    delivery.page("c", List.of(message(5)), false);
    assertThat(out).containsExactly("fetch>2", "h3", "h4", "fetch>4", "h5", "m6");
  }

  @Test
  void otherConversationsAreNotHeldUp() {
    delivery.joining("c");
    delivery.notice(new Conversation.MessageNotice(
        new MessageView("d", "x", 9, "bo", null, "y", null, Instant.EPOCH, null, null), null));
    assertThat(out).containsExactly("m9");
  }

  @Test
  void aGapThatCouldNotBeFilledKeepsItsPlaceAndIsAskedForAgain() {
    delivery.notice(notice(1));
    delivery.notice(notice(3));
    assertThat(delivery.isFilling("c")).isTrue();
    // The fetch failed (the conversation's node died): later notices wait, nothing is shown out of order.
    delivery.notice(notice(4));
    delivery.notice(notice(2));
    delivery.refill("c");
    delivery.page("c", List.of(message(2), message(3), message(4)), false);
    delivery.notice(notice(5));
    assertThat(out).containsExactly("m1", "fetch>1", "fetch>1", "h2", "h3", "h4", "m5");
  }

  @Test
  void heldNoticesAreBoundedAndWhatWasDroppedComesFromHistory() {
    long last = 2 + OrderedDelivery.MAX_HELD + 10;
    delivery.notice(notice(1));
    for (long seq = 3; seq <= last; seq++) delivery.notice(notice(seq));
    delivery.page("c", List.of(message(2), message(3)), false);
    // Some notices were dropped while held: the gap is asked for again past what was shown.
    assertThat(out).containsExactly("m1", "fetch>1", "h2", "h3", "fetch>3");

    List<MessageView> rest = new ArrayList<>();
    for (long seq = 4; seq <= last; seq++) rest.add(message(seq));
    delivery.page("c", rest, false);
    List<String> shown = out.stream().filter(e -> !e.startsWith("fetch")).toList();
    assertThat(shown).hasSize((int) last).doesNotHaveDuplicates().endsWith("h" + last);
  }

  @Test
  void pastTheBoundChangesAndTheLatestReceiptsAreKeptAndHeldMessagesGiveWay() {
    delivery.notice(notice(1));
    delivery.notice(notice(3)); // a gap: held from here
    for (int i = 0; i < OrderedDelivery.MAX_HELD - 3; i++) {
      delivery.notice(new Conversation.ReceiptNotice("c", "u" + i, Conversation.ReceiptKind.DELIVERED, 1));
    }
    delivery.notice(notice(4));
    delivery.notice(notice(5)); // full now
    delivery.notice(new Conversation.TypingNotice("c", "bo", true, 6000));
    delivery.notice(new Conversation.MessageChangedNotice(message(1).tombstone(Instant.EPOCH)));
    delivery.notice(new Conversation.ReceiptNotice("c", "u0", Conversation.ReceiptKind.DELIVERED, 3));
    delivery.notice(new Conversation.ReceiptNotice("c", "bo", Conversation.ReceiptKind.READ, 1));
    delivery.page("c", List.of(message(2), message(3)), false);
    assertThat(out).as("held messages gave way, so history is asked for past them").endsWith("fetch>3");
    delivery.page("c", List.of(message(4), message(5)), false);

    assertThat(out).as("the typing notice was dropped").doesNotContain("other");
    assertThat(out).contains("changed1", "delivered:u0:3", "read:bo:1").doesNotContain("delivered:u0:1");
    assertThat(out.stream().filter(e -> e.matches("[mh]\\d+")).toList()).containsExactly("m1", "h2", "h3", "h4", "h5");
  }

  @Test
  void editsOfEverMoreMessagesDuringOneFillAreBoundedToo() {
    delivery.notice(notice(1));
    delivery.notice(notice(3)); // a gap: held from here
    for (long seq = 1; seq <= 3L * OrderedDelivery.MAX_HELD; seq++) {
      delivery.notice(new Conversation.MessageChangedNotice(message(seq).edited("edit " + seq, Instant.EPOCH)));
    }
    delivery.page("c", List.of(message(2), message(3)), false);
    delivery.page("c", List.of(), false); // the held message that gave way, asked for again
    assertThat(out.stream().filter(e -> e.startsWith("changed"))).hasSize(2 * OrderedDelivery.MAX_HELD);
  }

  @Test
  void aReconnectingDevicesJoinDecidesWhereItStandsNotTheFirstLiveMessage() {
    OrderedDelivery fresh = new OrderedDelivery(port);
    fresh.notice(notice(8));
    fresh.notice(notice(9));
    fresh.joining("c");
    fresh.joined("c", List.of(message(6), message(7), message(8)), 8, false);
    fresh.settled();
    assertThat(out).containsExactly("m9");
  }

  @Test
  void withoutAJoinTheHeldMessagesGoOutInOrderWhenTheResumeWindowEnds() {
    OrderedDelivery fresh = new OrderedDelivery(port);
    fresh.notice(notice(8));
    fresh.notice(new Conversation.TypingNotice("c", "bo", true, 6000));
    fresh.notice(notice(9));
    assertThat(out).isEmpty();
    fresh.settled();
    fresh.notice(notice(10));
    assertThat(out).containsExactly("m8", "other", "m9", "m10");
  }
}
