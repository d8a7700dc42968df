package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Tomcat 11 with the drop-in JAR once in {@code $CATALINA_BASE/lib}, shared by the applications
 * that register ApiLink, as an operator running several sites in one container installs it.
 * Tomcat's JULI keeps a tree of loggers for each class loader, chosen by the thread's context class
 * loader when a logger is first asked for, and resets an application's tree when the application
 * stops.
 */
class SharedLibraryOnTomcat11IT {

  /** How long Tomcat's deployer, which looks at {@code webapps/} every second here, may take. */
  static final Duration DEPLOYMENT_TIMEOUT = Duration.ofSeconds(90);

  /**
   * {@code /first} starts alone, {@code /second} is deployed beside it, {@code /first} is
   * undeployed; then {@code /second}'s configuration changes. Its "reloaded" line is what an
   * operator sees of the change (and its refusal, were the change invalid, is logged the same way).
   */
  @Test
  void apiLinkStillLogsForTheOtherApplicationsOnceTheFirstOneToStartIsUndeployed()
      throws Exception {
    Distribution tomcat = Distribution.TOMCAT_11;
    Path run = E2eFiles.runDirectory(tomcat.id() + "-shared-library");
    Path sampleWar = E2eFiles.sampleWar();
    String dropInJar = FineLoggingOnTomcat11IT.dropInJarIn(sampleWar);
    int port = ContainerProcess.freePort();
    String origin = "http://127.0.0.1:" + port;

    Path base = run.resolve("base");
    Files.createDirectories(base.resolve("lib"));
    Files.write(
        base.resolve("lib").resolve(Path.of(dropInJar).getFileName()),
        Wars.read(sampleWar, dropInJar));
    Map<String, Path> wars =
        Map.of("first.war", unlinkedSiteWar(sampleWar, origin, run.resolve("wars/first.war")));
    Path secondWar = unlinkedSiteWar(sampleWar, origin, run.resolve("wars/second.war"));

    // The deployer looks at webapps/ at each background run of the engine: every second rather
    // than the stock 10, so that deploying /second and undeploying /first take no 20 s of waiting.
    String serverXml =
        tomcat.serverXml(port, Distribution.ENGINE, Distribution.ENGINE_CHECKING_EVERY_SECOND);
    ContainerProcess container =
        tomcat.start(base, port, Map.of(), Map.of(), wars, Map.of("conf/server.xml", serverXml));
    try {
      assertTrue(
          container.startUpLog().stream()
              .anyMatch(line -> line.contains(startedLine(origin, "/first"))),
          () -> "no start-up line for /first:\n" + String.join("\n", container.startUpLog()));
      Path webapps = base.resolve("webapps");
      Files.copy(secondWar, webapps.resolve("second.war.tmp"));
      Files.move(
          webapps.resolve("second.war.tmp"),
          webapps.resolve("second.war"),
          StandardCopyOption.ATOMIC_MOVE);
      container
          .log()
          .await(line -> line.contains(startedLine(origin, "/second")), DEPLOYMENT_TIMEOUT);

      Files.delete(webapps.resolve("first.war"));
      container
          .log()
          .await(line -> line.contains("Undeploying context [/first]"), DEPLOYMENT_TIMEOUT);

      Path secondConfig = webapps.resolve("second/WEB-INF/apilink.json");
      Path changed = webapps.resolve("second/WEB-INF/apilink.json.tmp");
      DistributionContract.writeJson(changed, unlinkedSiteConfig("http://127.0.0.1:1"));
      Files.move(
          changed,
          secondConfig,
          StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
      container
          .log()
          .await(
              line ->
                  line.contains(
                      "ApiLink reloaded: environment \"production\" of http://127.0.0.1:1 is not"
                          + " linked; /second/api is served by the web application"),
              Duration.ofSeconds(30));
    } finally {
      container.close();
    }
  }

  static String startedLine(String origin, String contextPath) {
    return "ApiLink started: environment \"production\" of "
        + origin
        + " is not linked; "
        + contextPath
        + "/api is served by the web application";
  }

  static ObjectNode unlinkedSiteConfig(String origin) {
    ObjectNode config = DistributionContract.JSON.createObjectNode();
    config.put("hostname", origin);
    config.putObject("environments").putObject("production");
    return config;
  }

  /** The sample WAR without the drop-in JAR, registering ApiLink itself, for an unlinked site. */
  static Path unlinkedSiteWar(Path sampleWar, String origin, Path war) throws Exception {
    return Wars.from(sampleWar)
        .without(FineLoggingOnTomcat11IT.dropInJarIn(sampleWar))
        .with("WEB-INF/web.xml", FineLoggingOnTomcat11IT.WEB_XML)
        .with(
            "WEB-INF/apilink.json",
            DistributionContract.JSON.writeValueAsBytes(unlinkedSiteConfig(origin)))
        .writeTo(war);
  }
}
