package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RawPathsTest {

  @Test
  void onlyPathsWithEncodingsBackslashesOrEmptySegmentsCanReadOtherwise() {
    assertFalse(RawPaths.mayReadOtherwise("/api/admin/users"));
    // Found by review M: the container resolves dot segments, the gateway gets them as sent.
    assertTrue(RawPaths.mayReadOtherwise("/api/a/../b"));
    assertTrue(RawPaths.mayReadOtherwise("/api/a%2Fb"));
    assertTrue(RawPaths.mayReadOtherwise("/api//admin"));
    assertTrue(RawPaths.mayReadOtherwise("/api\\admin"));
    assertTrue(RawPaths.mayReadOtherwise("/api/admin./x"));
    assertTrue(RawPaths.mayReadOtherwise("/api/admin.."));
    // Found by review A: "..." is a name to the container, nothing to Windows.
    assertTrue(RawPaths.mayReadOtherwise("/api/.../me"));
    assertTrue(RawPaths.mayReadOtherwise("/api/me/..."));
    assertTrue(RawPaths.mayReadOtherwise("/api/a/./b/.."));
    assertFalse(RawPaths.mayReadOtherwise("/api/orders.json"));
  }

  @Test
  void theFullyDecodedReadingDecodesSeparatorsThenResolvesDotSegments() {
    assertReads("/api/admin/x", "/api/public%2F..%2Fadmin/x");
    assertReads("/api/admin/x", "/api/public%2f%2e%2e%2fadmin/x");
    assertReads("/api/admin/", "/api//admin//");
    assertReads("/api/admin", "/api\\admin");
    assertReads("/api/été", "/api/%C3%A9t%C3%A9");
    assertReads("/api/100%", "/api/100%");
    assertReads("/", "/api/../..");
  }

  /**
   * IIS (http.sys) and ASP.NET read {@code %u0061} as {@code a}. The container refuses such an
   * escape sent as it is, but not one encoded once more ({@code %25u0061}), which a gateway that
   * decodes once hands such a server as {@code %u0061} (found by review h40i: proxied to anyone
   * past a rule for /api/admin/*, Tomcat and Jetty).
   */
  @Test
  void aDecodingAfterTheFirstReadsPercentUEscapesAsIisDoes() {
    assertReads("/api/admin/x", "/api/%25u0061dmin/x");
    assertReads("/api/admin/x", "/api/public/%25u002e%25u002e/admin/x");
    assertReads("/api/%u0061dmin/x", "/api/%25u0061dmin/x");
  }

  @Test
  void theFullyDecodedReadingDecodesTwiceAndCutsTrailingDotsAndSpacesAsWindowsDoes() {
    // A reviewer's bypasses of a rule for /api/admin/*: each names /api/admin to a server that
    // decodes twice or reads paths as Windows and IIS do.
    for (String raw :
        new String[] {
          "/api/admin./x",
          "/api/admin%2e/x",
          "/api/admin%20/x",
          "/api/admin%09/x",
          "/api/admin.%20./x",
          "/api/%2561dmin/x",
          "/api/%252561dmin/x"
        }) {
      assertReads("/api/admin/x", raw);
    }
    assertReads("/api/admin", "/api/admin.");
    assertReads("/api/admin/", "/api/admin/...");
    assertReads("/api/v1.2/x", "/api/v1.2/x");
    assertReads("/api/x", "/api/admin/.. /x");
  }

  @Test
  void everyReadingCountsSoThatOneCannotUndoWhatAnotherFinds() {
    // A reviewer's bypasses of the first version, which read only "decoded repeatedly, with
    // trailing dots and spaces cut": each of these names /api/admin/... to a server that decodes
    // once and keeps the space, or that cuts path parameters.
    assertReads("/api/admin/.. /public", "/api/public/..%2Fadmin/..%20/public");
    assertReads(
        "/api/admin/x%2F..%2F..%2Fpublic", "/api/public/..%2Fadmin/x%252F..%252F..%252Fpublic");
    assertReads("/api/admin/users", "/api/public/..%2Fadmin;/users");
    assertReads("/api/admin/users", "/api/public/..%2Fadmin%3B/users");
    assertTrue(RawPaths.mayReadOtherwise("/api/admin;x/users"));
  }

  @Test
  void aSegmentThatIsOnlyAPathParameterIsCutToNothingAsJavaServersDo() {
    // The container keeps "..%2F" as a name and matches /api/public/*; a server that decodes
    // %2F, then cuts ";" from each segment, reads /api/admin/users.
    assertReads("/api/admin/users", "/api/public/..%2F;/admin/users");
    assertReads("/api/admin/users", "/api/public/..%2F;x=1/admin/users");
  }

  @Test
  void anEncodedQuestionMarkOrHashEndsThePathOnceDecoded() {
    // A server that decodes the path and then reads it as a URL again (a proxy that builds the
    // backend's URL from it) ends the path there: each of these names /api/admin to it.
    assertReads("/api/admin", "/api/admin%3F/x");
    assertReads("/api/admin", "/api/admin%3fx=1");
    assertReads("/api/admin", "/api/admin%23/x");
    assertReads("/api/admin", "/api/public/..%2Fadmin%3F");
    assertReads("/api/admin", "/api/admin%253F/x");
  }

  @Test
  void anEmptySegmentIsAlsoKeptAsRfc3986KeepsIt() {
    // Found by review A's generated paths: RFC 3986 5.2.4 (.NET's Uri, WHATWG URL parsers) keeps
    // "//" and lets the ".." after it remove the empty segment, not "admin"; Tomcat merges first.
    assertReads("/api/admin/", "/api/admin//..");
    assertReads("/api/admin/", "/api/admin/x//../..");
    assertReads("/api/", "/api/admin//..");
    // Shrunk by the property test from a first version of the fix, which read the "." as a name
    // emptied by the Windows reading, and kept it: /api//admin.
    assertReads("/api/admin", "/api//./.%252E/admin.");
  }

  @Test
  void everyNumberOfDecodingsUpToThreeIsAReading() {
    // Found by review A: a gateway and a backend that each decode once read the second decoding,
    // /api/admin/%2e%2e/public; only the first and the third were read.
    assertReads("/api/admin/%2e%2e/public", "/api/%2561dmin/%25252e%25252e/public");
    assertReads("/api/public", "/api/%2561dmin/%25252e%25252e/public");
  }

  @Test
  void thePathAsSentIsAReadingToo() {
    // Found by review A's generated paths: a router that matches the raw path (Express) keeps an
    // encoded dot segment as a name, under /api/admin/; the container reads /api/public.
    assertReads("/api/admin/%2e%2e/public", "/api/admin/%2e%2e/public");
    assertReads("/api/admin/.%2E", "/api/admin/.%2E");
  }

  @Test
  void thePathAsSentNamesASpaceAndNonAsciiCharactersAsARuleDoes() {
    // Found by review F: /api/my%20files/x, as sent, was a name that no rule for
    // /api/my files/* opens. Every other escape stays as sent.
    Set<String> readings = RawPaths.readings("/api/my%20files/caf%C3%A9/%2e%2e/%2Fx%3F%25");
    assertTrue(readings.contains("/api/my files/café/%2e%2e/%2Fx%3F%25"), readings.toString());
    assertFalse(
        readings.stream().anyMatch(reading -> reading.contains("%20")), readings.toString());
    assertFalse(
        readings.stream().anyMatch(reading -> reading.contains("%C3")), readings.toString());
    // But not in a segment that would be only dots and spaces: ".. " is ".." to Windows, and
    // "..%20" a name under /api/admin/ to a router that matches the raw path (shrunk by
    // RouteDecisionProperties, seed 30, from a first version of this change).
    assertReads("/api/admin/..%20/x", "/api/admin./..%20/x");
    assertReads("/api/admin/...%E3%80%80/x", "/api/admin/...%E3%80%80/x");
    assertReads("/api/admin/..%20;v/x", "/api/admin/..%20;v/x");
  }

  @Test
  void aBackslashIsAlsoReadAsACharacterAsMostServersReadIt() {
    // Found by review A's generated paths: on Linux a backslash names nothing special, and the
    // ".." after it removes it: /api/admin. Read as a slash, it names /admin or /api//admin.
    assertReads("/api/admin", "/api/\\/../admin");
    assertReads("/api/admin", "/api/%255C/%252e%252e/admin");
    assertReads("/admin", "/api/%255C/%252e%252e/admin");
  }

  @Test
  void anEscapeCutShortByTheEndIsKeptAsItIs() {
    assertReads("/api/100%2", "/api/100%2");
    assertReads("/api/a%/b%4", "/api/a%25/b%4");
  }

  @Test
  void decodingStopsAfterThreeRounds() {
    // Three rounds read what a server that decodes twice more than the gateway does; a fourth
    // encoding is left as a name.
    assertReads("/api/%61dmin/x", "/api/%25252561dmin/x");
    assertFalse(RawPaths.readings("/api/%25252561dmin/x").contains("/api/admin/x"));
  }

  @Test
  void onlyAsciiHexDigitsDecode() {
    assertReads("/api/%\uFF12F", "/api/%\uFF12F");
  }

  @Test
  void dotSegmentsAreReadKeptAsWellAsResolved() {
    // Found by review M: forwarded as sent, they are names to a router that matches the raw path.
    assertReads("/api/public/x", "/api/admin/../public/x");
    assertReads("/api/admin/../public/x", "/api/admin/../public/x");
    assertReads("/api/admin/../public/x", "/api/%61dmin/../public/x");
    assertReads("/api/admin/../public/x", "/api/admin;v=2/../public/x");
    assertReads("/api/admin/./x", "/api/admin/./x");
  }

  private static void assertReads(String reading, String raw) {
    assertTrue(
        RawPaths.readings(raw).contains(reading), raw + " reads as " + RawPaths.readings(raw));
  }
}
