package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.testkit.echo.EchoBackend.Received;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.catalina.authenticator.SingleSignOn;
import org.junit.jupiter.api.Test;

/** {@link RoutesContract} in Tomcat 10.1, with a MemoryRealm. */
class RoutesOnTomcatTest extends RoutesContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }

  /**
   * Tomcat's {@code <Context sessionCookieName="SITESESSION">} in {@code context.xml} names the
   * session cookie and the path parameter without {@code getSessionCookieConfig()} reporting it.
   * Found by review: ApiLink kept back {@code JSESSIONID} and forwarded the real session cookie.
   */
  @Test
  void aSessionCookieNamedInContextXmlStaysWithTheContainerToo() throws Exception {
    deploy(RULES, ContainerAuth.form());
    ((EmbeddedTomcat) site.container()).context().setSessionCookieName("SITESESSION");
    HttpClient browser = browserSignedIn(ContainerAuth.ALICE);

    assertTheSessionStaysWithTheContainer(browser, "SITESESSION");
    backend.clear();
    assertASessionIdInTheUrlNeverReachesTheGateway(browser, "SITESESSION", "SITESESSION");
  }

  /**
   * The renamed session parameter after another one ({@code ;v=2;SITESESSION=...}): ApiLink finds
   * the name by the id's value among every path parameter, not the first only. Coverage (review C)
   * showed that no test looked past a first parameter.
   */
  @Test
  void aSessionParameterNamedInContextXmlAfterAnotherOneNeverReachesTheGateway() throws Exception {
    deploy(RULES, ContainerAuth.form());
    ((EmbeddedTomcat) site.container()).context().setSessionCookieName("SITESESSION");
    String sessionId = sessionId(browserSignedIn(ContainerAuth.ALICE), "SITESESSION");
    backend.clear();

    HttpResponse<String> response = get("/api/admin/users;v=2;SITESESSION=" + sessionId);

    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/admin/users;v=2", received.rawPath());
    assertEquals("alice", principal(received).get("userDetails").asText());
  }

  /**
   * Tomcat's {@code SingleSignOn} valve (in the stock {@code server.xml}, commented out) signs a
   * user in to every application of the host with the cookie {@code JSESSIONIDSSO}: a holder of it
   * is signed in without a password, as the session cookie does. Found by a reviewer on Tomcat
   * 11.0.24: it reached the gateway with every {@code /api} request, and an API's {@code
   * Set-Cookie} for it reached the browser.
   */
  @Test
  void theSingleSignOnCookieStaysWithTheContainerToo() throws Exception {
    ((EmbeddedTomcat) site.container()).host().getPipeline().addValve(new SingleSignOn());
    HttpClient browser = signedInWithFormLogin(ContainerAuth.ALICE);
    String singleSignOn = sessionId(browser, "JSESSIONIDSSO");

    assertTheSessionStaysWithTheContainer(browser, "JSESSIONIDSSO");
    for (Received received : backend.received()) {
      assertFalse(received.headers().toString().contains(singleSignOn), received.toString());
    }
  }

  /**
   * Without {@code preemptiveAuthentication} (route-rules.md asks for it), Tomcat checks BASIC
   * credentials only on the paths it constrains, not on {@code /api}: no user is signed in, and the
   * password is still the site's. Found by a reviewer on Tomcat 11.0.24: it reached the gateway.
   */
  @Test
  void aPasswordTomcatNeverCheckedNeverReachesTheGateway() throws Exception {
    deployWithTheTokenInItsOwnHeader();
    ((EmbeddedTomcat) site.container()).context().setPreemptiveAuthentication(false);

    HttpResponse<String> response =
        get("/api/public/catalog", "Authorization", basic(ContainerAuth.ALICE));

    assertEquals(200, response.statusCode());
    Received received = onlyReceived();
    assertEquals(List.of(), received.header("Authorization"));
    assertEquals(List.of(), received.header("x-ms-client-principal"), "not signed in");
    assertEquals(1, received.header("X-Apilink-Token").size());
  }

  /**
   * Spring Boot serves an executable JAR's {@code static/} from the class path, where ApiLink does
   * not read: found by a reviewer, the rules there were silently not applied. On Tomcat the web
   * application's {@code WEB-INF/classes} is such a class path.
   */
  @Test
  void rulesWhereSpringServesStaticFilesAreNamedInAWarning() throws Exception {
    Path staticFiles = Files.createDirectories(site.webapp().resolve("WEB-INF/classes/static"));
    Files.writeString(staticFiles.resolve("staticwebapp.config.json"), RULES);
    assertTrue(
        site.deploy(site.linkedTo(backend.url()), ContainerAuth.basic()),
        site.container().deploymentFailure());

    List<String> warnings = log.warnings("where Spring serves static files");
    HttpResponse<String> admin = get("/api/admin/users");

    assertEquals(
        List.of(
            "ApiLink: "
                + staticFiles.resolve("staticwebapp.config.json").toUri().toURL()
                + " is on the class path, where Spring serves static files, but not among the web"
                + " application's files, which ApiLink reads: its route rules do not apply, and"
                + " every /api request is proxied. Give the container a document root holding it"
                + " (see \"Spring and Spring Boot\" in docs/containers.md), or set \"routesFile\":"
                + " false if it is not meant for /api."),
        warnings);
    assertEquals(200, admin.statusCode(), "proxied: the rules do not apply");
  }

  @Test
  void rulesWhereSpringServesStaticFilesAreNotWarnedOfWhenRoutesFileIsFalse() throws Exception {
    Path staticFiles = Files.createDirectories(site.webapp().resolve("WEB-INF/classes/static"));
    Files.writeString(staticFiles.resolve("staticwebapp.config.json"), RULES);
    ObjectNode config = site.linkedTo(backend.url());
    config.put("routesFile", false);
    assertTrue(site.deploy(config, ContainerAuth.basic()), site.container().deploymentFailure());

    assertEquals(List.of(), log.warnings("where Spring serves static files"));
  }
}
