package io.parley;

/**
 * Text that people read or Parley stores: shortened by code points, so that no character is split, with an ellipsis
 * when cut; and checked for what PostgreSQL cannot store.
 */
public final class Texts {
  private Texts() {}

  /** {@code text} if it has at most {@code max} code points, else its beginning and "…", {@code max} in all. */
  public static String shortened(String text, int max) {
    if (text == null) return "";
    if (text.codePointCount(0, text.length()) <= max) return text;
    if (max <= 0) return "";
    return text.substring(0, text.offsetByCodePoints(0, max - 1)) + "…";
  }

  /**
   * Whether {@code text} holds U+0000, which PostgreSQL text cannot: a value with one would be accepted, then fail
   * its write on the read side or in processing every time, holding up everything behind it.
   */
  public static boolean containsNul(String text) {
    return text != null && text.indexOf('\u0000') >= 0;
  }
}
