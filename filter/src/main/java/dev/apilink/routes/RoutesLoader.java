package dev.apilink.routes;

import static dev.apilink.config.JsonProblems.known;
import static dev.apilink.config.JsonProblems.syntaxProblem;
import static dev.apilink.config.JsonProblems.was;
import static dev.apilink.config.JsonProblems.wasType;
import static dev.apilink.config.JsonProblems.wasValue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.apilink.config.ConfigException.Problem;
import dev.apilink.config.JsonFactories;
import dev.apilink.config.JsonText;
import dev.apilink.config.Loggers;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * Reads the route rules of a {@code staticwebapp.config.json} that apply to {@code /api}: the
 * entries of {@code routes} whose {@code route} can match {@code /api} or a path below it, and the
 * {@code 401} and {@code 403} entries of {@code responseOverrides}. Checks the whole file in one
 * pass that reports every problem by its JSON path ({@code routes[2].allowedRoles[0]}).
 *
 * <p>What Static Web Apps defines but does not apply to {@code /api} (static-content keys, routes
 * elsewhere in the site, response headers) is ignored with a FINE log line; what would apply to
 * {@code /api} but that ApiLink cannot do ({@code rewrite}) is a problem, not silently dropped.
 */
public final class RoutesLoader {

  /** Where Static Web Apps keeps the file: the root of the site. */
  public static final String DEFAULT_LOCATION = "/staticwebapp.config.json";

  private static final Logger LOG = Loggers.named("dev.apilink.routes");

  static final ObjectMapper JSON =
      JsonMapper.builder(JsonFactories.withoutThreadLocals())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  /** Static Web Apps' top-level keys; only the first two concern {@code /api}. */
  private static final Set<String> TOP_KEYS =
      Set.of(
          "$schema",
          "routes",
          "responseOverrides",
          "navigationFallback",
          "globalHeaders",
          "mimeTypes",
          "platform",
          "networking",
          "auth",
          "forwardingGateway",
          "trailingSlash");

  /** Keys that restrict access on Static Web Apps: ignoring them deserves more than FINE. */
  private static final Map<String, String> ACCESS_KEYS =
      Map.of(
          "networking",
          "restrict client addresses in the container instead (Tomcat's RemoteAddrValve, Jetty's"
              + " InetAccessHandler)",
          "forwardingGateway",
          "check forwarded hosts and required headers in the container or the reverse proxy in"
              + " front of it");

  private static final Set<String> ROUTE_KEYS =
      Set.of("route", "methods", "allowedRoles", "redirect", "statusCode", "rewrite", "headers");

  /** A {@code %} with two hex digits: an escape, which a decoded path never holds. */
  private static final Pattern PERCENT_ENCODED = Pattern.compile("%[0-9A-Fa-f]{2}");

  private static final Set<String> OVERRIDE_KEYS = Set.of("redirect", "statusCode", "rewrite");

  /** The methods Static Web Apps lets a rule name. */
  private static final List<String> METHODS = RouteRules.METHODS;

  private static final Set<Integer> REDIRECT_STATUSES = Set.of(301, 302, 307, 308);
  private static final int DEFAULT_REDIRECT_STATUS = 302;
  private static final Pattern ROLE_NAME = Pattern.compile("[A-Za-z0-9_]+");
  private static final Pattern PRINTABLE_ASCII = Pattern.compile("[\\x21-\\x7e]+");

  private RoutesLoader() {}

  /**
   * Reads the rules from the content of {@code source}.
   *
   * @param source the file's location, for log lines
   * @param json the file's content
   * @param problems where every problem found is added, its path relative to the file
   * @return the rules, or null when there was a problem
   */
  public static RouteRules parse(String source, byte[] json, List<Problem> problems) {
    int before = problems.size();
    JsonNode root;
    try {
      root = JSON.readTree(JsonText.of(json));
    } catch (JsonProcessingException e) {
      problems.add(syntaxProblem(e));
      return null;
    } catch (IOException e) {
      problems.add(new Problem("", e.getMessage()));
      return null;
    }
    if (root == null || root.isMissingNode()) {
      problems.add(new Problem("", "the file is empty"));
      return null;
    }
    if (!root.isObject()) {
      problems.add(new Problem("", "must be a JSON object" + wasType(root)));
      return null;
    }
    Pass pass = new Pass(source, problems);
    RouteRules rules = pass.run(root);
    return problems.size() > before ? null : rules;
  }

