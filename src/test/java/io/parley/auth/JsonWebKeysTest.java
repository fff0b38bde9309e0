package io.parley.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.auth0.jwt.algorithms.Algorithm;
import io.parley.testkit.TestKeys;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which JWKS entries become verifiers, and with which algorithm. */
class JsonWebKeysTest {
  private static final TestKeys keys = new TestKeys();

  private static Map<String, Object> with(Map<String, Object> jwk, String member, Object value) {
    Map<String, Object> changed = new LinkedHashMap<>(jwk);
    if (value == null) changed.remove(member);
    else changed.put(member, value);
    return changed;
  }

  @Test
  void derivesTheAlgorithmFromTheKeyType() throws IOException {
    Map<String, Algorithm> verifiers = JsonWebKeys.parse(keys.jwks());

    assertThat(verifiers).containsOnlyKeys(TestKeys.RSA_KID, TestKeys.EC_KID);
    assertThat(verifiers.get(TestKeys.RSA_KID).getName()).isEqualTo("RS256");
    assertThat(verifiers.get(TestKeys.EC_KID).getName()).isEqualTo("ES256");
  }

  @Test
  void acceptsKeysWithoutAlgOrUse() throws IOException {
    var rsa = with(with(keys.rsaJwk(), "alg", null), "use", null);
    var ec = with(with(keys.ecJwk(), "alg", null), "use", null);

    assertThat(JsonWebKeys.parse(TestKeys.jwks(List.of(rsa, ec)))).hasSize(2);
  }

  @Test
  void leavesOutKeysItCannotVerifyWithSafely() throws IOException {
    var document =
        TestKeys.jwks(
            List.of(
                with(keys.rsaJwk(), "alg", "RS512"),
                with(keys.rsaJwk(), "alg", "HS256"),
                with(keys.rsaJwk(), "use", "enc"),
                with(keys.rsaJwk(), "kid", null),
                with(keys.rsaJwk(), "n", null),
                with(keys.ecJwk(), "crv", "P-384"),
                with(keys.ecJwk(), "alg", "RS256"),
                with(keys.ecJwk(), "x", "!!not base64!!"),
                Map.of("kid", "oct", "kty", "oct", "k", "c2VjcmV0"),
                Map.of("kid", "ed", "kty", "OKP", "crv", "Ed25519", "x", "AAAA")));

    assertThat(JsonWebKeys.parse(document)).isEmpty();
  }

  @Test
  void rejectsADocumentWithoutKeys() {
    assertThatThrownBy(() -> JsonWebKeys.parse("{\"keys\": {}}")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> JsonWebKeys.parse("")).isInstanceOf(IOException.class);
    assertThatThrownBy(() -> JsonWebKeys.parse("not json")).isInstanceOf(IOException.class);
  }
}
