package dev.apilink.routes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.config.ConfigException.Problem;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RoutesLoaderTest {

  static final String SOURCE = "/staticwebapp.config.json";

  /** The example configuration file of Static Web Apps' documentation. */
  static final String DOCUMENTED_EXAMPLE =
      """
      {
        "trailingSlash": "auto",
        "routes": [
          {"route": "/profile*", "allowedRoles": ["authenticated"]},
          {"route": "/admin/index.html", "allowedRoles": ["administrator"]},
          {"route": "/images/*", "headers": {"cache-control": "must-revalidate, max-age=15770000"}},
          {"route": "/api/*", "methods": ["GET"], "allowedRoles": ["registeredusers"]},
          {"route": "/api/*", "methods": ["PUT", "POST", "PATCH", "DELETE"],
           "allowedRoles": ["administrator"]},
          {"route": "/api/*", "allowedRoles": ["authenticated"]},
          {"route": "/customers/contoso*", "allowedRoles": ["administrator", "customers_contoso"]},
          {"route": "/login", "rewrite": "/.auth/login/github"},
          {"route": "/.auth/login/twitter", "statusCode": 404},
          {"route": "/logout", "redirect": "/.auth/logout"},
          {"route": "/calendar*", "rewrite": "/calendar.html"},
          {"route": "/specials", "redirect": "/deals", "statusCode": 301}
        ],
        "navigationFallback": {
          "rewrite": "index.html",
          "exclude": ["/images/*.{png,jpg,gif}", "/css/*"]
        },
        "responseOverrides": {
          "400": {"rewrite": "/invalid-invitation-error.html"},
          "401": {"redirect": "/login", "statusCode": 302},
          "403": {"rewrite": "/custom-forbidden-page.html"},
          "404": {"rewrite": "/404.html"}
        },
        "globalHeaders": {
          "content-security-policy": "default-src https: 'unsafe-eval' 'unsafe-inline'; object-src 'none'"
        },
        "mimeTypes": {".json": "text/json"}
      }
      """;

  final List<String> logged = new CopyOnWriteArrayList<>();
  final Logger logger = Logger.getLogger("dev.apilink.routes");
  final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logged.add(record.getLevel() + " " + record.getMessage());
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  Level levelBefore;

  @BeforeEach
  void watchTheLog() {
    levelBefore = logger.getLevel();
    logger.setLevel(Level.FINE);
    handler.setLevel(Level.ALL);
    logger.addHandler(handler);
  }

  @AfterEach
  void stopWatching() {
    logger.removeHandler(handler);
    logger.setLevel(levelBefore);
  }

  static RouteRules load(String json) {
    List<Problem> problems = new ArrayList<>();
    RouteRules rules = RoutesLoader.parse(SOURCE, json.getBytes(StandardCharsets.UTF_8), problems);
    assertEquals(List.of(), problems.stream().map(Problem::toString).toList());
    assertNotNull(rules);
    return rules;
  }

  static List<String> problems(String json) {
    List<Problem> problems = new ArrayList<>();
    RouteRules rules = RoutesLoader.parse(SOURCE, json.getBytes(StandardCharsets.UTF_8), problems);
    assertNull(rules, "no rules when there are problems");
    return problems.stream().map(Problem::toString).toList();
  }

  @Test
  void theDocumentedExampleIsRefusedOnlyForItsForbiddenPageRewrite() {
    assertEquals(
        List.of(
            "responseOverrides.403.rewrite: not supported: ApiLink answers /api requests with JSON"
                + " or a redirect, not with a page of the site; use redirect"),
        problems(DOCUMENTED_EXAMPLE));
  }

  @Test
  void theDocumentedExampleKeepsItsThreeApiRulesAndTheRolesItNames() {
    RouteRules rules =
        load(
            DOCUMENTED_EXAMPLE.replace(
                "\"403\": {\"rewrite\": \"/custom-forbidden-page.html\"}",
                "\"403\": {\"statusCode\": 404}"));

    assertEquals(
        List.of("routes[3] (\"/api/*\")", "routes[4] (\"/api/*\")", "routes[5] (\"/api/*\")"),
        rules.rules().stream().map(RouteRule::toString).toList());
    assertEquals(
        List.of("administrator", "registeredusers", "customers_contoso"), rules.customRoles());
    assertEquals(new Decision.Redirect(302, "/login"), rules.unauthorized());
    assertEquals(new Decision.Answer(404, "Resource not found"), rules.forbidden());
    assertEquals(SOURCE, rules.source());
  }

  @Test
  void whatDoesNotApplyToApiIsIgnoredWithAFineLogLine() {
    load(
        DOCUMENTED_EXAMPLE.replace(
            "\"403\": {\"rewrite\": \"/custom-forbidden-page.html\"}",
            "\"403\": {\"statusCode\": 404}"));

    for (String line :
        List.of(
            "FINE ApiLink: /staticwebapp.config.json trailingSlash does not apply to /api; ignored",
            "FINE ApiLink: /staticwebapp.config.json navigationFallback does not apply to /api;"
                + " ignored",
            "FINE ApiLink: /staticwebapp.config.json globalHeaders does not apply to /api; ignored",
            "FINE ApiLink: /staticwebapp.config.json mimeTypes does not apply to /api; ignored",
            "FINE ApiLink: /staticwebapp.config.json routes[2] (\"/images/*\") does not match /api;"
                + " ignored",
            "FINE ApiLink: /staticwebapp.config.json responseOverrides.404 ApiLink answers /api"
                + " with neither; ignored")) {
      assertTrue(logged.contains(line), line + " not in " + logged);
    }
  }

  @Test
  void theHeadersOfAnApiRuleAreIgnoredWithAFineLogLineAndItsRolesKept() {
    RouteRules rules =
        load(
            """
            {"routes": [{"route": "/api/*", "allowedRoles": ["authenticated"],
                         "headers": {"Cache-Control": "no-store"}}]}
            """);

    assertEquals(List.of("authenticated"), rules.rules().get(0).allowedRoles());
    assertEquals(
        List.of(
            "FINE ApiLink: /staticwebapp.config.json routes[0].headers does not apply: API"
                + " responses keep the gateway's headers; ignored"),
        logged);
  }

  @Test
  void aRedirectToAnAbsoluteUrlThatIsNotAUriIsAProblem() {
    assertEquals(
        List.of(
            "routes[0].redirect: must be a path in the site starting with \"/\" or an absolute"
                + " http(s) URL, in printable ASCII (percent-encode the rest) (was"
                + " \"https://login.example/a|b\")"),
        problems(
            "{\"routes\": [{\"route\": \"/api/old/*\", \"redirect\":"
                + " \"https://login.example/a|b\"}]}"));
  }

  @Test
  void accessRestrictionsThatApiLinkDoesNotEnforceAreWarnedAbout() {
    load("{\"networking\": {\"allowedIpRanges\": [\"10.0.0.0/24\"]}}");

    assertEquals(
        List.of(
            "WARNING ApiLink: /staticwebapp.config.json networking is not enforced by ApiLink;"
                + " restrict client addresses in the container instead (Tomcat's RemoteAddrValve,"
                + " Jetty's InetAccessHandler)"),
        logged);
  }

  /**
   * A later rule for the path that an earlier wildcard names ({@code /api/items/*} names {@code
   * /api/items}) can refuse more there, never let through what the wildcard refuses: ApiLink
   * applies both, where Static Web Apps would apply the later one alone (found by review: such a
   * file loads, and its exact rule does not do what it says).
   */
  @Test
  void aLaterRuleThatCannotOpenWhatAnEarlierWildcardNamesIsWarnedAbout() {
    load(
        """
        {"routes": [{"route": "/api/items/*", "allowedRoles": ["authenticated"]},
                    {"route": "/api/items", "allowedRoles": ["anonymous"]},
                    {"route": "/api/orders/*", "methods": ["POST"], "allowedRoles": ["admin"]},
                    {"route": "/api/orders", "methods": ["GET"]}]}
        """);

    assertEquals(
        List.of(
            "WARNING ApiLink: /staticwebapp.config.json routes[1] (\"/api/items\") is applied"
                + " after routes[0] (\"/api/items/*\"), which names the same path: ApiLink lets a"
                + " request through only if both do (Static Web Apps would apply routes[1] alone);"
                + " put routes[1] first to have it decide"),
        logged.stream().filter(line -> line.startsWith("WARNING")).toList());
  }

  @Test
  void aLaterRuleAfterAWildcardThatLetsEveryoneThroughIsNotWarnedAbout() {
    load(
        """
        {"routes": [{"route": "/api/open/*"},
                    {"route": "/api/open", "allowedRoles": ["admin"]},
                    {"route": "/api/moved/*", "redirect": "/api/new/"},
                    {"route": "/api/moved", "allowedRoles": ["admin"]}]}
        """);

    assertEquals(
        List.of(
            "WARNING ApiLink: /staticwebapp.config.json routes[3] (\"/api/moved\") is applied"
                + " after routes[2] (\"/api/moved/*\"), which names the same path: ApiLink lets a"
                + " request through only if both do (Static Web Apps would apply routes[3] alone);"
                + " put routes[3] first to have it decide"),
        logged.stream().filter(line -> line.startsWith("WARNING")).toList());
  }

  @Test
  void everyProblemIsListedByItsJsonPath() {
    assertEquals(
        List.of(
            "navigationFallbak: unknown key (known here: $schema, auth, forwardingGateway,"
                + " globalHeaders, mimeTypes, navigationFallback, networking, platform,"
                + " responseOverrides, routes, trailingSlash)",
            "responseOverrides.500: unknown status (known here: 400, 401, 403, 404)",
            "responseOverrides.401: set redirect, statusCode, or both",
            "routes[0].route: missing",
            "routes[1].route: must start with \"/\" (or be \"*\") (was \"api/*\")",
            "routes[2].allowedRole: unknown key (known here: allowedRoles, headers, methods,"
                + " redirect, rewrite, route, statusCode)",
            "routes[3].allowedRoles[0]: a role name has only the characters a-z, A-Z, 0-9 and _"
                + " (was \"team-admin\")",
            "routes[3].allowedRoles[1]: the built-in role is \"authenticated\"; role names are"
                + " case-sensitive (was \"Authenticated\")",
            "routes[4].allowedRoles: must name at least one role; leave it out to allow everyone",
            "routes[5].methods[1]: not one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS,"
                + " TRACE, PATCH (was \"get\")",
            "routes[6].redirect: must be a path in the site starting with \"/\" or an absolute"
                + " http(s) URL, in printable ASCII (percent-encode the rest) (was \"//evil.example\")",
            "routes[7].statusCode: a redirect's status must be 301, 302, 307 or 308 (was 303)",
            "routes[8].statusCode: without a redirect, must be an error status from 400 to 599,"
                + " which ApiLink answers instead of the gateway (was 200)",
            "routes[9].statusCode: must be a whole number (was \"404\")",
            "routes[10]: must be an object (was string)"),
        problems(
            """
            {"navigationFallbak": {},
             "responseOverrides": {"500": {"statusCode": 503}, "401": {}},
             "routes": [
               {"allowedRoles": ["admin"]},
               {"route": "api/*"},
               {"route": "/api/a", "allowedRole": ["admin"]},
               {"route": "/api/b", "allowedRoles": ["team-admin", "Authenticated"]},
               {"route": "/api/c", "allowedRoles": []},
               {"route": "/api/d", "methods": ["GET", "get"]},
               {"route": "/api/e", "redirect": "//evil.example"},
               {"route": "/api/f", "redirect": "/api/g", "statusCode": 303},
               {"route": "/api/h", "statusCode": 200},
               {"route": "/api/i", "statusCode": "404"},
               "/api/j"
             ]}
            """));
  }

  @Test
  void aValueOfTheWrongTypeIsAProblemAndNeverDropsItsRule() {
    // Each of these, skipped without a word, would leave its route open to everyone.
    assertEquals(
        List.of(
            "responseOverrides.401: must be an object (was string)",
            "routes[0].route: must be a string (was 7)",
            "routes[1].allowedRoles: must be an array of role names (was \"admin\")",
            "routes[2].allowedRoles[0]: must be a role name (a string) (was 7)",
            "routes[3].methods: must be an array of method names (was \"POST\")",
            "routes[4].methods: must name at least one method; leave it out to match every method",
            "routes[5].redirect: must be a string (was true)"),
        problems(
            """
            {"responseOverrides": {"401": "/login"},
             "routes": [
               {"route": 7, "allowedRoles": ["admin"]},
               {"route": "/api/a/*", "allowedRoles": "admin"},
               {"route": "/api/b/*", "allowedRoles": [7]},
               {"route": "/api/c/*", "methods": "POST", "allowedRoles": ["admin"]},
               {"route": "/api/d/*", "methods": [], "allowedRoles": ["admin"]},
               {"route": "/api/e/*", "redirect": true}
             ]}
            """));
    assertEquals(
        List.of("responseOverrides: must be an object (was array)"),
        problems("{\"responseOverrides\": []}"));
  }

  @Test
  void aPercentEncodedRouteThatAppliesToApiIsRefusedForItNeverMatches() {
    assertEquals(
        List.of(
            "routes[0].route: is compared with the decoded path, so a percent-encoded route"
                + " matches no request: write it decoded (\"/api/my files/*\", not"
                + " \"/api/my%20files/*\") (was \"/api/my%20files/*\")",
            "routes[1].route: is compared with the decoded path, so a percent-encoded route"
                + " matches no request: write it decoded (\"/api/my files/*\", not"
                + " \"/api/my%20files/*\") (was \"/api/caf%C3%a9\")"),
        problems(
            """
            {"routes": [{"route": "/api/my%20files/*", "allowedRoles": ["admin"]},
                        {"route": "/api/caf%C3%a9", "allowedRoles": ["admin"]}]}
            """));
  }

  @Test
  void aPercentSignThatEncodesNothingOrARouteOutsideApiStaysAsItWas() {
    RouteRules rules =
        load(
            """
            {"routes": [{"route": "/images/my%20pic.png", "allowedRoles": ["admin"]},
                        {"route": "/api/100%/*", "allowedRoles": ["admin"]},
                        {"route": "/api/%zz", "allowedRoles": ["admin"]}]}
            """);
    assertEquals(2, rules.rules().size());
  }

  @Test
  void aRulesFileSavedWithAByteOrderMarkLoads() {
    RouteRules rules =
        load("\uFEFF{\"routes\": [{\"route\": \"/api/admin/*\", \"allowedRoles\": [\"admin\"]}]}");

    assertEquals(1, rules.rules().size());
  }

  @Test
  void aRewriteOnAnApiRouteIsRefused() {
    assertEquals(
        List.of(
            "routes[0].rewrite: not supported on /api routes: ApiLink proxies them to the gateway"
                + " unchanged (Static Web Apps allows only allowedRoles and redirects there)",
            "routes[1]: rewrite and redirect exclude each other"),
        problems(
            """
            {"routes": [{"route": "/api/old/*", "rewrite": "/api/new"},
                        {"route": "/*", "rewrite": "/index.html", "redirect": "/news"}]}
            """));
  }

  @Test
  void aSiteWideRewriteLeavesApiToTheRulesAfterIt() {
    RouteRules rules =
        load(
            """
            {"routes": [{"route": "/*", "rewrite": "/index.html", "statusCode": 200},
                        {"route": "/api/*", "allowedRoles": ["authenticated"]}]}
            """);

    assertEquals(
        List.of("routes[1] (\"/api/*\")"),
        rules.rules().stream().map(RouteRule::toString).toList());
    assertTrue(
        logged.contains(
            "FINE ApiLink: /staticwebapp.config.json routes[0] (\"/*\") sets nothing that applies"
                + " to /api; ignored"),
        logged.toString());
  }

  @Test
  void aSiteWideRuleWithRolesKeepsThemForApiAndDropsItsRewrite() {
    RouteRules rules =
        load(
            "{\"routes\": [{\"route\": \"/*\", \"rewrite\": \"/index.html\","
                + " \"allowedRoles\": [\"authenticated\"]}]}");

    assertEquals(List.of("authenticated"), rules.rules().get(0).allowedRoles());
    assertTrue(
        logged.contains(
            "FINE ApiLink: /staticwebapp.config.json routes[0].rewrite rewrites site pages, not"
                + " /api; ignored"),
        logged.toString());
  }

  @Test
  void aRuleThatAnEarlierRuleHidesIsRefused() {
    assertEquals(
        List.of(
            "routes[1]: never used: routes[0] (\"/api/reports/*\") comes before it and matches"
                + " every request it would; put it first or remove it",
            "routes[3]: never used: routes[2] (\"/api/a*\") comes before it and matches every"
                + " request it would; put it first or remove it"),
        problems(
            """
            {"routes": [{"route": "/api/reports/*", "allowedRoles": ["authenticated"]},
                        {"route": "/api/Reports/q1", "allowedRoles": ["admin"]},
                        {"route": "/api/a*", "methods": ["GET", "POST"]},
                        {"route": "/api/ab", "methods": ["POST"], "allowedRoles": ["admin"]},
                        {"route": "/api/ab", "methods": ["PUT"], "allowedRoles": ["admin"]}]}
            """));
  }

  /**
   * An exact route with a final slash matches the path without it ({@code /api/admin/} matches
   * {@code /api/admin}), which a wildcard after that slash does not match ({@code /api/admin/*}
   * names it, and decides it only when no rule matches it): the exact route decides {@code
   * /api/admin} (here: 404 for everyone), so it is used. It was refused at start-up as "never
   * used".
   */
  @Test
  void anExactRouteWithAFinalSlashAfterTheWildcardBelowItIsUsedForThePathWithoutTheSlash() {
    RouteRules rules =
        load(
            """
            {"routes": [{"route": "/api/admin/*", "allowedRoles": ["admin"]},
                        {"route": "/api/admin/", "statusCode": 404}]}
            """);

    assertEquals(
        "Answer[status=404, message=Resource not found]",
        rules
            .decide("GET", "/api/admin", "/api/admin", "anyone", RoutesLoaderTest.EVERYONE_ADMIN)
            .toString());
  }

  static final Users<String> EVERYONE_ADMIN =
      new Users<>() {
        @Override
        public boolean isAuthenticated(String request) {
          return true;
        }

        @Override
        public boolean isInRole(String request, String role) {
          return true;
        }
      };

  @Test
  void aRedirectBackIntoItsOwnRouteIsRefused() {
    assertEquals(
        List.of(
            "routes[0].redirect: leads to a path that this rule matches again, a redirect loop"
                + " (was \"/api/old/new?x=1\")"),
        problems("{\"routes\": [{\"route\": \"/api/old*\", \"redirect\": \"/api/old/new?x=1\"}]}"));
    assertEquals(
        List.of(
            "routes[0].redirect: leads to a path that this rule matches again, a redirect loop"
                + " (was \"/api/v2\")"),
        problems("{\"routes\": [{\"route\": \"/api/v2/*\", \"redirect\": \"/api/v2\"}]}"),
        "the rules decide /api/v2 as /api/v2/ too");
  }

  @Test
  void aRedirectToAnExactRouteWithAQueryIsStillALoop() {
    assertEquals(
        List.of(
            "routes[0].redirect: leads to a path that this rule matches again, a redirect loop"
                + " (was \"/api/old?v=2\")",
            "routes[1].redirect: leads to a path that this rule matches again, a redirect loop"
                + " (was \"/api/new#top\")"),
        problems(
            """
            {"routes": [{"route": "/api/old", "redirect": "/api/old?v=2"},
                        {"route": "/api/new", "redirect": "/api/new#top"}]}
            """));
  }

  @Test
  void aRedirectToApiItselfOrToAPathOutsideApiIsNoLoop() {
    RouteRules rules =
        load(
            """
            {"routes": [{"route": "/api/v1/*", "redirect": "/api"},
                        {"route": "/api*", "redirect": "/apidocs.html", "statusCode": 301}]}
            """);

    assertEquals(new Decision.Redirect(302, "/api"), rules.rules().get(0).onAllowed());
    assertEquals(new Decision.Redirect(301, "/apidocs.html"), rules.rules().get(1).onAllowed());
  }

  @Test
  void aRedirectToAnotherSiteIsNoLoopWhateverItsPath() {
    RouteRules rules =
        load(
            "{\"routes\": [{\"route\": \"/api/*\", \"redirect\": \"https://login.example/api/x\"}]}");

    assertEquals(
        new Decision.Redirect(302, "https://login.example/api/x"),
        rules.rules().get(0).onAllowed());
    assertFalse(rules.isEmpty());
  }

  @Test
  void aRedirectThatIsNeitherASitePathNorAnAbsoluteHttpUrlIsRefused() {
    assertEquals(
        List.of(
            "routes[0].redirect: must be a path in the site starting with \"/\" or an absolute"
                + " http(s) URL, in printable ASCII (percent-encode the rest) (was \"orders/7\")",
            "routes[1].redirect: must be a path in the site starting with \"/\" or an absolute"
                + " http(s) URL, in printable ASCII (percent-encode the rest) (was"
                + " \"ftp://files.example/a\")"),
        problems(
            """
            {"routes": [{"route": "/api/a", "redirect": "orders/7"},
                        {"route": "/api/b", "redirect": "ftp://files.example/a"}]}
            """));
  }

  @Test
  void aRuleThatAnswers403AnswersWithTheForbiddenOverrideAndOtherStatusesAsThemselves() {
    RouteRules rules =
        load(
            """
            {"responseOverrides": {"403": {"statusCode": 404}},
             "routes": [{"route": "/api/secret", "statusCode": 403},
                        {"route": "/api/old", "statusCode": 410}]}
            """);

    assertEquals(new Decision.Answer(404, "Resource not found"), rules.rules().get(0).onAllowed());
    assertEquals(new Decision.Answer(410, "Gone"), rules.rules().get(1).onAllowed());
  }

  /** Each status a rule may answer, with its message: APIM's wording where it has one. */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(
      delimiter = '|',
      value = {
        "400 | Bad request",
        "401 | Unauthorized",
        "403 | Forbidden",
        "404 | Resource not found",
        "405 | Method not allowed",
        "410 | Gone",
        "429 | Too many requests",
        "500 | Internal server error",
        "501 | Not implemented",
        "503 | Service unavailable",
        "418 | Status 418"
      })
  void aRuleAnswersItsStatusWithItsMessage(int status, String message) {
    RouteRules rules =
        load("{\"routes\": [{\"route\": \"/api/x\", \"statusCode\": " + status + "}]}");

    assertEquals(new Decision.Answer(status, message), rules.rules().get(0).onAllowed());
  }

  @Test
  void anAnswersStatusIsFrom400To599InRulesAndOverrides() {
    RouteRules rules =
        load(
            """
            {"responseOverrides": {"401": {"statusCode": 400}, "403": {"statusCode": 599}},
             "routes": [{"route": "/api/a", "statusCode": 400},
                        {"route": "/api/b", "statusCode": 599}]}
            """);
    assertEquals(new Decision.Answer(400, "Bad request"), rules.rules().get(0).onAllowed());
    assertEquals(new Decision.Answer(599, "Status 599"), rules.rules().get(1).onAllowed());
    assertEquals(new Decision.Answer(400, "Bad request"), rules.unauthorized());
    assertEquals(new Decision.Answer(599, "Status 599"), rules.forbidden());

    assertEquals(
        List.of(
            "responseOverrides.401.statusCode: without a redirect, must be an error status from 400"
                + " to 599 (was 399)",
            "responseOverrides.403.statusCode: without a redirect, must be an error status from 400"
                + " to 599 (was 600)",
            "routes[0].statusCode: without a redirect, must be an error status from 400 to 599,"
                + " which ApiLink answers instead of the gateway (was 399)",
            "routes[1].statusCode: without a redirect, must be an error status from 400 to 599,"
                + " which ApiLink answers instead of the gateway (was 600)"),
        problems(
            """
            {"responseOverrides": {"401": {"statusCode": 399}, "403": {"statusCode": 600}},
             "routes": [{"route": "/api/a", "statusCode": 399},
                        {"route": "/api/b", "statusCode": 600}]}
            """));
  }

  @Test
  void eachOverrideMayAnswerWithTheOthersStatus() {
    RouteRules rules =
        load(
            "{\"responseOverrides\": {\"401\": {\"statusCode\": 403}, \"403\": {\"statusCode\": 401}}}");

    assertEquals(RouteRules.FORBIDDEN, rules.unauthorized());
    assertEquals(RouteRules.UNAUTHORIZED, rules.forbidden());
  }

  @Test
  void overridesMayRedirectOrAnswerWithAnotherStatusButNotRewrite() {
    RouteRules rules =
        load(
            """
            {"responseOverrides": {"401": {"redirect": "https://login.example/?app=shop",
                                           "statusCode": 307},
                                   "403": {"statusCode": 404}}}
            """);

    assertEquals(
        new Decision.Redirect(307, "https://login.example/?app=shop"), rules.unauthorized());
    assertEquals(new Decision.Answer(404, "Resource not found"), rules.forbidden());
    assertTrue(rules.isEmpty());
    assertEquals(
        List.of(
            "responseOverrides.401.rewrite: not supported: ApiLink answers /api requests with JSON"
                + " or a redirect, not with a page of the site; use redirect",
            "responseOverrides.403.status: unknown key (known here: redirect, rewrite, statusCode)",
            "responseOverrides.403.statusCode: a redirect's status must be 301, 302, 307 or 308"
                + " (was 200)"),
        problems(
            """
            {"responseOverrides": {"401": {"rewrite": "/login.html"},
                                   "403": {"redirect": "/no.html", "statusCode": 200,
                                           "status": 1}}}
            """));
  }

  @Test
  void aFileThatIsNotAJsonObjectSaysSo() {
    assertEquals(List.of("the file is empty"), problems(""));
    assertEquals(List.of("must be a JSON object (was array)"), problems("[]"));
    assertEquals(
        List.of("routes: must be an array of route rules (was object)"),
        problems("{\"routes\": {}}"));
    List<String> syntax = problems("{\"routes\": [,]}");
    assertEquals(1, syntax.size());
    assertTrue(syntax.get(0).startsWith("not valid JSON at line 1, column 13: "), syntax.get(0));
  }

  @Test
  void theRulesMapperKeepsNothingInTheContainersThreads() {
    dev.apilink.config.JsonFactoriesTest.assertNoThreadLocalBuffers(
        RoutesLoader.JSON, "RoutesLoader");
  }

  @Test
  void aFileThatIsNotUtf8IsAProblem() {
    List<Problem> problems = new ArrayList<>();
    byte[] latin1 =
        "{\"routes\": [{\"route\": \"/api/caf\u00e9\"}]}".getBytes(StandardCharsets.ISO_8859_1);

    assertNull(RoutesLoader.parse(SOURCE, latin1, problems));
    assertEquals(
        List.of("not UTF-8: byte 32 is not valid there; save the file as UTF-8"),
        problems.stream().map(Problem::toString).toList());
  }

  @Test
  void aRedirectsStatusThatIsNotANumberIsAProblem() {
    // Found by GeneratedRoutesTest: a NullPointerException (an int and an Integer in a ?:).
    assertEquals(
        List.of("responseOverrides.401.statusCode: must be a whole number (was \"302\")"),
        problems(
            "{\"responseOverrides\": {\"401\": {\"redirect\": \"/login\", \"statusCode\": \"302\"}}}"));
  }
}
