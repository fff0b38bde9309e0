package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testkit.Eventually;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.tools.FakeFcmTransport;
import io.parley.tools.FakeFcmTransport.Answer;
import java.util.List;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node none of whose pushes has got through yet cannot tell a token of another Firebase project from Parley sending
 * as the wrong one: it keeps the tokens and tries the push again, rather than take every device off every user.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WrongFirebaseProjectTest {
  private static final FakeFcmTransport fcm = new FakeFcmTransport();
  private static volatile boolean wrongProject = true;

  static {
    fcm.answer(
        (request, attempt) -> {
          String token = request.token() == null ? "" : request.token();
          // FCM accepts a send to any topic of any project, and a developer's device may be registered under the
          // wrong one: both get through while every other token answers sender_id_mismatch.
          if (request.topic() != null || token.startsWith("dev-")) return Answer.sent();
          if (token.startsWith("other-")) return Answer.senderIdMismatch();
          return wrongProject ? Answer.senderIdMismatch() : Answer.sent();
        });
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

  @org.junit.jupiter.api.BeforeEach
  void sendingAsTheWrongProject() {
    wrongProject = true;
  }

  @Test
  @Order(3) // last: it ends sending as the right project
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

  @Test
  @Order(1)
  void aTopicPushAndOneDeveloperDeviceGettingThroughDoNotConfirmTheProjectSoNoTokenIsRemoved() {
    notifications.registerDevice("wp-dev", "dev-wp-phone");
    notifications.registerDevice("wp-b", "other-wp-b-phone");
    notifications.send("wp-dev", "{\"kind\":\"system\",\"title\":\"To the developer's phone\"}");
    Eventually.await("the developer's push", () -> pushesTo("dev-wp-phone").size(), n -> n == 1);
    notifications.adminSend("{\"topic\":\"wp-news\",\"notification\":{\"kind\":\"system\",\"title\":\"To a topic\"}}");
    Eventually.await("the topic push", () -> fcm.requests().stream().filter(r -> "wp-news".equals(r.topic())).count(),
        n -> n == 1);

    notifications.send("wp-b", "{\"kind\":\"system\",\"title\":\"Sent as the wrong project\"}");

    // Not confirmed: the group fails and is tried again, and the token stays with its user.
    Eventually.await("the push tried again", () -> pushesTo("other-wp-b-phone").size(), n -> n >= 2);
    assertThat(notifications.devices("wp-b")).containsExactly("other-wp-b-phone");
  }

  @Test
  @Order(2)
  void aDeveloperDeviceGettingThroughInTheSameGroupDoesNotSettleThePushesOfOthers() {
    // The same developer as above: only two users' devices are ever reached in this class, fewer than confirm it.
    notifications.registerDevice("wp-dev", "dev-wp-phone");
    notifications.registerDevice("wp-c", "other-wp-c-phone");
    // A batch's pushes go to the tokens the device directory (a projection) holds: wait for it to hold both.
    live.node().awaitDevices(java.util.Map.of("wp-dev", 1, "wp-c", 1));
    // One send to both users: one stored batch, so both pushes leave in one group.
    notifications.adminSend(
        "{\"userIds\":[\"wp-dev\",\"wp-c\"],\"notification\":{\"kind\":\"system\",\"title\":\"Both\"}}");

    // With the wrong project, the others' pushes would be lost if the developer's success settled the group.
    Eventually.await("the other user's push tried again", () -> pushesTo("other-wp-c-phone").size(), n -> n >= 2);
    assertThat(notifications.devices("wp-c")).containsExactly("other-wp-c-phone");
  }

  private static List<FakeFcmTransport.Request> pushesTo(String token) {
    return fcm.requests().stream().filter(r -> token.equals(r.token())).toList();
  }
}
