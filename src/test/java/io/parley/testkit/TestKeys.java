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
 * Real asymmetric keys for tests: an RSA 2048 (RS256) and an EC P-256 (ES256) key pair, their JWKs and public JWKS
 * document, signing helpers, and tokens assembled by hand. Every signature these produce is real.
 */
public final class TestKeys {
  public static final String RSA_KID = "rsa-key-1";
  public static final String EC_KID = "ec-key-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KeyPair rsa = rsaKeyPair();
  private final KeyPair ec = generate("EC", new ECGenParameterSpec("secp256r1"));

  public RSAPublicKey rsaPublic() {
    return (RSAPublicKey) rsa.getPublic();
  }

  public ECPublicKey ecPublic() {
    return (ECPublicKey) ec.getPublic();
  }

  public Algorithm rsaSigner() {
    return rsaSigner(rsa);
  }

  public Algorithm ecSigner() {
    return Algorithm.ECDSA256(ecPublic(), (ECPrivateKey) ec.getPrivate());
  }

  /** A fresh RSA 2048 key pair, e.g. one to rotate in. */
  public static KeyPair rsaKeyPair() {
    return generate("RSA", null);
  }

  public static Algorithm rsaSigner(KeyPair pair) {
    return Algorithm.RSA256((RSAPublicKey) pair.getPublic(), (RSAPrivateKey) pair.getPrivate());
  }

  /** An RS256 signer with a key pair of its own, which no JWKS publishes. */
  public static Algorithm strangerRsaSigner() {
    return rsaSigner(rsaKeyPair());
  }

  /** The RSA key's JWK under {@link #RSA_KID}, as Supabase publishes it. */
  public Map<String, Object> rsaJwk() {
    return rsaJwk(RSA_KID, rsaPublic());
  }

  /** The EC key's JWK under {@link #EC_KID}, as Supabase publishes it. */
  public Map<String, Object> ecJwk() {
    return ecJwk(EC_KID, ecPublic());
  }

  public static Map<String, Object> rsaJwk(String kid, RSAPublicKey key) {
    Map<String, Object> jwk = signingJwk(kid, "RSA", "RS256");
    jwk.put("n", base64(unsigned(key.getModulus(), 0)));
    jwk.put("e", base64(unsigned(key.getPublicExponent(), 0)));
    return jwk;
  }

  public static Map<String, Object> ecJwk(String kid, ECPublicKey key) {
    Map<String, Object> jwk = signingJwk(kid, "EC", "ES256");
    jwk.put("crv", "P-256");
    jwk.put("x", base64(unsigned(key.getW().getAffineX(), 32)));
    jwk.put("y", base64(unsigned(key.getW().getAffineY(), 32)));
    return jwk;
  }

  /** The members every signing key in the JWKS has; the key material follows. */
  private static Map<String, Object> signingJwk(String kid, String kty, String alg) {
    Map<String, Object> jwk = new LinkedHashMap<>();
    jwk.put("kid", kid);
    jwk.put("kty", kty);
    jwk.put("alg", alg);
    jwk.put("use", "sig");
    return jwk;
  }

  /** The public JWKS document: the RSA and the EC key, as Supabase publishes them. */
  public String jwks() {
    return jwks(List.of(rsaJwk(), ecJwk()));
  }

  /** A JWKS document holding {@code keys}. */
  public static String jwks(List<? extends Map<String, ?>> keys) {
    return json(Map.of("keys", keys));
  }

  /** An RS256 token under {@link #RSA_KID}. */
  public String rs256(Map<String, ?> claims) {
    return sign(rsaSigner(), RSA_KID, claims);
  }

  /** An ES256 token under {@link #EC_KID}. */
  public String es256(Map<String, ?> claims) {
    return sign(ecSigner(), EC_KID, claims);
  }

  /** A JWT with header {@code typ: JWT}, the given kid (none when null) and claims, signed by {@code algorithm}. */
  public static String sign(Algorithm algorithm, String kid, Map<String, ?> claims) {
    return JWT.create().withHeader(Map.of("typ", "JWT")).withKeyId(kid).withPayload(claims).sign(algorithm);
  }

  /** A token assembled by hand, for headers and signatures no honest library would produce. */
  public static String handBuilt(Map<String, ?> header, Map<String, ?> claims, String signature) {
    return base64Json(header) + "." + base64Json(claims) + "." + signature;
  }

  /** A token assembled by hand but really signed by {@code signer}, whatever its header claims. */
  public static String handSigned(Algorithm signer, Map<String, ?> header, Map<String, ?> claims) {
    String headerPart = base64Json(header);
    String payloadPart = base64Json(claims);
    return headerPart + "." + payloadPart + "." + base64(signer.sign(utf8(headerPart), utf8(payloadPart)));
  }

  /** The public key as PEM text, the form an attacker would paste as an HMAC secret. */
  public String rsaPublicPem() {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(
        rsaPublic().getEncoded());
    return "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n";
  }

  /** Unpadded base64url of the UTF-8 JSON of {@code value}: one part of a JWT. */
  public static String base64Json(Object value) {
    return base64(utf8(json(value)));
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
