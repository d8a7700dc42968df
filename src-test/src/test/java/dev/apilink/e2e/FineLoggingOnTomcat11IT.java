package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.apilink.e2e.LinkedGateway.LinkedSite;
import dev.apilink.testkit.echo.EchoBackend;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;

/**
 * Tomcat 11 with {@code dev.apilink.level = FINE} added to its stock {@code
 * conf/logging.properties} (whose handlers write every level), as an operator turns on ApiLink's
 * detail: ApiLink's own FINE records are written; the relocated Jetty client's, which list every
 * header of each gateway request (the subscription key, the token and the user's cookies among
 * them), are not. Tomcat's JULI keeps a separate tree of loggers for each class loader, chosen by
 * the thread's context class loader when a logger is first asked for: the drop-in JAR in Tomcat's
 * {@code lib}, shared by two applications, has loggers made in three of them (each application's,
 * and Tomcat's common loader for the client's own threads).
 */
class FineLoggingOnTomcat11IT {

  static final String COOKIE = "session-e2e-cookie-value";

  /** ApiLink registered by each application, as the drop-in JAR's fragment is not read there. */
  static final String WEB_XML =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0" metadata-complete="true">
        <filter>
          <filter-name>ApiLink</filter-name>
          <filter-class>dev.apilink.ApiLinkFilter</filter-class>
          <async-supported>true</async-supported>
        </filter>
        <filter-mapping>
          <filter-name>ApiLink</filter-name>
          <url-pattern>/api/*</url-pattern>
          <url-pattern>/.auth/.well-known/*</url-pattern>
          <dispatcher>REQUEST</dispatcher>
          <dispatcher>ASYNC</dispatcher>
        </filter-mapping>
        <servlet>
          <servlet-name>ApiLinkServlet</servlet-name>
          <servlet-class>dev.apilink.ApiLinkServlet</servlet-class>
          <async-supported>true</async-supported>
        </servlet>
        <servlet-mapping>
          <servlet-name>ApiLinkServlet</servlet-name>
          <url-pattern>/api/*</url-pattern>
        </servlet-mapping>
      </web-app>
      """;

  @Test
  void fineForApiLinkLogsItsOwnDetailButNoGatewayRequestHeaders() throws Exception {
    assertOnlyApiLinksOwnDetailIsLogged("fine-webinf-lib", false);
  }

  @Test
  void fineForApiLinkLogsNoGatewayRequestHeadersWithTheJarInTomcatsLibSharedByTwoApplications()
      throws Exception {
    assertOnlyApiLinksOwnDetailIsLogged("fine-tomcat-lib", true);
  }

  /**
   * Starts Tomcat 11 at FINE for {@code dev.apilink} with {@code /shop} and {@code /other}, the
   * drop-in JAR in each application's {@code WEB-INF/lib} or, with {@code jarInTomcatsLib}, once in
   * {@code $CATALINA_BASE/lib}; sends {@code /other} then {@code /shop} a request with a cookie and
   * one that ApiLink refuses (logged at FINE), then reads every log.
   */
  void assertOnlyApiLinksOwnDetailIsLogged(String name, boolean jarInTomcatsLib) throws Exception {
    Distribution tomcat = Distribution.TOMCAT_11;
    Path run = E2eFiles.runDirectory(tomcat.id() + "-" + name);
    Path sampleWar = E2eFiles.sampleWar();
    int port = ContainerProcess.freePort();
    String origin = "http://127.0.0.1:" + port;
    Path signingKeys = DistributionContract.keygen(run.resolve("signing-keys.jwk.json"));
    Map<String, LinkedSite> sites = new LinkedHashMap<>();
    for (String context : List.of("shop", "other")) {
      Path config =
          DistributionContract.writeJson(
              run.resolve(context + "-apilink.json"),
              DistributionContract.siteConfig(
                  origin,
                  "${env:APIM_GATEWAY_URL}",
                  "${env:" + context.toUpperCase(java.util.Locale.ROOT) + "_SUBSCRIPTION_KEY}",
                  signingKeys));
      sites.put(context, new LinkedSite(config, "/" + context, Map.of()));
    }

    Path base = run.resolve("base");
    String dropInJar = dropInJarIn(sampleWar);
    if (jarInTomcatsLib) {
      Files.createDirectories(base.resolve("lib"));
      Files.write(
          base.resolve("lib").resolve(Path.of(dropInJar).getFileName()),
          Wars.read(sampleWar, dropInJar));
    }
    String logging =
        Files.readString(tomcat.home().resolve("conf/logging.properties"), StandardCharsets.UTF_8)
            + "\ndev.apilink.level = FINE\n";

    try (EchoBackend backend = EchoBackend.start();
        LinkedGateway gateway = LinkedGateway.start(backend.url(), List.copyOf(sites.values()))) {
      Map<String, String> environment = new LinkedHashMap<>();
      environment.put("APIM_GATEWAY_URL", gateway.url().toString());
      Map<String, Path> wars = new LinkedHashMap<>();
      List<String> secrets = new ArrayList<>(List.of(COOKIE, "Bearer ey"));
      for (Map.Entry<String, LinkedSite> site : sites.entrySet()) {
        String key = gateway.subscriptionKey(site.getValue());
        secrets.add(key);
        environment.put(
            site.getKey().toUpperCase(java.util.Locale.ROOT) + "_SUBSCRIPTION_KEY", key);
        Wars war =
            Wars.from(sampleWar)
                .with("WEB-INF/apilink.json", Files.readAllBytes(site.getValue().config()));
        if (jarInTomcatsLib) {
          war.without(dropInJar).with("WEB-INF/web.xml", WEB_XML);
        }
        wars.put(
            site.getKey() + ".war", war.writeTo(run.resolve("wars/" + site.getKey() + ".war")));
      }
      ContainerProcess container =
          tomcat.start(
              base, port, environment, Map.of(), wars, Map.of("conf/logging.properties", logging));
      try {
        for (String context : List.of("/other", "/shop")) {
          assertEquals(
              200,
              DistributionContract.send(
                      HttpRequest.newBuilder(URI.create(origin + context + "/api/fine"))
                          .header("Cookie", "session=" + COOKIE))
                  .statusCode());
          assertEquals(
              400,
              DistributionContract.send(
                      HttpRequest.newBuilder(URI.create(origin + context + "/api;p/fine")))
                  .statusCode());
          container
              .log()
              .await(
                  line ->
                      line.contains(" FINE ")
                          && line.contains("ApiLink: refused ")
                          && line.contains(context + "/api;p/fine, "),
                  Duration.ofSeconds(10));
        }
      } finally {
        container.close();
      }

      for (Path log : DistributionContract.logFiles(container)) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (String line : lines) {
          for (String secret : secrets) {
            assertFalse(line.contains(secret), () -> log + " holds a secret: " + line);
          }
          assertFalse(
              line.contains(" FINE ") && line.contains("dev.apilink.shaded."),
              () -> log + " holds a relocated library's FINE record: " + line);
        }
      }
    }
  }

  static String dropInJarIn(Path war) throws IOException {
    try (ZipFile zip = new ZipFile(war.toFile())) {
      return zip.stream()
          .map(java.util.zip.ZipEntry::getName)
          .filter(entry -> entry.startsWith("WEB-INF/lib/apilink-filter-"))
          .findFirst()
          .orElseThrow(() -> new IllegalStateException(war + " has no drop-in JAR"));
    }
  }
}
