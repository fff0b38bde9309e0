package io.parley.webhook;

import io.parley.Sha256;
import io.parley.api.ApiError;
import io.parley.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decides whether a webhook comes from the platform. Supabase Database Webhooks are not signed, so any one of these
 * is accepted: the shared secret in {@code Authorization: Bearer} or {@code x-webhook-secret}; {@code
 * X-Webhook-Signature: hmac-sha256=<hex>} over the raw body with the shared secret; or Standard Webhooks headers
 * signed with the {@code whsec_} secret, within the timestamp tolerance. Every comparison takes the same time
 * whatever the input.
 */
public final class WebhookAuth {
  /** How a request proved itself; reported by the test route. */
  public enum Method {
    SHARED_SECRET("shared-secret"),
    HMAC_SHA256("hmac-sha256"),
    STANDARD_WEBHOOKS("standard-webhooks");

    public final String label;

    Method(String label) {
      this.label = label;
    }
  }

  private final byte[] secretDigest;
  private final byte[] secret;
  private final byte[] signingKey;
  private final Duration tolerance;
  private final Clock clock;

  public WebhookAuth(WebhookSettings settings, Clock clock) {
    this.secret = settings.secret().getBytes(StandardCharsets.UTF_8);
    this.secretDigest = secret.length == 0 ? null : Sha256.digest(secret);
    this.signingKey = signingKey(settings.signingSecret());
    this.tolerance = settings.timestampTolerance();
    this.clock = clock;
  }

  /**
   * A Standard Webhooks secret: {@code whsec_<base64>}, optionally prefixed {@code v1,}. One that decodes to no key
   * at all ({@code whsec_}, {@code v1,}) is refused here, at startup: HMAC cannot take an empty key, and every signed
   * request would otherwise fail with a 500.
   */
  static byte[] signingKey(String configured) {
    if (configured.isEmpty()) return null;
    String value = configured.startsWith("v1,") ? configured.substring(3) : configured;
    if (value.startsWith("whsec_")) value = value.substring("whsec_".length());
    byte[] key;
    try {
      key = Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("parley.webhook.signing-secret must be whsec_<base64>");
    }
    if (key.length == 0) {
      throw new IllegalArgumentException(
          "parley.webhook.signing-secret must be whsec_<base64> with a key after whsec_, or empty to refuse Standard"
              + " Webhooks signatures");
    }
    return key;
  }

  /**
   * The method that authenticates the request, or a 401 naming what was wrong. A request may present several; the
   * first valid one counts, in the order Standard Webhooks, HMAC signature, shared secret.
   */
  public Method verify(Function<String, Optional<String>> header, byte[] body) {
    String failure = null;
    Optional<String> standardSignature = header.apply("webhook-signature");
    if (standardSignature.isPresent()) {
      failure = standardWebhooks(header, standardSignature.get(), body);
      if (failure == null) return Method.STANDARD_WEBHOOKS;
    }
    Optional<String> hmac = header.apply("x-webhook-signature");
    if (hmac.isPresent()) {
      String problem = hmacSignature(hmac.get(), body);
      if (problem == null) return Method.HMAC_SHA256;
      if (failure == null) failure = problem;
    }
    Optional<String> presented = header.apply("x-webhook-secret").or(() -> bearer(header.apply("authorization")));
    if (presented.isPresent()) {
      if (secretDigest != null
          && MessageDigest.isEqual(secretDigest, Sha256.digest(presented.get().trim()))) {
        return Method.SHARED_SECRET;
      }
      if (failure == null) failure = "the webhook secret is wrong";
    }
    throw new ApiException(
        ApiError.UNAUTHORIZED,
        failure != null
            ? failure
            : "webhooks need Authorization: Bearer <secret>, x-webhook-secret, X-Webhook-Signature or Standard"
                + " Webhooks headers");
  }

  private String standardWebhooks(Function<String, Optional<String>> header, String signatures, byte[] body) {
    if (signingKey == null) return "Standard Webhooks signatures are not configured on this node";
    Optional<String> id = header.apply("webhook-id");
    Optional<String> timestamp = header.apply("webhook-timestamp");
    if (id.isEmpty() || timestamp.isEmpty()) return "webhook-signature needs webhook-id and webhook-timestamp";
    long seconds;
    try {
      seconds = Long.parseLong(timestamp.get().trim());
    } catch (NumberFormatException e) {
      return "webhook-timestamp must be seconds since the epoch";
    }
    // Compared as seconds, not as Instants: a timestamp beyond Instant's range (99999999999999999 is a valid long)
    // is then one more timestamp outside the tolerance, not an exception that would surface as a 500.
    long now = clock.instant().getEpochSecond();
    long slack = tolerance.toSeconds();
    if (seconds < now - slack || seconds > now + slack) {
      return "webhook-timestamp is outside the tolerance of " + tolerance.toSeconds() + " s";
    }
    byte[] signed = concat((id.get() + "." + timestamp.get().trim() + ".").getBytes(StandardCharsets.UTF_8), body);
    byte[] expected = Base64.getEncoder().encode(hmac(signingKey, signed));
    boolean valid = false;
    // The header may carry several signatures, space-separated, during a key rotation.
    for (String candidate : signatures.trim().split(" +")) {
      int comma = candidate.indexOf(',');
      if (comma < 0 || !candidate.substring(0, comma).equals("v1")) continue;
      valid |= MessageDigest.isEqual(expected, candidate.substring(comma + 1).getBytes(StandardCharsets.US_ASCII));
    }
    return valid ? null : "webhook-signature does not match";
  }

  private String hmacSignature(String header, byte[] body) {
    if (secret.length == 0) return "X-Webhook-Signature is not configured on this node";
    String value = header.trim();
    int equals = value.indexOf('=');
    if (equals < 0 || !value.substring(0, equals).trim().equalsIgnoreCase("hmac-sha256")) {
      return "X-Webhook-Signature must be hmac-sha256=<hex>";
    }
    byte[] presented;
    try {
      presented = HexFormat.of().parseHex(value.substring(equals + 1).trim().toLowerCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return "X-Webhook-Signature must be hmac-sha256=<hex>";
    }
    return MessageDigest.isEqual(hmac(secret, body), presented) ? null : "X-Webhook-Signature does not match";
  }

  private static Optional<String> bearer(Optional<String> authorization) {
    return authorization
        .map(String::trim)
        .filter(v -> v.length() > 7 && v.regionMatches(true, 0, "Bearer ", 0, 7))
        .map(v -> v.substring(7));
  }

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] joined = new byte[a.length + b.length];
    System.arraycopy(a, 0, joined, 0, a.length);
    System.arraycopy(b, 0, joined, a.length, b.length);
    return joined;
  }
}
