package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A client whose upload stops arriving, on Tomcat 11 whose {@code connectionTimeout} runs out
 * before {@code timeoutSeconds}: ApiLink's 408, as docs/proxy.md says. The contract tests' embedded
 * Tomcat is 10.1, which closes such a connection without letting ApiLink answer: there the 408 went
 * unchecked, and answered as a 400 "could not be read" it still passed (found by review).
 */
class StalledUploadOnTomcat11IT {

  @Test
  void anUploadThatStopsArrivingPastTheConnectionTimeoutIsA408() throws Exception {
    Distribution tomcat = Distribution.TOMCAT_11;
    Path run = E2eFiles.runDirectory(tomcat.id() + "-stalled-upload");
    int port = ContainerProcess.freePort();
    // The stock connectionTimeout is 20 s: 1 s here, well before timeoutSeconds (45 s).
    String serverXml =
        tomcat.serverXml(port, "connectionTimeout=\"20000\"", "connectionTimeout=\"1000\"");
    try (EchoBackend gateway = EchoBackend.start()) {
      Map<String, String> environment =
          E2eFiles.sampleSiteEnvironment(port, gateway.url().toString(), "stalled-e2e-key");
      ContainerProcess container =
          tomcat.start(
              run.resolve("base"),
              port,
              environment,
              Map.of(),
              Map.of("shop.war", E2eFiles.sampleWar()),
              Map.of("conf/server.xml", serverXml));
      try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
        client.setSoTimeout(30_000);
        OutputStream out = client.getOutputStream();
        out.write(
            ("POST /shop/api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 10\r\n\r\nhello")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        gateway.awaitArrival("/api/upload", Duration.ofSeconds(30));

        String answer = ContainerProcess.readUntilClosed(client);
        assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
        assertEquals(
            "{\"statusCode\": 408, \"message\": \"Request timeout: the request body stopped"
                + " arriving.\"}",
            answer.substring(answer.indexOf("\r\n\r\n") + 4));
      } finally {
        container.close();
      }
      assertFalse(
          gateway.received().stream().anyMatch(EchoBackend.Received::bodyComplete),
          "the gateway never takes the stalled body as whole");
    }
  }
}
