package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A container stopped as Ctrl-C or a service manager stops it (SIGTERM) while a client is still
 * sending an {@code /api} request body: the client is told that the site is stopping (ApiLink's
 * 503, or Jetty's own without a body), or its connection closes unanswered; never that its body
 * could not be read, a 400 that clients do not retry. On the distributions with the drop-in JAR,
 * whose relocation changes the classes that the embedded tests run (found by review: Jetty 12.1.12
 * answered the 400; a first fix passed the embedded test and not this one).
 */
class StoppingMidUploadIT {

  static final String STOPPING =
      "{\"statusCode\": 503, \"message\": \"Service unavailable: the site is stopping; try"
          + " again.\"}";

  @ParameterizedTest
  @EnumSource(Distribution.class)
  void aClientStillSendingItsBodyIsNeverToldItsBodyCouldNotBeRead(Distribution distribution)
      throws Exception {
    Path run = E2eFiles.runDirectory(distribution.id() + "-stopping-mid-upload");
    int port = ContainerProcess.freePort();
    try (EchoBackend gateway = EchoBackend.start()) {
      Map<String, String> environment =
          E2eFiles.sampleSiteEnvironment(port, gateway.url().toString(), "stopping-e2e-key");
      ContainerProcess container =
          distribution.start(
              run.resolve("base"), port, environment, Map.of("shop.war", E2eFiles.sampleWar()));
      try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
        client.setSoTimeout(30_000);
        OutputStream out = client.getOutputStream();
        out.write(
            ("POST /shop/api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.write(new byte[5000]);
        out.flush();
        gateway.awaitArrival("/api/upload", Duration.ofSeconds(30));

        container.close();

        String answer = ContainerProcess.readUntilClosed(client);
        if (!answer.isEmpty()) {
          assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
          String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
          // A 503 without a body when Jetty reports the closed connection before ApiLink reads it
          // from the body (docs/proxy.md names both answers; 5 of 50 stops under CPU load).
          assertTrue(body.equals(STOPPING) || body.isEmpty(), answer);
        }
      } finally {
        container.close();
      }
    }
  }
}
