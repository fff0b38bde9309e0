package io.parley.push;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.api.Json;
import io.parley.user.Inbox.Notification;
import io.parley.user.Inbox;
import io.parley.user.User;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One push as every platform shows it. {@code collapseKey} makes a newer push replace an older one on the device (a
 * conversation's messages); {@code link} is the https page a web push opens, null for none. Two equal messages go
 * out as one multicast.
 */
public record PushMessage(
    String kind, String title, String body, Map<String, String> data, String collapseKey, String link) {
  /** FCM refuses these data keys. */
  private static final Set<String> RESERVED_KEYS = Set.of("from", "notification", "message_type", "collapse_key");

  /**
   * The push for a notification. Its data holds the notification's own data (FCM takes strings only) and its kind;
   * no per-user id, so that the same notification to many users stays one multicast. {@code links} null: no link.
   */
  public static PushMessage of(Notification notification, PushSettings links) {
    Map<String, String> data = new LinkedHashMap<>();
    // Exactly: read as doubles, 0.1000000000000000055511151231257827 was pushed as "0.1" and 1e400 as "Infinity".
    JsonNode fields = Json.readStoredExactly(notification.data());
    fields.fields().forEachRemaining(field -> {
      String key = field.getKey();
      if (RESERVED_KEYS.contains(key) || key.startsWith("google") || key.startsWith("gcm")) return;
      data.put(key, field.getValue().isTextual() ? field.getValue().textValue() : field.getValue().toString());
    });
    data.put("kind", notification.kind());
    if (notification.count() > 1) data.put("count", String.valueOf(notification.count()));
    return new PushMessage(
        notification.kind(), notification.title(), notification.body(), Map.copyOf(data), notification.collapseKey(),
        link(data, links));
  }

  /**
   * The push a notification not yet stored would become, as far as its size goes (no link): at its largest, so with
   * the longest {@code count} a collapsing one can come to carry.
   */
  public static PushMessage of(User.Draft draft) {
    return of(draft.toNotification(Inbox.idOf(1), draft.collapseKey() == null ? 1 : Integer.MAX_VALUE), null);
  }

  /** The page a web push opens: the conversation, the job, or the inbox. */
  private static String link(Map<String, String> data, PushSettings settings) {
    if (settings == null || settings.webAppUrl().isEmpty()) return null;
    String path = settings.otherPath();
    if (data.containsKey("conversationId")) {
      path = settings.conversationPath().replace("{conversationId}", urlEncode(data.get("conversationId")));
    } else if (data.containsKey("jobId")) {
      path = settings.jobPath().replace("{jobId}", urlEncode(data.get("jobId")));
    }
    return settings.webAppUrl() + path;
  }

  private static String urlEncode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }
}
