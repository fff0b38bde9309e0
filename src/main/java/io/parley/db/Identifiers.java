package io.parley.db;

import scala.Option;

/** SQL identifiers of the plugin's tables, quoted as the plugin's own Slick queries quote them. */
final class Identifiers {
  private Identifiers() {}

  static String qualified(Option<String> schema, String table) {
    return schema.isDefined() ? quoted(schema.get()) + "." + quoted(table) : quoted(table);
  }

  static String quoted(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
