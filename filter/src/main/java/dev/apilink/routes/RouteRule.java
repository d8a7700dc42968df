package dev.apilink.routes;

import java.util.List;
import java.util.Set;

/**
 * One entry of {@code routes} that applies to {@code /api}, compiled.
 *
 * @param index its position in the file's {@code routes}, for messages
 * @param pattern the {@code route}
 * @param methods the {@code methods} it applies to; empty for all
 * @param allowedRoles the {@code allowedRoles}; empty when everyone is allowed (none listed, or
 *     {@code anonymous} among them)
 * @param onAllowed what an allowed request gets: proxied, redirected or answered
 */
record RouteRule(
    int index,
    RoutePattern pattern,
    Set<String> methods,
    List<String> allowedRoles,
    Decision onAllowed) {

  static final String ANONYMOUS = "anonymous";
  static final String AUTHENTICATED = "authenticated";

  boolean matches(String method, String path) {
    return appliesTo(method) && pattern.matches(path);
  }

  /** Whether this rule, for {@code method}, names the resource at {@code path} itself. */
  boolean names(String method, String path) {
    return appliesTo(method) && pattern.names(path);
  }

  /**
   * Whether the rule applies to {@code method}: a rule for GET applies to HEAD too, which a servlet
   * answers by running its GET (found by review: a HEAD passed a GET-only rule for the admin API).
   */
  private boolean appliesTo(String method) {
    return methods.isEmpty()
        || methods.contains(method)
        || method.equals("HEAD") && methods.contains("GET");
  }

  /** Whether this rule and {@code other} apply to one method at least. */
  boolean sharesAMethodWith(RouteRule other) {
    return methods.isEmpty()
        || other.methods.isEmpty()
        || other.methods.stream().anyMatch(this::appliesTo);
  }

  /** Whether everyone it applies to is proxied: no roles asked, no redirect or answer. */
  boolean letsEveryoneThrough() {
    return allowedRoles.isEmpty() && onAllowed.proxies();
  }

  /** Roles are matched on an OR basis: one of them is enough. */
  <R> boolean allows(R request, Users<R> users) {
    if (allowedRoles.isEmpty()) {
      return true;
    }
    if (!users.isAuthenticated(request)) {
      return false;
    }
    for (int i = 0; i < allowedRoles.size(); i++) {
      String role = allowedRoles.get(i);
      if (role.equals(AUTHENTICATED) || users.isInRole(request, role)) {
        return true;
      }
    }
    return false;
  }

  /** Whether this rule, placed before {@code later}, leaves it no request to match. */
  boolean covers(RouteRule later) {
    boolean allMethods =
        methods.isEmpty()
            || !later.methods.isEmpty() && later.methods.stream().allMatch(this::appliesTo);
    return allMethods && pattern.covers(later.pattern);
  }

  @Override
  public String toString() {
    return "routes[" + index + "] (\"" + pattern + "\")";
  }
}
