package io.parley.matching;

import java.util.Locale;
import java.util.regex.Pattern;

/** The city part of a location as typed ("Paris, France" is in Paris), and whether it says "remote". */
public final class Locations {
  private Locations() {}

  // Compiled once: these run for every row of every webhook and every candidate indexed.
  private static final Pattern SPACES = Pattern.compile("\\s+");
  private static final Pattern REMOTE = Pattern.compile("(fully |100% )?remote( only)?|anywhere");

  /** The first comma-separated part, trimmed; null when there is none. */
  public static String label(String raw) {
    if (raw == null) return null;
    String first = SPACES.matcher(raw.split(",", 2)[0].trim()).replaceAll(" ");
    return first.isEmpty() ? null : first;
  }

  /** The comparison key of a city: its label without case; null for none and for "remote". */
  public static String city(String raw) {
    String label = label(raw);
    if (label == null || isRemote(raw)) return null;
    return label.toLowerCase(Locale.ROOT);
  }

  public static boolean isRemote(String raw) {
    String label = label(raw);
    return label != null && REMOTE.matcher(label.toLowerCase(Locale.ROOT)).matches();
  }
}
