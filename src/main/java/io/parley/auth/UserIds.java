package io.parley.auth;

import io.parley.Texts;
import java.util.regex.Pattern;

/** Which strings are user ids: a token's {@code sub}, a participant, a recipient. */
public final class UserIds {
  // Supabase user ids are UUIDs; other identity providers get the same safe, printable alphabet.
  private static final int MAX_LENGTH = 128;
  private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._:@|+-]{1," + MAX_LENGTH + "}");

  private UserIds() {}

  public static boolean isValid(String id) {
    return id != null && USER_ID.matcher(id).matches();
  }

  /**
   * What a 400 says of an id that is not valid: the id, cut short past the length of a valid one, since a request can
   * hold one of a quarter of a megabyte and the answer need not carry it back.
   */
  public static String invalid(String id) {
    return "invalid user id: " + (id == null ? "null" : Texts.shortened(id, MAX_LENGTH + 1));
  }
}
