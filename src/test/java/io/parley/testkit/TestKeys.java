package io.parley.testkit;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Real asymmetric keys for tests that go through HTTP: an RSA 2048 (RS256) and an EC P-256 (ES256) key pair, their
 * public JWKS document, and signing helpers. Every token these produce is signed for real.
 */
public final class TestKeys {
  public static final String RSA_KID = "rsa-key-1";
  public static final String EC_KID = "ec-key-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KeyPair rsa = generate("RSA", null);
  private final KeyPair ec = generate("EC", new ECGenParameterSpec("secp256r1"));

  public RSAPublicKey rsaPublic() {
    return (RSAPublicKey) rsa.getPublic();
  }

  public Algorithm rsaSigner() {
    return Algorithm.RSA256(rsaPublic(), (RSAPrivateKey) rsa.getPrivate());
  }

  public Algorithm ecSigner() {
    return Algorithm.ECDSA256((ECPublicKey) ec.getPublic(), (ECPrivateKey) ec.getPrivate());
  }

  /** An RS256 signer with a key pair of its own, which no JWKS publishes. */
  public static Algorithm strangerRsaSigner() {
    KeyPair stranger = generate("RSA", null);
    return Algorithm.RSA256((RSAPublicKey) stranger.getPublic(), (RSAPrivateKey) stranger.getPrivate());
  }

  /** The public JWKS document: the RSA and the EC key, as Supabase publishes them. */
  public String jwks() {
    RSAPublicKey rsaKey = rsaPublic();
    ECPublicKey ecKey = (ECPublicKey) ec.getPublic();
    Map<String, Object> rsaJwk = new LinkedHashMap<>();
    rsaJwk.put("kid", RSA_KID);
    rsaJwk.put("kty", "RSA");
    rsaJwk.put("alg", "RS256");
    rsaJwk.put("use", "sig");
    rsaJwk.put("n", base64(unsigned(rsaKey.getModulus(), 0)));
    rsaJwk.put("e", base64(unsigned(rsaKey.getPublicExponent(), 0)));
    Map<String, Object> ecJwk = new LinkedHashMap<>();
    ecJwk.put("kid", EC_KID);
    ecJwk.put("kty", "EC");
    ecJwk.put("alg", "ES256");
    ecJwk.put("use", "sig");
    ecJwk.put("crv", "P-256");
    ecJwk.put("x", base64(unsigned(ecKey.getW().getAffineX(), 32)));
    ecJwk.put("y", base64(unsigned(ecKey.getW().getAffineY(), 32)));
    return json(Map.of("keys", List.of(rsaJwk, ecJwk)));
  }

  /** A JWT with header {@code typ: JWT}, the given kid (none when null) and claims, signed by {@code algorithm}. */
  public static String sign(Algorithm algorithm, String kid, Map<String, ?> claims) {
    return JWT.create().withHeader(Map.of("typ", "JWT")).withKeyId(kid).withPayload(claims).sign(algorithm);
  }

  /** A token assembled by hand, for headers and signatures no honest library would produce. */
  public static String handBuilt(Map<String, ?> header, Map<String, ?> claims, String signature) {
    return base64(utf8(json(header))) + "." + base64(utf8(json(claims))) + "." + signature;
  }

  /** The public key as PEM text, the form an attacker would paste as an HMAC secret. */
  public String rsaPublicPem() {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
        rsaPublic().getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n";
  }

  public static String base64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  public static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  public static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair generate(String algorithm, ECGenParameterSpec curve) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
      if (curve == null) generator.initialize(2048);
      else generator.initialize(curve);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Big-endian magnitude without the sign byte, left-padded to {@code length} when that is given. */
  private static byte[] unsigned(BigInteger value, int length) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
    if (bytes.length >= length) return bytes;
    byte[] padded = new byte[length];
    System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
    return padded;
  }
}
