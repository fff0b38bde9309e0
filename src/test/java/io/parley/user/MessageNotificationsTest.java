package io.parley.user;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.conversation.Conversation;
import io.parley.conversation.MessageView;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What a message notification shows, from what the conversation hands the inbox projection. */
class MessageNotificationsTest {
  @Test
  void aMessageCutForItsNoticeShowsTheSamePreviewAsTheWholeMessage() {
    for (String content : new String[] {"short", "語".repeat(4000), "😀".repeat(200), "a".repeat(121), "b".repeat(161)}) {
      MessageView whole =
          new MessageView("g_1", "m1", 7, "ana", "c1", content, "{\"k\":1}", Instant.EPOCH, null, null);
      MessageView cut = whole.forNotice(Conversation.NOTICE_TEXT_LIMIT);
      assertThat(MessageNotifications.draft(new Conversation.MessageNotice(cut, "Ana"), 1))
          .as("%d code points", content.codePointCount(0, content.length()))
          .isEqualTo(MessageNotifications.draft(new Conversation.MessageNotice(whole, "Ana"), 1));
    }
  }
}
