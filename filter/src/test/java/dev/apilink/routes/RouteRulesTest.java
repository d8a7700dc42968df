package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.apilink.config.ConfigException.Problem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the rules decide for a request and its user, as Static Web Apps does. */
class RouteRulesTest {

  record Visitor(String name, Set<String> roles) {}

  static final Users<Visitor> USERS =
      new Users<>() {
        @Override
        public boolean isAuthenticated(Visitor visitor) {
          return visitor.name() != null;
        }

        @Override
        public boolean isInRole(Visitor visitor, String role) {
          return visitor.roles().contains(role);
        }
      };

  static final Visitor ANONYMOUS = new Visitor(null, Set.of());
  static final Visitor ALICE = new Visitor("alice", Set.of("admin", "reader"));
  static final Visitor BOB = new Visitor("bob", Set.of("reader"));
  static final Visitor CAROL = new Visitor("carol", Set.of());

  static final Decision UNAUTHORIZED =
      new Decision.Answer(401, "Unauthorized: sign in to use this route.");
  static final Decision FORBIDDEN =
      new Decision.Answer(
          403, "Forbidden: you are signed in without any of the roles this route allows.");

  static RouteRules rules(String json) {
    List<Problem> problems = new ArrayList<>();
    RouteRules rules =
        RoutesLoader.parse(
            "/staticwebapp.config.json", json.getBytes(StandardCharsets.UTF_8), problems);
    assertEquals(List.of(), problems);
    return rules;
  }

  static Decision decide(RouteRules rules, String method, String path, Visitor visitor) {
    return rules.decide(method, path, path, visitor, USERS);
  }

  static final RouteRules SHOP =
      rules(
          """
          {"routes": [
            {"route": "/api/public/*"},
            {"route": "/api/admin/*", "allowedRoles": ["admin"]},
            {"route": "/api/reports/*", "allowedRoles": ["admin", "reader"]},
            {"route": "/api/items*", "methods": ["POST", "PUT", "DELETE"],
             "allowedRoles": ["admin"]},
            {"route": "/api/me", "allowedRoles": ["authenticated"]},
            {"route": "/api/open", "allowedRoles": ["anonymous", "admin"]},
            {"route": "/api/v1/*", "redirect": "/api/v2/"},
            {"route": "/api/old", "redirect": "https://old.example/api", "statusCode": 308},
            {"route": "/api/internal/*", "statusCode": 404},
            {"route": "/api/*", "allowedRoles": ["authenticated"]}
          ]}
          """);

  @Test
  void aRequestThatNoRuleMatchesIsProxied() {
    RouteRules rules =
        rules("{\"routes\": [{\"route\": \"/api/admin/*\", \"allowedRoles\": [\"admin\"]}]}");

    assertSame(Decision.PROXY, decide(rules, "GET", "/api/products", ANONYMOUS));
    assertSame(Decision.PROXY, RouteRules.NONE.decide("GET", "/api/x", "/api/x", ANONYMOUS, USERS));
  }

  @Test
  void theFirstMatchingRuleDecides() {
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/public/catalog", ANONYMOUS));
    assertEquals(UNAUTHORIZED, decide(SHOP, "GET", "/api/catalog", ANONYMOUS));
  }

  @Test
  void aUserWhoIsNotSignedInGets401AndASignedInUserWithoutTheRole403() {
    assertEquals(UNAUTHORIZED, decide(SHOP, "GET", "/api/admin/users", ANONYMOUS));
    assertEquals(FORBIDDEN, decide(SHOP, "GET", "/api/admin/users", BOB));
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/admin/users", ALICE));
  }

  @Test
  void anyOneOfTheAllowedRolesIsEnough() {
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/reports/q1", ALICE));
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/reports/q1", BOB));
    assertEquals(FORBIDDEN, decide(SHOP, "GET", "/api/reports/q1", CAROL));
  }

  @Test
  void theBuiltInRolesAreAnonymousForEveryoneAndAuthenticatedForEverySignedInUser() {
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/open", ANONYMOUS));
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/me", CAROL));
    assertEquals(UNAUTHORIZED, decide(SHOP, "GET", "/api/me", ANONYMOUS));
  }

