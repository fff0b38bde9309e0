package io.parley;

/**
 * Text that people read or Parley stores: shortened by code points, so that no character is split, with an ellipsis
 * when cut; checked for what PostgreSQL cannot store; and sized, for messages that must stay within a frame.
 */
public final class Texts {
  private Texts() {}

  /**
   * Whether {@code text} shows nothing: every code point a space of any kind (line and paragraph separators
   * included) or a format character (a zero-width space, a bidi mark), which {@link String#isBlank} does not count.
   */
  public static boolean showsNothing(String text) {
    return text == null || text.codePoints().allMatch(cp -> isSpace(cp) || Character.getType(cp) == Character.FORMAT);
  }

  /** Any space, separator or control: what a one-line text shows as a single space. */
  public static boolean isSpace(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || Character.getType(cp) == Character.CONTROL;
  }

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

  /** The bytes of {@code text} as UTF-8, or more: a surrogate pair (4 bytes) counts 3 per char, so it never undercounts. */
  public static long utf8Length(String text) {
    if (text == null) return 0;
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
    return bytes;
  }
}