  /** One reading of one file. */
  private static final class Pass {
    final String source;
    final List<Problem> problems;
    final Set<String> customRoles = new LinkedHashSet<>();
    Decision unauthorized = RouteRules.UNAUTHORIZED;
    Decision forbidden = RouteRules.FORBIDDEN;

    Pass(String source, List<Problem> problems) {
      this.source = source;
      this.problems = problems;
    }

    RouteRules run(JsonNode root) {
      for (Iterator<String> keys = root.fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (!TOP_KEYS.contains(key)) {
          problem(key, "unknown key" + known(TOP_KEYS));
        } else if (ACCESS_KEYS.containsKey(key)) {
          LOG.warning(
              "ApiLink: "
                  + source
                  + " "
                  + key
                  + " is not enforced by ApiLink; "
                  + ACCESS_KEYS.get(key));
        } else if (!Set.of("$schema", "routes", "responseOverrides").contains(key)) {
          ignored(key, "does not apply to /api");
        }
      }
      // Overrides first: a rule's own statusCode 401 or 403 uses them too.
      JsonNode overrides = root.get("responseOverrides");
      if (overrides != null) {
        responseOverrides(overrides);
      }
      List<RouteRule> rules = new ArrayList<>();
      JsonNode routes = root.get("routes");
      if (routes != null) {
        if (!routes.isArray()) {
          problem("routes", "must be an array of route rules" + wasType(routes));
        } else {
          for (int i = 0; i < routes.size(); i++) {
            RouteRule rule = route(i, routes.get(i));
            if (rule != null) {
              rules.add(rule);
            }
          }
        }
      }
      unreachable(rules);
      decidedWithAnEarlierWildcard(rules);
      return new RouteRules(source, rules, List.copyOf(customRoles), unauthorized, forbidden);
    }

    // ---- routes ----

    private RouteRule route(int index, JsonNode node) {
      String path = "routes[" + index + "]";
      if (!node.isObject()) {
        problem(path, "must be an object" + wasType(node));
        return null;
      }
      unknownKeys(node, path, ROUTE_KEYS);
      RoutePattern pattern = pattern(node, path);
      List<String> roles = allowedRoles(node, path); // read on every route: they name roles
      if (pattern == null) {
        return null;
      }
      String described = path + " (\"" + pattern + "\")";
      Scope scope = Scope.of(pattern);
      if (scope == Scope.ELSEWHERE) {
        ignored(described, "does not match /api");
        return null;
      }
      if (PERCENT_ENCODED.matcher(pattern.toString()).find()) {
        // Rules are matched against the container's decoded path: this route would match nothing
        // and leave its paths open (found by review B).
        problem(
            path + ".route",
            "is compared with the decoded path, so a percent-encoded route matches no request:"
                + " write it decoded (\"/api/my files/*\", not \"/api/my%20files/*\")"
                + was(pattern.toString()));
        return null;
      }
      boolean rewrite = node.has("rewrite");
      if (rewrite && node.has("redirect")) {
        problem(path, "rewrite and redirect exclude each other");
      }
      if (rewrite && scope == Scope.API) {
        problem(
            path + ".rewrite",
            "not supported on /api routes: ApiLink proxies them to the gateway unchanged (Static"
                + " Web Apps allows only allowedRoles and redirects there)");
      }
      // Next to a rewrite, a statusCode is the rewritten page's, which /api never gets.
      JsonNode status = rewrite ? null : node.get("statusCode");
      if (scope == Scope.SITE && roles == null && !node.has("redirect") && status == null) {
        // It matches /api but changes nothing there: kept, it would hide every rule after it.
        ignored(described, "sets nothing that applies to /api");
        return null;
      }
      if (rewrite && scope == Scope.SITE) {
        ignored(path + ".rewrite", "rewrites site pages, not /api");
      }
      if (node.has("headers")) {
        ignored(path + ".headers", "does not apply: API responses keep the gateway's headers");
      }
      List<String> methods = methods(node, path);
      String redirect = redirect(node.get("redirect"), path + ".redirect");
      Decision onAllowed = onAllowed(redirect, node.has("redirect"), status, path + ".statusCode");
      if (onAllowed == null || methods == null) {
        return null;
      }
      if (redirect != null && methods.isEmpty() && redirectsToItself(pattern, redirect)) {
        problem(
            path + ".redirect",
            "leads to a path that this rule matches again, a redirect loop" + was(redirect));
        return null;
      }
      List<String> allowed =
          roles == null || roles.contains(RouteRule.ANONYMOUS) ? List.of() : List.copyOf(roles);
      return new RouteRule(index, pattern, Set.copyOf(methods), allowed, onAllowed);
    }

