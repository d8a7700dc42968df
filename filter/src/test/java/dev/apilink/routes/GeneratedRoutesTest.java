package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.config.ConfigException.Problem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Generated {@code staticwebapp.config.json} files: Static Web Apps' documented example, mutated at
 * random (members dropped, renamed, retyped; rules duplicated, emptied; odd routes, roles, methods
 * and status codes; text cut short, nested deeply, with comments or a byte order mark). Each must
 * give rules and no problem, or no rules and problems whose every path leads into the document (to
 * a value, or to a member missing from an object), the same each time; never an exception.
 *
 * <p>The seed is fixed; run more cases with {@code -Dapilink.generated.cases=20000} (default 1500)
 * or another seed with {@code -Dapilink.generated.seed=7}.
 */
class GeneratedRoutesTest {

  static final int CASES = Integer.getInteger("apilink.generated.cases", 1500);
  static final long SEED = Long.getLong("apilink.generated.seed", 30L);
  static final ObjectMapper MAPPER = new ObjectMapper();
  static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

  @Test
  void mutatedRuleFilesGiveRulesOrProblemsByPath() throws Exception {
    Random random = new Random(SEED);
    int loaded = 0;
    for (int i = 0; i < CASES; i++) {
      ObjectNode tree = (ObjectNode) MAPPER.readTree(RoutesLoaderTest.DOCUMENTED_EXAMPLE);
      for (int m = 1 + random.nextInt(3); m > 0; m--) {
        mutate(tree, random);
      }
      byte[] json = textual(MAPPER.writeValueAsString(tree), random);
      String shown = "case " + i + ": " + new String(json, StandardCharsets.UTF_8);
      List<String> first = problems(json, shown);
      assertEquals(first, problems(json, shown), () -> "other problems the second time: " + shown);
      if (first.isEmpty()) {
        loaded++;
        continue;
      }
      JsonNode document = parsed(json);
      for (String problem : first) {
        String path = problem.contains(": ") ? problem.substring(0, problem.indexOf(": ")) : "";
        if (document == null || path.contains(" ")) {
          continue; // the whole file's problem
        }
        assertTrue(
            leads(document, path), () -> "a path not in the document: " + problem + "\n" + shown);
      }
    }
    int accepted = loaded;
    assertTrue(
        accepted > 0 && accepted < CASES / 2,
        () ->
            accepted
                + " of "
                + CASES
                + " loaded: the generator tries too little of one kind (the documented example itself has rules ApiLink refuses for /api, so few load)");
  }

  static List<String> problems(byte[] json, String shown) {
    List<Problem> problems = new ArrayList<>();
    RouteRules rules;
    try {
      rules = RoutesLoader.parse("/staticwebapp.config.json", json, problems);
    } catch (Throwable e) {
      throw new AssertionError("an exception, not a problem: " + e + "\n" + shown, e);
    }
    assertEquals(
        rules == null, !problems.isEmpty(), () -> "rules and problems: " + problems + "\n" + shown);
    return problems.stream().map(Problem::toString).toList();
  }

  static JsonNode parsed(byte[] json) {
    try {
      return MAPPER.readTree(json);
    } catch (Exception e) {
      return null;
    }
  }

  /** Whether {@code path} ({@code routes[2].allowedRoles[0]}) leads to a value or a missing key. */
  static boolean leads(JsonNode node, String path) {
    if (path.isEmpty()) {
      return true;
    }
    if (path.startsWith("[")) {
      Matcher index = INDEX.matcher(path);
      if (!index.lookingAt() || !node.isArray()) {
        return false;
      }
      JsonNode element = node.get(Integer.parseInt(index.group(1)));
      String rest = path.substring(index.end()).replaceFirst("^\\.", "");
      return element != null && leads(element, rest);
    }
    if (!node.isObject()) {
      return false;
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (path.equals(name)) {
        return true;
      }
      if ((path.startsWith(name + ".") || path.startsWith(name + "["))
          && leads(node.get(name), path.substring(name.length()).replaceFirst("^\\.", ""))) {
        return true;
      }
    }
    return !path.contains(".") && !path.contains("[");
  }

