package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.TestDatabase;
import io.parley.testkit.TestNode;
import io.parley.testkit.TestTokens;
import io.parley.tools.FakeFcmTransport;
import io.parley.user.User;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A device token belongs to one user at a time, also for pushes stored before it changed hands: pushes leave from the
 * journal later, and one stored for the previous owner must not reach the device once someone else holds it. The
 * first node stores without pushing, as a push projection that lags behind; the second one pushes.
 */
class TokenOwnershipTest {
  private static final Config STORES_ONLY = ConfigFactory.parseString("parley.push.projection.enabled = off");

  @Test
  void aPushStoredForThePreviousOwnerDoesNotReachTheDeviceOnceAnotherUserRegisteredIt() {
    // Both users' pushes share a slice, so the second push cannot leave before the first is decided.
    assertThat(sliceOf("own-ana")).isEqualTo(sliceOf("own-cy"));
    try (TestDatabase database = TestDatabase.h2()) {
      try (TestNode storing = TestNode.start(database, STORES_ONLY, new FakeFcmTransport())) {
        NotificationApi api = new NotificationApi(new HttpApi(storing::uri));
        api.registerDevice("own-ana", "shared-phone");
        api.send("own-ana", "{\"kind\":\"system\",\"title\":\"For Ana only\"}");

        api.registerDevice("own-cy", "shared-phone");
        // The hand-over is confirmed before the registration answers, not some time later.
        assertThat(api.devices("own-ana")).isEmpty();
        assertThat(api.devices("own-cy")).containsExactly("shared-phone");
        api.send("own-cy", "{\"kind\":\"system\",\"title\":\"For Cy\"}");
      }

      FakeFcmTransport fcm = new FakeFcmTransport();
      try (TestNode pushing = TestNode.start(database, ConfigFactory.empty(), fcm)) {
        Eventually.await("Cy's push", () -> titlesSentTo(fcm, "shared-phone"), titles -> titles.contains("For Cy"));
        assertThat(titlesSentTo(fcm, "shared-phone")).containsExactly("For Cy");
        assertThat(new HttpApi(pushing::uri).get("/api/health", null).json().path("push").path("results")
                .path("not_owner").asInt())
            .isEqualTo(1);
      }
    }
  }

  @Test
  void aDeviceUnregisteredAfterAPushWasStoredDoesNotGetIt() {
    assertThat(sliceOf("own-di")).isEqualTo(sliceOf("own-bo"));
    try (TestDatabase database = TestDatabase.h2()) {
      try (TestNode storing = TestNode.start(database, STORES_ONLY, new FakeFcmTransport())) {
        HttpApi http = new HttpApi(storing::uri);
        NotificationApi api = new NotificationApi(http);
        api.registerDevice("own-di", "di-phone");
        api.send("own-di", "{\"kind\":\"system\",\"title\":\"Before signing out\"}");
        assertThat(http.delete("/api/devices/di-phone", TestTokens.user("own-di")).status()).isEqualTo(204);

        api.registerDevice("own-bo", "bo-phone");
        api.send("own-bo", "{\"kind\":\"system\",\"title\":\"After it\"}");
      }

      FakeFcmTransport fcm = new FakeFcmTransport();
      try (TestNode pushing = TestNode.start(database, ConfigFactory.empty(), fcm)) {
        Eventually.await("the later push", () -> titlesSentTo(fcm, "bo-phone"), titles -> titles.contains("After it"));
        assertThat(titlesSentTo(fcm, "di-phone")).isEmpty();
      }
    }
  }

  @Test
  void aRetryDoesNotReachTheDeviceOnceAnotherUserRegisteredItDuringTheBackoff() {
    AtomicBoolean moved = new AtomicBoolean();
    FakeFcmTransport fcm = new FakeFcmTransport();
    // FCM's 500 is retried by Parley alone (the SDK retries only 503s, by itself): the retry is Parley's to check.
    fcm.answer((request, attempt) -> "moving-phone".equals(request.token()) && !moved.get()
        ? FakeFcmTransport.Answer.error(500, "INTERNAL", "INTERNAL", "Internal error.")
        : FakeFcmTransport.Answer.sent());
    Config slowRetries = ConfigFactory.parseString("""
        parley.push.retry.min-backoff = 3s
        parley.push.retry.max-backoff = 3s
        """);
    try (TestDatabase database = TestDatabase.h2();
        TestNode node = TestNode.start(database, slowRetries, fcm)) {
      HttpApi http = new HttpApi(node::uri);
      NotificationApi api = new NotificationApi(http);
      api.registerDevice("own-eve", "moving-phone");
      api.send("own-eve", "{\"kind\":\"system\",\"title\":\"For Eve only\"}");
      Eventually.await("the first try", () -> titlesSentTo(fcm, "moving-phone"), titles -> !titles.isEmpty());

      api.registerDevice("own-fay", "moving-phone");
      moved.set(true);

      Eventually.await(
          "the retry decided",
          () -> titlesSentTo(fcm, "moving-phone").size() + ":" + notOwner(http),
          seen -> titlesSentTo(fcm, "moving-phone").size() > 1 || notOwner(http) > 0);
      assertThat(titlesSentTo(fcm, "moving-phone")).containsExactly("For Eve only");
      assertThat(notOwner(http)).isEqualTo(1);
    }
  }

  private static int notOwner(HttpApi http) {
    return http.get("/api/health", null).json().path("push").path("results").path("not_owner").asInt();
  }

  private static List<String> titlesSentTo(FakeFcmTransport fcm, String token) {
    return fcm.requests().stream()
        .filter(request -> token.equals(request.token()))
        .map(request -> request.message().path("notification").path("title").asText())
        .toList();
  }

  private static String sliceOf(String userId) {
    return User.pushTag(userId, ConfigFactory.load().getInt("parley.push.tag-slices"));
  }
}
