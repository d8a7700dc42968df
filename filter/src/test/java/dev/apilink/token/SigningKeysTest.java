package dev.apilink.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SigningKeysTest {

  static RSAKey rsa(String kid, int bits) throws Exception {
    // Nimbus' generator refuses short keys; the JDK's makes the 1024-bit one a file might hold.
    java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
    generator.initialize(bits);
    java.security.KeyPair pair = generator.generateKeyPair();
    return new RSAKey.Builder((java.security.interfaces.RSAPublicKey) pair.getPublic())
        .privateKey(pair.getPrivate())
        .keyID(kid)
        .build();
  }

  static String set(com.nimbusds.jose.jwk.JWK... keys) {
    return new JWKSet(List.of(keys)).toString(false);
  }

  List<String> problems(String json) {
    return assertThrows(InvalidKeysException.class, () -> SigningKeys.parse(json)).problems();
  }

  @Test
  void aSetOfKeysPublishesEveryPublicKeyAndSignsWithTheFirst() throws Exception {
    SigningKeys keys = SigningKeys.parse(set(rsa("k1", 2048), rsa("k2", 2048)));

    assertEquals("k1", keys.current().getKeyID());
    assertEquals(List.of("k1", "k2"), keys.keyIds());
    JWKSet published = keys.publicKeys();
    assertEquals(2, published.getKeys().size());
    assertFalse(published.toString(false).contains("\"d\""));
    assertEquals(KeyUse.SIGNATURE, published.getKeyByKeyId("k1").getKeyUse());
    assertEquals(JWSAlgorithm.RS256, published.getKeyByKeyId("k1").getAlgorithm());
  }

  @Test
  void aKeyFileSavedWithAByteOrderMarkIsRead() throws Exception {
    SigningKeys keys = SigningKeys.parse("\uFEFF" + set(rsa("k1", 2048)));

    assertEquals(List.of("k1"), keys.keyIds());
  }

  @Test
  void theSigningKeyIdChoosesTheCurrentKey() throws Exception {
    SigningKeys keys =
        SigningKeys.parse(set(rsa("k1", 2048), rsa("k2", 2048))).signingWith("k2").orElseThrow();

    assertEquals("k2", keys.current().getKeyID());
  }

  @Test
  void aSingleJwkAndAnEcKeyAreAccepted() throws Exception {
    SigningKeys single = SigningKeys.parse(rsa("solo", 2048).toJSONString());
    SigningKeys ec =
        SigningKeys.parse(new ECKeyGenerator(Curve.P_256).keyID("ec").generate().toJSONString());

    assertEquals("solo", single.current().getKeyID());
    assertEquals(JWSAlgorithm.ES256, ec.algorithm());
  }

  /**
   * Microsoft's validate-jwt reference lists PS256, RS256, RS512 and ES256 for asymmetric keys (its
   * version of 2026-02-25; that of 2024-03-18 did not list ES256): an RSA key whose alg is RS384,
   * PS384 or PS512 works with ApiLink and the testkit gateway without a word, and may be refused by
   * API Management.
   */
  @Test
  void aKeyThatSignsWithAnAlgorithmApiManagementDoesNotDocumentIsWarnedAbout() throws Exception {
    RSAKey rsa = rsa("k1", 2048);
    SigningKeys rs384 =
        SigningKeys.parse(
            new RSAKey.Builder(rsa)
                .keyID("rs")
                .algorithm(JWSAlgorithm.RS384)
                .build()
                .toJSONString());

    assertEquals(
        Optional.of(
            "ApiLink: the signing key whose kid is \"rs\" signs with RS384, which Microsoft's"
                + " validate-jwt reference does not list (it lists PS256, RS256, RS512 and ES256):"
                + " API Management may refuse every token. Use an RSA key with RS256, as keygen"
                + " makes, unless you have seen your gateway accept RS384."),
        rs384.undocumentedForApiManagement());
    for (JWSAlgorithm undocumented : List.of(JWSAlgorithm.PS384, JWSAlgorithm.PS512)) {
      SigningKeys keys =
          SigningKeys.parse(new RSAKey.Builder(rsa).algorithm(undocumented).build().toJSONString());
      assertTrue(keys.undocumentedForApiManagement().isPresent(), undocumented.getName());
    }
    SigningKeys ec =
        SigningKeys.parse(new ECKeyGenerator(Curve.P_256).keyID("ec").generate().toJSONString());
    assertEquals(Optional.empty(), ec.undocumentedForApiManagement());
    for (JWSAlgorithm documented :
        List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS512, JWSAlgorithm.PS256)) {
      SigningKeys keys =
          SigningKeys.parse(new RSAKey.Builder(rsa).algorithm(documented).build().toJSONString());
      assertEquals(Optional.empty(), keys.undocumentedForApiManagement(), documented.getName());
    }
    assertEquals(
        Optional.empty(), SigningKeys.parse(rsa.toJSONString()).undocumentedForApiManagement());
    assertEquals(Optional.empty(), SigningKeys.generate().undocumentedForApiManagement());
  }

  @Test
  void aKeyWithoutKidGetsItsThumbprint() throws Exception {
    RSAKey key = new RSAKeyGenerator(2048).generate();

    SigningKeys keys = SigningKeys.parse(key.toJSONString());

    assertEquals(key.computeThumbprint().toString(), keys.current().getKeyID());
  }

  @Test
  void unusableKeysAreEachNamed() throws Exception {
    OctetSequenceKey hmac = new OctetSequenceKeyGenerator(256).keyID("hmac").generate();
    assertEquals(
        List.of(
            "key \"pub\": has no private part; a public key cannot sign tokens",
            "key \"short\": is 1024 bits; RSA signing keys need at least 2048",
            "key \"hmac\": key type oct is not supported; use RSA or EC P-256"),
        problems(set(rsa("pub", 2048).toPublicJWK(), rsa("short", 1024), hmac)));
  }

  @Test
  void aKeyWhoseModulusIsABitShortOf2048IsNamedTooShortNotMismatched() throws Exception {
    // 256 bytes, its top bit clear: some generators make such keys, and Nimbus will not sign with
    // them. Counted in bytes, it passed as 2048 bits, then failed the test signature, and was
    // refused as a private part that does not match its public part.
    assertEquals(
        List.of("key \"odd\": is 2047 bits; RSA signing keys need at least 2048"),
        problems(set(rsa("odd", 2047))));
  }

  @Test
  void anUnusableKeyWithoutKidIsNamedByItsPlaceInTheSet() throws Exception {
    assertEquals(
        List.of("key #2: has no private part; a public key cannot sign tokens"),
        problems(set(rsa("k1", 2048), rsa(null, 2048).toPublicJWK())));
  }

  @Test
  void anEcKeyWhoseAlgDoesNotFitItIsAProblemAtStartUp() throws Exception {
    // A reviewer's P-256 key marked ES384 (or RS256) was accepted; every request then got an empty
    // 500, as the signer refused it on the first token.
    ECKey es384 =
        new ECKeyGenerator(Curve.P_256).keyID("ec384").algorithm(JWSAlgorithm.ES384).generate();
    ECKey rs256 =
        new ECKeyGenerator(Curve.P_256).keyID("ecrs").algorithm(JWSAlgorithm.RS256).generate();
    ECKey es256 =
        new ECKeyGenerator(Curve.P_256).keyID("ok").algorithm(JWSAlgorithm.ES256).generate();

    assertEquals(
        List.of(
            "key \"ec384\": its \"alg\" ES384 does not fit a P-256 key; use ES256 or none",
            "key \"ecrs\": its \"alg\" RS256 does not fit a P-256 key; use ES256 or none"),
        problems(set(es384, rs256, es256)));
  }

  @Test
  void aKeyForAnotherUseOrAlgorithmOrCurveIsNamedWithWhatItIs() throws Exception {
    RSAKey encryption = new RSAKeyGenerator(2048).keyID("enc").keyUse(KeyUse.ENCRYPTION).generate();
    RSAKey ecAlgorithm =
        new RSAKeyGenerator(2048).keyID("rs-es").algorithm(JWSAlgorithm.ES256).generate();
    ECKey p384 = new ECKeyGenerator(Curve.P_384).keyID("p384").generate();

    assertEquals(
        List.of(
            "key \"enc\": its \"use\" is \"enc\", not \"sig\"",
            "key \"rs-es\": its \"alg\" ES256 is not an RSA signature algorithm",
            "key \"p384\": EC keys must be on the curve P-256 (ES256), not P-384"),
        problems(set(encryption, ecAlgorithm, p384)));
  }

  @Test
  void aKeyOfATypeJwkDoesNotDefineIsAProblemNotDroppedFromTheSet() throws Exception {
    // JWKSet.parse drops such keys: the set below was taken as k1 alone, and k2 never published.
    java.util.Map<String, Object> lowercase = rsa("k2", 2048).toJSONObject();
    lowercase.put("kty", "rsa");
    String json =
        "{\"keys\": ["
            + rsa("k1", 2048).toJSONString()
            + ", "
            + com.nimbusds.jose.util.JSONObjectUtils.toJSONString(lowercase)
            + "]}";

    assertEquals(
        List.of(
            "key #2: its \"kty\" is none of JWK's key types (RSA, EC, oct, OKP; in capitals as"
                + " written here); use RSA or EC P-256"),
        problems(json));
  }

  @Test
  void aKeyWhoseKeyOpsAreNotForSigningIsAProblemAtStartUp() throws Exception {
    // Taken before; the first then failed the JWKS with an IllegalArgumentException that named
    // neither the key nor the file, so the filter did not start and said only that.
    RSAKey encrypt =
        new RSAKeyGenerator(2048)
            .keyID("enc")
            .keyOperations(java.util.Set.of(KeyOperation.ENCRYPT))
            .generate();
    RSAKey signAndDecrypt =
        new RSAKeyGenerator(2048)
            .keyID("mixed")
            .algorithm(JWSAlgorithm.RS256)
            .keyOperations(java.util.Set.of(KeyOperation.SIGN, KeyOperation.DECRYPT))
            .generate();
    RSAKey sign =
        new RSAKeyGenerator(2048)
            .keyID("ok")
            .keyOperations(java.util.Set.of(KeyOperation.SIGN))
            .generate();

    assertEquals(
        List.of(
            "key \"enc\": its \"key_ops\" [encrypt] are not for signing; use [\"sign\"] or none",
            "key \"mixed\": its \"key_ops\" [decrypt, sign] are not for signing; use [\"sign\"] or"
                + " none"),
        problems(set(encrypt, signAndDecrypt, sign)));
    assertEquals(
        List.of("ok"),
        SigningKeys.parse(set(sign)).publicKeys().getKeys().stream()
            .map(com.nimbusds.jose.jwk.JWK::getKeyID)
            .toList());
  }

  @Test
  void aKeyForSigningIsPublishedForVerifying() throws Exception {
    // RFC 7517 4.3: a public key verifies. The private key's ["sign"] was published as it was.
    RSAKey rsa =
        new RSAKeyGenerator(2048)
            .keyID("rsa")
            .keyOperations(java.util.Set.of(KeyOperation.SIGN))
            .generate();
    com.nimbusds.jose.jwk.ECKey ec =
        new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256)
            .keyID("ec")
            .algorithm(JWSAlgorithm.ES256)
            .keyOperations(java.util.Set.of(KeyOperation.SIGN, KeyOperation.VERIFY))
            .generate();

    JWKSet published = SigningKeys.parse(set(rsa, ec)).publicKeys();

    assertEquals(
        java.util.Set.of(KeyOperation.VERIFY), published.getKeyByKeyId("rsa").getKeyOperations());
    assertEquals(JWSAlgorithm.RS256, published.getKeyByKeyId("rsa").getAlgorithm());
    assertEquals(
        java.util.Set.of(KeyOperation.VERIFY), published.getKeyByKeyId("ec").getKeyOperations());
    assertEquals(JWSAlgorithm.ES256, published.getKeyByKeyId("ec").getAlgorithm());
    assertEquals(false, published.getKeyByKeyId("ec").isPrivate());
  }

  @Test
  void twoKeysWithOneKidAreAProblemNamingTheSecond() throws Exception {
    assertEquals(
        List.of("key \"k1\": the kid \"k1\" is used by another key"),
        problems(set(rsa("k1", 2048), rsa("k1", 2048))));
  }

  @Test
  void aKidThatApiManagementWouldNotMatchAsTypedIsAProblem() throws Exception {
    // validate-jwt compares a token's kid with the JWKS' exactly: " k1" was taken, and a
    // token.signingKeyId of "k1" then named no key.
    assertEquals(
        List.of(
            "key #1: its kid must not start or end with white space (was \" k1\")",
            "key #2: its kid must not be empty",
            "key #3: its kid must not hold control characters (was \"k\\u000a3\")"),
        problems(set(rsa(" k1", 2048), rsa("", 2048), rsa("k\n3", 2048))));
  }

  @Test
  void anOrdinaryKidIsTaken() throws Exception {
    assertEquals(
        List.of("2026-11", "key 2", "schlüssel", "a.b_c~d"),
        SigningKeys.parse(
                set(
                    rsa("2026-11", 2048),
                    rsa("key 2", 2048),
                    rsa("schlüssel", 2048),
                    rsa("a.b_c~d", 2048)))
            .keyIds());
  }

  @Test
  void anEmptyKeySetIsAProblem() {
    assertEquals(List.of("the key set has no keys"), problems("{\"keys\": []}"));
  }

  @Test
  void anUnknownSigningKeyIdChoosesNoKey() throws Exception {
    assertEquals(Optional.empty(), SigningKeys.parse(set(rsa("k1", 2048))).signingWith("k9"));
  }

  @Test
  void aFileThatIsNotAKeyIsAProblemThatQuotesNothing() throws Exception {
    List<String> problems = problems("{\"kty\": \"RSA\", \"n\": \"secret-ish\"}");

    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("not a JWK or JWK set ("), problems.get(0));
    assertFalse(problems.get(0).contains("secret-ish"));
  }

  @Test
  void toStringNamesTheKeysOnly() throws Exception {
    SigningKeys keys = SigningKeys.parse(set(rsa("k1", 2048)));

    assertEquals("SigningKeys[kids=[k1], current=k1]", keys.toString());
  }

  @Test
  void aFileHoldingNullIsNotAKeySet() {
    // Found by GeneratedSigningKeysTest: a NullPointerException ("jq .key > keys.json" writes null
    // for a key that is not there).
    assertEquals(List.of("not a JWK or JWK set (it is null)"), problems("null"));
    assertEquals(List.of("not a JWK or JWK set (it is null)"), problems(" null\n"));
  }

  @Test
  void aKeyWhosePrivatePartDoesNotMatchItsPublicPartIsRefused() throws Exception {
    // Found by GeneratedSigningKeysTest: both parsed; the first failed to sign every token, the
    // second signed tokens that its published key (so the gateway) does not verify.
    RSAKey good = rsa("r1", 2048);
    RSAKey other = rsa("r2", 2048);
    RSAKey badExponent =
        new RSAKey.Builder(
                good.getModulus(), com.nimbusds.jose.util.Base64URL.encode(new byte[] {3}))
            .privateExponent(good.getPrivateExponent())
            .firstPrimeFactor(good.getFirstPrimeFactor())
            .secondPrimeFactor(good.getSecondPrimeFactor())
            .firstFactorCRTExponent(good.getFirstFactorCRTExponent())
            .secondFactorCRTExponent(good.getSecondFactorCRTExponent())
            .firstCRTCoefficient(good.getFirstCRTCoefficient())
            .keyID("r1")
            .build();
    RSAKey foreignPrivate =
        new RSAKey.Builder(good.toPublicJWK()).privateKey(other.toPrivateKey()).keyID("r3").build();
    com.nimbusds.jose.jwk.ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
    com.nimbusds.jose.jwk.ECKey ecForeign =
        new com.nimbusds.jose.jwk.ECKey.Builder(ec.toPublicJWK())
            .privateKey(new ECKeyGenerator(Curve.P_256).generate().toPrivateKey())
            .keyID("e2")
            .build();

    assertEquals(
        List.of(
            "key \"r1\": its private part does not match its public part (a test signature did not"
                + " verify)",
            "key \"r3\": its private part does not match its public part (a test signature did not"
                + " verify)",
            "key \"e2\": its private part does not match its public part (a test signature did not"
                + " verify)"),
        problems(set(badExponent, foreignPrivate, ecForeign)));
  }
}
