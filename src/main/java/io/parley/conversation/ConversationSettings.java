package io.parley.conversation;

import com.typesafe.config.Config;

/** Limits and sizing of conversations, from {@code parley.conversation}. */
public record ConversationSettings(
    int maxContentLength,
    int maxMetadataBytes,
    int maxParticipants,
    int maxTitleLength,
    int recentWindow,
    int dedupWindow,
    int dedupPerSender,
    int snapshotEvery,
    int tagSlices,
    int maxPageSize,
    int defaultPageSize,
    java.time.Duration typingTimeout) {

  public static ConversationSettings fromConfig(Config root) {
    Config c = root.getConfig("parley.conversation");
    return new ConversationSettings(
        c.getInt("max-content-length"),
        c.getInt("max-metadata-bytes"),
        c.getInt("max-participants"),
        c.getInt("max-title-length"),
        c.getInt("recent-window"),
        c.getInt("dedup-window"),
        c.getInt("dedup-per-sender"),
        c.getInt("snapshot-every"),
        c.getInt("tag-slices"),
        c.getInt("max-page-size"),
        c.getInt("default-page-size"),
        c.getDuration("typing-timeout"));
  }
}
