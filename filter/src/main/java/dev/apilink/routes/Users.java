package dev.apilink.routes;

import jakarta.servlet.http.HttpServletRequest;

/**
 * How route rules see the user of a request: the container's authentication in production, any
 * stand-in in tests. Asked only when a matched rule names roles.
 *
 * @param <R> the request type
 */
public interface Users<R> {

  /**
   * The user as the container authenticated it (a Tomcat realm, Jetty's login service, a servlet
   * security filter): {@code authenticated} once {@link HttpServletRequest#getUserPrincipal()} is
   * set, custom roles through {@link HttpServletRequest#isUserInRole(String)}.
   */
  Users<HttpServletRequest> CONTAINER =
      new Users<>() {
        @Override
        public boolean isAuthenticated(HttpServletRequest request) {
          return request.getUserPrincipal() != null;
        }

        @Override
        public boolean isInRole(HttpServletRequest request, String role) {
          return request.isUserInRole(role);
        }
      };

  /** Whether the request's user is signed in: the built-in role {@code authenticated}. */
  boolean isAuthenticated(R request);

  /** Whether the signed-in user has the custom role {@code role}. */
  boolean isInRole(R request, String role);
}
