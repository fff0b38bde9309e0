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
  private static final Pattern WORDS = Pattern.compile("[^a-z]+");
  private static final Pattern YEARS = Pattern.compile("(\\d{1,2})(?:\\.\\d+)?\\s*\\+?\\s*(?:-\\s*\\d{1,2}\\s*)?(?:years?|yrs?)\\b");

  /**
   * The level a column names, in the words platforms use: one word ("Senior", "entry-level"), the first level word of
   * several ("Mid-Senior level" is mid), or years ("5+ years", "3-5 yrs": the fewest count). Null when the column is
   * empty or names no level.
   */
  public static Level parse(String raw) {
    if (raw == null) return null;
    String text = raw.trim().toLowerCase(Locale.ROOT);
    Level whole = ofWord(NOT_A_LETTER.matcher(text).replaceAll(""));
    if (whole != null) return whole;
    for (String word : WORDS.split(text)) {
      Level level = ofWord(word);
      if (level != null) return level;
    }
    var years = YEARS.matcher(text);
    return years.find() ? fromYears(Integer.parseInt(years.group(1))) : null;
  }

  private static Level ofWord(String word) {
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
