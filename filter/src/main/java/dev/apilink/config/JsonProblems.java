package dev.apilink.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.apilink.config.ConfigException.Problem;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** How the configuration readers word a problem: one phrasing for every file ApiLink reads. */
public final class JsonProblems {

  private JsonProblems() {}

  private static final Pattern QUOTED = Pattern.compile("'''|'[^']*'");
  private static final Pattern PUNCTUATION_MARK = Pattern.compile("'\\p{Punct}'");

  /** {@code (was "value")} */
  public static String was(String value) {
    return " (was \"" + value + "\")";
  }

  /**
   * {@code (was <the JSON value>)} for a single value; an object or an array is named by its type
   * only: misplaced, it may hold a secret (a backend with its key given where a number belongs).
   */
  public static String wasValue(JsonNode node) {
    return node.isContainerNode() ? wasType(node) : " (was " + node + ")";
  }

  /** {@code (was array)}, for values whose text must not be shown (or would not help). */
  public static String wasType(JsonNode node) {
    return " (was " + node.getNodeType().name().toLowerCase(Locale.ROOT) + ")";
  }

  /** {@code (known here: a, b, c)} */
  public static String known(Set<String> keys) {
    return " (known here: " + String.join(", ", keys.stream().sorted().toList()) + ")";
  }

  /**
   * A parse error as a problem: a key given twice in one object at the key's JSON path, any other
   * at the whole file's, by position ({@link #syntaxError}).
   */
  public static Problem syntaxProblem(JsonProcessingException e) {
    // Jackson's "Duplicate field 'name'" quotes the key, which syntaxError leaves out with any
    // other quoted text; the parser still stands on the key (STRICT_DUPLICATE_DETECTION).
    if (String.valueOf(e.getOriginalMessage()).startsWith("Duplicate field ")
        && e instanceof StreamReadException read
        && read.getProcessor() != null) {
      String path = pathOf(read.getProcessor().getParsingContext());
      if (!path.isEmpty()) {
        return new Problem(
            path,
            "given more than once; a key may appear once in an object ("
                + syntaxError(e).replaceFirst(":.*", "")
                + ")");
      }
    }
    return new Problem("", syntaxError(e));
  }

  /** {@code environments.production.backend.url}, {@code routes[2].route} */
  private static String pathOf(JsonStreamContext context) {
    List<String> segments = new ArrayList<>();
    for (JsonStreamContext at = context; at != null && !at.inRoot(); at = at.getParent()) {
      if (at.inArray()) {
        segments.add(0, "[" + at.getCurrentIndex() + "]");
      } else if (at.getCurrentName() != null) {
        segments.add(0, at.getCurrentName());
      }
    }
    StringBuilder path = new StringBuilder();
    for (String segment : segments) {
      if (path.length() > 0 && !segment.startsWith("[")) {
        path.append('.');
      }
      path.append(segment);
    }
    return path.toString();
  }

  /**
   * A parse error by position. Jackson's messages can quote the text around the error, which may be
   * a secret: keep the position and the kind of error, not the quoted text.
   */
  public static String syntaxError(JsonProcessingException e) {
    String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    // "(start marker at [Source: REDACTED (`StreamReadFeature...` disabled); line: 1, column: 1])"
    message =
        message.replaceAll(
            "\\[Source: [^\\]]*?line: (\\d+), column: (\\d+)\\]", "line $1, column $2");
    // DeserializationFeature.FAIL_ON_TRAILING_TOKENS: "Trailing token (of type START_OBJECT) found
    // after value (bound as `com.fasterxml.jackson.databind.JsonNode`): not allowed as per
    // `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`", Jackson's classes and settings.
    if (message.startsWith("Trailing token ")) {
      message = "more after the end of the first JSON value; the file holds one object";
    }
    // "Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
    if (message.contains("ALLOW_NON_NUMERIC_NUMBERS")) {
      message = "NaN or Infinity, which JSON does not allow; write a number";
    }
    // StreamReadConstraints: "Number value length (1500) exceeds the maximum allowed (1000, from
    // `StreamReadConstraints.getMaxNumberLength()`)", and the same for the nesting depth.
    message =
        message
            .replaceFirst(
                "^Number value length \\((\\d+)\\) exceeds the maximum allowed \\((\\d+),.*",
                "a number of $1 characters; at most $2 are read")
            .replaceFirst(
                "^Document nesting depth \\((\\d+)\\) exceeds the maximum allowed \\((\\d+),.*",
                "objects and arrays nested over $2 deep");
    // Jackson's comment message quotes '/' and then the feature 'ALLOW_COMMENTS' to enable.
    if (message.contains("ALLOW_COMMENTS")) {
      message = "a comment; JSON allows none";
    }
    // A quoted punctuation mark says what is wrong ("Unexpected character ('}' ...)", the quote
    // itself as ''') and is no secret; any other quoted text is left out. Read from left to right,
    // a pair at a time: skipping the first quote of '/' paired its closing quote with the next
    // opening one, and cut the text between them.
    message =
        QUOTED
            .matcher(message)
            .replaceAll(
                quoted ->
                    PUNCTUATION_MARK.matcher(quoted.group()).matches()
                        ? Matcher.quoteReplacement(quoted.group())
                        : "'…'")
            .replaceAll("\"[^\"]*\"", "\"…\"");
    int newline = message.indexOf('\n');
    if (newline >= 0) {
      message = message.substring(0, newline);
    }
    if (e.getLocation() != null) {
      return "not valid JSON at line "
          + e.getLocation().getLineNr()
          + ", column "
          + e.getLocation().getColumnNr()
          + ": "
          + message;
    }
    return "not valid JSON: " + message;
  }
}
