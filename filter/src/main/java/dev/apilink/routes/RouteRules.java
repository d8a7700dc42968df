package dev.apilink.routes;

import dev.apilink.proxy.GatewayTarget;
import java.util.List;
import java.util.Locale;

/**
 * The route rules of a {@code staticwebapp.config.json} that apply to {@code /api}, compiled once,
 * evaluated as Static Web Apps does: in file order, the first rule whose {@code route} and {@code
 * methods} match the request decides; a request that no rule matches is proxied.
 *
 * <p>A matched rule first checks {@code allowedRoles} (any one role is enough): a user who is not
 * signed in gets 401, a signed-in user without any of the roles gets 403, each replaced by its
 * {@code responseOverrides} entry if there is one. An allowed request is then redirected, answered
 * with the rule's {@code statusCode}, or proxied.
 */
public final class RouteRules {

  /** The methods that {@code methods} may list, as Static Web Apps names them. */
  static final List<String> METHODS =
      List.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  /** The answer to a user who is not signed in, on a route that needs a role. */
  static final Decision UNAUTHORIZED =
      new Decision.Answer(401, "Unauthorized: sign in to use this route.");

  /** The answer to a signed-in user who has none of the roles that a route allows. */
  static final Decision FORBIDDEN =
      new Decision.Answer(
          403, "Forbidden: you are signed in without any of the roles this route allows.");

  /** No rules: every {@code /api} request is proxied. */
  public static final RouteRules NONE =
      new RouteRules("", List.of(), List.of(), UNAUTHORIZED, FORBIDDEN);

  /**
   * No rules, as {@link #NONE}, because the web application has no {@code
   * /staticwebapp.config.json} and the configuration names no other file: not because {@code
   * routesFile} is {@code false}.
   */
  public static final RouteRules ABSENT =
      new RouteRules("", List.of(), List.of(), UNAUTHORIZED, FORBIDDEN);

  private final String source;
  private final RouteRule[] rules;
  private final List<String> customRoles;
  private final Decision unauthorized;
  private final Decision forbidden;

  RouteRules(
      String source,
      List<RouteRule> rules,
      List<String> customRoles,
      Decision unauthorized,
      Decision forbidden) {
    this.source = source;
    this.rules = rules.toArray(RouteRule[]::new);
    this.customRoles = List.copyOf(customRoles);
    this.unauthorized = unauthorized;
    this.forbidden = forbidden;
  }

  /**
   * Decides what happens to one {@code /api} request.
   *
   * @param method the request's method
   * @param path the path inside the web application, decoded and normalized by the container
   * @param rawPath the same path as the client sent it (what the gateway receives)
   * @param request the request, for {@code users} to tell who its user is
   * @param users how to tell whether the user is signed in and has a role
   */
  public <R> Decision decide(
      String method, String path, String rawPath, R request, Users<R> users) {
    // As the gateway receives it: the gateway client sends every method upper case ("delete" as
    // DELETE), so a rule for DELETE must meet "delete" too.
    method = method.toUpperCase(Locale.ROOT);
    Decision decision = decideFor(method, path, request, users);
    if (decision.proxies() && RawPaths.mayReadOtherwise(rawPath)) {
      for (String reading : RawPaths.readings(rawPath)) {
        if (!reading.equals(path)) {
          Decision other = decideFor(method, reading, request, users);
          if (!other.proxies()) {
            return other;
          }
        }
      }
    }
    return decision;
  }

  /**
   * Decides as {@link #decide(String, String, String, Object, Users)} does, for the request's own
   * method and for each method it names besides ({@link MethodOverrides}): it is proxied only if
   * every one of them would be.
   */
  public <R> Decision decide(
      String method,
      List<String> overrides,
      String path,
      String rawPath,
      R request,
      Users<R> users) {
    Decision decision = decide(method, path, rawPath, request, users);
    for (int i = 0; i < overrides.size() && decision.proxies(); i++) {
      if (!overrides.get(i).equals(method)) {
        decision = decide(overrides.get(i), path, rawPath, request, users);
      }
    }
    return decision;
  }

  /**
   * Decides for {@code path} as Static Web Apps does (a rule for {@code /api/admin} after one for
   * {@code /api/admin/*} decides {@code /api/admin}); then, if that proxies, the first rule that
   * names the path's own resource, with its final slash added or removed ({@link
   * RoutePattern#names}), must let it through too: a backend may take {@code /api/admin} and {@code
   * /api/admin/} for one resource, so {@code /api/admin/*} protects {@code /api/admin}, and a rule
   * for {@code /api/users} protects {@code /api/users/} from a wildcard before it.
   */
  private <R> Decision decideFor(String method, String path, R request, Users<R> users) {
    Decision decision = decideAsSpelled(method, path, request, users);
    if (!decision.proxies()) {
      return decision;
    }
    for (RouteRule rule : rules) {
      if (rule.names(method, path)) {
        return decisionBy(rule, request, users);
      }
    }
    return decision;
  }

  private <R> Decision decideAsSpelled(String method, String path, R request, Users<R> users) {
    for (RouteRule rule : rules) {
      if (rule.matches(method, path)) {
        return decisionBy(rule, request, users);
      }
    }
    return Decision.PROXY;
  }

  private <R> Decision decisionBy(RouteRule rule, R request, Users<R> users) {
    if (rule.allows(request, users)) {
      return rule.onAllowed();
    }
    return users.isAuthenticated(request) ? forbidden : unauthorized;
  }

  /**
   * The {@code Allow} field of a 405 that the rules answer for {@code path}: the methods this user
   * gets through to the gateway or a redirect there (RFC 9110 15.5.6 asks a 405 for one). CONNECT
   * and TRACE are left out: ApiLink never forwards them (and Tomcat and Jetty refuse them in upper
   * case before any filter runs).
   */
  public <R> String allowedMethods(String path, String rawPath, R request, Users<R> users) {
    StringBuilder allow = new StringBuilder();
    for (String method : METHODS) {
      if (GatewayTarget.isNeverForwarded(method)) {
        continue;
      }
      Decision decision = decide(method, path, rawPath, request, users);
      if (decision.proxies() || decision instanceof Decision.Redirect) {
        allow.append(allow.length() == 0 ? "" : ", ").append(method);
      }
    }
    return allow.toString();
  }

  /** Whether there are no rules, so that every request is proxied. */
  public boolean isEmpty() {
    return rules.length == 0;
  }

  /** How many rules apply to {@code /api}. */
  public int size() {
    return rules.length;
  }

  /** Where the rules were read from, empty for {@link #NONE}. */
  public String source() {
    return source;
  }

  /**
   * The custom roles that the file names in any {@code allowedRoles}, in the order they first
   * appear: those that {@code x-ms-client-principal} reports when the user has them.
   */
  public List<String> customRoles() {
    return customRoles;
  }

  List<RouteRule> rules() {
    return List.of(rules);
  }

  Decision unauthorized() {
    return unauthorized;
  }

  Decision forbidden() {
    return forbidden;
  }

  @Override
  public String toString() {
    return "RouteRules[" + source + ", " + rules.length + " for /api]";
  }
}
