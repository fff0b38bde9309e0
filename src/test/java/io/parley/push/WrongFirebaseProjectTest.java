package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.Eventually;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.tools.FakeFcmTransport;
import io.parley.tools.FakeFcmTransport.Answer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node none of whose pushes has got through yet cannot tell a token of another Firebase project from Parley sending
 * as the wrong one: it keeps the tokens and tries the push again, rather than take every device off every user.
 */
class WrongFirebaseProjectTest {
  private static final FakeFcmTransport fcm = new FakeFcmTransport();
  private static volatile boolean wrongProject = true;

  static {
    fcm.answer((request, attempt) -> wrongProject ? Answer.senderIdMismatch() : Answer.sent());
  }

  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          """
          akka.projection.restart-backoff.min-backoff = 200ms
          akka.projection.restart-backoff.max-backoff = 1s
          """,
          fcm);

  private final NotificationApi notifications = new NotificationApi(live.api());

  @Test
  void tokensOfAnotherSenderBeforeAnyPushGotThroughAreKeptAndTheirPushTriedAgain() {
    notifications.registerDevice("wp-a", "wp-a-phone");

    notifications.send("wp-a", "{\"kind\":\"system\",\"title\":\"Sent as the wrong project\"}");

    Eventually.await("the push tried again", () -> pushesTo("wp-a-phone").size(), requests -> requests >= 2);
    assertThat(notifications.devices("wp-a")).containsExactly("wp-a-phone");
    int tried = pushesTo("wp-a-phone").size();
    wrongProject = false;
    Eventually.await("the push once the project is right", () -> pushesTo("wp-a-phone").size(), n -> n > tried);
    assertThat(notifications.devices("wp-a")).containsExactly("wp-a-phone");
  }

  private static List<FakeFcmTransport.Request> pushesTo(String token) {
    return fcm.requests().stream().filter(r -> token.equals(r.token())).toList();
  }
}
