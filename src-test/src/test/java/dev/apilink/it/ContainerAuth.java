package dev.apilink.it;

import java.util.List;

/**
 * Container-managed authentication for a test deployment, set up as an operator would: a realm of
 * users with roles (a Tomcat {@code MemoryRealm}, a Jetty {@code HashLoginService}), a {@code
 * <login-config>} and security constraints on {@code protectedPaths}. {@code /api} is not among
 * them: ApiLink's route rules decide there, with the user the container authenticated.
 *
 * @param method BASIC or FORM
 * @param users the realm's users
 * @param protectedPaths URL patterns that the container itself reserves to signed-in users
 */
record ContainerAuth(Method method, List<User> users, List<String> protectedPaths) {

  /** The FORM login page and error page, which the site must have. */
  static final String LOGIN_PAGE = "/login.html";

  static final String ERROR_PAGE = "/login-error.html";

  /** The realm's name, as BASIC challenges announce it. */
  static final String REALM = "ApiLink test";

  enum Method {
    BASIC,
    FORM
  }

  /** A user of the realm. */
  record User(String name, String password, List<String> roles) {}

  static final User ALICE = new User("alice", "alice-secret", List.of("admin", "reader"));
  static final User BOB = new User("bob", "bob-secret", List.of("reader"));
  static final User CAROL = new User("carol", "carol-secret", List.of());

  /** BASIC authentication, alice (admin, reader), bob (reader) and carol (no role). */
  static ContainerAuth basic() {
    return new ContainerAuth(Method.BASIC, List.of(ALICE, BOB, CAROL), List.of("/account/*"));
  }

  /** FORM authentication with the same users; {@code /account/*} needs a signed-in user. */
  static ContainerAuth form() {
    return new ContainerAuth(Method.FORM, List.of(ALICE, BOB, CAROL), List.of("/account/*"));
  }
}
