package io.parley.auth;

import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
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
  private static final ECParameterSpec P256 = p256();

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

  private static Optional<Algorithm> verifier(String kid, JsonNode jwk) {
    String use = jwk.path("use").textValue();
    if (use != null && !use.equals("sig")) return Optional.empty();
    String kty = jwk.path("kty").textValue();
    String alg = jwk.path("alg").textValue();
    try {
      if ("RSA".equals(kty) && (alg == null || alg.equals("RS256"))) {
        return Optional.of(Algorithm.RSA256(rsaKey(jwk)));
      }
      if ("EC".equals(kty) && "P-256".equals(jwk.path("crv").textValue()) && (alg == null || alg.equals("ES256"))) {
        return Optional.of(Algorithm.ECDSA256(ecKey(jwk)));
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      log.warn("Ignoring JWKS key {}: {}", kid, e.getMessage());
    }
    return Optional.empty();
  }

  private static RSAPublicKey rsaKey(JsonNode jwk) throws GeneralSecurityException {
    var spec = new RSAPublicKeySpec(unsigned(jwk, "n"), unsigned(jwk, "e"));
    return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec);
  }

  private static ECPublicKey ecKey(JsonNode jwk) throws GeneralSecurityException {
    var spec = new ECPublicKeySpec(new ECPoint(unsigned(jwk, "x"), unsigned(jwk, "y")), P256);
    return (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(spec);
  }

  private static BigInteger unsigned(JsonNode jwk, String member) {
    String value = jwk.path(member).textValue();
    if (value == null) throw new IllegalArgumentException("member " + member + " is missing");
    return new BigInteger(1, Base64.getUrlDecoder().decode(value));
  }

  private static ECParameterSpec p256() {
    try {
      AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
      parameters.init(new ECGenParameterSpec("secp256r1"));
      return parameters.getParameterSpec(ECParameterSpec.class);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM does not support the P-256 curve", e);
    }
  }
}
