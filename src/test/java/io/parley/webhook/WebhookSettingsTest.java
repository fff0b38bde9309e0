package io.parley.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.parley.ParleyConfig;
import io.parley.api.ApiException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Dev mode gets a secret of its own; a production node without secrets refuses every webhook, blank ones too. */
class WebhookSettingsTest {
  private static final byte[] BODY = "{}".getBytes(StandardCharsets.UTF_8);

  @Test
  void devModeMakesUpASecretThatWorks() {
    WebhookSettings settings = WebhookSettings.fromConfig(ParleyConfig.load(), true);
    assertThat(settings.devSecret()).isTrue();
    assertThat(settings.secret()).startsWith("dev-").hasSizeGreaterThan(20);
    WebhookAuth auth = new WebhookAuth(settings, Clock.systemUTC());
    assertThat(auth.verify(headers(Map.of("x-webhook-secret", settings.secret())), BODY))
        .isEqualTo(WebhookAuth.Method.SHARED_SECRET);
    assertThat(settings.toString()).doesNotContain(settings.secret());
  }

  @Test
  void withoutSecretsOutsideDevModeNothingGetsIn() {
    WebhookSettings settings = WebhookSettings.fromConfig(ParleyConfig.load(), false);
    WebhookAuth auth = new WebhookAuth(settings, Clock.systemUTC());
    assertThat(settings.secret()).isEmpty();
    assertThatThrownBy(() -> auth.verify(headers(Map.of("x-webhook-secret", "")), BODY)).isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> auth.verify(headers(Map.of("authorization", "Bearer ")), BODY)).isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> auth.verify(headers(Map.of("x-webhook-signature", "hmac-sha256=")), BODY))
        .isInstanceOf(ApiException.class);
    assertThatThrownBy(() -> auth.verify(headers(Map.of()), BODY)).isInstanceOf(ApiException.class);
  }

  @Test
  void aConfiguredSecretIsUsedEvenInDevMode() {
    WebhookSettings settings =
        WebhookSettings.fromConfig(ParleyConfig.load(ConfigFactory.parseString("parley.webhook.secret = mine")), true);
    assertThat(settings.devSecret()).isFalse();
    assertThat(settings.secret()).isEqualTo("mine");
  }

  @Test
  void aMalformedSigningSecretStopsTheNode() {
    assertThatThrownBy(() -> WebhookAuth.signingKey("whsec_not base64!")).isInstanceOf(IllegalArgumentException.class);
    assertThat(WebhookAuth.signingKey("whsec_AAEC")).containsExactly(0, 1, 2);
    assertThat(WebhookAuth.signingKey("v1,whsec_AAEC")).containsExactly(0, 1, 2);
  }

  @Test
  void aSigningSecretWithoutAKeyStopsTheNodeInsteadOfFailingEverySignedRequest() {
    for (String keyless : new String[] {"whsec_", "v1,", "v1,whsec_"}) {
      assertThatThrownBy(
              () ->
                  WebhookSettings.fromConfig(
                      ParleyConfig.load(
                          ConfigFactory.parseMap(Map.of("parley.webhook.signing-secret", keyless))),
                      false))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("parley.webhook.signing-secret");
    }
  }

  @Test
  void aDedupWindowOutOfRangeStopsTheNode() {
    for (String window : new String[] {"0", "-1", "1000001"}) {
      assertThatThrownBy(
              () ->
                  WebhookSettings.fromConfig(
                      ParleyConfig.load(ConfigFactory.parseString("parley.webhook.dedup-window = " + window)), false))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("dedup-window");
    }
    assertThat(
            WebhookSettings.fromConfig(
                    ParleyConfig.load(ConfigFactory.parseString("parley.webhook.dedup-window = 1000000")), false)
                .dedupWindow())
        .isEqualTo(1_000_000);
  }

  private static java.util.function.Function<String, Optional<String>> headers(Map<String, String> headers) {
    return name -> Optional.ofNullable(headers.get(name));
  }
}
