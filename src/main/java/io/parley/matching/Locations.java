package io.parley.matching;

import java.util.Locale;

/** The city part of a location as typed ("Paris, France" is in Paris), and whether it says "remote". */
public final class Locations {
  private Locations() {}

  /** The first comma-separated part, trimmed; null when there is none. */
  public static String label(String raw) {
    if (raw == null) return null;
    String first = raw.split(",", 2)[0].trim().replaceAll("\\s+", " ");
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
    return label != null && label.toLowerCase(Locale.ROOT).matches("(fully |100% )?remote( only)?|anywhere");
  }
}
