package io.parley.webhook;

import com.typesafe.config.Config;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Webhook intake's configuration, from {@code parley.webhook}. Secrets never appear in {@link #toString}. */
public record WebhookSettings(
    String secret,
    String signingSecret,
    Duration timestampTolerance,
    Duration versionAllowance,
    int partitions,
    int dedupWindow,
    int tagSlices,
    int snapshotEvery,
    String journalPlugin,
    boolean processingEnabled,
    String jobsTable,
    String candidatesTable,
    RecordMapping mapping,
    boolean devSecret) {

  private static final Logger log = LoggerFactory.getLogger(WebhookSettings.class);

  /** A snapshot carries its partition's whole window: 16 MB at this size. */
  static final int MAX_DEDUP_WINDOW = 1_000_000;

  /**
   * In dev mode (no Supabase secret or URL) without any webhook secret, the node makes one up and prints it, so that
   * the routes can be called locally; outside dev mode a node without secrets refuses every webhook.
   */
  public static WebhookSettings fromConfig(Config root, boolean devMode) {
    Config c = root.getConfig("parley.webhook");
    String secret = c.getString("secret");
    String signingSecret = c.getString("signing-secret").trim();
    // Decoded here only to refuse a malformed one while the node starts, not at its first signed request.
    WebhookAuth.signingKey(signingSecret);
    boolean devSecret = false;
    if (secret.isEmpty() && signingSecret.isEmpty()) {
      if (devMode) {
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        secret = "dev-" + HexFormat.of().formatHex(random);
        devSecret = true;
        log.warn(
            "DEV MODE: no SUPABASE_WEBHOOK_SECRET is set; webhooks take this secret until the node stops:"
                + " Authorization: Bearer {}",
            secret);
      } else {
        log.warn(
            "No SUPABASE_WEBHOOK_SECRET or WEBHOOK_SIGNING_SECRET is set: every webhook is refused with 401");
      }
    }
    int partitions = c.getInt("partitions");
    if (partitions < 1) throw new IllegalArgumentException("parley.webhook.partitions must be at least 1");
    int dedupWindow = c.getInt("dedup-window");
    if (dedupWindow < 1 || dedupWindow > MAX_DEDUP_WINDOW) {
      throw new IllegalArgumentException(
          "parley.webhook.dedup-window must be from 1 to " + MAX_DEDUP_WINDOW + ", not " + dedupWindow);
    }
    return new WebhookSettings(
        secret,
        signingSecret,
        c.getDuration("timestamp-tolerance"),
        c.getDuration("version-allowance"),
        partitions,
        dedupWindow,
        c.getInt("tag-slices"),
        c.getInt("snapshot-every"),
        c.getString("journal-plugin"),
        c.getBoolean("processing.enabled"),
        c.getString("tables.jobs"),
        c.getString("tables.candidates"),
        RecordMapping.fromConfig(c.getConfig("columns"), c.getStringList("closed-statuses")),
        devSecret);
  }

  @Override
  public String toString() {
    return "WebhookSettings[secret=" + (secret.isEmpty() ? "none" : "***") + ", signingSecret="
        + (signingSecret.isEmpty() ? "none" : "***") + ", timestampTolerance=" + timestampTolerance + ", partitions="
        + partitions + ", tagSlices=" + tagSlices + ", processingEnabled=" + processingEnabled + "]";
  }
}
