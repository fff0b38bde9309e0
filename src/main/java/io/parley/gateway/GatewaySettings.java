package io.parley.gateway;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.parley.FileDescriptors;
import java.time.Duration;

/**
 * Limits and timings of WebSocket sessions, from {@code parley.gateway}; {@code typingTtl} is the conversations'
 * {@code typing-timeout}, which a joined frame passes on for the indicators it lists. {@code maxSessions} is the
 * effective cap of sessions on this node, fitted to the process's open-files limit ({@link FileDescriptors#maxSessions}).
 */
public record GatewaySettings(
    int maxFrameBytes,
    Duration authTimeout,
    Duration heartbeat,
    Duration idleTimeout,
    Duration registrationRefresh,
    double framesPerSecond,
    int frameBurst,
    double typingPerSecond,
    int typingBurst,
    int outgoingBuffer,
    int pageSize,
    Duration refillRetry,
    Duration resumeWindow,
    int maxWatchedUsers,
    int maxSessions,
    Duration typingTtl) {

  public static GatewaySettings fromConfig(Config root) {
    Config c = root.getConfig("parley.gateway");
    return new GatewaySettings(
        (int) c.getBytes("max-frame-size").longValue(),
        c.getDuration("auth-timeout"),
        c.getDuration("heartbeat"),
        c.getDuration("idle-timeout"),
        c.getDuration("registration-refresh"),
        c.getDouble("rate-limit.frames-per-second"),
        c.getInt("rate-limit.burst"),
        c.getDouble("rate-limit.typing-per-second"),
        c.getInt("rate-limit.typing-burst"),
        c.getInt("outgoing-buffer"),
        c.getInt("page-size"),
        c.getDuration("refill-retry"),
        c.getDuration("resume-window"),
        c.getInt("max-watched-users"),
        FileDescriptors.maxSessions(
            configuredMaxSessions(c), root.getInt("parley.http.max-connections"), FileDescriptors.openFilesLimit()),
        root.getDuration("parley.conversation.typing-timeout"));
  }

  /** {@code max-sessions}: a number, or {@code auto} (given as 0) to fit the open-files limit. */
  private static int configuredMaxSessions(Config gateway) {
    String value = gateway.getString("max-sessions").trim();
    if (value.equalsIgnoreCase("auto")) return 0;
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new ConfigException.BadValue(
          gateway.origin(), "parley.gateway.max-sessions", "auto or a whole number, not " + value, e);
    }
  }
}
