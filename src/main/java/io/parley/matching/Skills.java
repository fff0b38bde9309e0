package io.parley.matching;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns skills as people type them into the keys of the inverted index: case and punctuation do not count
 * ("Node.js" = "nodejs"), and a configurable alias table folds synonyms ({@code js} = {@code javascript}).
 */
public final class Skills {
  /** The longest key parley_job_skill.skill holds. */
  public static final int MAX_KEY_LENGTH = 200;

  private final Map<String, String> aliases = new HashMap<>();

  public Skills(Map<String, String> aliases) {
    aliases.forEach((alias, canonical) -> this.aliases.put(clean(alias), clean(canonical)));
  }

  /** Lower case, letters, digits, {@code +} and {@code #} only: "C++" and "C#" stay apart, "React JS" = "reactjs". */
  static String clean(String raw) {
    String lower = raw.toLowerCase(Locale.ROOT);
    StringBuilder out = new StringBuilder(lower.length());
    // By code point: a letter outside the basic plane ('𠀀') is two chars, neither of them a letter on its own.
    lower.codePoints()
        .filter(c -> Character.isLetterOrDigit(c) || c == '+' || c == '#')
        .forEach(out::appendCodePoint);
    return out.toString();
  }

  /** The index key of one skill; empty when nothing is left of it. */
  public String normalize(String raw) {
    String cleaned = clean(raw);
    return aliases.getOrDefault(cleaned, cleaned);
  }

  /** Distinct keys in their first order, without empty ones. */
  public List<String> normalizeAll(Collection<String> raw) {
    LinkedHashSet<String> keys = new LinkedHashSet<>();
    for (String skill : raw) {
      String key = normalize(skill);
      if (!key.isEmpty()) keys.add(key);
    }
    return new ArrayList<>(keys);
  }
}
