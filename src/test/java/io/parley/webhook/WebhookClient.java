package io.parley.webhook;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.testkit.HttpApi;
import io.parley.testkit.HttpApi.Response;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/** Sends webhooks to a node over real HTTP, authenticated each way a platform can, with the tests' secrets. */
final class WebhookClient {
  static final String SECRET = "shared-webhook-secret-for-the-tests";
  static final byte[] SIGNING_KEY = "standard-webhooks-key-of-the-tests".getBytes(StandardCharsets.UTF_8);
  static final String SIGNING_SECRET = "v1,whsec_" + Base64.getEncoder().encodeToString(SIGNING_KEY);

  static Config config() {
    return ConfigFactory.parseMap(
        Map.of("parley.webhook.secret", SECRET, "parley.webhook.signing-secret", SIGNING_SECRET));
  }

  private final HttpApi api;

  WebhookClient(HttpApi api) {
    this.api = api;
  }

  Response bearer(String path, String body) {
    return send(path, body, "Authorization", "Bearer " + SECRET);
  }

  Response hmac(String path, String body) {
    return send(path, body, "X-Webhook-Signature", "hmac-sha256=" + hmacHex(body));
  }

  Response standard(String path, String body, String webhookId, Instant at) {
    return send(
        path, body, "webhook-id", webhookId, "webhook-timestamp", Long.toString(at.getEpochSecond()),
        "webhook-signature", "v1," + standardSignature(webhookId, at, body));
  }

  Response send(String path, String body, String... headers) {
    HttpRequest.Builder request =
        api.request(path, null).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) request.header(headers[i], headers[i + 1]);
    return api.send(request);
  }

  static String hmacHex(String body) {
    return HexFormat.of().formatHex(WebhookAuth.hmac(SECRET.getBytes(StandardCharsets.UTF_8), bytes(body)));
  }

  static String standardSignature(String webhookId, Instant at, String body) {
    byte[] signed = bytes(webhookId + "." + at.getEpochSecond() + "." + body);
    return Base64.getEncoder().encodeToString(WebhookAuth.hmac(SIGNING_KEY, signed));
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
