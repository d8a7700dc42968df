package dev.apilink.link;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.JWKGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.apilink.config.ConfigLoader;
import dev.apilink.config.JsonText;
import dev.apilink.token.InvalidKeysException;
import dev.apilink.token.SigningKeys;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code keygen}: prints a private JWK set for {@code token.signingKeyFile}, or an existing set
 * with a new key appended for rotation. Key material goes to standard output only; standard error
 * and messages name keys by their {@code kid}.
 */
final class KeygenCommand {

  static final Set<String> OPTIONS = Set.of("kid", "bits", "add-to");
  private static final List<String> BITS = List.of("2048", "3072", "4096");
  private static final List<String> READING_ORDER =
      List.of("kty", "kid", "use", "alg", "n", "e", "d", "p", "q", "dp", "dq", "qi");

  private KeygenCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
    Arguments arguments = Arguments.parse(args, OPTIONS);
    String bitsGiven = arguments.get("bits").orElse("2048");
    if (!BITS.contains(bitsGiven)) {
      throw new UsageException("--bits must be 2048, 3072 or 4096 (was \"" + bitsGiven + "\")");
    }
    int bits = Integer.parseInt(bitsGiven);
    Optional<String> kid = arguments.get("kid");
    Optional<String> kidProblem = kid.flatMap(SigningKeys::kidProblem);
    if (kidProblem.isPresent()) {
      throw new UsageException("--kid " + kidProblem.get());
    }
    Optional<String> addTo = arguments.get("add-to");

    ObjectNode keySet;
    int existingKeys = 0;
    if (addTo.isPresent()) {
      Optional<ObjectNode> existing = readKeySet(addTo.get(), kid, err);
      if (existing.isEmpty()) {
        return CommandLine.CONFIGURATION_PROBLEM;
      }
      keySet = existing.get();
      existingKeys = keySet.get("keys").size();
    } else {
      keySet = Json.MAPPER.createObjectNode();
      keySet.putArray("keys");
    }

    RSAKey key = generate(bits, kid);
    ((ArrayNode) keySet.get("keys")).add(Json.MAPPER.valueToTree(readable(key)));
    String printed = Json.pretty(keySet);
    try {
      // Print only what the filter accepts as token.signingKeyFile.
      SigningKeys.parse(printed);
    } catch (InvalidKeysException e) {
      err.println("keygen: the new key set would not be usable: " + e.getMessage());
      return CommandLine.CONFIGURATION_PROBLEM;
    }

    out.println(printed);
    if (!CommandLine.written(out, err, "apilink keygen")) {
      return CommandLine.CONFIGURATION_PROBLEM;
    }
    err.println(
        "keygen: new RSA "
            + bits
            + "-bit signing key \""
            + key.getKeyID()
            + "\" (RS256)"
            + (addTo.isPresent()
                ? ", after the "
                    + (existingKeys == 1 ? "1 key" : existingKeys + " keys")
                    + " of "
                    + addTo.get()
                    + "."
                : "."));
    if (addTo.isPresent()) {
      err.println(
          "keygen: every key of the file is published in the JWKS, and the first signs unless"
              + " token.signingKeyId names another. Deploy the new file first; once the gateway"
              + " has the new JWKS, set token.signingKeyId to \""
              + key.getKeyID()
              + "\".");
    }
    return CommandLine.OK;
  }

  /** The file's key set, a single JWK made a set of one; empty after reporting a problem. */
  private static Optional<ObjectNode> readKeySet(
      String location, Optional<String> newKid, PrintStream err) {
    String json;
    try {
      json = JsonText.of(Files.readAllBytes(Path.of(location)));
    } catch (IOException e) {
      err.println("keygen: cannot read " + location + " (" + ConfigLoader.describe(e) + ")");
      return Optional.empty();
    } catch (InvalidPathException e) {
      err.println("keygen: cannot read " + location + " (not a valid path: " + e.getReason() + ")");
      return Optional.empty();
    }
    if (json.isBlank()) {
      // "keygen --add-to keys.json > keys.json" empties the file before it is read.
      err.println(
          "keygen: "
              + location
              + " is empty; write the output to a new file, then move it over the old one");
      return Optional.empty();
    }
    SigningKeys keys;
    try {
      keys = SigningKeys.parse(json);
    } catch (InvalidKeysException e) {
      err.println("keygen: " + location + " is not a usable signing key file: " + e.getMessage());
      return Optional.empty();
    }
    if (newKid.isPresent() && keys.keyIds().contains(newKid.get())) {
      err.println("keygen: --kid \"" + newKid.get() + "\" is already used by a key of " + location);
      return Optional.empty();
    }
    JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      // Jackson's message quotes the file, which holds private keys.
      err.println("keygen: " + location + " is not valid JSON");
      return Optional.empty();
    }
    if (tree.has("keys")) {
      return Optional.of((ObjectNode) tree);
    }
    ObjectNode set = Json.MAPPER.createObjectNode();
    set.putArray("keys").add(tree);
    return Optional.of(set);
  }

  /** The JWK's members in the order people read them: what the key is, then its numbers. */
  private static Map<String, Object> readable(RSAKey key) {
    Map<String, Object> members = new TreeMap<>(key.toJSONObject());
    Map<String, Object> ordered = new LinkedHashMap<>();
    for (String name : READING_ORDER) {
      Object value = members.remove(name);
      if (value != null) {
        ordered.put(name, value);
      }
    }
    ordered.putAll(members);
    return ordered;
  }

  private static RSAKey generate(int bits, Optional<String> kid) {
    try {
      JWKGenerator<RSAKey> generator =
          new RSAKeyGenerator(bits).keyUse(KeyUse.SIGNATURE).algorithm(JWSAlgorithm.RS256);
      // RFC 7638 thumbprint unless a kid is given: stable, and unique in practice.
      return kid.isPresent()
          ? generator.keyID(kid.get()).generate()
          : generator.keyIDFromThumbprint(true).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot generate an RSA key", e);
    }
  }
}
