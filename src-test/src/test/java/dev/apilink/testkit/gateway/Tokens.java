package dev.apilink.testkit.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.UUID;

/** Mints the tokens the tests send, as ApiLink's filter would (RS256, kid, 300 s lifetime). */
final class Tokens {

  static final String AUDIENCE = "https://my-apim.azure-api.net";

  /** RSA keys are slow to make: the tests share these, made once per run. */
  static final RSAKey RSA_1 = rsaKey("rsa-1");

  static final RSAKey RSA_2 = rsaKey("rsa-2");

  private Tokens() {}

  static RSAKey rsaKey(String keyId) {
    try {
      return new RSAKeyGenerator(2048).keyID(keyId).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static ECKey ecKey(String keyId) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(keyId).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The claims of a good token at {@code clock}'s now: right issuer and audience, 300 s left. */
  static JWTClaimsSet.Builder claims(Clock clock) {
    Date now = Date.from(clock.instant());
    return new JWTClaimsSet.Builder()
        .issuer(OpenIdServer.ISSUER)
        .audience(AUDIENCE)
        .subject("red-sea-123.azurestaticapps.net")
        .issueTime(now)
        .notBeforeTime(now)
        .expirationTime(Date.from(clock.instant().plus(Duration.ofSeconds(300))))
        .jwtID(UUID.randomUUID().toString());
  }

  static String rs256(RSAKey key, JWTClaimsSet claims) {
    try {
      return sign(new RSASSASigner(key), JWSAlgorithm.RS256, key.getKeyID(), claims);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String es256(ECKey key, JWTClaimsSet claims) {
    try {
      return sign(new ECDSASigner(key), JWSAlgorithm.ES256, key.getKeyID(), claims);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hs256(byte[] secret, JWTClaimsSet claims) {
    try {
      return sign(new MACSigner(secret), JWSAlgorithm.HS256, null, claims);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An RS256 token whose header names no {@code kid}. */
  static String rs256WithoutKid(RSAKey key, JWTClaimsSet claims) {
    try {
      return sign(new RSASSASigner(key), JWSAlgorithm.RS256, null, claims);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An HS256 token keyed with {@code secret} whose header names {@code keyId}. */
  static String hs256(byte[] secret, String keyId, JWTClaimsSet claims) {
    try {
      return sign(new MACSigner(secret), JWSAlgorithm.HS256, keyId, claims);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A token with {@code "alg": "none"}. */
  static String unsigned(JWTClaimsSet claims) {
    return new PlainJWT(claims).serialize();
  }

  private static String sign(
      com.nimbusds.jose.JWSSigner signer,
      JWSAlgorithm algorithm,
      String keyId,
      JWTClaimsSet claims) {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
    return jwt.serialize();
  }
}
