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
  private final OrderedDelivery delivery =
      new OrderedDelivery(
          new OrderedDelivery.Port() {
            @Override
            public void emit(Conversation.Notice notice) {
              out.add(notice instanceof Conversation.MessageNotice m ? "m" + m.message().seq() : "other");
            }

            @Override
            public void emit(MessageView message) {
              out.add("h" + message.seq());
            }

            @Override
            public void fetchAfter(String conversationId, long afterSeq) {
              out.add("fetch>" + afterSeq);
            }
          });

  private static MessageView message(long seq) {
    return new MessageView("c", "id" + seq, seq, "ana", null, "x", null, Instant.EPOCH, null, null);
  }

  private static Conversation.MessageNotice notice(long seq) {
    return new Conversation.MessageNotice(message(seq));
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
    assertThat(out).containsExactly("other", "m4");
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
        new MessageView("d", "x", 9, "bo", null, "y", null, Instant.EPOCH, null, null)));
    assertThat(out).containsExactly("m9");
  }
}
