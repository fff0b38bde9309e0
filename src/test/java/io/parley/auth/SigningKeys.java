package io.parley.auth;

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
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Real keys and real signatures for tests: the HS256 secret, an RSA 2048 and an EC P-256 key pair, and their JWKS. */
final class SigningKeys {
  static final String RSA_KID = "rsa-key-1";
  static final String EC_KID = "ec-key-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  final KeyPair rsa;
  final KeyPair ec;

  SigningKeys() {
    rsa = rsaKeyPair();
    try {
      KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
      ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
      ec = ecGenerator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static KeyPair rsaKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The claims of a Supabase access token for {@code userId}, valid for an hour from {@code now}. */
  static Map<String, Object> userClaims(String userId, Instant now) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("aud", "authenticated");
    claims.put("exp", now.getEpochSecond() + 3600);
    claims.put("iat", now.getEpochSecond());
    claims.put("iss", TestAuth.ISSUER);
    claims.put("sub", userId);
    claims.put("email", userId + "@example.test");
    claims.put("role", "authenticated");
    claims.put("aal", "aal1");
    claims.put("session_id", "0b6e3f7e-4a0c-4d2b-9a55-2f3c9d7e1a10");
    claims.put("is_anonymous", false);
    return claims;
  }

  static String hs256(Map<String, Object> claims) {
    return sign(Algorithm.HMAC256(TestAuth.SECRET), null, claims);
  }

  static String hs256WithSecret(byte[] secret, Map<String, Object> claims) {
    return sign(Algorithm.HMAC256(secret), null, claims);
  }

  String rs256(Map<String, Object> claims) {
    return sign(rsaSigner(), RSA_KID, claims);
  }

  String es256(Map<String, Object> claims) {
    return sign(ecSigner(), EC_KID, claims);
  }

  Algorithm rsaSigner() {
    return Algorithm.RSA256((RSAPublicKey) rsa.getPublic(), (RSAPrivateKey) rsa.getPrivate());
  }

  Algorithm ecSigner() {
    return Algorithm.ECDSA256((ECPublicKey) ec.getPublic(), (ECPrivateKey) ec.getPrivate());
  }

  static String sign(Algorithm algorithm, String kid, Map<String, Object> claims) {
    return JWT.create().withKeyId(kid).withPayload(claims).sign(algorithm);
  }

  /** A token assembled by hand, for headers and signatures no honest library would produce. */
  static String handBuilt(Map<String, Object> header, Map<String, Object> claims, String signature) {
    return base64Json(header) + "." + base64Json(claims) + "." + signature;
  }

  static String base64Json(Object value) {
    return base64(utf8(json(value)));
  }

  static String json(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static String base64(byte[] bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  Map<String, Object> rsaJwk() {
    return rsaJwk(RSA_KID, (RSAPublicKey) rsa.getPublic());
  }

  static Map<String, Object> rsaJwk(String kid, RSAPublicKey key) {
    Map<String, Object> jwk = new LinkedHashMap<>();
    jwk.put("kid", kid);
    jwk.put("kty", "RSA");
    jwk.put("alg", "RS256");
    jwk.put("use", "sig");
    jwk.put("n", base64(unsigned(key.getModulus(), 0)));
    jwk.put("e", base64(unsigned(key.getPublicExponent(), 0)));
    return jwk;
  }

  Map<String, Object> ecJwk() {
    ECPublicKey key = (ECPublicKey) ec.getPublic();
    Map<String, Object> jwk = new LinkedHashMap<>();
    jwk.put("kid", EC_KID);
    jwk.put("kty", "EC");
    jwk.put("alg", "ES256");
    jwk.put("use", "sig");
    jwk.put("crv", "P-256");
    jwk.put("x", base64(unsigned(key.getW().getAffineX(), 32)));
    jwk.put("y", base64(unsigned(key.getW().getAffineY(), 32)));
    return jwk;
  }

  String jwks() {
    return jwks(List.of(rsaJwk(), ecJwk()));
  }

  static String jwks(List<Map<String, Object>> keys) {
    return json(Map.of("keys", keys));
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
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