  static void mutate(ObjectNode root, Random random) {
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    JsonNode container = containers.get(random.nextInt(containers.size()));
    if (container instanceof ObjectNode object) {
      List<String> names = new ArrayList<>();
      object.fieldNames().forEachRemaining(names::add);
      if (names.isEmpty()) {
        object.set(key(random), value(random, 0));
        return;
      }
      String name = names.get(random.nextInt(names.size()));
      switch (random.nextInt(5)) {
        case 0 -> object.remove(name);
        case 1 -> object.set(key(random), object.remove(name));
        case 2 -> object.set(key(random), value(random, 0));
        default -> object.set(name, value(random, 0));
      }
    } else if (container instanceof ArrayNode array) {
      switch (array.isEmpty() ? 0 : random.nextInt(4)) {
        case 0 -> array.add(value(random, 0));
        case 1 -> array.add(array.get(random.nextInt(array.size())).deepCopy());
        case 2 -> array.remove(random.nextInt(array.size()));
        default -> array.set(random.nextInt(array.size()), value(random, 0));
      }
    }
  }

  static void collect(JsonNode node, List<JsonNode> into) {
    if (node.isContainerNode()) {
      into.add(node);
      node.elements().forEachRemaining(child -> collect(child, into));
    }
  }

  static String key(Random random) {
    String[] keys = {
      "route", "Route", "allowedRoles", "methods", "rewrite", "redirect", "statusCode", "headers",
      "routes", "responseOverrides", "401", "404", "500", "navigationFallback", "exclude", "",
      "a.b", "x[0]", "é", "\u0000", "platform", "auth", "networking", "x".repeat(3000)
    };
    return keys[random.nextInt(keys.length)];
  }

  static JsonNode value(Random random, int depth) {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    String[] strings = {
      "",
      " ",
      "/",
      "*",
      "/api",
      "/api/",
      "/api/*",
      "/api/*/x",
      "/api/**",
      "/api/{a,b}",
      "/api/%2e%2e/",
      "/api/..;/x",
      "/api\\x",
      "api/x",
      "/api/x?y",
      "/API/*",
      "/.auth/login/aad",
      "/index.html",
      "GET",
      "get",
      "PATCH",
      "FOO",
      "anonymous",
      "authenticated",
      "admin istrator",
      "a-b",
      "é",
      "\u0000",
      "\u202e",
      "x".repeat(20_000),
      "https://evil.example/",
      "//evil.example",
      "301",
      "${env:X}"
    };
    long[] numbers = {
      0, 200, 301, 302, 307, 308, 401, 404, 999, -1, Long.MAX_VALUE, Integer.MAX_VALUE + 1L
    };
    switch (random.nextInt(depth > 1 ? 6 : 8)) {
      case 0:
        return nodes.nullNode();
      case 1:
        return nodes.booleanNode(random.nextBoolean());
      case 2:
        return random.nextBoolean()
            ? nodes.numberNode(numbers[random.nextInt(numbers.length)])
            : nodes.numberNode(random.nextBoolean() ? 301.5 : 1e300);
      case 3, 4, 5:
        return nodes.textNode(strings[random.nextInt(strings.length)]);
      case 6:
        ArrayNode array = nodes.arrayNode();
        for (int i = random.nextInt(3); i > 0; i--) {
          array.add(value(random, depth + 1));
        }
        return array;
      default:
        ObjectNode object = nodes.objectNode();
        for (int i = random.nextInt(3); i > 0; i--) {
          object.set(key(random), value(random, depth + 1));
        }
        return object;
    }
  }

  static byte[] textual(String text, Random random) {
    String changed =
        switch (random.nextInt(20)) {
          case 0 -> "\uFEFF" + text;
          case 1 -> text.substring(0, random.nextInt(text.length()));
          case 2 -> text.replaceFirst("\\{", "{// c\n");
          case 3 -> text.replaceFirst("]", ",]");
          case 4 -> text.replaceFirst("\\{", "{\"routes\": [],");
          case 5 -> "{\"routes\":" + "[".repeat(3000) + "]".repeat(3000) + "}";
          case 6 -> "";
          case 7 -> "null";
          default -> text;
        };
    byte[] bytes = changed.getBytes(StandardCharsets.UTF_8);
    if (random.nextInt(40) == 0 && bytes.length > 0) {
      bytes[random.nextInt(bytes.length)] = (byte) 0xFF;
    }
    return bytes;
  }
}
