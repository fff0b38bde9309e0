package io.parley.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/**
 * Limits and timings of WebSocket sessions, from {@code parley.gateway}; {@code typingTtl} is the conversations'
 * {@code typing-timeout}, which a joined frame passes on for the indicators it lists.
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
        root.getDuration("parley.conversation.typing-timeout"));
  }
}
