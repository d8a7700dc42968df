package dev.apilink.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The private keys that sign access tokens, and the one that signs now.
 *
 * <p>A key file holds one private JWK or a JWK set. Every key is published in the JWKS, so a key
 * added ahead of time is already trusted by the gateway when it becomes the current one; the
 * current key is the one named by {@code token.signingKeyId}, else the first in the file.
 */
public final class SigningKeys {

  static final int MIN_RSA_BITS = 2048;

  /**
   * The asymmetric algorithms that Microsoft's {@code validate-jwt} reference lists (its version of
   * 2026-02-25; that of 2024-03-18 lacked ES256): a token signed with another (RS384, PS384,
   * PS512), which ApiLink and the testkit gateway take, is not documented to pass API Management's
   * policy.
   */
  static final Set<JWSAlgorithm> DOCUMENTED_FOR_API_MANAGEMENT =
      Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.ES256);

  private static final Set<KeyOperation> SIGNING_OPERATIONS =
      Set.of(KeyOperation.SIGN, KeyOperation.VERIFY);

  private final List<JWK> keys;
  private final JWK current;
  private final boolean generated;

  private SigningKeys(List<JWK> keys, JWK current, boolean generated) {
    this.keys = List.copyOf(keys);
    this.current = current;
    this.generated = generated;
  }

  /**
   * Parses a private JWK or JWK set; the first key signs ({@link #signingWith} chooses another).
   *
   * @throws InvalidKeysException if the file is not a key set, or a key is public-only, too short
   *     or of an unsupported type
   */
  public static SigningKeys parse(String json) throws InvalidKeysException {
    List<JWK> parsed;
    try {
      Map<String, Object> object = com.nimbusds.jose.util.JSONObjectUtils.parse(json);
      if (object == null) {
        throw new InvalidKeysException(List.of("not a JWK or JWK set (it is null)"));
      }
      parsed = object.containsKey("keys") ? keysOf(object) : List.of(JWK.parse(object));
    } catch (ParseException e) {
      throw new InvalidKeysException(List.of("not a JWK or JWK set (" + safe(e) + ")"));
    }
    if (parsed.isEmpty()) {
      throw new InvalidKeysException(List.of("the key set has no keys"));
    }

    List<String> problems = new ArrayList<>();
    List<JWK> keys = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < parsed.size(); i++) {
      JWK key = parsed.get(i);
      if (key == null) {
        problems.add(
            "key #"
                + (i + 1)
                + ": its \"kty\" is none of JWK's key types (RSA, EC, oct, OKP; in capitals"
                + " as written here); use RSA or EC P-256");
        continue;
      }
      Optional<String> kidProblem =
          key.getKeyID() == null ? Optional.empty() : kidProblem(key.getKeyID());
      if (kidProblem.isPresent()) {
        problems.add("key #" + (i + 1) + ": its kid " + kidProblem.get());
        continue;
      }
      String name = key.getKeyID() != null ? "key \"" + key.getKeyID() + "\"" : "key #" + (i + 1);
      Optional<String> problem = check(key);
      if (problem.isPresent()) {
        problems.add(name + ": " + problem.get());
        continue;
      }
      JWK withId = key.getKeyID() != null ? key : withThumbprintId(key);
      if (!ids.add(withId.getKeyID())) {
        problems.add(name + ": the kid \"" + withId.getKeyID() + "\" is used by another key");
        continue;
      }
      keys.add(withId);
    }

    if (!problems.isEmpty()) {
      throw new InvalidKeysException(problems);
    }
    return new SigningKeys(keys, keys.get(0), false);
  }

  /**
   * The keys of a JWK set, null for each of a type that JWK does not define. {@link JWKSet#parse}
   * drops those silently (RFC 7517 5: a set's user ignores such keys), but in a key file it is a
   * mistake: a next key typed {@code "kty": "rsa"} was neither published nor reported, until {@code
   * token.signingKeyId} named it and named no key.
   */
  private static List<JWK> keysOf(Map<String, Object> set) throws ParseException {
    List<Object> entries = com.nimbusds.jose.util.JSONObjectUtils.getJSONArray(set, "keys");
    if (entries == null) {
      throw new ParseException("Missing required \"keys\" member", 0);
    }
    List<JWK> keys = new ArrayList<>();
    for (int i = 0; i < entries.size(); i++) {
      if (!(entries.get(i) instanceof Map<?, ?> entry)) {
        throw new ParseException("The \"keys\" JSON array must contain JSON objects only", 0);
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> key = (Map<String, Object>) entry;
      try {
        keys.add(JWK.parse(key));
      } catch (ParseException e) {
        if (String.valueOf(e.getMessage()).startsWith("Unsupported key type")) {
          keys.add(null);
          continue;
        }
        throw new ParseException("Invalid JWK at position " + i + ": " + e.getMessage(), 0);
      }
    }
    return keys;
  }

  /**
   * Why {@code kid} cannot name a signing key (such as {@code must not be empty}), or empty if it
   * can. API Management's {@code validate-jwt} compares a token's kid with the JWKS' exactly, and
   * {@code token.signingKeyId} is compared the same way: an empty kid, a control character, or
   * white space at either end (typed, or pasted with the value) is refused, naming the value with
   * its control characters as six-character escapes (backslash, u, four hex digits). White space
   * inside and letters beyond ASCII are taken.
   */
  public static Optional<String> kidProblem(String kid) {
    if (kid.isEmpty()) {
      return Optional.of("must not be empty");
    }
    if (kid.codePoints().anyMatch(Character::isISOControl)) {
      return Optional.of("must not hold control characters (was " + shown(kid) + ")");
    }
    if (isSpace(kid.codePointAt(0)) || isSpace(kid.codePointBefore(kid.length()))) {
      return Optional.of("must not start or end with white space (was " + shown(kid) + ")");
    }
    return Optional.empty();
  }

  private static boolean isSpace(int codePoint) {
    return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint);
  }

  /**
   * {@code kid} in quotes, its control characters as six-character escapes (backslash, u, four hex
   * digits).
   */
  private static String shown(String kid) {
    StringBuilder shown = new StringBuilder("\"");
    kid.codePoints()
        .forEach(
            c -> {
              if (Character.isISOControl(c)) {
                shown.append(String.format(Locale.ROOT, "\\u%04x", c));
              } else {
                shown.appendCodePoint(c);
              }
            });
    return shown.append('"').toString();
  }

  /** These keys signing with the one whose {@code kid} is {@code keyId}; empty if none has it. */
  public Optional<SigningKeys> signingWith(String keyId) {
    return keys.stream()
        .filter(k -> k.getKeyID().equals(keyId))
        .findFirst()
        .map(k -> new SigningKeys(keys, k, generated));
  }

  /** A fresh RSA 2048 key, for a single instance without a configured key. */
  public static SigningKeys generate() {
    try {
      RSAKey key =
          new RSAKeyGenerator(MIN_RSA_BITS)
              .keyUse(KeyUse.SIGNATURE)
              .algorithm(JWSAlgorithm.RS256)
              .keyIDFromThumbprint(true)
              .generate();
      return new SigningKeys(List.of(key), key, true);
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate an RSA key", e);
    }
  }

  private static Optional<String> check(JWK key) {
    if (!key.isPrivate()) {
      return Optional.of("has no private part; a public key cannot sign tokens");
    }
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      return Optional.of("its \"use\" is \"" + key.getKeyUse().identifier() + "\", not \"sig\"");
    }
    // RFC 7517 4.3: "key_ops" and "use" must agree. Taken before, ["encrypt"] on a key without
    // "alg" failed the JWKS, which marks such a key "use": "sig", with an IllegalArgumentException
    // that named neither the key nor the file (the filter did not start).
    Set<KeyOperation> operations = key.getKeyOperations();
    if (operations != null
        && (!operations.contains(KeyOperation.SIGN)
            || !SIGNING_OPERATIONS.containsAll(operations))) {
      return Optional.of(
          "its \"key_ops\" "
              + operations.stream().map(KeyOperation::identifier).sorted().toList()
              + " are not for signing; use [\"sign\"] or none");
    }
    if (key instanceof RSAKey rsa) {
      // The modulus' bit length, as Nimbus' signer measures it: RSAKey.size() counts whole bytes
      // of "n", so a 2047-bit key passed as 2048 bits and was refused as a mismatched private part.
      int bits = rsa.getModulus().decodeToBigInteger().bitLength();
      if (bits < MIN_RSA_BITS) {
        return Optional.of("is " + bits + " bits; RSA signing keys need at least " + MIN_RSA_BITS);
      }
      if (key.getAlgorithm() != null && !JWSAlgorithm.Family.RSA.contains(key.getAlgorithm())) {
        return Optional.of(
            "its \"alg\" " + key.getAlgorithm() + " is not an RSA signature algorithm");
      }
      return matching(key);
    }
    if (key instanceof ECKey ec) {
      if (!Curve.P_256.equals(ec.getCurve())) {
        return Optional.of("EC keys must be on the curve P-256 (ES256), not " + ec.getCurve());
      }
      if (key.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(key.getAlgorithm())) {
        // Found by a reviewer: accepted, then every token failed to sign (an empty 500).
        return Optional.of(
            "its \"alg\" " + key.getAlgorithm() + " does not fit a P-256 key; use ES256 or none");
      }
      return matching(key);
    }
    return Optional.of("key type " + key.getKeyType() + " is not supported; use RSA or EC P-256");
  }

  /**
   * Empty if {@code key} signs what its own public part verifies. A private part of another key, or
   * an {@code e} edited by hand, parsed: then every token failed to sign, or was signed so that the
   * gateway, which holds the public part, refused it (found by a generated key file).
   */
  private static Optional<String> matching(JWK key) {
    boolean verified;
    try {
      JWSObject test = new JWSObject(new JWSHeader(algorithmOf(key)), new Payload("apilink"));
      if (key instanceof RSAKey rsa) {
        test.sign(new RSASSASigner(rsa));
        verified = test.verify(new RSASSAVerifier(rsa.toPublicJWK()));
      } else {
        ECKey ec = (ECKey) key;
        test.sign(new ECDSASigner(ec));
        verified = test.verify(new ECDSAVerifier(ec.toPublicJWK()));
      }
    } catch (JOSEException | RuntimeException e) {
      // The JDK's RSA signature throws unchecked exceptions for some inconsistent keys.
      verified = false;
    }
    return verified
        ? Optional.empty()
        : Optional.of(
            "its private part does not match its public part (a test signature did not verify)");
  }

  private static JWK withThumbprintId(JWK key) {
    try {
      String kid = key.computeThumbprint().toString();
      if (key instanceof RSAKey rsa) {
        return new RSAKey.Builder(rsa).keyID(kid).build();
      }
      return new ECKey.Builder((ECKey) key).keyID(kid).build();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot compute a JWK thumbprint", e);
    }
  }

  /** Nimbus' messages name parameters, not values; keep them short all the same. */
  private static String safe(ParseException e) {
    String message = String.valueOf(e.getMessage());
    return message.length() > 160 ? message.substring(0, 160) + "…" : message;
  }

  /** The key that signs tokens now. */
  public JWK current() {
    return current;
  }

  /** The signature algorithm for the current key. */
  public JWSAlgorithm algorithm() {
    return algorithmOf(current);
  }

  /**
   * The warning to log when the current key signs with an algorithm that Microsoft does not
   * document for API Management's {@code validate-jwt} (naming the key's id, never the key); else
   * empty.
   */
  public Optional<String> undocumentedForApiManagement() {
    JWSAlgorithm algorithm = algorithm();
    if (DOCUMENTED_FOR_API_MANAGEMENT.contains(algorithm)) {
      return Optional.empty();
    }
    return Optional.of(
        "ApiLink: the signing key whose kid is \""
            + current.getKeyID()
            + "\" signs with "
            + algorithm
            + ", which Microsoft's validate-jwt reference does not list (it lists PS256, RS256,"
            + " RS512 and ES256): API Management may refuse every token. Use an RSA key with"
            + " RS256, as keygen makes, unless you have seen your gateway accept "
            + algorithm
            + ".");
  }

  static JWSAlgorithm algorithmOf(JWK key) {
    if (key.getAlgorithm() != null) {
      return JWSAlgorithm.parse(key.getAlgorithm().getName());
    }
    return key instanceof ECKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
  }

  /** Whether the key was generated at start-up rather than read from a file. */
  public boolean generated() {
    return generated;
  }

  /**
   * Every key's public part, as a JWK set: the gateway's trust anchors. A key without {@code alg}
   * is published with its algorithm and {@code "use": "sig"}; a key with {@code key_ops} with
   * {@code ["verify"]}, what a public key is for (RFC 7517 4.3): the private key's {@code ["sign"]}
   * was published as it was, which a strict reader of the set may take for no verifying key.
   */
  public JWKSet publicKeys() {
    List<JWK> published = new ArrayList<>();
    for (JWK key : keys) {
      JWK pub = key.toPublicJWK();
      boolean noAlgorithm = pub.getAlgorithm() == null;
      Set<KeyOperation> operations =
          pub.getKeyOperations() == null ? null : Set.of(KeyOperation.VERIFY);
      if (pub instanceof RSAKey rsa && (noAlgorithm || operations != null)) {
        RSAKey.Builder builder = new RSAKey.Builder(rsa).keyOperations(operations);
        pub =
            noAlgorithm
                ? builder.algorithm(algorithmOf(key)).keyUse(KeyUse.SIGNATURE).build()
                : builder.build();
      } else if (pub instanceof ECKey ec && (noAlgorithm || operations != null)) {
        ECKey.Builder builder = new ECKey.Builder(ec).keyOperations(operations);
        pub =
            noAlgorithm
                ? builder.algorithm(algorithmOf(key)).keyUse(KeyUse.SIGNATURE).build()
                : builder.build();
      }
      published.add(pub);
    }
    return new JWKSet(published);
  }

  /** The {@code kid}s of every key, the current one included. */
  public List<String> keyIds() {
    return keys.stream().map(JWK::getKeyID).toList();
  }

  @Override
  public String toString() {
    return "SigningKeys[kids=" + keyIds() + ", current=" + current.getKeyID() + "]";
  }
}
