package io.parley.testkit;

import io.parley.api.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/** Client frames for tests, written by Jackson rather than by string concatenation. */
public final class WsFrames {
  private WsFrames() {}

  /** A frame of {@code type} with the given field names and values, in pairs. */
  public static String frame(String type, Object... fieldsAndValues) {
    Map<String, Object> frame = new LinkedHashMap<>();
    frame.put("type", type);
    for (int i = 0; i < fieldsAndValues.length; i += 2) frame.put((String) fieldsAndValues[i], fieldsAndValues[i + 1]);
    return Json.write(frame);
  }

  public static String send(String conversationId, String clientMsgId, String content, String ref) {
    return frame("send", "ref", ref, "conversationId", conversationId, "clientMsgId", clientMsgId, "content", content);
  }

  public static String typing(String conversationId, boolean isTyping) {
    return frame("typing", "conversationId", conversationId, "isTyping", isTyping);
  }
}
