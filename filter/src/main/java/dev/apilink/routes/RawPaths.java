package dev.apilink.routes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The other reading of a path that ApiLink forwards byte for byte. Rules are matched against the
 * container's decoded, normalized path; but the gateway receives the raw path, and may decode what
 * the container left encoded ({@code %2F}, {@code %5C}) or merge what it kept ({@code //}). A
 * request is let through only if both readings are, so that {@code /api/public%2F..%2Fadmin} cannot
 * pass a rule for {@code /api/admin/*} as a public path.
 */
final class RawPaths {

  private RawPaths() {}

  /** Whether {@code rawPath} could read otherwise once fully decoded; cheap, no allocation. */
  static boolean mayReadOtherwise(String rawPath) {
    for (int i = 0; i < rawPath.length(); i++) {
      char c = rawPath.charAt(i);
      if (c == '%'
          || c == '\\'
          || c == '/' && i + 1 < rawPath.length() && rawPath.charAt(i + 1) == '/') {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code rawPath} percent-decoded as UTF-8 (what cannot be decoded is kept), with backslashes
   * read as slashes, empty segments merged and dot segments removed (RFC 3986 5.2.4).
   */
  static String fullyDecoded(String rawPath) {
    String decoded = percentDecoded(rawPath).replace('\\', '/');
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : decoded.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        segments.pollLast();
      } else {
        segments.addLast(segment);
      }
    }
    boolean directory = decoded.endsWith("/") || decoded.endsWith("/.") || decoded.endsWith("/..");
    StringBuilder path = new StringBuilder(decoded.length());
    for (String segment : segments) {
      path.append('/').append(segment);
    }
    if (directory || path.length() == 0) {
      path.append('/');
    }
    return path.toString();
  }

  private static String percentDecoded(String raw) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); ) {
      if (raw.charAt(i) == '%' && i + 2 < raw.length()) {
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high >= 0 && low >= 0) {
          bytes.write(high << 4 | low);
          i += 3;
          continue;
        }
      }
      int codePoint = raw.codePointAt(i);
      bytes.writeBytes(Character.toString(codePoint).getBytes(StandardCharsets.UTF_8));
      i += Character.charCount(codePoint);
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
