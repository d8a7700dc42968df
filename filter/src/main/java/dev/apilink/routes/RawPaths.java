package dev.apilink.routes;

import dev.apilink.proxy.GatewayTarget;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The other readings of a path that ApiLink forwards byte for byte. Rules are matched against the
 * container's decoded, normalized path; but the gateway receives the raw path, and it or the server
 * behind it may decode what the container left encoded ({@code %2F}, {@code %5C}), decode again
 * what was encoded twice ({@code %2561}), merge what it kept ({@code //}), end the path at what it
 * decoded into {@code ?} or {@code #} as a server that reads the decoded path as a URL again does
 * ({@code admin%3F/x}), or drop trailing dots and spaces from a segment as Windows and IIS do
 * ({@code admin.}, {@code admin%20}). A request is let through only if the container's path and
 * every one of these readings are, so that {@code /api/public%2F..%2Fadmin} or {@code
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
      // A segment ending in a dot: "admin." is "admin" to Windows, "..." nothing (found by review
      // A); "." and ".." the container resolves, but they reach the gateway as sent, where a
      // router that matches the raw path reads /api/admin/../x as under /api/admin/.
      if (c == '%'
          || c == '\\'
          || c == ';'
          || c == '/' && i + 1 < length && rawPath.charAt(i + 1) == '/'
          || c == '.' && endsSegment) {
        return true;
      }
    }
    return false;
  }

  /**
   * The readings of {@code rawPath} that the gateway, or a server behind it, may take, each with
   * dot segments removed (RFC 3986 5.2.4) and kept: as sent (but for an encoded space or non-ASCII
   * character, which a rule names decoded), percent-decoded once, twice, and so on until nothing
   * more decodes (at most {@value #DECODINGS} times; what cannot be decoded is kept); each of
   * those, and what comes before its first {@code ?} or {@code #} (a server that reads the decoded
   * path as a URL again takes the rest for the query or the fragment: {@code /api/admin%3F/x} names
   * {@code /api/admin} to it), as it is, with path parameters ({@code ;...}) cut from each segment
   * as Java servers do, with trailing dots and whitespace cut from each segment as Windows and IIS
   * do, and with both; each with backslashes read as slashes or not; and each with empty segments
   * merged first, as Tomcat and nginx do, or kept, as RFC 3986 does ({@code /api/admin//..} is
   * {@code /api/admin/} to .NET's {@code Uri} and WHATWG URL parsers, {@code /api/} to Tomcat;
   * found by review A). A request is let through only if every reading is: one reading alone lets
   * {@code /api/public/..%2Fadmin/..%20/public} through, which the next server may read as {@code
   * /api/admin/.. /public} (found by a reviewer).
   */
  static Set<String> readings(String rawPath) {
    // A set: the path as sent is often its first decoding too (/api/my%20files), read once.
    Set<String> decodings = new LinkedHashSet<>();
    // As sent: a router that matches the raw path (Express) takes /api/admin/%2e%2e/public for a
    // path under /api/admin/, which the container reads as /api/public (found by review A). But a
    // space or a non-ASCII character reaches it encoded from every client (ApiLink encodes what
    // arrives unencoded), so my%20files is "my files" to it too, and a rule for /api/my files/*
    // must open it (found by review F: anonymous users got the 401 of a later /api/* rule).
    decodings.add(asSent(rawPath));
    String decoded = rawPath;
    // Each count of decodings: a gateway and a backend that each decode once read the second
    // (/api/%2561dmin/%25252e%25252e/public is /api/admin/%2e%2e/public; found by review A).
    for (int i = 0; i < DECODINGS && decoded.indexOf('%') >= 0; i++) {
      String again = percentDecoded(decoded, true);
      if (again.equals(decoded)) {
        break;
      }
      decoded = again;
      decodings.add(decoded);
    }
    Set<String> readings = new LinkedHashSet<>();
    for (String decoding : decodings) {
      for (String path : asPathAndAsUrl(decoding)) {
        // Dot segments kept too: ApiLink forwards them as sent, and a router that matches the raw
        // path (Express's app.use, Spring MVC's path patterns on the request URI) takes
        // /api/admin/../public for a path under /api/admin/, which the container reads as
        // /api/public (found by review M: proxied to anyone).
        boolean dots = path.contains("/.") || path.contains("\\.");
        for (Resolution resolution : Resolution.ALL) {
          if (resolution.isNeededFor(path)) {
            readings.add(resolution.resolved(path, true));
            if (dots) {
              readings.add(resolution.resolved(path, false));
            }
          }
        }
      }
    }
    return readings;
  }

  /**
   * One way of resolving a decoded path: with a backslash read as a slash (Windows, IIS) or as a
   * character (most other servers: {@code /api/\/../admin} is {@code /api/admin} to them; found by
   * review A), with path parameters cut or kept, with trailing dots and spaces cut or kept, with
   * empty segments merged or kept.
   */
  private record Resolution(
      boolean backslashSeparates, boolean cutParameters, boolean asWindows, boolean mergeSlashes) {

    static final List<Resolution> ALL = all();

    private static List<Resolution> all() {
      List<Resolution> all = new ArrayList<>(16);
      for (int flags = 0; flags < 16; flags++) {
        all.add(
            new Resolution((flags & 1) == 0, (flags & 2) != 0, (flags & 4) != 0, (flags & 8) == 0));
      }
      return List.copyOf(all);
    }

    /**
     * Whether {@code path} has a backslash or a {@code ;} where this resolution reads them: without
     * them it reads {@code path} as the resolution that does not, and is skipped (four times less
     * work for most paths with a {@code %}: review F measured 4.4 µs for one decision).
     */
    boolean isNeededFor(String path) {
      return (!backslashSeparates || path.indexOf('\\') >= 0)
          && (!cutParameters || path.indexOf(';') >= 0);
    }

    String resolved(String decoded, boolean resolveDots) {
      return RawPaths.resolved(
          backslashSeparates ? decoded.replace('\\', '/') : decoded,
          cutParameters,
          asWindows,
          mergeSlashes,
          resolveDots);
    }
  }

  /** {@code decoded}, and the path before its first {@code ?} or {@code #} if it has one. */
  private static List<String> asPathAndAsUrl(String decoded) {
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c == '?' || c == '#') {
        return List.of(decoded, decoded.substring(0, i));
      }
    }
    return List.of(decoded);
  }

  private static String resolved(
      String slashed,
      boolean cutParameters,
      boolean asWindows,
      boolean mergeSlashes,
      boolean resolveDots) {
    Deque<String> segments = new ArrayDeque<>();
    String[] parts = slashed.split("/", -1);
    boolean directory = false;
    for (int i = 0; i < parts.length; i++) {
      String segment = parts[i];
      boolean last = i == parts.length - 1;
      if (cutParameters && segment.indexOf(';') >= 0) {
        segment = segment.substring(0, segment.indexOf(';'));
      }
      if (asWindows) {
        segment = segment.stripTrailing();
      }
      if (resolveDots && segment.equals("..")) {
        segments.pollLast();
        directory = last;
        continue;
      }
      if (resolveDots && segment.equals(".")) {
        directory = last;
        continue;
      }
      if (asWindows) {
        segment = withoutTrailingDotsAndSpaces(segment);
      }
      if (segment.isEmpty() && (mergeSlashes || i == 0 || last)) {
        directory = last && i > 0;
        continue;
      }
      segments.addLast(segment);
      directory = false;
    }
    StringBuilder path = new StringBuilder(slashed.length());
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

  /**
   * {@code rawPath} with its escapes of a space or a non-ASCII byte decoded, but in a segment (or a
   * part of one between a backslash or a {@code ;}) that would then be only dots and whitespace:
   * Windows reads {@code .. } as {@code ..} and {@code ... } as nothing, while {@code ..%20} is a
   * name (found by review F's generated paths: {@code /api/admin./..%20/x} read decoded only there
   * left /api/admin/ unread).
   */
  private static String asSent(String rawPath) {
    if (rawPath.indexOf('%') < 0) {
      return rawPath;
    }
    StringBuilder asSent = new StringBuilder(rawPath.length());
    int start = 0;
    for (int i = 0; i <= rawPath.length(); i++) {
      if (i == rawPath.length() || "/\\;".indexOf(rawPath.charAt(i)) >= 0) {
        String part = rawPath.substring(start, i);
        String decoded = percentDecoded(part, false);
        asSent.append(GatewayTarget.isEmptyToWindows(decoded) ? part : decoded);
        if (i < rawPath.length()) {
          asSent.append(rawPath.charAt(i));
        }
        start = i + 1;
      }
    }
    return asSent.toString();
  }

  /**
   * {@code raw} percent-decoded once, every escape, {@code %uXXXX} as IIS reads it too; an escape
   * that cannot be decoded stays as written.
   */
  static String decodedOnce(String raw) {
    return percentDecoded(raw, true);
  }

  /**
   * {@code raw} percent-decoded once: every escape, {@code %uXXXX} as IIS reads it too, or ({@code
   * everyEscape} false) only those of a space and of non-ASCII bytes, which a request line cannot
   * carry unencoded and which name no separator, dot, parameter, query or escape in any reading.
   */
  private static String percentDecoded(String raw, boolean everyEscape) {
    if (raw.indexOf('%') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); ) {
      // IIS (http.sys) and ASP.NET read %u0061 as "a". The container refuses it as sent, but a
      // gateway that decodes %25u0061 once hands it on (found by review h40i: /api/%25u0061dmin
      // passed a rule for /api/admin/*).
      if (everyEscape && raw.startsWith("%u", i)) {
        int unit = utf16Unit(raw, i + 2);
        if (unit >= 0) {
          bytes.writeBytes(Character.toString((char) unit).getBytes(StandardCharsets.UTF_8));
          i += 6;
          continue;
        }
      }
      if (raw.charAt(i) == '%' && i + 2 < raw.length()) {
        int high = hex(raw.charAt(i + 1));
        int low = hex(raw.charAt(i + 2));
        if (high >= 0 && low >= 0 && (everyEscape || high >= 8 || (high << 4 | low) == ' ')) {
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

  /** The value of the four ASCII hex digits at {@code from} in {@code raw}, else -1. */
  private static int utf16Unit(String raw, int from) {
    if (from + 4 > raw.length()) {
      return -1;
    }
    int unit = 0;
    for (int i = from; i < from + 4; i++) {
      int digit = hex(raw.charAt(i));
      if (digit < 0) {
        return -1;
      }
      unit = unit << 4 | digit;
    }
    return unit;
  }

  /** An ASCII hex digit's value, else -1 (not Character.digit, which takes full-width digits). */
  private static int hex(char c) {
    return c < 0x80 ? Character.digit(c, 16) : -1;
  }
}
