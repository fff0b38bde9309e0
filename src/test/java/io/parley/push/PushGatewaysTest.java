package io.parley.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.parley.api.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Firebase credentials as operators give them: the seeds' three variables, a service account file, or none. */
class PushGatewaysTest {
  private static final String PEM = pkcs8Pem();

  @Test
  void withoutCredentialsPushesGoToTheLog() {
    assertThat(PushGateways.fromConfig(config(Map.of())).status()).isEqualTo("disabled");
  }

  @Test
  void theThreeFirebaseVariablesConfigureFcmEvenWithEscapedNewlines() {
    Map<String, Object> keys =
        Map.of(
            "parley.push.firebase.project-id", "seed-project",
            "parley.push.firebase.client-email", "push@seed-project.iam.gserviceaccount.com",
            "parley.push.firebase.private-key", PEM.replace("\n", "\\n"));
    try (FcmPushGateway gateway = (FcmPushGateway) PushGateways.fromConfig(config(keys))) {
      assertThat(gateway.status()).isEqualTo("configured");
      assertThat(gateway.projectId()).isEqualTo("seed-project");
    }
  }

  @Test
  void aServiceAccountFileNamesItsProject(@TempDir Path directory) throws Exception {
    Path file = directory.resolve("service-account.json");
    Files.writeString(
        file,
        Json.write(
            Map.of(
                "type", "service_account",
                "project_id", "file-project",
                "private_key_id", "k1",
                "private_key", PEM,
                "client_email", "push@file-project.iam.gserviceaccount.com",
                "client_id", "1",
                "token_uri", "https://oauth2.googleapis.com/token")));
    try (FcmPushGateway gateway =
        (FcmPushGateway) PushGateways.fromConfig(config(Map.of("parley.push.firebase.credentials-file", file.toString())))) {
      assertThat(gateway.projectId()).isEqualTo("file-project");
    }
  }

  @Test
  void incompleteOrUnreadableCredentialsStopTheNodeWithAReason() {
    assertThatThrownBy(() -> PushGateways.fromConfig(config(Map.of("parley.push.firebase.project-id", "p"))))
        .hasMessageContaining("FIREBASE_CLIENT_EMAIL");
    assertThatThrownBy(
            () -> PushGateways.fromConfig(config(Map.of("parley.push.firebase.credentials-file", "/no/such/file.json"))))
        .hasMessageContaining("cannot be read");
    assertThatThrownBy(
            () ->
                PushSettings.fromConfig(config(Map.of("parley.push.web-links.base-url", "http://app.example.com"))))
        .hasMessageContaining("https");
  }

  private static Config config(Map<String, Object> keys) {
    return ConfigFactory.parseMap(keys).withFallback(ConfigFactory.defaultReference()).resolve();
  }

  private static String pkcs8Pem() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      String body = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(generator.generateKeyPair().getPrivate().getEncoded());
      return "-----BEGIN PRIVATE KEY-----\n" + body + "\n-----END PRIVATE KEY-----\n";
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
