package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generated {@code apilink.json} files: a valid document (with a signing key file, proxy
 * credentials and a subscription key from a file), mutated at random, must load or be refused with
 * a {@link ConfigException} whose every problem names a path of the document, the same message each
 * time, and no secret in the message, in a log line or in {@code toString()} of what loaded.
 *
 * <p>The seed is fixed; run more cases with {@code -Dapilink.generated.cases=20000} (default 1500,
 * about 3 s) or another seed with {@code -Dapilink.generated.seed=7}.
 */
class GeneratedConfigTest {

  static final int CASES = Integer.getInteger("apilink.generated.cases", 1500);
  static final long SEED = Long.getLong("apilink.generated.seed", 30L);

  static final String SUBSCRIPTION_KEY = "SubKeyQ7x9Planted";
  static final String PROXY_PASSWORD = "PxPwdZ4k8Planted";
  static final String FILE_SECRET = "FileSecretM3v5Planted";

  static final ObjectMapper MAPPER = new ObjectMapper();
  static RSAKey key;

  @TempDir Path dir;
  final List<String> logged = new ArrayList<>();
  final Handler capture =
      new Handler() {
        final SimpleFormatter formatter = new SimpleFormatter();

        @Override
        public void publish(LogRecord record) {
          logged.add(formatter.format(record));
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  final Logger apilink = Logger.getLogger("dev.apilink");
  Level level;
  List<String> secrets;
  Map<String, String> env;

  @BeforeEach
  void plantSecrets() throws Exception {
    if (key == null) {
      key = new RSAKeyGenerator(2048).keyID("k1").generate();
    }
    Files.writeString(dir.resolve("keys.json"), new JWKSet(key).toString(false));
    Files.writeString(dir.resolve("subscription.txt"), SUBSCRIPTION_KEY + "\n");
    Files.writeString(dir.resolve("secret.txt"), FILE_SECRET);
    Files.createDirectory(dir.resolve("a-directory"));
    secrets =
        List.of(
            SUBSCRIPTION_KEY,
            PROXY_PASSWORD,
            FILE_SECRET,
            key.getPrivateExponent().toString(),
            key.getFirstPrimeFactor().toString(),
            key.getSecondPrimeFactor().toString(),
            key.getFirstFactorCRTExponent().toString(),
            key.getSecondFactorCRTExponent().toString(),
            key.getFirstCRTCoefficient().toString());
    env = Map.of("APIM_KEY", SUBSCRIPTION_KEY, "TIMEOUT", "12");
    level = apilink.getLevel();
    apilink.setLevel(Level.ALL);
    apilink.addHandler(capture);
  }

  @AfterEach
  void stopCapturing() {
    apilink.removeHandler(capture);
    apilink.setLevel(level);
  }

  String valid() {
    return """
        {"$schema": "https://example.com/apilink.schema.json",
         "hostname": "red-sea-123.azurestaticapps.net",
         "environments": {
           "production": {"backend": {
             "resourceType": "apiManagement",
             "url": "https://my-apim.azure-api.net/base",
             "subscriptionKey": "${file:%1$s/subscription.txt}",
             "subscriptionKeyHeader": "X-Key",
             "audience": "api://apilink",
             "connectTimeoutSeconds": 5,
             "timeoutSeconds": "${env:TIMEOUT}",
             "keepAliveSeconds": 20,
             "maxConnections": 64,
             "maxRequestBodyBytes": 1048576,
             "maxResponseHeaderBytes": 16384,
             "proxyCredentials": "svc:%2$s"}},
           "staging": {"backend": {
             "resourceType": "apiManagement",
             "url": "https://staging.azure-api.net",
             "subscriptionKey": "${env:APIM_KEY}"}},
           "pr-42": {"pullRequest": true}},
         "token": {"signingKeyFile": "%1$s/keys.json", "signingKeyId": "k1",
                   "lifetimeSeconds": 600, "header": "X-Token"},
         "identityProvider": "aad",
         "routesFile": false}
        """
        .formatted(dir.toString().replace("\\", "/"), PROXY_PASSWORD);
  }

  /** What {@link #check} saw: the message if refused, else null. */
  String load(byte[] json) throws Exception {
    Files.write(dir.resolve("apilink.json"), json);
    ConfigLoader loader = new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get);
    try {
      SiteConfig config = loader.load("apilink.json", "production");
      String shown = config.toString();
      for (String secret : secrets) {
        assertFalse(shown.contains(secret), () -> "a secret in toString(): " + shown);
      }
      return null;
    } catch (ConfigException e) {
      return e.getMessage() + "\n" + e.problems();
    } catch (Throwable e) {
      throw new AssertionError("not a ConfigException: " + e, e);
    }
  }

  void check(byte[] json, String shown) throws Exception {
    logged.clear();
    String first;
    try {
      first = load(json);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nfor " + shown, e.getCause());
    }
    for (String line : logged) {
      for (String secret : secrets) {
        assertFalse(line.contains(secret), () -> "a secret logged: " + line + "\nfor " + shown);
      }
    }
    if (first == null) {
      return;
    }
    for (String secret : secrets) {
      assertFalse(first.contains(secret), () -> "a secret in: " + first + "\nfor " + shown);
    }
    assertEquals(first, load(json), () -> "another message for the same file: " + shown);
    JsonNode tree = parsed(json);
    ConfigException refused = refusal(json);
    for (ConfigException.Problem problem : refused.problems()) {
      if (!problem.path().isEmpty()) {
        assertNotNull(tree, () -> "a path for a file that is not JSON: " + problem + "\n" + shown);
        assertTrue(
            names(tree, problem.path()),
            () -> "a path not in the document: " + problem + "\nfor " + shown);
      }
    }
  }

  ConfigException refusal(byte[] json) throws Exception {
    Files.write(dir.resolve("apilink.json"), json);
    try {
      new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get)
          .load("apilink.json", "production");
      throw new AssertionError("loaded the second time");
    } catch (ConfigException e) {
      return e;
    }
  }

