package dev.apilink.testkit.gateway;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * One strict reading of a JSON file: every value is looked up through here, and every problem is
 * collected with the JSON path of the value at fault, so that one message can list them all.
 */
final class StrictJson {

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .build();

  private final List<String> problems = new ArrayList<>();

  List<String> problems() {
    return problems;
  }

  void problem(String path, String message) {
    problems.add(path.isEmpty() ? message : path + ": " + message);
  }

  /** The document's root, or null (and a problem) when it is not JSON. */
  JsonNode parse(String json) {
    try {
      JsonNode root = JSON.readTree(json);
      if (root == null || root.isMissingNode()) {
        problem("", "the document is empty");
        return null;
      }
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation where = e.getLocation();
      problem(
          "",
          "not valid JSON"
              + (where == null
                  ? ""
                  : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")")
              + ": "
              + e.getOriginalMessage().replaceAll("\\[Source: [^;]*; ", "["));
      return null;
    }
  }

  /** {@code node} as an object whose keys are all in {@code keys}, or null. */
  ObjectNode object(JsonNode node, String path, Set<String> keys) {
    if (!node.isObject()) {
      problem(path, "must be an object " + was(node));
      return null;
    }
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!keys.contains(name)) {
        problem(
            child(path, name),
            keys.isEmpty()
                ? "unknown key (expected none)"
                : "unknown key (expected one of " + String.join(", ", new TreeSet<>(keys)) + ")");
      }
    }
    return (ObjectNode) node;
  }

  /** A string member, or null if absent (a problem if {@code required}) or not a string. */
  String text(ObjectNode object, String path, String key, boolean required) {
    JsonNode value = member(object, path, key, required);
    if (value == null) {
      return null;
    }
    if (!value.isTextual()) {
      problem(child(path, key), "must be a string " + was(value));
      return null;
    }
    return value.asText();
  }

  Boolean bool(ObjectNode object, String path, String key) {
    JsonNode value = member(object, path, key, false);
    if (value == null) {
      return null;
    }
    if (!value.isBoolean()) {
      problem(child(path, key), "must be true or false " + was(value));
      return null;
    }
    return value.asBoolean();
  }

  Integer integer(ObjectNode object, String path, String key, int min, int max) {
    JsonNode value = member(object, path, key, false);
    if (value == null) {
      return null;
    }
    if (!value.isIntegralNumber()
        || !value.canConvertToInt()
        || value.asInt() < min
        || value.asInt() > max) {
      problem(child(path, key), "must be an integer from " + min + " to " + max + " " + was(value));
      return null;
    }
    return value.asInt();
  }

  ArrayNode array(ObjectNode object, String path, String key, boolean required) {
    JsonNode value = member(object, path, key, required);
    if (value == null) {
      return null;
    }
    if (!value.isArray()) {
      problem(child(path, key), "must be an array " + was(value));
      return null;
    }
    return (ArrayNode) value;
  }

  /** The strings of an array member; a problem for each item that is not a string. */
  List<String> texts(ObjectNode object, String path, String key) {
    ArrayNode array = array(object, path, key, false);
    List<String> texts = new ArrayList<>();
    if (array != null) {
      for (int i = 0; i < array.size(); i++) {
        if (array.get(i).isTextual()) {
          texts.add(array.get(i).asText());
        } else {
          problem(item(child(path, key), i), "must be a string " + was(array.get(i)));
        }
      }
    }
    return texts;
  }

  private JsonNode member(ObjectNode object, String path, String key, boolean required) {
    JsonNode value = object.get(key);
    if (value == null) {
      if (required) {
        problem(child(path, key), "missing");
      }
      return null;
    }
    return value;
  }

  static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  static String item(String path, int index) {
    return path + "[" + index + "]";
  }

  static String was(JsonNode value) {
    if (value.isObject()) {
      return "(was an object)";
    }
    if (value.isArray()) {
      return "(was an array)";
    }
    return "(was " + value + ")";
  }
}
