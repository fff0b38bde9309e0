package io.parley.notification;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.Json;
import io.parley.push.FcmPushGateway;
import io.parley.push.PushMessage;
import io.parley.testkit.Eventually;
import io.parley.testkit.HttpApi;
import io.parley.testkit.LiveNode;
import io.parley.testkit.NotificationApi;
import io.parley.testkit.PreciseNumbers;
import io.parley.testkit.TestTokens;
import io.parley.testkit.WsClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The inbox, the admin route and device tokens, over real HTTP and WebSocket connections. */
class NotificationsTest {
  private static final String ADMIN_TOKEN = "admin-token-for-notification-tests-0123";

  @RegisterExtension
  static final LiveNode live =
      new LiveNode(
          "parley.notifications.inbox-size = 5\n"
              + "parley.notifications.max-recipients = 50\n"
              + "parley.notifications.max-devices-per-user = 3\n"
              + "parley.notifications.max-page-bytes = 32k\n"
              + "parley.notifications.device-changes.per-minute = 0.01\n"
              + "parley.auth.admin-token = \"" + ADMIN_TOKEN + "\"");

  private final HttpApi api = live.api();
  private final NotificationApi notifications = new NotificationApi(api);

  @Test
  void theInboxKeepsTheNewestAndPagesNewestFirst() {
    for (int i = 1; i <= 8; i++) notifications.send("ib1", "{\"kind\":\"comment\",\"title\":\"Comment " + i + "\"}");

    JsonNode all = api.get("/api/notifications", TestTokens.user("ib1")).json();
    assertThat(ids(all)).containsExactly("n8", "n7", "n6", "n5", "n4");
    assertThat(all.get("unreadCount").asInt()).isEqualTo(5);
    assertThat(all.get("nextBefore").isNull()).isTrue();

    JsonNode first = api.get("/api/notifications?limit=2", TestTokens.user("ib1")).json();
    assertThat(ids(first)).containsExactly("n8", "n7");
    JsonNode second =
        api.get("/api/notifications?limit=2&before=" + first.get("nextBefore").asText(), TestTokens.user("ib1")).json();
    assertThat(ids(second)).containsExactly("n6", "n5");

    assertThat(api.post("/api/notifications/n6/read", TestTokens.user("ib1"), null).json().get("unreadCount").asInt())
        .isEqualTo(4);
    assertThat(ids(api.get("/api/notifications?unread=true", TestTokens.user("ib1")).json()))
        .containsExactly("n8", "n7", "n5", "n4");
    assertThat(api.post("/api/notifications/read-all", TestTokens.user("ib1"), null).json().get("unreadCount").asInt())
        .isZero();
    assertThat(api.get("/api/notifications", TestTokens.user("ib1")).json().get("notifications"))
        .allSatisfy(n -> assertThat(n.get("readAt").isNull()).isFalse());
  }

  @Test
  void largeNotificationsPageInFewerPerPageAndNoneIsSkipped() {
    String body = "😀".repeat(2000);
    String data = "{\"blob\":\"" + "x".repeat(4000) + "\"}";
    // A kind that is not pushed: a pushed one this large is refused up front, as FCM would refuse its push.
    for (int i = 1; i <= 5; i++) {
      notifications.send("lg1", "{\"kind\":\"like\",\"title\":\"Large " + i + "\",\"body\":\"" + body + "\",\"data\":" + data + "}");
    }

    List<String> seen = new ArrayList<>();
    String path = "/api/notifications?limit=200";
    int pages = 0;
    while (path != null) {
      JsonNode page = api.get(path, TestTokens.user("lg1")).json();
      assertThat(page.get("notifications")).as("every page holds something").isNotEmpty();
      seen.addAll(ids(page));
      pages++;
      path = page.get("nextBefore").isNull() ? null : "/api/notifications?limit=200&before=" + page.get("nextBefore").asText();
    }
    assertThat(seen).containsExactly("n5", "n4", "n3", "n2", "n1");
    assertThat(pages).as("32 KiB hold two of these").isEqualTo(3);
  }