  static JsonNode parsed(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (Exception e) {
      return null;
    }
  }

  /**
   * Whether {@code path} (keys joined by dots, a key holding a dot written as is) leads through
   * {@code tree} to a value or to a key missing from an object.
   */
  static boolean names(JsonNode node, String path) {
    if (path.isEmpty()) {
      return true;
    }
    if (!node.isObject()) {
      return false;
    }
    for (Iterator<String> keys = node.fieldNames(); keys.hasNext(); ) {
      String name = keys.next();
      if (path.equals(name)) {
        return true;
      }
      if (path.startsWith(name + ".") && names(node.get(name), path.substring(name.length() + 1))) {
        return true;
      }
    }
    return !path.contains(".") || path.contains("\"");
  }

  @Test
  void theValidDocumentLoads() throws Exception {
    assertEquals(null, load(valid().getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void mutatedDocumentsLoadOrAreRefusedByPathWithoutShowingASecret() throws Exception {
    Random random = new Random(SEED);
    int loaded = 0;
    for (int i = 0; i < CASES; i++) {
      ObjectNode tree = (ObjectNode) MAPPER.readTree(valid());
      int mutations = 1 + random.nextInt(3);
      for (int m = 0; m < mutations; m++) {
        mutate(tree, random);
      }
      String text = MAPPER.writeValueAsString(tree);
      byte[] bytes = textual(text, random);
      check(bytes, visible("case " + i + ": " + new String(bytes, StandardCharsets.UTF_8)));
      if (load(bytes) == null) {
        loaded++;
        JsonNode document = parsed(bytes);
        if (!(document instanceof ObjectNode withSchema)) {
          continue; // a byte order mark, which Jackson refuses
        }
        withSchema.put("$schema", "./apilink.schema.json");
        byte[] pretty = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(withSchema);
        String refused = load(pretty);
        assertEquals(
            null,
            refused,
            () ->
                visible(
                    "refused with $schema: "
                        + new String(pretty, StandardCharsets.UTF_8)
                        + "\n"
                        + refused));
      }
    }
    int accepted = loaded;
    assertTrue(
        accepted > CASES / 50 && accepted < CASES / 2,
        () -> accepted + " of " + CASES + " loaded: the generator tries too little of one kind");
  }

  /** {@code text} with its control characters escaped, for a readable failure. */
  static String visible(String text) {
    StringBuilder shown = new StringBuilder();
    text.chars()
        .forEach(c -> shown.append(c < 0x20 && c != '\n' ? String.format("\\u%04x", c) : (char) c));
    return shown.toString();
  }

  void mutate(ObjectNode root, Random random) {
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    JsonNode container = containers.get(random.nextInt(containers.size()));
    if (container instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      if (names.isEmpty()) {
        object.set(oddKey(random), value(random, 0));
        return;
      }
      String name = names.get(random.nextInt(names.size()));
      switch (random.nextInt(5)) {
        case 0 -> object.remove(name);
        case 1 -> {
          // A secret moved under a key that shows its value (proxy credentials as the url) would
          // be the file's own doing; under a misspelt name it must stay hidden.
          JsonNode moved = object.remove(name);
          String to = oddKey(random);
          boolean secret =
              moved.isTextual() && secrets.stream().anyMatch(moved.textValue()::contains);
          object.set(secret ? name.toLowerCase(java.util.Locale.ROOT) + "s" : to, moved);
        }
        case 2 -> object.set(oddKey(random), value(random, 0));
        default -> object.set(name, value(random, 0));
      }
    } else if (container instanceof ArrayNode array) {
      if (array.isEmpty() || random.nextBoolean()) {
        array.add(value(random, 0));
      } else {
        array.set(random.nextInt(array.size()), value(random, 0));
      }
    }
  }

  static void collect(JsonNode node, List<JsonNode> into) {
    if (node.isContainerNode()) {
      into.add(node);
      node.elements().forEachRemaining(child -> collect(child, into));
    }
  }

  String oddKey(Random random) {
    String[] keys = {
      "hostname",
      "Hostname",
      "subscriptionkey",
      "subscriptionKey ",
      "",
      " ",
      "a.b",
      "é",
      "\u0000",
      "\u202e",
      "$schema",
      "backend",
      "token",
      "x".repeat(5000),
      "${env:APIM_KEY}",
      "url",
      "pr-43",
      "production",
      "environments",
      "\"quoted\"",
      "routesFile"
    };
    return keys[random.nextInt(keys.length)];
  }

  JsonNode value(Random random, int depth) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    String d = dir.toString().replace("\\", "/");
    switch (random.nextInt(depth > 2 ? 8 : 10)) {
      case 0:
        return nodes.nullNode();
      case 1:
        return nodes.booleanNode(random.nextBoolean());
      case 2:
        long[] numbers = {
          0,
          -1,
          1,
          29,
          30,
          86400,
          86401,
          65536,
          Integer.MAX_VALUE,
          Integer.MIN_VALUE,
          Long.MAX_VALUE
        };
        return nodes.numberNode(numbers[random.nextInt(numbers.length)]);
      case 3:
        double[] floats = {1.5, -0.0, 1e300, Double.MAX_VALUE, 30.0, 4.9e-324};
        return nodes.numberNode(floats[random.nextInt(floats.length)]);
      case 4:
        return nodes.numberNode(new BigInteger("9".repeat(1 + random.nextInt(60))));
      case 5, 6, 7:
        String[] strings = {
          "",
          " ",
          "\t",
          "\u0000",
          "\u001b[31m",
          "\u202e",
          "é",
          "😀",
          "x".repeat(100_000),
          "12",
          "-5",
          "1e3",
          "0x10",
          "true",
          "apiManagement",
          "https://other.azure-api.net",
          "http://u:p@h",
          "https://h/?q",
          "https://h:99999",
          "localhost:8080",
          "${env:TIMEOUT}",
          "${env:MISSING}",
          "${env:}",
          "${ENV:APIM_KEY}",
          "$env:APIM_KEY",
          "{env:APIM_KEY}",
          "${env:APIM_KEY",
          "${env:APIM_KEY}${env:TIMEOUT}",
          "${file:}",
          "${file:" + d + "/keys.json}",
          "${file:" + d + "/missing.txt}",
          "${file:" + d + "/a-directory}",
          "${file:" + d + "}",
          "${file:/WEB-INF/none}",
          "${fil:" + d + "/keys.json}",
          "${file:${env:APIM_KEY}}",
          d + "/keys.json",
          d + "/secret.txt",
          "k1",
          "k1 ",
          "u:p",
          ":p",
          "u:\np",
        };
        return nodes.textNode(strings[random.nextInt(strings.length)]);
      case 8:
        ArrayNode array = nodes.arrayNode();
        for (int i = random.nextInt(3); i > 0; i--) {
          array.add(value(random, depth + 1));
        }
        return array;
      default:
        ObjectNode object = nodes.objectNode();
        for (int i = random.nextInt(3); i > 0; i--) {
          object.set(oddKey(random), value(random, depth + 1));
        }
        return object;
    }
  }

  /** Now and then, a change to the text that no tree can make: mostly invalid JSON. */
  static byte[] textual(String text, Random random) {
    String changed =
        switch (random.nextInt(24)) {
          case 0 -> "\uFEFF" + text;
          case 1 -> text.replaceFirst("}$", ",}");
          case 2 -> text.replaceFirst("\\{", "{/* note */");
          case 3 -> text.replaceFirst("\\{", "{\"hostname\": \"dup.example\",");
          case 4 -> text.replaceFirst("\"backend\":\\{", "\"backend\":{\"subscriptionKey\": 1,");
          case 5 -> text.substring(0, random.nextInt(text.length()));
          case 6 -> "[".repeat(5000) + "]".repeat(5000);
          case 7 -> "{\"hostname\":" + "{\"a\":".repeat(3000) + "1" + "}".repeat(3001);
          case 8 -> text + " x";
          case 9 -> "";
          case 10 -> "null";
          case 11 -> "\"" + SUBSCRIPTION_KEY + "\"";
          default -> text;
        };
    byte[] bytes = changed.getBytes(StandardCharsets.UTF_8);
    if (random.nextInt(30) == 0 && bytes.length > 0) {
      bytes[random.nextInt(bytes.length)] = (byte) 0xC0;
    }
    return bytes;
  }
}
