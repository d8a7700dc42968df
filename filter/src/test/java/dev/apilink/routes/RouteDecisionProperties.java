package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.proxy.GatewayTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Generated raw paths against a reference model ({@link PathReadingsModel}) of what a gateway or a
 * backend may read them as: a path that ApiLink forwards to an anonymous user must not be, in any
 * reading, one that a rule keeps from that user, nor one outside {@code /api}.
 *
 * <p>{@value #CASES} paths per property from a fixed seed, in well under a second each. A longer
 * run with another seed: {@code -Dapilink.paths.seed=N -Dapilink.paths.cases=1000000}. A failure
 * lists the shortest paths that broke the property (review A's counterexamples are in {@link
 * RawPathsTest}, {@code GatewayTargetTest} and the container contracts).
 */
class RouteDecisionProperties {

  static final int CASES = Integer.getInteger("apilink.paths.cases", 5000);
  static final long SEED = Long.getLong("apilink.paths.seed", 20261128L);

  private static final RouteRules RULES =
      RouteRulesTest.rules(
          """
          {"routes": [
            {"route": "/api/public/*"},
            {"route": "/api/admin/*", "allowedRoles": ["admin"]},
            {"route": "/api/me", "allowedRoles": ["authenticated"]},
            {"route": "/api/files/*.pdf", "allowedRoles": ["reader"]},
            {"route": "/api/secret*", "statusCode": 404}
          ]}
          """);

  /**
   * Whether the rules above keep {@code path} from an anonymous user, read from their documentation
   * (route-rules.md): the first matching rule decides, case-insensitively; an exact route matches
   * with a trailing slash added or removed; {@code /api/admin/*} also protects {@code /api/admin}
   * and {@code /api/files/*.pdf} the file with a slash added.
   */
  static boolean refusedToAnonymous(String path) {
    String p = path.toLowerCase(Locale.ROOT);
    if (p.startsWith("/api/public/")) {
      return false;
    }
    return p.startsWith("/api/admin/")
        || p.equals("/api/admin")
        || p.equals("/api/me")
        || p.equals("/api/me/")
        || p.startsWith("/api/files/") && (p.endsWith(".pdf") || p.endsWith(".pdf/"))
        || p.startsWith("/api/secret");
  }

  /** An open corner of a closed API: everything under /api needs a user but /api/public/. */
  private static final RouteRules OPEN_CORNER =
      RouteRulesTest.rules(
          """
          {"routes": [
            {"route": "/api/public/*"},
            {"route": "/api/*", "allowedRoles": ["authenticated"]}
          ]}
          """);

  static boolean refusedToAnonymousByOpenCorner(String path) {
    return GatewayTarget.isApiPath(path)
        && !path.toLowerCase(Locale.ROOT).startsWith("/api/public/");
  }

  /** Whether ApiLink forwards an anonymous GET of {@code rawPath} under {@code rules}. */
  static boolean forwarded(String rawPath, RouteRules rules) {
    String path = PathReadingsModel.containerPath(rawPath);
    if (!GatewayTarget.isApiPath(path)
        || !GatewayTarget.isApiPath(rawPath)
        || !GatewayTarget.staysUnderApi(rawPath)) {
      return false;
    }
    return rules
        .decide("GET", path, rawPath, RouteRulesTest.ANONYMOUS, RouteRulesTest.USERS)
        .proxies();
  }

  @Test
  void noReadingOfAForwardedPathIsOneTheRulesRefuse() {
    assertNoCounterexample(
        rawPath ->
            !forwarded(rawPath, RULES)
                || PathReadingsModel.readings(rawPath).stream()
                    .noneMatch(RouteDecisionProperties::refusedToAnonymous));
  }

  @Test
  void noReadingOfAPathForwardedUnderTheOpenCornerIsOutsideIt() {
    assertNoCounterexample(
        rawPath ->
            !forwarded(rawPath, OPEN_CORNER)
                || PathReadingsModel.readings(rawPath).stream()
                    .noneMatch(RouteDecisionProperties::refusedToAnonymousByOpenCorner));
  }

  /**
   * Decoded once at most: a path that leaves {@code /api} only when decoded twice ({@code
   * /api/%252e%252e/x}) is forwarded by design (docs/proxy.md); the route rules see that reading.
   */
  @Test
  void noReadingOfAForwardedPathDecodedOnceLeavesApi() {
    assertNoCounterexample(
        rawPath ->
            !forwarded(rawPath, RULES)
                || PathReadingsModel.readings(rawPath, 1).stream()
                    .allMatch(GatewayTarget::isApiPath));
  }

