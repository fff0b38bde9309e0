package io.parley.push;

import java.util.Locale;

/** What became of one push to one token (or topic), named as FCM names its errors; counted per reason. */
public enum PushOutcome {
  SENT,
  /** No credentials: the push was written to the log instead. */
  LOGGED,
  UNREGISTERED,
  INVALID_TOKEN,
  INVALID_ARGUMENT,
  UNAVAILABLE,
  INTERNAL,
  QUOTA_EXCEEDED,
  /** No answer from FCM at all: the connection failed, was reset, or timed out. */
  NETWORK,
  /** FCM, or Google's token server, refused Parley's credentials. */
  UNAUTHENTICATED,
  /** The credentials are valid but may not send for this project. */
  PERMISSION_DENIED,
  /**
   * The token was registered for another Firebase project: taken off its user like UNREGISTERED, once pushes of this
   * node have got through to several users' devices (every token answers so when Parley itself sends as the wrong
   * project).
   */
  SENDER_ID_MISMATCH,
  THIRD_PARTY_AUTH_ERROR,
  /** Not sent: the token was registered by another user (or unregistered) after the push was stored. */
  NOT_OWNER,
  /** Retried as often as allowed, and still failing. */
  GAVE_UP,
  UNKNOWN;

  /** The token names no installed app any more: keep it and every push to it fails again. */
  public boolean removesToken() {
    return this == UNREGISTERED || this == INVALID_TOKEN;
  }

  /** A passing fault at Google's side or on the way there: the same push may well succeed later. */
  public boolean retryable() {
    return this == UNAVAILABLE || this == INTERNAL || this == QUOTA_EXCEEDED || this == NETWORK;
  }

  /** Parley's own credentials are at fault, not the token: every push fails alike until an operator fixes them. */
  public boolean refusesCredentials() {
    return this == UNAUTHENTICATED || this == PERMISSION_DENIED;
  }

  public String reason() {
    return name().toLowerCase(Locale.ROOT);
  }
}
