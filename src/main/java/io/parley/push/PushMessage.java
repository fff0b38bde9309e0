package io.parley.push;

import java.util.Map;

/**
 * One push as every platform shows it. {@code collapseKey} makes a newer push replace an older one on the device (a
 * conversation's messages); {@code link} is the https page a web push opens, null for none. Two equal messages go
 * out as one multicast.
 */
public record PushMessage(
    String kind, String title, String body, Map<String, String> data, String collapseKey, String link) {}
