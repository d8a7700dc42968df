package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoutePatternTest {

  static void matches(String route, String... paths) {
    RoutePattern pattern = RoutePattern.parse(route);
    for (String path : paths) {
      assertTrue(pattern.matches(path), route + " should match " + path);
    }
  }

  static void doesNotMatch(String route, String... paths) {
    RoutePattern pattern = RoutePattern.parse(route);
    for (String path : paths) {
      assertFalse(pattern.matches(path), route + " should not match " + path);
    }
  }

  @Test
  void anExactRouteMatchesItselfWithOrWithoutATrailingSlash() {
    matches("/api/health", "/api/health", "/api/health/");
    doesNotMatch("/api/health", "/api/healthz", "/api/health/x", "/api", "/api/heal");
    matches("/api/items/", "/api/items/", "/api/items");
  }

  @Test
  void aTrailingWildcardMatchesEverythingThatStartsWithItsPrefix() {
    matches("/api*", "/api", "/api/", "/api/x/y", "/apiary");
    matches("/api/admin*", "/api/admin", "/api/admin/users", "/api/administrators");
    doesNotMatch("/api/admin*", "/api/adm", "/api/other");
  }

  @Test
  void aWildcardAfterASlashMatchesWhatIsUnderItOnlyAsOnStaticWebApps() {
    matches("/api/admin/*", "/api/admin/", "/api/admin/users/7");
    doesNotMatch("/api/admin/*", "/api/admin", "/api/administrators", "/api/adminx", "/api");
  }

  @Test
  void aRouteNamesTheResourceItIsForWithOrWithoutItsFinalSlash() {
    RoutePattern folder = RoutePattern.parse("/api/admin/*");
    RoutePattern exact = RoutePattern.parse("/api/users");
    assertTrue(folder.names("/api/admin"));
    assertTrue(folder.names("/API/Admin"));
    assertFalse(folder.names("/api/admin/"), "matched, as a path under it");
    assertTrue(exact.names("/api/users/"));
    assertFalse(RoutePattern.parse("/api/*").names("/api/admin"));
    assertFalse(RoutePattern.parse("/api/admin*").names("/api/admin/"));
    assertFalse(RoutePattern.parse("/api/docs/*.json").names("/api/docs"));
  }

  @Test
  void matchingIgnoresCase() {
    matches("/api/admin/*", "/api/ADMIN/users", "/API/Admin/");
    matches("/api/Health", "/api/health");
    matches("/api/*.JSON", "/api/data.json");
  }

  @Test
  void aLoneStarAndASlashStarMatchEveryPath() {
    matches("*", "/api", "/api/x", "/");
    matches("/*", "/api", "/api/x", "/");
  }

  @Test
  void anExtensionFilterMatchesOnlyThoseExtensionsAtAnyDepth() {
    matches("/api/*.json", "/api/a.json", "/api/a/b/c.json");
    doesNotMatch("/api/*.json", "/api/a.xml", "/api/a.json/x", "/api/json", "/other/a.json");
    matches("/api/*.{json,xml}", "/api/a.json", "/api/b/c.xml");
    doesNotMatch("/api/*.{json,xml}", "/api/a.txt", "/api/a.jsonx");
  }

  @Test
  void anExtensionFilterMatchesAFileWithNothingBeforeTheExtension() {
    // The wildcard may match nothing: a file named ".json" is one of the files it protects.
    matches("/api/*.json", "/api/.json", "/api/docs/.json");
    matches("/api/a*.json", "/api/a.json");
  }

  @Test
  void malformedRoutesSayWhatIsWrong() {
    for (List<String> wrong :
        List.of(
            List.of("api/*", "must start with \"/\" (or be \"*\")"),
            List.of("/api/*/x*", "may hold one \"*\" only"),
            List.of(
                "/api/*/users",
                "a \"*\" must end the route or come before a file extension filter such as"
                    + " \"*.json\" or \"*.{json,xml}\""),
            List.of(
                "/api/*.{json,}",
                "a \"*\" must end the route or come before a file extension filter such as"
                    + " \"*.json\" or \"*.{json,xml}\""))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> RoutePattern.parse(wrong.get(0)));
      assertEquals(wrong.get(1), e.getMessage(), wrong.get(0));
    }
  }

  @Test
  void aWildcardCoversTheRoutesBelowItsPrefix() {
    RoutePattern api = RoutePattern.parse("/api/*");
    assertTrue(api.covers(RoutePattern.parse("/api/admin/*")));
    assertTrue(api.covers(RoutePattern.parse("/api/admin")));
    assertTrue(api.covers(RoutePattern.parse("/api/*.json")));
    assertTrue(RoutePattern.parse("/api/health").covers(RoutePattern.parse("/api/health/")));
    assertFalse(RoutePattern.parse("/api/admin/*").covers(RoutePattern.parse("/api/admin*")));
    assertFalse(RoutePattern.parse("/api/*.json").covers(RoutePattern.parse("/api/a.json")));
    assertFalse(RoutePattern.parse("/api/admin").covers(RoutePattern.parse("/api/*")));
  }
}
