package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.catalina.core.StandardHost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WAR that Tomcat serves without unpacking it ({@code unpackWARs="false"}): its {@code
 * WEB-INF/apilink.json} is no file ApiLink can watch, and the start-up says that a change needs a
 * redeployment (docs/configuration.md, "Changing the configuration without a restart").
 */
class PackedWarOnTomcatTest {

  @TempDir Path dir;

  @Test
  void aConfigurationInsideAPackedWarIsSaidToChangeOnlyWithARedeployment() throws Exception {
    Path war = dir.resolve("shop.war");
    try (OutputStream file = Files.newOutputStream(war);
        ZipOutputStream zip = new ZipOutputStream(file)) {
      zip.putNextEntry(new ZipEntry("WEB-INF/apilink.json"));
      zip.write(
          "{\"hostname\": \"shop.example\", \"environments\": {\"production\": {}}}"
              .getBytes(StandardCharsets.UTF_8));
      zip.closeEntry();
    }
    try (EmbeddedTomcat tomcat = new EmbeddedTomcat()) {
      tomcat.start();
      ((StandardHost) tomcat.host()).setUnpackWARs(false);
      LogWatch log = new LogWatch();

      boolean started = tomcat.deploy(war, "/shop", Map.of());

      log.close();
      assertTrue(started, tomcat.deploymentFailure());
      assertEquals(
          List.of(
              "ApiLink: /WEB-INF/apilink.json is not a file on disk (a packed WAR?); changes"
                  + " apply after a redeployment"),
          log.all("is not a file on disk"));
    }
  }
}
