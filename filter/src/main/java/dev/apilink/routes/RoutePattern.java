package dev.apilink.routes;

import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code route} of a Static Web Apps route rule, compiled once: an exact path ({@code
 * /api/health}), a trailing wildcard ({@code /api/admin/*}, {@code /api*}, {@code *}) or a wildcard
 * filtered by file extension ({@code /api/*.{json,xml}}).
 *
 * <p>Matching ignores case: Static Web Apps fixed route rules that a differently-cased path slipped
 * past (Azure/static-web-apps#521), and API Management matches its operations without regard to
 * case. An exact route also matches with a trailing slash added or removed, as Static Web Apps
 * takes both for one route. A wildcard after a slash matches what is under it only, as on Static
 * Web Apps ({@code /calendar/*} "won't match requests for the paths /calendar"): a later rule for
 * {@code /api/admin} decides that path. It still {@linkplain #names names} {@code /api/admin},
 * which {@link RouteRules} asks too, so that {@code /api/admin/*} protects {@code /api/admin}.
 */
final class RoutePattern {

  /**
   * One extension, or a list of them in braces: the list's commas are checked apart, as a repeated
   * group here ({@code (?:,\w+)*}) is matched by recursion, and some thousands of extensions
   * overflowed the stack of the thread reading the rules (the configuration watcher's, which the
   * error ended).
   */
  private static final Pattern EXTENSIONS = Pattern.compile("\\.(?:(\\w+)|\\{([\\w,]+)})");

  private final String route;
  private final String prefix;
  private final boolean wildcard;
  private final String[] extensions;

  private RoutePattern(String route, String prefix, boolean wildcard, String[] extensions) {
    this.route = route;
    this.prefix = prefix;
    this.wildcard = wildcard;
    this.extensions = extensions;
  }

  /**
   * Compiles {@code route}.
   *
   * @throws IllegalArgumentException with a message that says what is wrong, without the value
   */
  static RoutePattern parse(String route) {
    if (route.equals("*")) {
      return new RoutePattern(route, "", true, new String[0]);
    }
    if (!route.startsWith("/")) {
      throw new IllegalArgumentException("must start with \"/\" (or be \"*\")");
    }
    int star = route.indexOf('*');
    if (star < 0) {
      return new RoutePattern(route, route, false, new String[0]);
    }
    if (route.indexOf('*', star + 1) >= 0) {
      throw new IllegalArgumentException("may hold one \"*\" only");
    }
    String prefix = route.substring(0, star);
    String after = route.substring(star + 1);
    if (after.isEmpty()) {
      return new RoutePattern(route, prefix, true, new String[0]);
    }
    Matcher filter = EXTENSIONS.matcher(after);
    if (!filter.matches()
        || (filter.group(2) != null
            && Arrays.stream(filter.group(2).split(",", -1)).anyMatch(String::isEmpty))) {
      throw new IllegalArgumentException(
          "a \"*\" must end the route or come before a file extension filter such as"
              + " \"*.json\" or \"*.{json,xml}\"");
    }
    String names = filter.group(1) != null ? filter.group(1) : filter.group(2);
    String[] extensions =
        Arrays.stream(names.split(","))
            .map(name -> "." + name.toLowerCase(Locale.ROOT))
            .distinct()
            .toArray(String[]::new);
    return new RoutePattern(route, prefix, true, extensions);
  }

  /** Whether {@code path}, a path inside the web application, is one this route names. */
  boolean matches(String path) {
    int length = prefix.length();
    if (!wildcard) {
      return equalsIgnoreCase(path, prefix, length)
          || path.length() == length + 1
              && path.charAt(length) == '/'
              && path.regionMatches(true, 0, prefix, 0, length)
          || length > 1
              && prefix.charAt(length - 1) == '/'
              && path.length() == length - 1
              && equalsIgnoreCase(path, prefix, length - 1);
    }
    if (extensions.length == 0) {
      return path.regionMatches(true, 0, prefix, 0, length);
    }
    if (!path.regionMatches(true, 0, prefix, 0, length)) {
      return false;
    }
    for (String extension : extensions) {
      int start = path.length() - extension.length();
      if (start >= length && path.regionMatches(true, start, extension, 0, extension.length())) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code path} has {@code length} characters that equal the prefix's first ones. */
  private boolean equalsIgnoreCase(String path, String prefix, int length) {
    return path.length() == length && path.regionMatches(true, 0, prefix, 0, length);
  }

  /**
   * Whether every path that {@code other} matches, this one matches too, so that {@code other}
   * placed after this one could never be reached. Only answered for what can be told for sure: a
   * wildcard without extension filter, or an exact route, before the other.
   */
  boolean covers(RoutePattern other) {
    if (wildcard && extensions.length == 0) {
      // Every path the other matches starts with its prefix; but an exact route with a final
      // slash also matches the path without it (/api/admin/ matches /api/admin, which /api/admin/*
      // does not).
      int length = other.prefix.length();
      return other.prefix.regionMatches(true, 0, prefix, 0, prefix.length())
          && (other.wildcard
              || length < 2
              || other.prefix.charAt(length - 1) != '/'
              || matches(other.prefix.substring(0, length - 1)));
    }
    return !wildcard && !other.wildcard && other.matches(prefix) && matches(other.prefix);
  }

  /** The text before any wildcard, lower-cased: what every path this route matches starts with. */
  String literalPrefix() {
    return prefix.toLowerCase(Locale.ROOT);
  }

  /**
   * Whether this route names the resource at {@code path} itself, with or without its final slash:
   * an exact route for it ({@code /api/users} names {@code /api/users/} too), or a wildcard right
   * after it ({@code /api/admin/*} names {@code /api/admin}), or an extension filter for the file
   * that the path names with a slash added ({@code /api/*.pdf} names {@code /api/q3.pdf/}). A
   * wildcard that matches the path among others ({@code /api/*} for {@code /api/docs/a.json}) does
   * not.
   */
  boolean names(String path) {
    if (!wildcard) {
      return matches(path);
    }
    int length = prefix.length();
    if (extensions.length > 0) {
      return path.endsWith("/") && matches(path.substring(0, path.length() - 1));
    }
    return length > 1
        && prefix.charAt(length - 1) == '/'
        && equalsIgnoreCase(path, prefix, length - 1);
  }

  boolean isWildcard() {
    return wildcard;
  }

  @Override
  public String toString() {
    return route;
  }
}
