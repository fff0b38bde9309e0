package io.parley.matching;

import java.util.Locale;
import java.util.regex.Pattern;

/** Seniority on the seeds' ladder; the distance between two levels is what the experience score is made of. */
public enum Level {
  JUNIOR,
  MID,
  SENIOR,
  LEAD;

  private static final Pattern NOT_A_LETTER = Pattern.compile("[^a-z]");

  /** The level a column names, in the words platforms use; null when the column is empty or names no level. */
  public static Level parse(String raw) {
    if (raw == null) return null;
    String word = NOT_A_LETTER.matcher(raw.trim().toLowerCase(Locale.ROOT)).replaceAll("");
    return switch (word) {
      case "junior", "jr", "entry", "entrylevel", "intern", "internship", "graduate", "beginner" -> JUNIOR;
      case "mid", "midlevel", "middle", "intermediate", "medior", "regular" -> MID;
      case "senior", "sr", "seniorlevel", "experienced", "expert" -> SENIOR;
      case "lead", "principal", "staff", "head", "manager", "director" -> LEAD;
      default -> null;
    };
  }

  /** Years of experience on the same ladder: under 2 junior, under 5 mid, under 8 senior, then lead. */
  public static Level fromYears(double years) {
    if (years < 2) return JUNIOR;
    if (years < 5) return MID;
    if (years < 8) return SENIOR;
    return LEAD;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