  @Test
  void methodsRestrictWhichRequestsARuleApplies() {
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/items/7", CAROL), "falls to /api/*");
    assertEquals(FORBIDDEN, decide(SHOP, "DELETE", "/api/items/7", BOB));
    assertSame(Decision.PROXY, decide(SHOP, "DELETE", "/api/items/7", ALICE));
    assertEquals(UNAUTHORIZED, decide(SHOP, "GET", "/api/items", ANONYMOUS), "falls to /api/*");
  }

  /**
   * A rule for GET applies to HEAD too: a servlet answers HEAD by running its GET (HttpServlet's
   * doHead), so a HEAD past a GET-only rule ran the protected request and returned its headers.
   * Found by review: Microsoft's example config refused GET /api/admin but proxied HEAD.
   */
  @Test
  void aRuleForGetAppliesToHeadToo() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/admin/*", "methods": ["GET"], "allowedRoles": ["admin"]},
                        {"route": "/api/*", "methods": ["GET", "POST"], "statusCode": 404}]}
            """);

    assertEquals(FORBIDDEN, decide(rules, "HEAD", "/api/admin/users", BOB));
    assertEquals(UNAUTHORIZED, decide(rules, "HEAD", "/api/admin/x", ANONYMOUS));
    assertSame(Decision.PROXY, decide(rules, "HEAD", "/api/admin/users", ALICE));
    assertEquals(
        new Decision.Answer(404, "Resource not found"), decide(rules, "HEAD", "/api/x", ALICE));
    assertSame(Decision.PROXY, decide(rules, "OPTIONS", "/api/admin/users", ANONYMOUS));
  }

  /**
   * On Static Web Apps, {@code /calendar/*} "won't match requests for the paths /calendar"
   * (configuration.md): a later rule for {@code /api/users} decides {@code /api/users}. Found by
   * review: the wildcard before it, which ApiLink also lets match the path without its final slash,
   * took the path and let in a signed-in user whom that later rule refuses.
   */
  @Test
  void aLaterRuleForThePathAWildcardStopsShortOfStillDecidesIt() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/users/*", "allowedRoles": ["authenticated"]},
                        {"route": "/api/users", "allowedRoles": ["admin"]}]}
            """);

    assertEquals(FORBIDDEN, decide(rules, "GET", "/api/users", CAROL));
    assertEquals(FORBIDDEN, decide(rules, "GET", "/api/users/", CAROL), "its other spelling");
    assertSame(Decision.PROXY, decide(rules, "GET", "/api/users", ALICE));
    assertSame(Decision.PROXY, decide(rules, "GET", "/api/users/7", CAROL));
    assertEquals(UNAUTHORIZED, decide(rules, "GET", "/api/users/7", ANONYMOUS));
  }

  /**
   * A file that an extension filter opens is not refused because the same path with a slash added,
   * which no such filter matches, would fall to a later rule: that spelling names no rule's
   * resource.
   */
  @Test
  void aPathAnExtensionFilterOpensIsNotRefusedForItsSpellingWithASlash() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/docs/*.{json,yaml}", "allowedRoles": ["anonymous"]},
                        {"route": "/api/*", "allowedRoles": ["authenticated"]}]}
            """);

    assertSame(Decision.PROXY, decide(rules, "GET", "/api/docs/openapi.json", ANONYMOUS));
    assertEquals(UNAUTHORIZED, decide(rules, "GET", "/api/docs/openapi.json/", ANONYMOUS));
    assertEquals(UNAUTHORIZED, decide(rules, "GET", "/api/docs", ANONYMOUS));
  }

  /**
   * A file that an extension filter protects stays protected with a slash added, which a backend
   * may take for the same file: that spelling names the filter's resource (before, at 30ff3c7 as
   * after the Static Web Apps wildcard change, /api/reports/q3.pdf/ reached the gateway for
   * anyone).
   */
  @Test
  void aPathAnExtensionFilterProtectsIsProtectedWithASlashAddedToo() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/reports/*.pdf", "allowedRoles": ["admin"]}]}
            """);

    assertEquals(UNAUTHORIZED, decide(rules, "GET", "/api/reports/q3.pdf", ANONYMOUS));
    assertEquals(UNAUTHORIZED, decide(rules, "GET", "/api/reports/q3.pdf/", ANONYMOUS));
    assertEquals(FORBIDDEN, decide(rules, "GET", "/api/reports/q3.pdf/", BOB));
    assertSame(Decision.PROXY, decide(rules, "GET", "/api/reports/q3.pdf/", ALICE));
    assertSame(Decision.PROXY, decide(rules, "GET", "/api/reports/", ANONYMOUS));
  }

  /** ApiLink's own stricter reading stays: a wildcard after a slash protects the bare path too. */
  @Test
  void aWildcardAfterASlashStillProtectsThePathWithoutIt() {
    assertEquals(UNAUTHORIZED, decide(SHOP, "GET", "/api/admin", ANONYMOUS));
    assertEquals(FORBIDDEN, decide(SHOP, "GET", "/api/admin", BOB));
    assertSame(Decision.PROXY, decide(SHOP, "GET", "/api/admin", ALICE));
    assertEquals(new Decision.Redirect(302, "/api/v2/"), decide(SHOP, "GET", "/api/v1", ALICE));
    assertEquals(
        new Decision.Answer(404, "Resource not found"),
        decide(SHOP, "GET", "/api/internal", ALICE));
  }

  @Test
  void aRedirectIs302UnlessTheRuleSaysOtherwise() {
    assertEquals(
        new Decision.Redirect(302, "/api/v2/"), decide(SHOP, "GET", "/api/v1/x", ANONYMOUS));
    assertEquals(
        new Decision.Redirect(308, "https://old.example/api"),
        decide(SHOP, "POST", "/api/old", ANONYMOUS));
  }

  @Test
  void aStatusCodeAloneIsAnsweredWithoutTheGateway() {
    assertEquals(
        new Decision.Answer(404, "Resource not found"),
        decide(SHOP, "GET", "/api/internal/metrics", ALICE));
  }

  @Test
  void rolesAreCheckedBeforeTheRedirect() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/beta/*", "allowedRoles": ["admin"],
                         "redirect": "/api/v2/", "statusCode": 307}]}
            """);

    assertEquals(UNAUTHORIZED, decide(rules, "GET", "/api/beta/x", ANONYMOUS));
    assertEquals(
        new Decision.Redirect(307, "/api/v2/"), decide(rules, "GET", "/api/beta/x", ALICE));
  }

  @Test
  void responseOverridesReplaceThe401AndThe403() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/admin/*", "allowedRoles": ["admin"]},
                        {"route": "/api/gone", "statusCode": 401}],
             "responseOverrides": {
               "401": {"redirect": "/login.html", "statusCode": 302},
               "403": {"statusCode": 404}}}
            """);

    assertEquals(
        new Decision.Redirect(302, "/login.html"), decide(rules, "GET", "/api/admin/x", ANONYMOUS));
    assertEquals(
        new Decision.Answer(404, "Resource not found"), decide(rules, "GET", "/api/admin/x", BOB));
    assertEquals(
        new Decision.Redirect(302, "/login.html"), decide(rules, "GET", "/api/gone", ALICE));
  }

  @Test
  void aSiteWideRuleProtectsApiToo() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/*", "allowedRoles": ["authenticated"]}],
             "responseOverrides": {"401": {"redirect": "/.auth/login/aad"}}}
            """);

    assertEquals(
        new Decision.Redirect(302, "/.auth/login/aad"), decide(rules, "GET", "/api", ANONYMOUS));
    assertSame(Decision.PROXY, decide(rules, "GET", "/api/x", CAROL));
  }

  @Test
  void aMethodTheRequestNamesBesidesItsOwnMustPassTheRulesToo() {
    // X-HTTP-Method-Override: DELETE on a GET: the backend may run the DELETE.
    assertEquals(
        UNAUTHORIZED,
        SHOP.decide("GET", List.of("DELETE"), "/api/items/7", "/api/items/7", ANONYMOUS, USERS));
    assertEquals(
        FORBIDDEN,
        SHOP.decide("GET", List.of("GET", "PUT"), "/api/items/7", "/api/items/7", BOB, USERS));
    assertSame(
        Decision.PROXY,
        SHOP.decide("GET", List.of("DELETE"), "/api/items/7", "/api/items/7", ALICE, USERS));
    assertSame(
        Decision.PROXY,
        SHOP.decide("GET", List.of("GET"), "/api/items/7", "/api/items/7", CAROL, USERS));
    assertSame(
        Decision.PROXY,
        SHOP.decide("GET", List.of(), "/api/items/7", "/api/items/7", CAROL, USERS));
    assertEquals(
        FORBIDDEN,
        SHOP.decide("DELETE", List.of("GET"), "/api/items/7", "/api/items/7", CAROL, USERS),
        "its own method first");
  }

  @Test
  void aRawPathThatReadsOtherwiseOnceDecodedMustPassTheRulesBothWays() {
    // A container that decodes %2F before it resolves dot segments sees a public path; a gateway
    // that decodes and resolves sees /api/admin/users.
    String raw = "/api/public%2F..%2Fadmin/users";
    String containerPath = "/api/public/../admin/users";

    assertEquals(UNAUTHORIZED, SHOP.decide("GET", containerPath, raw, ANONYMOUS, USERS));
    assertEquals(FORBIDDEN, SHOP.decide("GET", containerPath, raw, BOB, USERS));
    assertSame(Decision.PROXY, SHOP.decide("GET", containerPath, raw, ALICE, USERS));
    assertEquals(
        FORBIDDEN,
        SHOP.decide("GET", "/api//admin/x", "/api//admin/x", BOB, USERS),
        "an empty segment that the gateway may merge");
  }

  /**
   * The rows of route-rules.md's table of spellings, with the path as Tomcat gives it (empty
   * segments merged, path parameters cut). Until review h38m the table said {@code /api/public//x}
   * got 401; it is under {@code /api/public/} in every reading and Tomcat 10.1 proxied it, where
   * {@code /api//public/x} is refused.
   */
  @Test
  void anEmptySegmentOrAPathParameterBeforeTheOpenPartIsRefusedAndInsideItPasses() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/api/orders"}, {"route": "/api/public/*"},
                        {"route": "/api/*", "allowedRoles": ["authenticated"]}]}
            """);

    assertEquals(
        UNAUTHORIZED, rules.decide("GET", "/api/orders", "/api//orders", ANONYMOUS, USERS));
    assertEquals(
        UNAUTHORIZED, rules.decide("GET", "/api/public/x", "/api//public/x", ANONYMOUS, USERS));
    assertEquals(
        UNAUTHORIZED, rules.decide("GET", "/api/orders", "/api/orders;v=2", ANONYMOUS, USERS));
    assertEquals(
        UNAUTHORIZED, rules.decide("GET", "/api/public/x", "/api/public;v=2/x", ANONYMOUS, USERS));
    assertSame(
        Decision.PROXY, rules.decide("GET", "/api/public/x", "/api/public//x", ANONYMOUS, USERS));
    assertSame(
        Decision.PROXY,
        rules.decide("GET", "/api/public/x", "/api/public/x;v=2", ANONYMOUS, USERS));
  }

  @Test
  void aRule405NamesTheMethodsThisUserGetsThrough() {
    RouteRules rules =
        rules(
            """
            {"routes": [
              {"route": "/api/orders/*", "methods": ["PUT", "DELETE"], "statusCode": 405},
              {"route": "/api/orders/*", "methods": ["PATCH"], "allowedRoles": ["admin"]},
              {"route": "/api/orders/*", "methods": ["OPTIONS"], "redirect": "/api/help"}
            ]}
            """);

    assertEquals(
        "GET, HEAD, POST, OPTIONS",
        rules.allowedMethods("/api/orders/7", "/api/orders/7", ANONYMOUS, USERS));
    assertEquals(
        "GET, HEAD, POST, OPTIONS, PATCH",
        rules.allowedMethods("/api/orders/7", "/api/orders/7", ALICE, USERS));
  }

  @Test
  void theCustomRolesNamedAnywhereInTheFileAreReportedInOrder() {
    RouteRules rules =
        rules(
            """
            {"routes": [{"route": "/admin/*", "allowedRoles": ["administrator"]},
                        {"route": "/api/a", "allowedRoles": ["anonymous", "reader", "authenticated"]},
                        {"route": "/api/b", "allowedRoles": ["reader", "writer"]}]}
            """);

    assertEquals(List.of("administrator", "reader", "writer"), rules.customRoles());
    assertEquals(2, rules.size());
  }
}
