package dev.apilink.it;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A static site at {@code /shop} linked to an echo gateway, for the tests that register a filter of
 * their own before ApiLink on an embedded Tomcat or Jetty ({@link ApplicationRootServletTest}'s
 * set-ups).
 */
abstract class FilterBeforeApiLinkSite {

  static final String KEY = "primary-key-0123456789abcdef";
  static EchoBackend gateway;

  @TempDir Path dir;
  Path webapp;
  Path config;

  @BeforeAll
  static void startGateway() {
    gateway = EchoBackend.start();
  }

  @AfterAll
  static void stopGateway() {
    gateway.close();
  }

  @BeforeEach
  void writeSiteAndConfiguration() throws IOException {
    gateway.clear();
    webapp = Files.createDirectories(dir.resolve("webapp"));
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    config = dir.resolve("apilink.json");
    ApplicationRootServletTest.writeLinkedConfig(config, gateway.url(), KEY);
  }
}
