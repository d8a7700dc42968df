package dev.apilink.it;

import java.net.http.HttpClient;
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
}
