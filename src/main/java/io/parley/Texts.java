package io.parley;

/** Shortening text that people read: by code points, so that no character is split, with an ellipsis when cut. */
public final class Texts {
  private Texts() {}

  /** {@code text} if it has at most {@code max} code points, else its beginning and "…", {@code max} in all. */
  public static String shortened(String text, int max) {
    if (text == null) return "";
    if (text.codePointCount(0, text.length()) <= max) return text;
    if (max <= 0) return "";
    return text.substring(0, text.offsetByCodePoints(0, max - 1)) + "…";
  }
}
