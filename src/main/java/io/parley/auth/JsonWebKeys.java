package io.parley.auth;

import com.auth0.jwk.InvalidPublicKeyException;
import com.auth0.jwk.Jwk;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a JWKS document into one verifier per {@code kid}. Each key's own {@code kty}/{@code crv} fixes its algorithm
 * (RSA: RS256, EC P-256: ES256); keys of any other kind, or whose {@code alg} or {@code use} disagree, are left out.
 */
final class JsonWebKeys {
  private static final Logger log = LoggerFactory.getLogger(JsonWebKeys.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonWebKeys() {}

  static Map<String, Algorithm> parse(String document) throws IOException {
    JsonNode keys = JSON.readTree(document).path("keys");
    if (!keys.isArray()) throw new IOException("the JWKS document has no \"keys\" array");
    Map<String, Algorithm> verifiers = new HashMap<>();
    for (JsonNode jwk : keys) {
      String kid = jwk.path("kid").textValue();
      if (kid != null) verifier(kid, jwk).ifPresent(verifier -> verifiers.put(kid, verifier));
    }
    return Map.copyOf(verifiers);
  }

  /** jwks-rsa builds the public key; the key's own type and curve, never the token, decide the algorithm. */
  @SuppressWarnings("unchecked")
  private static Optional<Algorithm> verifier(String kid, JsonNode jwk) {
    String use = jwk.path("use").textValue();
    if (use != null && !use.equals("sig")) return Optional.empty();
    String kty = jwk.path("kty").textValue();
    String alg = jwk.path("alg").textValue();
    try {
      Jwk key = Jwk.fromValues(JSON.convertValue(jwk, Map.class));
      if ("RSA".equals(kty) && (alg == null || alg.equals("RS256"))) {
        return Optional.of(Algorithm.RSA256((RSAPublicKey) key.getPublicKey(), null));
      }
      if ("EC".equals(kty) && "P-256".equals(jwk.path("crv").textValue()) && (alg == null || alg.equals("ES256"))) {
        return Optional.of(Algorithm.ECDSA256((ECPublicKey) key.getPublicKey(), null));
      }
    } catch (InvalidPublicKeyException | RuntimeException e) { // jwks-rsa throws NPEs on missing members
      log.warn("Ignoring JWKS key {}: {}", kid, e.getMessage());
    }
    return Optional.empty();
  }
}
