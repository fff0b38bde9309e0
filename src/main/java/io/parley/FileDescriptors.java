package io.parley;

import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a node shares its limit on open files between the connections it serves: plain HTTP connections (Akka's
 * {@code max-connections}, which stops counting a connection once it is upgraded), WebSocket sessions (each keeps its
 * descriptor), and what the node keeps for itself. A node with no descriptor left fails every accept, and Akka's
 * listener then retries and logs an ERROR with its stack trace thousands of times a second, while the database pool
 * cannot open a connection either.
 */
public final class FileDescriptors {
  private static final Logger log = LoggerFactory.getLogger(FileDescriptors.class);

  private FileDescriptors() {}

  /**
   * Descriptors a node keeps for itself, out of reach of its clients' connections: database pools, cluster sockets,
   * FCM's connections, Akka Management, the metrics listener (up to Akka's default of 1,024 connections), jars and
   * logs.
   */
  public static final long RESERVED = 2_000;

  /**
   * Fewest WebSocket sessions a node takes whatever its limit on open files: a node that took none would be of no use.
   */
  static final int MIN_SESSIONS = 100;

  /** Below this many sessions, an automatic cap is worth a warning: the node will refuse clients early. */
  private static final int FEW_SESSIONS = 1_000;

  /** The process's limit on open files, where the JVM can tell (Unix). */
  public static OptionalLong openFilesLimit() {
    return ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix
        ? OptionalLong.of(unix.getMaxFileDescriptorCount())
        : OptionalLong.empty();
  }

  /**
   * {@code parley.http.max-connections} as the limit allows it: {@link #RESERVED} (or half the limit, when that is
   * small) stays below the limit.
   */
  public static int fittedMaxConnections(int configured, OptionalLong openFilesLimit) {
    if (configured < 1) {
      throw new IllegalArgumentException("parley.http.max-connections must be at least 1, not " + configured);
    }
    if (openFilesLimit.isEmpty()) return configured;
    long limit = openFilesLimit.getAsLong();
    return (int) Math.min(configured, Math.max(1, limit - reserve(limit)));
  }

  private static long reserve(long openFilesLimit) {
    return Math.min(RESERVED, openFilesLimit / 2);
  }

  /**
   * The most WebSocket sessions a node holds at once ({@code parley.gateway.max-sessions}; 0 for {@code auto}):
   * what the open-files limit leaves after {@link #RESERVED} and the effective {@code max-connections} ({@code auto},
   * at least {@link #MIN_SESSIONS}); a configured number is lowered, with a warning, to fit there too. Without a known
   * limit, {@code auto} sets no cap.
   */
  public static int maxSessions(int configured, int configuredMaxConnections, OptionalLong openFilesLimit) {
    if (configured < 0) {
      throw new IllegalArgumentException("parley.gateway.max-sessions must be auto, 0 or more, not " + configured);
    }
    if (openFilesLimit.isEmpty()) return configured == 0 ? Integer.MAX_VALUE : configured;
    long limit = openFilesLimit.getAsLong();
    int connections = fittedMaxConnections(configuredMaxConnections, openFilesLimit);
    long room = Math.max(MIN_SESSIONS, limit - reserve(limit) - connections);
    int fitted = (int) Math.min(configured == 0 ? Integer.MAX_VALUE : configured, room);
    if (configured == 0 ? fitted < FEW_SESSIONS : fitted < configured) {
      log.warn(
          "This process may open only {} files: with parley.http.max-connections at {} and {} kept for the node"
              + " itself, it takes at most {} WebSocket sessions (parley.gateway.max-sessions is {}), and answers"
              + " more upgrades with 503. Raise the limit (ulimit -n) to at least the WebSockets a node should hold"
              + " plus max-connections plus {}, or lower max-connections",
          limit, connections, reserve(limit), fitted, configured == 0 ? "auto" : configured, RESERVED);
    }
    return fitted;
  }
}
