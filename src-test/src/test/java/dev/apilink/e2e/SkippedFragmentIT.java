package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the README's Troubleshooting row "the container's own 404 page for {@code /api/...}, no
 * {@code ApiLink started} line" describes: a {@code web.xml} that makes the container skip
 * ApiLink's web fragment leaves ApiLink unregistered, silently. The sample WAR with such a {@code
 * web.xml} starts without ApiLink's line, and its {@code /api} gets the container's 404, not an
 * answer of ApiLink's or the gateway's; its initializer, which the containers still run, warns that
 * ApiLink is not active. Also how the fragment meets a {@code web.xml} that registers ApiLink under
 * a name of its own.
 */
class SkippedFragmentIT {

  static final String METADATA_COMPLETE =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
      </web-app>
      """;

  /** The web.xml that maven-archetype-webapp generated for years: Jetty reads no fragment then. */
  static final String SERVLET_2_3 =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <!DOCTYPE web-app PUBLIC
       "-//Sun Microsystems, Inc.//DTD Web Application 2.3//EN"
       "http://java.sun.com/dtd/web-app_2_3.dtd" >
      <web-app>
        <display-name>Archetype Created Web Application</display-name>
      </web-app>
      """;

  @ParameterizedTest
  @EnumSource(
      value = Distribution.class,
      names = {"TOMCAT_11", "JETTY_12_EE10"})
  void aMetadataCompleteWebXmlLeavesApiLinkUnregistered(Distribution distribution)
      throws Exception {
    List<String> log =
        assertApiLinkIsNotRegistered(distribution, "metadata-complete", METADATA_COMPLETE);
    assertTrue(
        log.stream()
            .anyMatch(
                line ->
                    line.contains(
                        "ApiLink is not active in the web application at /shop: its JAR is"
                            + " there, but the container did not read the JAR's web fragment"
                            + " (web.xml says metadata-complete=\"true\") and web.xml does not"
                            + " declare the filter; /shop/api is served by the web application."
                            + " Declare ApiLink in web.xml as web.xml.example shows, or remove"
                            + " metadata-complete")),
        () -> String.join("\n", log));
  }

  @ParameterizedTest
  @EnumSource(
      value = Distribution.class,
      names = {"JETTY_12_EE10"})
  void jettyReadsNoFragmentForAServlet23WebXml(Distribution distribution) throws Exception {
    List<String> log = assertApiLinkIsNotRegistered(distribution, "servlet-2.3", SERVLET_2_3);
    assertTrue(
        log.stream()
            .anyMatch(
                line ->
                    line.contains(
                        "ApiLink is not active in the web application at /shop: its JAR is"
                            + " there, but web.xml declares Servlet 2.3, for which the container"
                            + " reads no web fragment, and does not declare the filter; /shop/api"
                            + " is served by the web application. Declare Servlet 6.0 there:"
                            + " <web-app xmlns=\"https://jakarta.ee/xml/ns/jakartaee\""
                            + " version=\"6.0\">")),
        () -> String.join("\n", log));
  }

  /**
   * A {@code web.xml} that declares ApiLink under a name of its own, the fragment active: the
   * container does not merge the two, and each started a whole ApiLink (two "ApiLink started"
   * lines, two gateway clients, two JMX beans, a signing key each when none is configured) while
   * the first in the chain alone saw requests.
   */
  static final String ANOTHER_NAME =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
        <filter>
          <filter-name>apiLinkFilter</filter-name>
          <filter-class>dev.apilink.ApiLinkFilter</filter-class>
          <async-supported>true</async-supported>
        </filter>
        <filter-mapping>
          <filter-name>apiLinkFilter</filter-name>
          <url-pattern>/api/*</url-pattern>
          <url-pattern>/.auth/.well-known/*</url-pattern>
          <dispatcher>REQUEST</dispatcher>
          <dispatcher>ASYNC</dispatcher>
        </filter-mapping>
      </web-app>
      """;

  @ParameterizedTest
  @EnumSource(
      value = Distribution.class,
      names = {"TOMCAT_11", "JETTY_12_EE10"})
  void apiLinkDeclaredInWebXmlUnderAnotherNameBesideTheFragmentStopsTheApplicationSayingSo(
      Distribution distribution) throws Exception {
    Path run = E2eFiles.runDirectory(distribution.id() + "-registered-twice");
    int port = ContainerProcess.freePort();
    Map<String, String> environment =
        E2eFiles.sampleSiteEnvironment(port, "http://127.0.0.1:1", "registered-twice-e2e-key");
    Path war =
        Wars.from(E2eFiles.sampleWar())
            .with("WEB-INF/web.xml", ANOTHER_NAME)
            .writeTo(run.resolve("shop.war"));

    ContainerProcess container =
        distribution.start(run.resolve("base"), port, environment, Map.of("shop.war", war));
    try {
      List<String> log = container.startUpLog();
      assertFalse(
          log.stream().anyMatch(line -> line.contains("ApiLink started")),
          () -> String.join("\n", log));
      assertTrue(
          log.stream()
              .anyMatch(
                  line ->
                      line.contains(
                          "ApiLink cannot start: the web application at /shop registers it twice,"
                              + " as the filters \"ApiLink\" and \"apiLinkFilter\"; declare it"
                              + " in web.xml under the filter name ApiLink, the one its JAR's web"
                              + " fragment uses, so that the container merges them")),
          () -> String.join("\n", log));

      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(container.url().resolve("/shop/api/products"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  BodyHandlers.ofString());
      // The application does not start (Tomcat's 404, Jetty's 503): /api is never served by half.
      assertFalse(response.body().contains("\"statusCode\""), response::body);
    } finally {
      container.close();
    }
  }

  /** Returns what the container logged while it started. */
  static List<String> assertApiLinkIsNotRegistered(
      Distribution distribution, String name, String webXml) throws Exception {
    Path run = E2eFiles.runDirectory(distribution.id() + "-skipped-fragment-" + name);
    int port = ContainerProcess.freePort();
    // A gateway that would answer, were ApiLink registered: nothing listens on port 1, so 502.
    Map<String, String> environment =
        E2eFiles.sampleSiteEnvironment(port, "http://127.0.0.1:1", "skipped-fragment-e2e-key");
    Path war =
        Wars.from(E2eFiles.sampleWar())
            .with("WEB-INF/web.xml", webXml)
            .writeTo(run.resolve("shop.war"));

    ContainerProcess container =
        distribution.start(run.resolve("base"), port, environment, Map.of("shop.war", war));
    try {
      List<String> log = container.startUpLog();
      assertFalse(
          log.stream().anyMatch(line -> line.contains("ApiLink started")),
          () -> String.join("\n", log));

      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(container.url().resolve("/shop/api/products"))
                      .timeout(Duration.ofSeconds(30))
                      .build(),
                  BodyHandlers.ofString());
      assertEquals(404, response.statusCode(), response::body);
      assertFalse(response.body().contains("\"statusCode\""), response::body);
      return log;
    } finally {
      container.close();
    }
  }
}
