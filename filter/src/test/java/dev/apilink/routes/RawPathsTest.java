package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RawPathsTest {

  @Test
  void onlyPathsWithEncodingsBackslashesOrEmptySegmentsCanReadOtherwise() {
    assertFalse(RawPaths.mayReadOtherwise("/api/admin/users"));
    assertFalse(RawPaths.mayReadOtherwise("/api/a/../b"));
    assertTrue(RawPaths.mayReadOtherwise("/api/a%2Fb"));
    assertTrue(RawPaths.mayReadOtherwise("/api//admin"));
    assertTrue(RawPaths.mayReadOtherwise("/api\\admin"));
    assertTrue(RawPaths.mayReadOtherwise("/api/admin./x"));
    assertTrue(RawPaths.mayReadOtherwise("/api/admin.."));
    assertFalse(RawPaths.mayReadOtherwise("/api/a/./b/.."));
    assertFalse(RawPaths.mayReadOtherwise("/api/orders.json"));
  }

  @Test
  void theFullyDecodedReadingDecodesSeparatorsThenResolvesDotSegments() {
    assertEquals("/api/admin/x", RawPaths.fullyDecoded("/api/public%2F..%2Fadmin/x"));
    assertEquals("/api/admin/x", RawPaths.fullyDecoded("/api/public%2f%2e%2e%2fadmin/x"));
    assertEquals("/api/admin/", RawPaths.fullyDecoded("/api//admin//"));
    assertEquals("/api/admin", RawPaths.fullyDecoded("/api\\admin"));
    assertEquals("/api/été", RawPaths.fullyDecoded("/api/%C3%A9t%C3%A9"));
    assertEquals("/api/100%", RawPaths.fullyDecoded("/api/100%"));
    assertEquals("/", RawPaths.fullyDecoded("/api/../.."));
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
      assertEquals("/api/admin/x", RawPaths.fullyDecoded(raw), raw);
    }
    assertEquals("/api/admin", RawPaths.fullyDecoded("/api/admin."));
    assertEquals("/api/admin/", RawPaths.fullyDecoded("/api/admin/..."));
    assertEquals("/api/v1.2/x", RawPaths.fullyDecoded("/api/v1.2/x"));
    assertEquals("/api/x", RawPaths.fullyDecoded("/api/admin/.. /x"));
  }
}
