package dev.apilink.routes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A reference model, written from the RFCs and the documentation rather than from {@link RawPaths},
 * of which paths a gateway or a server behind it may take a raw path for. Every combination of:
 * percent-decoded zero, one or two times; read as a URL again (cut at the first {@code ?} or {@code
 * #}) or not; path parameters ({@code ;...}) cut from each segment or not; backslash a separator or
 * a character; trailing dots and spaces cut from each segment (Windows, IIS) or not; empty segments
 * merged (Tomcat, nginx) or kept; then dot segments removed exactly as RFC 3986 5.2.4 says.
 */
final class PathReadingsModel {

  private PathReadingsModel() {}

  static Set<String> readings(String rawPath) {
    return readings(rawPath, 2);
  }

  /** The readings of {@code rawPath} percent-decoded at most {@code decodings} times. */
  static Set<String> readings(String rawPath, int decodings) {
    Set<String> readings = new LinkedHashSet<>();
    String decoded = rawPath;
    for (int times = 0; times <= decodings; times++) {
      for (String path : List.of(decoded, beforeQueryOrFragment(decoded))) {
        for (int variant = 0; variant < 16; variant++) {
          readings.add(
              reading(
                  path,
                  (variant & 1) != 0,
                  (variant & 2) != 0,
                  (variant & 4) != 0,
                  (variant & 8) != 0));
        }
      }
      decoded = percentDecodedOnce(decoded);
    }
    return readings;
  }

  /**
   * What Tomcat hands the application, set up as the README asks ({@code
   * encodedSolidusHandling="passthrough"}): parameters cut, decoded once but for {@code %2F},
   * slashes merged, resolved.
   */
  static String containerPath(String rawPath) {
    String solidusKept = cutParameters(rawPath).replace("%2F", "%252F").replace("%2f", "%252f");
    return reading(percentDecodedOnce(solidusKept), false, false, false, true);
  }

  private static String reading(
      String path,
      boolean cutParameters,
      boolean backslashSeparates,
      boolean windows,
      boolean mergeEmpty) {
    if (backslashSeparates) {
      path = path.replace('\\', '/');
    }
    if (cutParameters) {
      path = cutParameters(path);
    }
    if (windows) {
      List<String> segments = new ArrayList<>();
      for (String segment : path.split("/", -1)) {
        segments.add(windowsName(segment));
      }
      path = String.join("/", segments);
    }
    if (mergeEmpty) {
      while (path.contains("//")) {
        path = path.replace("//", "/");
      }
    }
    return removeDotSegments(path);
  }

  private static String cutParameters(String path) {
    StringBuilder cut = new StringBuilder();
    boolean inParameter = false;
    for (char c : path.toCharArray()) {
      if (c == '/') {
        inParameter = false;
      } else if (c == ';') {
        inParameter = true;
      }
      if (!inParameter) {
        cut.append(c);
      }
    }
    return cut.toString();
  }

  /** Windows drops trailing spaces and dots from a name; {@code .} and {@code ..} stay. */
  private static String windowsName(String segment) {
    String name = segment.stripTrailing();
    if (name.equals(".") || name.equals("..")) {
      return name;
    }
    int end = name.length();
    while (end > 0
        && (name.charAt(end - 1) == '.' || Character.isWhitespace(name.charAt(end - 1)))) {
      end--;
    }
    return name.substring(0, end);
  }

  private static String beforeQueryOrFragment(String path) {
    for (int i = 0; i < path.length(); i++) {
      if (path.charAt(i) == '?' || path.charAt(i) == '#') {
        return path.substring(0, i);
      }
    }
    return path;
  }

  /** RFC 3986 5.2.4, step by step. */
  static String removeDotSegments(String path) {
    StringBuilder input = new StringBuilder(path);
    StringBuilder output = new StringBuilder();
    while (input.length() > 0) {
      if (startsWith(input, "../")) {
        input.delete(0, 3);
      } else if (startsWith(input, "./")) {
        input.delete(0, 2);
      } else if (startsWith(input, "/./")) {
        input.delete(0, 2);
      } else if (input.toString().equals("/.")) {
        input.replace(0, 2, "/");
      } else if (startsWith(input, "/../")) {
        input.delete(0, 3);
        removeLastSegment(output);
      } else if (input.toString().equals("/..")) {
        input.replace(0, 3, "/");
        removeLastSegment(output);
      } else if (input.toString().equals(".") || input.toString().equals("..")) {
        input.setLength(0);
      } else {
        int next = input.indexOf("/", input.charAt(0) == '/' ? 1 : 0);
        int end = next < 0 ? input.length() : next;
        output.append(input, 0, end);
        input.delete(0, end);
      }
    }
    return output.toString();
  }

  private static boolean startsWith(StringBuilder s, String prefix) {
    return s.length() >= prefix.length() && s.substring(0, prefix.length()).equals(prefix);
  }

  private static void removeLastSegment(StringBuilder output) {
    int slash = output.lastIndexOf("/");
    output.setLength(Math.max(slash, 0));
  }

  static String percentDecodedOnce(String raw) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int i = 0;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c == '%'
          && i + 2 < raw.length()
          && isHex(raw.charAt(i + 1))
          && isHex(raw.charAt(i + 2))) {
        bytes.write(Integer.parseInt(raw.substring(i + 1, i + 3), 16));
        i += 3;
      } else {
        int codePoint = raw.codePointAt(i);
        bytes.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(codePoint);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static boolean isHex(char c) {
    return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
  }
}
