package io.parley.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.Sha256;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import io.parley.api.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.TreeMap;

/**
 * The body of a Supabase Database Webhook: {@code {"type":"INSERT|UPDATE|DELETE","table":…,"schema":…,
 * "record":{…}|null,"old_record":{…}|null}}. Unknown fields are ignored; anything else wrong is a 400 naming the
 * field.
 */
public record SupabasePayload(String type, String table, String schema, ObjectNode record, ObjectNode oldRecord) {

  public static SupabasePayload parse(byte[] body) {
    if (body.length == 0) throw bad("request body is empty");
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(body);
    } catch (IOException e) {
      throw bad("malformed JSON: " + Json.brief(e.getMessage()));
    }
    if (root == null || !root.isObject()) throw bad("request body must be a JSON object");
    String type = text(root, "type", true).toUpperCase(Locale.ROOT);
    if (!type.equals("INSERT") && !type.equals("UPDATE") && !type.equals("DELETE")) {
      throw bad("field 'type' must be INSERT, UPDATE or DELETE");
    }
    String table = text(root, "table", true);
    if (table.isBlank()) throw bad("field 'table' must not be empty");
    String schema = text(root, "schema", false);
    ObjectNode record = object(root, "record");
    ObjectNode oldRecord = object(root, "old_record");
    if (!type.equals("DELETE") && record == null) throw bad("field 'record' is required for " + type);
    if (type.equals("DELETE") && oldRecord == null) throw bad("field 'old_record' is required for DELETE");
    return new SupabasePayload(type, table, schema, record, oldRecord);
  }

  /** The row the event is about: the new one, or for a DELETE the old one. */
  public ObjectNode row() {
    return isDelete() ? oldRecord : record;
  }

  /** The name of {@link #row()}'s field, for error messages. */
  public String rowField() {
    return isDelete() ? "old_record" : "record";
  }

  public boolean isDelete() {
    return type.equals("DELETE");
  }

  /** A hash of the row that does not depend on the order of its columns, for the deduplication key. */
  public String rowHash() {
    try {
      byte[] canonical = Json.MAPPER.writeValueAsBytes(canonical(row()));
      return Sha256.hex(canonical).substring(0, 32);
    } catch (IOException e) {
      throw new IllegalStateException("a parsed row always serializes", e);
    }
  }

  private static JsonNode canonical(JsonNode node) {
    if (node.isObject()) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        sorted.put(name, canonical(node.get(name)));
      }
      ObjectNode copy = Json.MAPPER.createObjectNode();
      sorted.forEach(copy::set);
      return copy;
    }
    if (node.isArray()) {
      var copy = Json.MAPPER.createArrayNode();
      node.forEach(item -> copy.add(canonical(item)));
      return copy;
    }
    return node;
  }

  public String recordJson() {
    return record == null ? null : record.toString();
  }

  public String oldRecordJson() {
    return oldRecord == null ? null : oldRecord.toString();
  }

  private static String text(JsonNode root, String field, boolean required) {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) {
      if (required) throw bad("field '" + field + "' is required");
      return null;
    }
    if (!value.isTextual()) throw bad("field '" + field + "' must be a string");
    return value.asText();
  }

  private static ObjectNode object(JsonNode root, String field) {
    JsonNode value = root.get(field);
    if (value == null || value.isNull()) return null;
    if (!value.isObject()) throw bad("field '" + field + "' must be an object or null");
    return (ObjectNode) value;
  }

  private static ApiException bad(String message) {
    return new ApiException(ApiError.BAD_REQUEST, message);
  }


  /** Parses a stored row back; rows were parsed once at intake, so this cannot fail on a stored event. */
  static ObjectNode readRow(String json) {
    try {
      return json == null ? null : (ObjectNode) Json.MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException("a stored row is valid JSON", e);
    }
  }
}
