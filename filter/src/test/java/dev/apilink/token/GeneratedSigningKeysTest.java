package dev.apilink.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated signing key files: a valid set (RSA 2048 and EC P-256 keys, with and without {@code
 * kid}, {@code alg} and {@code use}), mutated at random (members dropped, retyped, swapped between
 * keys, keys duplicated or added; text cut short, nested deeply, commented). Each must parse or
 * throw {@link InvalidKeysException} with no private value in its message; parsed, {@code
 * toString()} shows none either, and every key signs a token that its published public key verifies
 * (a key whose private part does not match its public one would mint tokens that the gateway
 * refuses).
 *
 * <p>The seed is fixed; run more cases with {@code -Dapilink.generated.cases=20000} (default 600;
 * each key parsed signs a test payload) or another seed with {@code -Dapilink.generated.seed=7}.
 */
class GeneratedSigningKeysTest {

  static final int CASES = Integer.getInteger("apilink.generated.cases", 600);
  static final long SEED = Long.getLong("apilink.generated.seed", 30L);
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final String[] PRIVATE = {"d", "p", "q", "dp", "dq", "qi"};

  static List<JWK> keys;
  static List<String> secrets;
  static String valid;

  @BeforeAll
  static void makeKeys() throws Exception {
    keys =
        List.of(
            new RSAKeyGenerator(2048).keyID("r1").generate(),
            new RSAKeyGenerator(2048).generate(),
            new ECKeyGenerator(Curve.P_256).keyID("e1").generate(),
            new ECKeyGenerator(Curve.P_256)
                .keyID("e2")
                .algorithm(com.nimbusds.jose.JWSAlgorithm.ES256)
                .generate());
    secrets = new ArrayList<>();
    for (JWK key : keys) {
      JsonNode json = MAPPER.readTree(key.toJSONString());
      for (String name : PRIVATE) {
        if (json.has(name)) {
          secrets.add(json.get(name).textValue());
        }
      }
    }
    valid = new JWKSet(keys).toString(false);
  }

  @Test
  void theValidSetParses() throws Exception {
    assertEquals(
        List.of("r1", "e1", "e2"),
        SigningKeys.parse(valid).keyIds().stream().filter(kid -> kid.length() == 2).toList());
  }

  @Test
  void mutatedKeyFilesParseOrAreRefusedWithoutShowingAPrivateValue() throws Exception {
    Random random = new Random(SEED);
    int parsed = 0;
    for (int i = 0; i < CASES; i++) {
      ObjectNode tree = (ObjectNode) MAPPER.readTree(valid);
      for (int m = 1 + random.nextInt(2); m > 0; m--) {
        mutate(tree, random);
      }
      String json = textual(MAPPER.writeValueAsString(tree), random);
      String shown = "case " + i + ": " + json;
      SigningKeys loaded;
      try {
        loaded = SigningKeys.parse(json);
      } catch (InvalidKeysException e) {
        String message = e.getMessage();
        for (String secret : secrets) {
          assertFalse(
              message.contains(secret), () -> "a private value in: " + message + "\n" + shown);
        }
        assertEquals(message, refusal(json), () -> "another message for " + shown);
        continue;
      } catch (Throwable e) {
        throw new AssertionError("not an InvalidKeysException: " + e + "\n" + shown, e);
      }
      parsed++;
      String text = loaded.toString() + loaded.publicKeys().toString(false);
      for (String secret : secrets) {
        assertFalse(text.contains(secret), () -> "a private value in: " + text + "\n" + shown);
      }
      for (String kid : loaded.keyIds()) {
        SigningKeys signing = loaded.signingWith(kid).orElseThrow();
        String token;
        try {
          token =
              new TokenIssuer(
                      signing,
                      "https://a.example/.auth",
                      "api://x",
                      "a.example",
                      300,
                      Clock.systemUTC())
                  .token();
        } catch (RuntimeException e) {
          throw new AssertionError(
              "key " + kid + " parsed but cannot sign: " + e + "\n" + shown, e);
        }
        JWK published = loaded.publicKeys().getKeyByKeyId(kid);
        JWSVerifier verifier =
            published instanceof RSAKey rsa
                ? new RSASSAVerifier(rsa)
                : new ECDSAVerifier((ECKey) published);
        assertTrue(
            SignedJWT.parse(token).verify(verifier),
            () -> "key " + kid + " signs what its public key does not verify\n" + shown);
      }
    }
    int accepted = parsed;
    assertTrue(
        accepted > CASES / 50 && accepted < CASES / 2,
        () -> accepted + " of " + CASES + " parsed: the generator tries too little of one kind");
  }