  @Test
  void theModelResolvesDotSegmentsAsRfc3986Does() {
    // RFC 3986 5.2.4's own examples, and an empty segment kept.
    assertEquals("/a/g", PathReadingsModel.removeDotSegments("/a/b/c/./../../g"));
    assertEquals("mid/6", PathReadingsModel.removeDotSegments("mid/content=5/../6"));
    assertEquals("/api/admin/", PathReadingsModel.removeDotSegments("/api/admin//.."));
  }

  @Test
  void theGeneratorMakesThePathsThatFoundBypasses() {
    // Without these the properties above could pass for want of trying.
    List<String> paths = new ArrayList<>();
    Random random = new Random(SEED);
    for (int i = 0; i < CASES; i++) {
      paths.add(rawPath(random));
    }
    for (String piece : List.of("//..", "%252", "%2e", "%2F", "%5C", "%3F", "%23", ";", "...")) {
      assertEquals(
          true,
          paths.stream()
              .anyMatch(
                  path -> path.toLowerCase(Locale.ROOT).contains(piece.toLowerCase(Locale.ROOT))),
          piece);
    }
  }

  /** Checks {@code property} on {@value #CASES} generated paths; lists the five shortest misses. */
  private static void assertNoCounterexample(Predicate<String> property) {
    Random random = new Random(SEED);
    List<String> counterexamples = new ArrayList<>();
    for (int i = 0; i < CASES; i++) {
      String rawPath = rawPath(random);
      if (!property.test(rawPath)) {
        counterexamples.add(rawPath);
      }
    }
    counterexamples.sort(Comparator.comparingInt(String::length));
    assertEquals(
        List.of(),
        counterexamples.subList(0, Math.min(5, counterexamples.size())),
        counterexamples.size() + " of " + CASES + " paths (seed " + SEED + ")");
  }

  /** Words and characters that earlier reviews found bypasses with, and plain names. */
  private static final List<String> WORDS =
      List.of(
          "admin",
          "ADMIN",
          "public",
          "PUBLIC",
          "me",
          "Me.",
          "files",
          "q3.pdf",
          "q3.PDF",
          "secret",
          "x",
          "",
          ".",
          "..",
          "...",
          "admin.",
          "admin..",
          "admin ",
          "admin.\t",
          "admin;x",
          ";x",
          "..;",
          ".. ",
          "?",
          "#",
          "/",
          "\\",
          ";",
          "%",
          "é",
          "a?b",
          "../admin",
          "public/..",
          "public/../..",
          "public.",
          "me/");

  /** {@code /api/} and one to six words, each character encoded zero, one or two times. */
  static String rawPath(Random random) {
    StringBuilder path = new StringBuilder("/api");
    int segments = 1 + random.nextInt(6);
    for (int i = 0; i < segments; i++) {
      path.append('/').append(encoded(WORDS.get(random.nextInt(WORDS.size())), random));
    }
    return path.toString();
  }

  /**
   * {@code word} with each character percent-encoded 0, 1 or 2 times (mostly not), in upper- or
   * lower-case hex, as far as a request line allows: {@code ?}, {@code #}, {@code %}, spaces,
   * control characters and non-ASCII are encoded at least once.
   */
  private static String encoded(String word, Random random) {
    StringBuilder raw = new StringBuilder();
    for (int i = 0; i < word.length(); i++) {
      char c = word.charAt(i);
      int times = random.nextInt(5) < 3 ? 0 : 1 + random.nextInt(2);
      if (times == 0 && (c == '?' || c == '#' || c == '%' || c <= ' ' || c > 0x7E)) {
        times = 1;
      }
      raw.append(times == 0 ? String.valueOf(c) : escaped(c, times, random.nextBoolean()));
    }
    return raw.toString();
  }

  private static String escaped(char c, int times, boolean lowerCase) {
    StringBuilder escaped = new StringBuilder();
    for (byte b : String.valueOf(c).getBytes(StandardCharsets.UTF_8)) {
      escaped.append('%').append(String.format("%02X", b & 0xFF));
    }
    String text = escaped.toString();
    for (int i = 1; i < times; i++) {
      text = text.replace("%", "%25");
    }
    return lowerCase ? text.toLowerCase(Locale.ROOT) : text;
  }
}
