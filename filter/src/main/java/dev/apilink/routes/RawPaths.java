package dev.apilink.routes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The other reading of a path that ApiLink forwards byte for byte. Rules are matched against the
 * container's decoded, normalized path; but the gateway receives the raw path, and it or the server
 * behind it may decode what the container left encoded ({@code %2F}, {@code %5C}), decode again
 * what was encoded twice ({@code %2561}), merge what it kept ({@code //}), or drop trailing dots
 * and spaces from a segment as Windows and IIS do ({@code admin.}, {@code admin%20}). A request is
 * let through only if both readings are, so that {@code /api/public%2F..%2Fadmin} or {@code
 * /api/admin./users} cannot pass a rule for {@code /api/admin/*} as a public path.
 */
final class RawPaths {

  private RawPaths() {}

  /** How often a path is percent-decoded at most: {@code %25} may hide one more encoding. */
  private static final int DECODINGS = 3;

  /** Whether {@code rawPath} could read otherwise once fully decoded; cheap, no allocation. */
  static boolean mayReadOtherwise(String rawPath) {
    int length = rawPath.length();
    for (int i = 0; i < length; i++) {
      char c = rawPath.charAt(i);
      boolean endsSegment = i + 1 == length || rawPath.charAt(i + 1) == '/';
      if (c == '%'
          || c == '\\'
          || c == '/' && i + 1 < length && rawPath.charAt(i + 1) == '/'
          || c == '.' && endsSegment && !onlyDotsBefore(rawPath, i)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether the segment that ends at {@code end} is dots only: a dot segment, which the container
   * resolves.
   */
  private static boolean onlyDotsBefore(String rawPath, int end) {
    int i = end;
    while (i >= 0 && rawPath.charAt(i) == '.') {
      i--;
    }
    return i < 0 || rawPath.charAt(i) == '/';
  }

  /**
   * {@code rawPath} percent-decoded as UTF-8 until nothing more decodes (at most {@value
   * #DECODINGS} times; what cannot be decoded is kept), with backslashes read as slashes, empty
   * segments merged, trailing dots and whitespace cut from each segment, and dot segments removed
   * (RFC 3986 5.2.4).
   */
  static String fullyDecoded(String rawPath) {
    String decoded = rawPath;
    for (int i = 0; i < DECODINGS && decoded.indexOf('%') >= 0; i++) {
      String again = percentDecoded(decoded);
      if (again.equals(decoded)) {
        break;
      }
      decoded = again;
    }
    decoded = decoded.replace('\\', '/');
    Deque<String> segments = new ArrayDeque<>();
    String[] parts = decoded.split("/", -1);
    boolean directory = false;
    for (int i = 0; i < parts.length; i++) {
      String segment = parts[i].stripTrailing();
      boolean last = i == parts.length - 1;
      if (segment.equals("..")) {
        segments.pollLast();
        directory = last;
        continue;
      }
      segment = withoutTrailingDotsAndSpaces(segment);
      if (segment.isEmpty()) {
        directory = last && i > 0;
        continue;
      }
      segments.addLast(segment);
      directory = false;
    }
    StringBuilder path = new StringBuilder(decoded.length());
    for (String segment : segments) {
      path.append('/').append(segment);
    }
    if (directory || path.length() == 0) {
      path.append('/');
    }
    return path.toString();
  }

  /**
   * {@code admin.} and {@code admin. } read as {@code admin}; {@code .} and {@code ...} as none.
   */
  private static String withoutTrailingDotsAndSpaces(String segment) {
    int end = segment.length();
    while (end > 0
        && (segment.charAt(end - 1) == '.' || Character.isWhitespace(segment.charAt(end - 1)))) {
      end--;
    }
    return segment.substring(0, end);
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
