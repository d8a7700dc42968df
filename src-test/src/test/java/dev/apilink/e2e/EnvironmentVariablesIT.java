package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The container's environment chooses what an unchanged WAR runs as (DESIGN.md, "Configuration"):
 * {@code APILINK_ENVIRONMENT} the environment, {@code APILINK_CONFIG} the configuration file, when
 * no init-param names them. The sample WAR, as built, registers ApiLink by its web fragment without
 * init-params; the variables reach ApiLink through the container's process, as the README's step 4
 * has operators set them.
 */
class EnvironmentVariablesIT {

  @ParameterizedTest
  @EnumSource(
      value = Distribution.class,
      names = {"TOMCAT_11", "JETTY_12_EE10"})
  void apilinkEnvironmentAndApilinkConfigChooseTheEnvironmentAndTheFile(Distribution distribution)
      throws Exception {
    Path run = E2eFiles.runDirectory(distribution.id() + "-environment-variables");
    int port = ContainerProcess.freePort();
    // Not the WAR's own WEB-INF/apilink.json, which has no "qa" and reads APILINK_SITE_ORIGIN.
    Path config = run.resolve("outside-apilink.json").toAbsolutePath();
    Files.writeString(
        config, "{\"hostname\": \"http://outside.example\", \"environments\": {\"qa\": {}}}");
    Map<String, String> environment =
        Map.of("APILINK_ENVIRONMENT", "qa", "APILINK_CONFIG", config.toString());

    ContainerProcess container =
        distribution.start(
            run.resolve("base"), port, environment, Map.of("shop.war", E2eFiles.sampleWar()));
    try {
      String started =
          "ApiLink started: environment \"qa\" of http://outside.example is not linked; /shop/api"
              + " is served by the web application; configuration: "
              + config;
      assertTrue(
          container.startUpLog().stream().anyMatch(line -> line.contains(started)),
          () -> "no line \"" + started + "\" in:\n" + String.join("\n", container.startUpLog()));
    } finally {
      container.close();
    }
  }
}
