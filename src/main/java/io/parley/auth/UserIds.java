package io.parley.auth;

import java.util.regex.Pattern;

/** Which strings are user ids: a token's {@code sub}, a participant, a recipient. */
public final class UserIds {
  // Supabase user ids are UUIDs; other identity providers get the same safe, printable alphabet.
  private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9._:@|+-]{1,128}");

  private UserIds() {}

  public static boolean isValid(String id) {
    return id != null && USER_ID.matcher(id).matches();
  }
}
