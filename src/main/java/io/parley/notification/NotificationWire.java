package io.parley.notification;

import com.fasterxml.jackson.annotation.JsonRawValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.parley.api.Json;
import io.parley.user.Inbox;
import io.parley.user.User;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * The REST bodies of notifications and devices; the WebSocket {@code notification} frame carries the same
 * {@link NotificationBody}. Public API: fields are only ever added.
 */
public final class NotificationWire {
  private NotificationWire() {}

  /** {@code count} is how many messages a collapsed message notification stands for. */
  public record NotificationBody(
      String id,
      String kind,
      String title,
      String body,
      @JsonRawValue String data,
      Instant createdAt,
      Instant readAt,
      int count) {
    public static NotificationBody of(Inbox.Notification n) {
      return new NotificationBody(n.id(), n.kind(), n.title(), n.body(), n.data(), n.createdAt(), n.readAt(), n.count());
    }
  }

  /** {@code nextBefore} pages on ({@code ?before=}), null on the last page. */
  public record NotificationPage(List<NotificationBody> notifications, int unreadCount, String nextBefore) {
    public static NotificationPage of(Inbox.Page page) {
      List<NotificationBody> bodies = page.notifications().stream().map(NotificationBody::of).toList();
      String next = page.hasMore() && !bodies.isEmpty() ? bodies.get(bodies.size() - 1).id() : null;
      return new NotificationPage(bodies, page.unreadCount(), next);
    }
  }

  public record UnreadCount(int unreadCount) {}

  public record RegisterDevice(String token, String platform) {}

  public record Device(String token, String platform, Instant registeredAt) {
    public static Device of(User.Device d) {
      return new Device(d.token(), d.platform().name().toLowerCase(Locale.ROOT), d.registeredAt());
    }
  }

  public record DeviceList(List<Device> devices) {}

  /**
   * What the platform's backend sends; {@code data} must be a JSON object, kept as its compact text with its numbers
   * exact; {@code push} overrides the kind's default.
   */
  public record NotificationDraft(
      String kind,
      String title,
      String body,
      @JsonDeserialize(using = Json.ExactNumbers.class) JsonNode data,
      Boolean push,
      String collapseKey) {}

  /** Exactly one of {@code userIds}, {@code topic} and {@code broadcast: true}. */
  public record AdminSend(
      List<String> userIds, String topic, Boolean broadcast, NotificationDraft notification, String idempotencyKey) {}

  /** {@code duplicates}: recipients that had this idempotency key already, and got nothing new. */
  public record AdminSent(int accepted, int duplicates, String batchId, String announcementId) {}
}
