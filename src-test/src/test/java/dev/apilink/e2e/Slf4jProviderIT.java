package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code -Dslf4j.provider}, which SLF4J 2 reads to choose its provider without a search, names the
 * container's or the application's provider for the whole JVM (here Jetty's own, as an operator
 * sets it to quiet SLF4J's search). ApiLink's relocated SLF4J is bound to {@code java.util.logging}
 * and must not take that class for its own: before, it tried, failed (the class is not its
 * relocated interface, nor in the web application at all on Tomcat) and printed {@code SLF4J(E)}
 * lines with a stack trace at every start (found by review 27 on Tomcat 11.0.24).
 */
class Slf4jProviderIT {

  static final String PROVIDER = "org.eclipse.jetty.logging.JettyLoggingServiceProvider";

  @ParameterizedTest
  @EnumSource(
      value = Distribution.class,
      names = {"TOMCAT_11", "JETTY_12_EE10"})
  void aProviderNamedForTheWholeJvmLeavesApiLinkSilent(Distribution distribution) throws Exception {
    Path run = E2eFiles.runDirectory(distribution.id() + "-slf4j-provider");
    int port = ContainerProcess.freePort();
    Map<String, String> environment =
        E2eFiles.sampleSiteEnvironment(port, "http://127.0.0.1:1", "slf4j-provider-e2e-key");

    ContainerProcess container =
        distribution.start(
            run.resolve("base"),
            port,
            environment,
            Map.of("slf4j.provider", PROVIDER),
            Map.of("shop.war", E2eFiles.sampleWar()));
    try {
      List<String> log = container.startUpLog();
      assertTrue(
          log.stream().anyMatch(line -> line.contains("ApiLink started: environment")),
          () -> "ApiLink did not start:\n" + String.join("\n", log));
      assertEquals(
          List.of(),
          log.stream()
              .filter(
                  line ->
                      line.contains("SLF4J(E)") || line.contains("dev.apilink.shaded.org.slf4j"))
              .toList(),
          () -> String.join("\n", log));
    } finally {
      container.close();
    }
  }
}
