package io.parley.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading {@code parley.auth}, its limits, and dev mode. */
class AuthSettingsTest {

  @Test
  void appliesTheShippedDefaults() {
    AuthSettings settings = TestAuth.secretOnly();

    assertThat(settings.audience()).isEqualTo("authenticated");
    assertThat(settings.leeway()).isEqualTo(Duration.ofSeconds(10));
    assertThat(settings.jwksCacheTtl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(settings.jwksMaxStale()).isEqualTo(Duration.ofMinutes(5));
    assertThat(settings.jwksMinRefetchInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(settings.devMode()).isFalse();
    assertThat(settings.hasJwks()).isFalse();
    assertThat(settings.issuer()).isEmpty();
  }

  @Test
  void usesTheSecretAsRawUtf8BytesNotBase64() {
    String looksLikeBase64 = "c2VjcmV0LXdpdGgtYXQtbGVhc3QtdGhpcnR5LXR3by1ieXRlcw==";
    AuthSettings settings = TestAuth.settings(Map.of("jwt-secret", looksLikeBase64));

    assertThat(settings.jwtSecret()).isEqualTo(looksLikeBase64.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void derivesIssuerAndJwksUrlFromTheSupabaseUrlWithoutItsTrailingSlash() {
    AuthSettings settings = TestAuth.settings(Map.of("supabase-url", "https://abcd.supabase.co/"));

    assertThat(settings.issuer()).contains("https://abcd.supabase.co/auth/v1");
    assertThat(settings.jwksUrl()).isEqualTo("https://abcd.supabase.co/auth/v1/.well-known/jwks.json");
  }

  @Test
  void letsAnExplicitJwksUrlWin() {
    AuthSettings settings =
        TestAuth.settings(Map.of("supabase-url", TestAuth.SUPABASE_URL, "jwks-url", "http://127.0.0.1:9/jwks.json"));

    assertThat(settings.jwksUrl()).isEqualTo("http://127.0.0.1:9/jwks.json");
    assertThat(settings.issuer()).contains(TestAuth.ISSUER);
  }

  @Test
  void rejectsASupabaseUrlThatIsNotHttp() {
    assertThatThrownBy(() -> TestAuth.settings(Map.of("supabase-url", "abcd.supabase.co")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsALeewayAboveThirtySeconds() {
    assertThatThrownBy(() -> TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "leeway", "31s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leeway");
  }

  @Test
  void acceptsALeewayOfExactlyThirtySeconds() {
    assertThat(TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "leeway", "30s")).leeway())
        .isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void capsTheJwksCacheTtlAtTenMinutes() {
    AuthSettings settings = TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "jwks-cache-ttl", "1 hour"));

    assertThat(settings.jwksCacheTtl()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void rejectsAJwksMaxStaleAboveTenMinutes() {
    assertThatThrownBy(() -> TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "jwks-max-stale", "11 minutes")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jwks-max-stale");
  }

  @Test
  void devModeGeneratesARandom32ByteSecret() {
    AuthSettings first = TestAuth.settings(Map.of("dev-mode-allowed", true));
    AuthSettings second = TestAuth.settings(Map.of("dev-mode-allowed", true));

    assertThat(first.devMode()).isTrue();
    assertThat(first.jwtSecret()).hasSize(32).isNotEqualTo(second.jwtSecret());
  }

  @Test
  void devModeStaysOffWhenASecretOrSupabaseUrlIsConfigured() {
    assertThat(TestAuth.settings(Map.of("dev-mode-allowed", true, "jwt-secret", TestAuth.SECRET)).devMode()).isFalse();
    assertThat(TestAuth.settings(Map.of("dev-mode-allowed", true, "supabase-url", TestAuth.SUPABASE_URL)).devMode())
        .isFalse();
  }

  @Test
  void failsFastWhenNothingIsConfiguredAndDevModeIsNotAllowed() {
    AuthSettings nothing = TestAuth.settings(Map.of());

    assertThatThrownBy(() -> TokenVerifier.create(nothing))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("SUPABASE_JWT_SECRET")
        .hasMessageContaining("SUPABASE_URL");
  }

  @Test
  void neverShowsTheSecretInToString() {
    assertThat(TestAuth.secretOnly().toString()).doesNotContain(TestAuth.SECRET).contains("jwtSecret=***");
  }

  @Test
  void neverShowsTheAdminTokenInToString() {
    String adminToken = "a".repeat(32);
    AuthSettings settings = TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "admin-token", adminToken));

    assertThat(settings.toString()).doesNotContain(adminToken).contains("adminToken=***");
  }

  @Test
  void refusesASupabaseUrlOverPlainHttp() {
    assertThatThrownBy(() -> TestAuth.settings(Map.of("supabase-url", "http://abcd.supabase.co")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("supabase-url")
        .hasMessageContaining("https");
  }

  @Test
  void refusesAJwksUrlOverPlainHttp() {
    assertThatThrownBy(
            () ->
                TestAuth.settings(
                    Map.of("supabase-url", TestAuth.SUPABASE_URL, "jwks-url", "http://keys.example.com/jwks.json")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jwks-url");
  }

  @Test
  void acceptsPlainHttpToLoopbackAddresses() {
    for (String host : List.of("localhost", "127.0.0.1", "[::1]")) {
      assertThat(TestAuth.settings(Map.of("supabase-url", "http://" + host + ":54321")).jwksUrl())
          .startsWith("http://" + host);
    }
  }

  @Test
  void refusesAnHs256SecretShorterThan32Bytes() {
    assertThatThrownBy(() -> TestAuth.settings(Map.of("jwt-secret", "s".repeat(31))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SUPABASE_JWT_SECRET")
        .hasMessageContaining("32 bytes");
    assertThat(TestAuth.settings(Map.of("jwt-secret", "s".repeat(32))).jwtSecret()).hasSize(32);
  }

  @Test
  void refusesAJwksMinRefetchIntervalOfZero() {
    assertThatThrownBy(
            () -> TestAuth.settings(Map.of("supabase-url", TestAuth.SUPABASE_URL, "jwks-min-refetch-interval", "0s")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jwks-min-refetch-interval");
  }

  @Test
  void refusesAnAdminTokenShorterThan32Characters() {
    assertThatThrownBy(
            () -> TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "admin-token", "dev-admin-token")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("PARLEY_ADMIN_TOKEN")
        .hasMessageContaining("32 characters");
    assertThat(TestAuth.settings(Map.of("jwt-secret", TestAuth.SECRET, "admin-token", "a".repeat(32))).adminToken())
        .hasSize(32);
    assertThat(TestAuth.secretOnly().adminToken()).isEmpty();
  }
}