    private RoutePattern pattern(JsonNode node, String path) {
      JsonNode route = node.get("route");
      if (route == null) {
        problem(path + ".route", "missing");
        return null;
      }
      if (!route.isTextual()) {
        problem(path + ".route", "must be a string" + wasValue(route));
        return null;
      }
      try {
        return RoutePattern.parse(route.textValue());
      } catch (IllegalArgumentException e) {
        problem(path + ".route", e.getMessage() + was(route.textValue()));
        return null;
      }
    }

    /** The roles listed, or null when there is no {@code allowedRoles} (or it is invalid). */
    private List<String> allowedRoles(JsonNode node, String path) {
      JsonNode roles = node.get("allowedRoles");
      if (roles == null) {
        return null;
      }
      String at = path + ".allowedRoles";
      if (!roles.isArray()) {
        problem(at, "must be an array of role names" + wasValue(roles));
        return null;
      }
      if (roles.isEmpty()) {
        problem(at, "must name at least one role; leave it out to allow everyone");
        return null;
      }
      List<String> names = new ArrayList<>();
      boolean valid = true;
      for (int i = 0; i < roles.size(); i++) {
        String role = role(roles.get(i), at + "[" + i + "]");
        if (role == null) {
          valid = false;
        } else if (!names.contains(role)) {
          names.add(role);
        }
      }
      if (!valid) {
        return null;
      }
      for (String role : names) {
        if (!role.equals(RouteRule.ANONYMOUS) && !role.equals(RouteRule.AUTHENTICATED)) {
          customRoles.add(role);
        }
      }
      return names;
    }

    private String role(JsonNode node, String at) {
      if (!node.isTextual()) {
        problem(at, "must be a role name (a string)" + wasValue(node));
        return null;
      }
      String role = node.textValue();
      if (!ROLE_NAME.matcher(role).matches()) {
        problem(at, "a role name has only the characters a-z, A-Z, 0-9 and _" + was(role));
        return null;
      }
      for (String builtIn : List.of(RouteRule.ANONYMOUS, RouteRule.AUTHENTICATED)) {
        if (role.equalsIgnoreCase(builtIn) && !role.equals(builtIn)) {
          problem(
              at,
              "the built-in role is \""
                  + builtIn
                  + "\"; role names are case-sensitive"
                  + was(role));
          return null;
        }
      }
      return role;
    }

    /** The methods listed, empty for all, or null when invalid. */
    private List<String> methods(JsonNode node, String path) {
      JsonNode methods = node.get("methods");
      if (methods == null) {
        return List.of();
      }
      String at = path + ".methods";
      if (!methods.isArray()) {
        problem(at, "must be an array of method names" + wasValue(methods));
        return null;
      }
      if (methods.isEmpty()) {
        problem(at, "must name at least one method; leave it out to match every method");
        return null;
      }
      List<String> names = new ArrayList<>();
      for (int i = 0; i < methods.size(); i++) {
        JsonNode method = methods.get(i);
        if (method.isTextual() && METHODS.contains(method.textValue())) {
          names.add(method.textValue());
        } else {
          problem(
              at + "[" + i + "]", "not one of " + String.join(", ", METHODS) + wasValue(method));
        }
      }
      return names.size() == methods.size() ? names : null;
    }