  static String refusal(String json) {
    try {
      SigningKeys.parse(json);
      return "parsed the second time";
    } catch (InvalidKeysException e) {
      return e.getMessage();
    }
  }

  static void mutate(ObjectNode root, Random random) {
    if (!(root.get("keys") instanceof ArrayNode set) || set.isEmpty() || random.nextInt(8) == 0) {
      ArrayNode keys = root.get("keys") instanceof ArrayNode array ? array : root.putArray("keys");
      switch (random.nextInt(4)) {
        case 0 -> root.set("keys", value(random));
        case 1 -> root.put("extra", "x");
        case 2 -> keys.add(keys.isEmpty() ? value(random) : keys.get(random.nextInt(keys.size())));
        default -> root.remove("keys");
      }
      return;
    }
    int index = random.nextInt(set.size());
    if (!(set.get(index) instanceof ObjectNode key)) {
      set.remove(index);
      return;
    }
    List<String> names = new ArrayList<>();
    key.fieldNames().forEachRemaining(names::add);
    String name = names.get(random.nextInt(names.size()));
    switch (random.nextInt(6)) {
      case 0 -> key.remove(name);
      case 1 -> key.set(name, value(random));
      case 2 -> {
        // A member of another key: a private part that does not match the public one.
        JsonNode other = set.get(random.nextInt(set.size()));
        if (other.has(name)) {
          key.set(name, other.get(name));
        }
      }
      case 3 -> {
        String[] added = {"alg", "use", "kid", "key_ops", "x5c", "crv", "kty", "ext", "oth"};
        key.set(added[random.nextInt(added.length)], value(random));
      }
      case 4 -> set.remove(index);
      default -> set.add(key.deepCopy());
    }
  }

  static JsonNode value(Random random) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    String[] strings = {
      "",
      " ",
      "\u0000",
      "é",
      "RS256",
      "RS384",
      "PS512",
      "ES256",
      "ES384",
      "HS256",
      "none",
      "EdDSA",
      "sig",
      "enc",
      "RSA",
      "EC",
      "oct",
      "OKP",
      "P-256",
      "P-384",
      "secp256k1",
      "Ed25519",
      "AQAB",
      "AA",
      "AAAA",
      "_-_-",
      "!!",
      "=",
      "r1",
      "k 1",
      " r1",
      "x".repeat(50_000),
      "MIIB",
      "e1"
    };
    switch (random.nextInt(8)) {
      case 0:
        return nodes.nullNode();
      case 1:
        return nodes.booleanNode(random.nextBoolean());
      case 2:
        return nodes.numberNode(random.nextBoolean() ? -1 : 1e300);
      case 3:
        ArrayNode array = nodes.arrayNode();
        array.add(strings[random.nextInt(strings.length)]);
        return array;
      case 4:
        return nodes.objectNode().put("a", 1);
      default:
        return nodes.textNode(strings[random.nextInt(strings.length)]);
    }
  }

  static String textual(String text, Random random) {
    return switch (random.nextInt(20)) {
      case 0 -> "\uFEFF" + text;
      case 1 -> text.substring(0, random.nextInt(text.length()));
      case 2 -> text.replaceFirst("\\{", "{/* c */");
      case 3 -> text.replaceFirst("}$", ",}");
      case 4 -> "{\"keys\":" + "[".repeat(3000) + "]".repeat(3000) + "}";
      case 5 -> "{\"a\":".repeat(3000) + "1" + "}".repeat(3000);
      case 6 -> text.replaceFirst("\\{", "{\"keys\": [],");
      case 7 -> "";
      case 8 -> "null";
      default -> text;
    };
  }
}