  @Test
  void everyDeviceSeesNewNotificationsAndTheSameUnreadCount() {
    try (WsClient phone = WsClient.signedIn(live.node(), TestTokens.user("ud1"));
        WsClient laptop = WsClient.signedIn(live.node(), TestTokens.user("ud1"))) {
      notifications.send("ud1", "{\"kind\":\"application_status\",\"title\":\"Interview\",\"data\":{\"applicationId\":\"a-1\"}}");
      notifications.send("ud1", "{\"kind\":\"follow\",\"title\":\"Bo follows you\"}");

      for (WsClient device : List.of(phone, laptop)) {
        JsonNode first = device.next("notification");
        assertThat(first.get("notification").get("title").asText()).isEqualTo("Interview");
        assertThat(first.get("notification").get("data").get("applicationId").asText()).isEqualTo("a-1");
        assertThat(first.get("unreadCount").asInt()).isEqualTo(1);
        assertThat(device.next("notification").get("unreadCount").asInt()).isEqualTo(2);
      }

      phone.send("{\"type\":\"notification.ack\",\"ref\":\"r1\",\"notificationId\":\"n1\"}");
      JsonNode own = phone.until(f -> f.path("ref").asText().equals("r1"), new ArrayList<>());
      assertThat(own.get("type").asText()).isEqualTo("notifications.unread");
      assertThat(own.get("unreadCount").asInt()).isEqualTo(1);
      assertThat(laptop.next("notifications.unread").get("unreadCount").asInt()).isEqualTo(1);

      assertThat(api.post("/api/notifications/read-all", TestTokens.user("ud1"), null).status()).isEqualTo(200);
      assertThat(laptop.next("notifications.unread").get("unreadCount").asInt()).isZero();
      assertThat(phone.until("notifications.unread").get("unreadCount").asInt()).isZero();
    }
  }

  @Test
  void aNotificationThatCollapsesAnotherTellsDevicesWhichOneItReplaces() {
    try (WsClient phone = WsClient.signedIn(live.node(), TestTokens.user("uc1"))) {
      notifications.send("uc1", "{\"kind\":\"like\",\"title\":\"Ana likes your post\",\"collapseKey\":\"likes-7\"}");
      JsonNode first = phone.next("notification");
      assertThat(first.has("replaces")).as("it replaces nothing").isFalse();
      notifications.send("uc1", "{\"kind\":\"like\",\"title\":\"Ana and Bo like your post\",\"collapseKey\":\"likes-7\"}");
      JsonNode second = phone.next("notification");
      assertThat(second.get("replaces").asText()).isEqualTo(first.get("notification").get("id").asText());
      assertThat(second.get("notification").get("count").asInt()).isEqualTo(2);
      assertThat(second.get("unreadCount").asInt()).as("the device's list and badge agree").isEqualTo(1);
    }
  }

  @Test
  void aRetryWithTheSameIdempotencyKeyStoresNothingTwice() {
    String body =
        "{\"userIds\":[\"ik1\",\"ik2\"],\"idempotencyKey\":\"job-9-match\",\"notification\":{\"kind\":\"job_match\",\"title\":\"Match\"}}";
    JsonNode first = api.post("/api/admin/notifications", TestTokens.serviceRole(), body).json();
    JsonNode retry = api.post("/api/admin/notifications", TestTokens.serviceRole(), body).json();

    assertThat(first.get("accepted").asInt()).isEqualTo(2);
    assertThat(retry.get("accepted").asInt()).isZero();
    assertThat(retry.get("duplicates").asInt()).isEqualTo(2);
    // A send to several users is stored as a batch; its inboxes are filled from the journal moments later.
    JsonNode inbox =
        Eventually.await(
            "the inbox filled",
            () -> api.get("/api/notifications", TestTokens.user("ik1")).json(),
            page -> page.get("notifications").size() > 0);
    assertThat(inbox.get("notifications")).hasSize(1);
  }