    /**
     * A redirect target: a path in the site starting with one slash (the context path goes in front
     * when it is sent) or an absolute http(s) URL. Null when absent or invalid.
     */
    private String redirect(JsonNode node, String at) {
      if (node == null) {
        return null;
      }
      if (!node.isTextual()) {
        problem(at, "must be a string" + wasValue(node));
        return null;
      }
      String target = node.textValue();
      boolean valid = PRINTABLE_ASCII.matcher(target).matches();
      if (valid && target.startsWith("/")) {
        valid = !target.startsWith("//") && !target.startsWith("/\\");
      } else if (valid) {
        try {
          URI uri = new URI(target);
          valid =
              ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))
                  && uri.getHost() != null;
        } catch (URISyntaxException e) {
          valid = false;
        }
      }
      if (!valid) {
        problem(
            at,
            "must be a path in the site starting with \"/\" or an absolute http(s) URL, in"
                + " printable ASCII (percent-encode the rest)"
                + was(target));
        return null;
      }
      return target;
    }

    /**
     * What a matched, allowed request gets: a redirect, an answer with {@code statusCode}, or
     * proxied. Null when invalid.
     */
    private Decision onAllowed(String redirect, boolean hasRedirect, JsonNode status, String at) {
      if (hasRedirect) {
        Integer code =
            status == null ? Integer.valueOf(DEFAULT_REDIRECT_STATUS) : statusCode(status, at);
        if (code != null && !REDIRECT_STATUSES.contains(code)) {
          problem(at, "a redirect's status must be 301, 302, 307 or 308 (was " + code + ")");
          return null;
        }
        return code == null || redirect == null ? null : new Decision.Redirect(code, redirect);
      }
      if (status == null) {
        return Decision.PROXY;
      }
      Integer code = statusCode(status, at);
      if (code == null) {
        return null;
      }
      if (code < 400 || code > 599) {
        problem(
            at,
            "without a redirect, must be an error status from 400 to 599, which ApiLink answers"
                + " instead of the gateway (was "
                + code
                + ")");
        return null;
      }
      return answer(code);
    }

    private Integer statusCode(JsonNode node, String at) {
      if (!node.isIntegralNumber() || !node.canConvertToInt()) {
        problem(at, "must be a whole number" + wasValue(node));
        return null;
      }
      return node.intValue();
    }

    /** The answer for an error status: its override if there is one, else JSON. */
    private Decision answer(int status) {
      if (status == 401 && unauthorized != RouteRules.UNAUTHORIZED) {
        return unauthorized;
      }
      if (status == 403 && forbidden != RouteRules.FORBIDDEN) {
        return forbidden;
      }
      return new Decision.Answer(status, reason(status));
    }

    private boolean redirectsToItself(RoutePattern pattern, String redirect) {
      if (!redirect.startsWith("/")) {
        return false; // another site, or this one under another name: not known from here
      }
      int end = redirect.length();
      for (char c : new char[] {'?', '#'}) {
        int at = redirect.indexOf(c);
        if (at >= 0 && at < end) {
          end = at;
        }
      }
      String target = redirect.substring(0, end);
      boolean api = target.startsWith("/api") && (target.length() == 4 || target.charAt(4) == '/');
      // A rule for /api/v2/* also decides /api/v2, which it names.
      return api && (pattern.matches(target) || pattern.names(target));
    }

    /** Static Web Apps refuses a rule that an earlier one hides: so does ApiLink. */
    private void unreachable(List<RouteRule> rules) {
      for (int j = 1; j < rules.size(); j++) {
        for (int i = 0; i < j; i++) {
          if (rules.get(i).covers(rules.get(j))) {
            RouteRule hidden = rules.get(j);
            problem(
                "routes[" + hidden.index() + "]",
                "never used: "
                    + rules.get(i)
                    + " comes before it and matches every request it would; put it first or"
                    + " remove it");
            break;
          }
        }
      }
    }

    /**
     * Warns of a later rule for a path that an earlier wildcard names ({@code /api/items} after
     * {@code /api/items/*}), where that wildcard refuses, redirects or answers: ApiLink applies
     * both ({@link RouteRules}), so the later rule cannot let through what the wildcard does not,
     * where Static Web Apps would apply the later rule alone (found by review: such a file loaded,
     * and its rule for {@code /api/items} did not open it).
     */
    private void decidedWithAnEarlierWildcard(List<RouteRule> rules) {
      for (int j = 1; j < rules.size(); j++) {
        RouteRule later = rules.get(j);
        if (later.pattern().isWildcard()) {
          continue;
        }
        for (int i = 0; i < j; i++) {
          RouteRule earlier = rules.get(i);
          if (earlier.pattern().isWildcard()
              && !earlier.letsEveryoneThrough()
              && earlier.sharesAMethodWith(later)
              && earlier.pattern().names(later.pattern().literalPrefix())) {
            LOG.warning(
                "ApiLink: "
                    + source
                    + " "
                    + later
                    + " is applied after "
                    + earlier
                    + ", which names the same path: ApiLink lets a request through only if both do"
                    + " (Static Web Apps would apply routes["
                    + later.index()
                    + "] alone); put routes["
                    + later.index()
                    + "] first to have it decide");
            break;
          }
        }
      }
    }

    // ---- responseOverrides ----

    private void responseOverrides(JsonNode node) {
      if (!node.isObject()) {
        problem("responseOverrides", "must be an object" + wasType(node));
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        String status = entry.getKey();
        String at = "responseOverrides." + status;
        switch (status) {
          case "401" -> unauthorized = override(entry.getValue(), at, RouteRules.UNAUTHORIZED);
          case "403" -> forbidden = override(entry.getValue(), at, RouteRules.FORBIDDEN);
          case "400", "404" -> ignored(at, "ApiLink answers /api with neither");
          default -> problem(at, "unknown status (known here: 400, 401, 403, 404)");
        }
      }
    }

    private Decision override(JsonNode node, String at, Decision fallback) {
      if (!node.isObject()) {
        problem(at, "must be an object" + wasType(node));
        return fallback;
      }
      unknownKeys(node, at, OVERRIDE_KEYS);
      if (node.has("rewrite")) {
        problem(
            at + ".rewrite",
            "not supported: ApiLink answers /api requests with JSON or a redirect, not with a page"
                + " of the site; use redirect");
        return fallback;
      }
      if (!node.has("redirect") && !node.has("statusCode")) {
        problem(at, "set redirect, statusCode, or both");
        return fallback;
      }
      String redirect = redirect(node.get("redirect"), at + ".redirect");
      JsonNode status = node.get("statusCode");
      Decision decision;
      if (node.has("redirect")) {
        decision = onAllowed(redirect, true, status, at + ".statusCode");
      } else {
        Integer code = statusCode(status, at + ".statusCode");
        decision = code == null ? null : statusOnly(code, at + ".statusCode");
      }
      return decision == null ? fallback : decision;
    }

    private Decision statusOnly(int code, String at) {
      if (code < 400 || code > 599) {
        problem(
            at, "without a redirect, must be an error status from 400 to 599 (was " + code + ")");
        return null;
      }
      if (code == 401) {
        return RouteRules.UNAUTHORIZED;
      }
      if (code == 403) {
        return RouteRules.FORBIDDEN;
      }
      return new Decision.Answer(code, reason(code));
    }

    // ---- helpers ----

    private void unknownKeys(JsonNode node, String path, Set<String> known) {
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!known.contains(key)) {
          problem(path + "." + key, "unknown key" + known(known));
        }
      }
    }

    private void ignored(String what, String why) {
      if (LOG.isLoggable(Level.FINE)) {
        LOG.fine("ApiLink: " + source + " " + what + " " + why + "; ignored");
      }
    }

    private void problem(String path, String message) {
      problems.add(new Problem(path, message));
    }
  }

  /** Where a route can match, as far as {@code /api} is concerned. */
  private enum Scope {
    /** Only {@code /api} and below: every key counts. */
    API,
    /** The whole site or a part that includes {@code /api} ({@code /*}, {@code *}). */
    SITE,
    /** Elsewhere in the site: none of ApiLink's business. */
    ELSEWHERE;

    static Scope of(RoutePattern pattern) {
      String prefix = pattern.literalPrefix();
      if (prefix.equals("/api") || prefix.startsWith("/api/")) {
        return API;
      }
      if (pattern.isWildcard() && "/api".startsWith(prefix)) {
        return SITE;
      }
      return ELSEWHERE;
    }
  }

  /** The message of an answer with {@code status}, in APIM's wording where it has one. */
  static String reason(int status) {
    return switch (status) {
      case 400 -> "Bad request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Resource not found";
      case 405 -> "Method not allowed";
      case 410 -> "Gone";
      case 429 -> "Too many requests";
      case 500 -> "Internal server error";
      case 501 -> "Not implemented";
      case 503 -> "Service unavailable";
      default -> "Status " + status;
    };
  }
}