  /**
   * An admin notification's data keeps its numbers as sent, as a message's metadata does, on every way it reaches a
   * device: read as doubles, 0.1000000000000000055511151231257827 became 0.1 and 1e400 the string "Infinity".
   */
  @Test
  void anAdminNotificationsDataKeepsItsNumbersExactly() {
    String notification = "{\"kind\":\"like\",\"title\":\"Figures\",\"data\":" + PreciseNumbers.object() + "}";
    try (WsClient phone = WsClient.signedIn(live.node(), TestTokens.user("pn1"))) {
      notifications.send("pn1", notification);
      PreciseNumbers.assertKept(phone.nextExactly("notification").get("notification").get("data"));
    }
    PreciseNumbers.assertKept(
        api.get("/api/notifications", TestTokens.user("pn1")).exactJson().get("notifications").get(0).get("data"));

    // To several users, the notification is stored as a batch and reaches the inboxes from the journal.
    notifications.adminSend("{\"userIds\":[\"pn2\",\"pn3\"],\"notification\":" + notification + "}");
    for (String user : List.of("pn2", "pn3")) {
      JsonNode inbox =
          Eventually.await(
              "the batch in " + user + "'s inbox",
              () -> api.get("/api/notifications", TestTokens.user(user)).exactJson(),
              page -> page.get("notifications").size() > 0);
      PreciseNumbers.assertKept(inbox.get("notifications").get(0).get("data"));
    }

    // One that no decimal holds is malformed, as in a message's metadata: not stored as "Infinity".
    HttpApi.Response unrepresentable =
        api.post(
            "/api/admin/notifications",
            TestTokens.serviceRole(),
            "{\"userIds\":[\"pn4\"],\"notification\":{\"kind\":\"like\",\"title\":\"Hi\",\"data\":{\"n\":1e9999999999}}}");
    assertThat(unrepresentable.status()).as(unrepresentable.body()).isEqualTo(400);
    assertThat(unrepresentable.code()).isEqualTo("bad_request");
    assertThat(unrepresentable.json().get("detail").asText()).contains("notification.data");
    assertThat(api.get("/api/notifications", TestTokens.user("pn4")).json().get("notifications")).isEmpty();
  }

  @Test
  void theAdminRouteIsForThePlatformsBackendOnly() {
    String body = "{\"userIds\":[\"ad1\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\"}}";

    HttpApi.Response asUser = api.post("/api/admin/notifications", TestTokens.user("ad1"), body);
    assertThat(asUser.status()).isEqualTo(403);
    assertThat(asUser.code()).isEqualTo("forbidden");
    assertThat(asUser.contentType()).startsWith("application/problem+json");
    assertThat(api.post("/api/admin/notifications", null, body).code()).isEqualTo("token_missing");
    assertThat(api.post("/api/admin/notifications", "not.a.token", body).status()).isEqualTo(401);
    assertThat(api.post("/api/admin/notifications", ADMIN_TOKEN, body).status()).isEqualTo(202);
    assertThat(api.post("/api/admin/notifications", TestTokens.serviceRole(), body).status()).isEqualTo(202);
    assertThat(api.get("/api/notifications", TestTokens.user("ad1")).json().get("unreadCount").asInt()).isEqualTo(2);
  }

  @Test
  void badAdminRequestsGetAClearError() {
    String draft = "{\"kind\":\"system\",\"title\":\"Hi\"}";
    assertBadRequest("{\"userIds\":[\"x1\"]}", "notification");
    assertBadRequest("{\"notification\":" + draft + "}", "exactly one");
    assertBadRequest("{\"userIds\":[\"x1\"],\"broadcast\":true,\"notification\":" + draft + "}", "exactly one");
    assertBadRequest("{\"userIds\":[],\"notification\":" + draft + "}", "userIds");
    assertBadRequest("{\"userIds\":[\"bad id!\"],\"notification\":" + draft + "}", "invalid user id");
    assertBadRequest("{\"userIds\":[\"x1\"],\"notification\":{\"kind\":\"Bad Kind\",\"title\":\"Hi\"}}", "kind");
    assertBadRequest("{\"userIds\":[\"x1\"],\"notification\":{\"kind\":\"system\"}}", "title");
    assertBadRequest("{\"userIds\":[\"x1\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\",\"data\":[1]}}", "data");
    assertBadRequest("{\"userIds\":[\"x1\"],\"notification\":{\"kind\":\"system\",\"title\":7}}", "title");
    assertBadRequest("{\"topic\":\"no spaces allowed\",\"notification\":" + draft + "}", "topic");
    assertBadRequest("not json", "malformed");
    String tooMany = IntStream.range(0, 51).mapToObj(i -> "\"u" + i + "\"").collect(Collectors.joining(","));
    assertBadRequest("{\"userIds\":[" + tooMany + "],\"notification\":" + draft + "}", "at most 50");

    String hugeData = "{\"blob\":\"" + "x".repeat(5000) + "\"}";
    HttpApi.Response tooLarge =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"x1\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\",\"data\":" + hugeData + "}}");
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.code()).isEqualTo("too_large");
  }

  @Test
  void aCollapsingNotificationIsMeasuredWithTheCountItsPushWillCarry() {
    // Fits as a first push; collapsed, its push gains "count" and would pass FCM's 4,096 bytes.
    int bare = FcmPushGateway.payloadBytes(new PushMessage("system", "Hi", "", Map.of("kind", "system"), "k", null));
    String body = "€".repeat((FcmPushGateway.MAX_PAYLOAD_BYTES - 4 - bare) / 3);
    assertThat(FcmPushGateway.payloadBytes(new PushMessage("system", "Hi", body, Map.of("kind", "system"), "k", null)))
        .isLessThanOrEqualTo(FcmPushGateway.MAX_PAYLOAD_BYTES);

    HttpApi.Response refused =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"pl2\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\",\"body\":\"" + body
                + "\",\"collapseKey\":\"k\"}}");
    assertThat(refused.status()).isEqualTo(413);
    assertThat(refused.code()).isEqualTo("too_large");
    HttpApi.Response uncollapsed =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"pl2\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\",\"body\":\"" + body + "\"}}");
    assertThat(uncollapsed.status()).as("never collapsed, it never carries a count").isEqualTo(202);
  }

  @Test
  void aNotificationTooLargeForFcmToPushIsRefusedUpFront() {
    // 2,000 characters of two bytes each: within the body's own limit, but with the title over FCM's 4,096 bytes.
    String body = "é".repeat(2000);
    HttpApi.Response refused =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"pl1\"],\"notification\":{\"kind\":\"system\",\"title\":\"" + "T".repeat(200)
                + "\",\"body\":\"" + body + "\"}}");
    assertThat(refused.status()).isEqualTo(413);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.code()).isEqualTo("too_large");
    assertThat(refused.json().get("detail").asText()).contains("4096").contains("'notification.body'");
    assertThat(api.get("/api/notifications", TestTokens.user("pl1")).json().get("notifications")).isEmpty();

    String data = "{\"description\":\"" + "d".repeat(3000) + "\",\"jobId\":\"j-1\"}";
    HttpApi.Response toTopic =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"topic\":\"jobs\",\"notification\":{\"kind\":\"like\",\"title\":\"Hi\",\"body\":\""
                + "b".repeat(1500) + "\",\"data\":" + data + "}}");
    assertThat(toTopic.status()).isEqualTo(413);
    assertThat(toTopic.json().get("detail").asText()).contains("'notification.data.description'");

    // Never pushed, so FCM's limit is not theirs: a kind that is not pushed, and a broadcast.
    String unpushed = "{\"kind\":\"like\",\"title\":\"Hi\",\"body\":\"" + body + "\"}";
    assertThat(api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"pl1\"],\"notification\":" + unpushed + "}").status())
        .isEqualTo(202);
    assertThat(api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"broadcast\":true,\"notification\":" + unpushed + "}").status())
        .isEqualTo(202);
  }

  /** As a message's content or a group's title: PostgreSQL text cannot hold U+0000. */
  @Test
  void anAdminNotificationWithANulInItsTextIsRefusedAndNotStored() {
    for (String field : List.of("title", "body", "collapseKey")) {
      Map<String, String> draft = new java.util.LinkedHashMap<>(Map.of("kind", "system", "title", "Hi"));
      draft.put(field, "a\u0000b");
      String send = Json.write(Map.of("userIds", List.of("nul1"), "notification", draft));
      assertBadRequest(send, "'" + field + "' must not contain NUL");
    }
    String keyed =
        Json.write(Map.of("userIds", List.of("nul1"), "idempotencyKey", "a\u0000b", "notification", Map.of("kind", "system", "title", "Hi")));
    assertBadRequest(keyed, "'idempotencyKey' must not contain NUL");
    assertThat(api.get("/api/notifications", TestTokens.user("nul1")).json().get("notifications")).isEmpty();
  }

  @Test
  void aNotificationSentWithoutABodyHasAnEmptyOne() {
    HttpApi.Response sent =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"nb1\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\"}}");
    assertThat(sent.status()).as(sent.body()).isEqualTo(202);

    JsonNode stored = api.get("/api/notifications", TestTokens.user("nb1")).json().get("notifications").get(0);
    assertThat(stored.get("body").isTextual()).as(stored.toString()).isTrue();
    assertThat(stored.get("body").asText()).isEmpty();
  }

  @Test
  void anAdminIdempotencyKeyOfTheJobMatchesNamespaceIsRefused() {
    HttpApi.Response refused =
        api.post("/api/admin/notifications", TestTokens.serviceRole(),
            "{\"userIds\":[\"jk1\"],\"notification\":{\"kind\":\"system\",\"title\":\"Hi\"},"
                + "\"idempotencyKey\":\"job_match:42\"}");
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.code()).isEqualTo("bad_request");
    assertThat(refused.json().get("detail").asText()).contains("'idempotencyKey'").contains("job_match:");
    assertThat(api.get("/api/notifications", TestTokens.user("jk1")).json().get("notifications")).isEmpty();
  }

  @Test
  void badInboxRequestsGetAClearError() {
    assertThat(api.post("/api/notifications/n999/read", TestTokens.user("br1"), null).code()).isEqualTo("not_found");
    assertThat(api.post("/api/notifications/garbage/read", TestTokens.user("br1"), null).code()).isEqualTo("bad_request");
    assertThat(api.get("/api/notifications?limit=-1", TestTokens.user("br1")).code()).isEqualTo("bad_request");
    assertThat(api.get("/api/notifications?unread=maybe", TestTokens.user("br1")).code()).isEqualTo("bad_request");
    assertThat(api.get("/api/notifications?before=x", TestTokens.user("br1")).code()).isEqualTo("bad_request");
    assertThat(api.get("/api/notifications", null).code()).isEqualTo("token_missing");
  }

  @Test
  void aBroadcastReachesEveryOnlineSessionAndNoInbox() {
    try (WsClient a = WsClient.signedIn(live.node(), TestTokens.user("bc1"));
        WsClient b = WsClient.signedIn(live.node(), TestTokens.user("bc2"))) {
      HttpApi.Response sent =
          api.post("/api/admin/notifications", TestTokens.serviceRole(),
              "{\"broadcast\":true,\"notification\":{\"kind\":\"system\",\"title\":\"Maintenance at 22:00\"}}");
      assertThat(sent.status()).isEqualTo(202);
      assertThat(sent.json().get("announcementId").asText()).startsWith("a");

      for (WsClient client : List.of(a, b)) {
        JsonNode frame = client.until("notification");
        assertThat(frame.get("broadcast").asBoolean()).isTrue();
        assertThat(frame.get("notification").get("title").asText()).isEqualTo("Maintenance at 22:00");
      }
      assertThat(api.get("/api/notifications", TestTokens.user("bc1")).json().get("notifications")).isEmpty();
    }
  }

  @Test
  void aTokenBelongsToOneUserAtATimeAndEachUserKeepsTheNewest() {
    notifications.registerDevice("dv1", "shared-device");
    notifications.registerDevice("dv2", "shared-device");
    Eventually.await("the token taken from dv1", () -> notifications.devices("dv1"), List::isEmpty);
    assertThat(notifications.devices("dv2")).containsExactly("shared-device");

    notifications.registerDevice("dv3", "t1");
    notifications.registerDevice("dv3", "t2");
    notifications.registerDevice("dv3", "t3");
    notifications.registerDevice("dv3", "t4");
    // Registered again: kept once, as the newest, so that the device in use is not the next one dropped.
    notifications.registerDevice("dv3", "t2");
    assertThat(notifications.devices("dv3")).containsExactly("t3", "t4", "t2");

    assertThat(api.delete("/api/devices/t3", TestTokens.user("dv3")).status()).isEqualTo(204);
    assertThat(notifications.devices("dv3")).containsExactly("t4", "t2");

    assertThat(api.post("/api/devices", TestTokens.user("dv3"), "{\"token\":\"t5\",\"platform\":\"blackberry\"}").code())
        .isEqualTo("bad_request");
    assertThat(api.post("/api/devices", TestTokens.user("dv3"), "{\"token\":\"has space\",\"platform\":\"web\"}").code())
        .isEqualTo("bad_request");
    assertThat(api.post("/api/devices", TestTokens.user("dv3"), "{\"platform\":\"web\"}").code()).isEqualTo("bad_request");
  }

  @Test
  void aTokenLongerThanTheLimitIsRefusedAndNotStored() {
    String longest = "t".repeat(512);
    String tooLong = "t".repeat(513);

    HttpApi.Response refused =
        api.post("/api/devices", TestTokens.user("tl1"), "{\"token\":\"" + tooLong + "\",\"platform\":\"android\"}");
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.code()).isEqualTo("bad_request");
    assertThat(refused.json().get("detail").asText()).contains("'token'").contains("512");
    notifications.registerDevice("tl1", longest);
    assertThat(notifications.devices("tl1")).containsExactly(longest);

    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("tl2"))) {
      client.send("{\"type\":\"device.register\",\"ref\":\"long\",\"token\":\"" + tooLong + "\",\"platform\":\"web\"}");
      JsonNode error = client.next("error");
      assertThat(error.get("ref").asText()).isEqualTo("long");
      assertThat(error.get("code").asText()).isEqualTo("bad_request");
      assertThat(error.get("message").asText()).contains("512");
    }
    assertThat(notifications.devices("tl2")).isEmpty();
  }

  /** The default burst of 20 registrations and removals, over REST and WebSocket together; in this class, then hardly any. */
  @Test
  void aUserWhoChangesDevicesTooOftenIsRateLimitedWithoutStoringAnything() {
    for (int i = 0; i < 10; i++) {
      notifications.registerDevice("rl1", "rl-phone");
      assertThat(api.delete("/api/devices/rl-phone", TestTokens.user("rl1")).status()).isEqualTo(204);
    }
    HttpApi.Response refused =
        api.post("/api/devices", TestTokens.user("rl1"), "{\"token\":\"rl-tablet\",\"platform\":\"ios\"}");
    assertThat(refused.status()).isEqualTo(429);
    assertThat(refused.contentType()).startsWith("application/problem+json");
    assertThat(refused.code()).isEqualTo("rate_limited");
    assertThat(refused.json().get("detail").asText()).contains("retry in");
    assertThat(api.delete("/api/devices/rl-phone", TestTokens.user("rl1")).code()).isEqualTo("rate_limited");
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("rl1"))) {
      client.send("{\"type\":\"device.register\",\"ref\":\"r1\",\"token\":\"rl-laptop\",\"platform\":\"web\"}");
      JsonNode error = client.next("error");
      assertThat(error.get("ref").asText()).isEqualTo("r1");
      assertThat(error.get("code").asText()).isEqualTo("rate_limited");
    }
    assertThat(notifications.devices("rl1")).isEmpty();
    // Another user's budget is their own.
    notifications.registerDevice("rl2", "rl-tablet");
    assertThat(notifications.devices("rl2")).containsExactly("rl-tablet");
  }

  @Test
  void devicesAndAcknowledgementsOverTheWebSocket() {
    try (WsClient client = WsClient.signedIn(live.node(), TestTokens.user("wd1"))) {
      client.send("{\"type\":\"device.register\",\"ref\":\"d1\",\"token\":\"ws-token\",\"platform\":\"web\"}");
      assertThat(client.next("ok").get("ref").asText()).isEqualTo("d1");
      assertThat(notifications.devices("wd1")).containsExactly("ws-token");

      client.send("{\"type\":\"notification.ack\",\"ref\":\"a1\"}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("bad_request");
      client.send("{\"type\":\"notification.ack\",\"ref\":\"a2\",\"notificationId\":\"n1\",\"all\":true}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("bad_request");
      client.send("{\"type\":\"notification.ack\",\"ref\":\"a3\",\"notificationId\":\"n77\"}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("not_found");
      client.send("{\"type\":\"device.register\",\"ref\":\"d2\",\"token\":42,\"platform\":\"web\"}");
      assertThat(client.next("error").get("code").asText()).isEqualTo("bad_request");

      client.send("{\"type\":\"device.unregister\",\"ref\":\"d3\",\"token\":\"ws-token\"}");
      assertThat(client.next("ok").get("ref").asText()).isEqualTo("d3");
      assertThat(notifications.devices("wd1")).isEmpty();
    }
  }

  @Test
  void aMessageNotificationFollowsEditsAndDeletesOfItsMessage() {
    String single = conversation("em1", "em2");
    String typo = post("em1", single, "Helo, are you free?");
    JsonNode shown = awaitMessageNotification("em2", single, n -> n.get("body").asText().equals("Helo, are you free?"));
    assertThat(shown.get("readAt").isNull()).isTrue();

    assertThat(api.patch("/api/conversations/" + single + "/messages/" + typo, TestTokens.user("em1"),
        "{\"content\":\"Hello, are you free?\"}").status()).isEqualTo(200);
    awaitMessageNotification("em2", single, n -> n.get("body").asText().equals("Hello, are you free?"));

    assertThat(api.delete("/api/conversations/" + single + "/messages/" + typo, TestTokens.user("em1")).status())
        .isEqualTo(200);
    JsonNode tombstone = awaitMessageNotification("em2", single, n -> n.get("body").asText().equals("Message deleted"));
    assertThat(tombstone.get("readAt").isNull()).as("a deleted message leaves nothing to read").isFalse();
    assertThat(tombstone.get("data").get("deleted").asBoolean()).isTrue();
    assertThat(tombstone.get("id").asText()).isEqualTo(shown.get("id").asText());
    assertThat(api.get("/api/notifications", TestTokens.user("em2")).json().get("unreadCount").asInt()).isZero();

    String collapsed = conversation("em3", "em2");
    post("em3", collapsed, "first");
    String second = post("em3", collapsed, "second");
    awaitMessageNotification("em2", collapsed, n -> n.get("count").asInt() == 2);
    assertThat(api.delete("/api/conversations/" + collapsed + "/messages/" + second, TestTokens.user("em3")).status())
        .isEqualTo(200);
    JsonNode counted = awaitMessageNotification("em2", collapsed, n -> n.get("count").asInt() == 1);
    assertThat(counted.get("body").asText()).isEqualTo("1 new message from em3");
    assertThat(counted.get("readAt").isNull()).isTrue();
    assertThat(api.get("/api/notifications", TestTokens.user("em2")).json().get("unreadCount").asInt()).isEqualTo(1);
  }

  @Test
  void aMessageNotificationNamesItsSenderAsTheirVerifiedTokenDoesWhateverTheClientSends() {
    String named = TestTokens.user("sn1", java.util.Map.of("full_name", "Ana Martin"));
    String spoofed =
        "{\"content\":\"Hi\",\"senderName\":\"Admin\",\"senderId\":\"admin\",\"metadata\":{\"senderName\":\"Parley Security\"}}";
    String withName = conversation("sn1", "sn2");
    assertThat(api.post("/api/conversations/" + withName + "/messages", named, spoofed).status()).isEqualTo(201);
    JsonNode fromAna = awaitMessageNotification("sn2", withName, n -> true);
    assertThat(fromAna.get("title").asText()).isEqualTo("Ana Martin");
    assertThat(fromAna.get("data").get("senderId").asText()).isEqualTo("sn1");

    // Over the WebSocket too; and a token with no name shows the sender's id, never the name the client made up.
    String withoutName = conversation("sn3", "sn2");
    try (WsClient sender = WsClient.signedIn(live.node(), TestTokens.user("sn3"))) {
      sender.send("{\"type\":\"send\",\"ref\":\"s1\",\"conversationId\":\"" + withoutName
          + "\",\"clientMsgId\":\"c1\",\"content\":\"Hi\",\"senderName\":\"Admin\",\"metadata\":{\"senderName\":\"CEO\"}}");
      assertThat(sender.next("sent").get("ref").asText()).isEqualTo("s1");
    }
    assertThat(awaitMessageNotification("sn2", withoutName, n -> true).get("title").asText()).isEqualTo("sn3");
  }

  private String conversation(String from, String to) {
    return api.post("/api/conversations", TestTokens.user(from), "{\"type\":\"direct\",\"userId\":\"" + to + "\"}")
        .json().get("id").asText();
  }

  /** Posts {@code content} as {@code userId} and answers the message's id. */
  private String post(String userId, String conversation, String content) {
    HttpApi.Response posted =
        api.post("/api/conversations/" + conversation + "/messages", TestTokens.user(userId),
            "{\"content\":\"" + content + "\"}");
    assertThat(posted.status()).as(posted.body()).isEqualTo(201);
    return posted.json().get("id").asText();
  }

  private JsonNode awaitMessageNotification(String userId, String conversation, java.util.function.Predicate<JsonNode> done) {
    return Eventually.await(
        "the message notification of " + conversation,
        () -> {
          for (JsonNode n : api.get("/api/notifications", TestTokens.user(userId)).json().get("notifications")) {
            if (n.get("data").path("conversationId").asText().equals(conversation)) return n;
          }
          return null;
        },
        n -> n != null && done.test(n));
  }

  private void assertBadRequest(String body, String messagePart) {
    HttpApi.Response response = api.post("/api/admin/notifications", TestTokens.serviceRole(), body);
    assertThat(response.status()).as(body).isEqualTo(400);
    assertThat(response.code()).isEqualTo("bad_request");
    assertThat(response.json().get("detail").asText()).as(body).contains(messagePart);
  }




  private static List<String> ids(JsonNode page) {
    List<String> ids = new ArrayList<>();
    page.get("notifications").forEach(n -> ids.add(n.get("id").asText()));
    return ids;
  }
}
