package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged gateway, {@code apilink-testkit-<version>-gateway.jar}, run as docs/gateway.md
 * tells: {@code java -jar} with a description, no Maven and no other class path.
 */
class GatewayJarIT {

  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path directory;

  @Test
  void theGatewayJarRunsOnItsOwnChecksKeysAndForwards() throws Exception {
    Path jar = Path.of(System.getProperty("apilink.e2e.gateway-jar"));
    assertTrue(Files.isRegularFile(jar), jar + " was not built");
    try (EchoBackend backend = EchoBackend.start()) {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      Files.writeString(
          directory.resolve("gateway.json"),
          """
          {"apis": [{"name": "orders", "path": "api", "serviceUrl": "%s"}],
           "products": [{"id": "site", "apis": ["orders"]}],
           "subscriptions": [{"id": "site", "scope": "/products/site",
                              "primaryKey": "dev-primary-key", "secondaryKey": "dev-secondary"}]}
          """
              .formatted(backend.url()));
      Process process =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  jar.toString(),
                  "--config",
                  "gateway.json",
                  "--port",
                  Integer.toString(port))
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .start();
      BlockingQueue<String> lines = new LinkedBlockingQueue<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                  }
                } catch (IOException e) {
                  lines.add("<" + e + ">");
                }
              },
              "gateway-jar-output");
      reader.setDaemon(true);
      reader.start();
      try {
        List<String> startUp = awaitLine(lines, "Press Ctrl-C to stop.");
        assertEquals("APIM gateway listening on http://127.0.0.1:" + port, startUp.get(0));

        HttpClient client = HttpClient.newHttpClient();
        URI url = URI.create("http://127.0.0.1:" + port + "/api/orders/7");
        HttpResponse<String> noKey =
            client.send(HttpRequest.newBuilder(url).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> withKey =
            client.send(
                HttpRequest.newBuilder(url)
                    .header("Ocp-Apim-Subscription-Key", "dev-primary-key")
                    .build(),
                HttpResponse.BodyHandlers.ofString());

        assertEquals(401, noKey.statusCode());
        assertEquals(
            "{\"statusCode\": 401, \"message\": \"Access denied due to missing subscription key."
                + " Make sure to include subscription key when making requests to an API.\"}",
            noKey.body());
        assertEquals(200, withKey.statusCode(), withKey.body());
        assertEquals("/orders/7", backend.received().get(0).rawPath());
        assertEquals(
            List.of(
                "GET /api/orders/7 -> 401: Access denied due to missing subscription key. Make sure"
                    + " to include subscription key when making requests to an API.",
                "GET /api/orders/7 -> API \"orders\" (subscription site)"),
            awaitLine(lines, "GET /api/orders/7 -> API"));
      } finally {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  /** The lines read until (and with) the first that starts with {@code prefix}. */
  private static List<String> awaitLine(BlockingQueue<String> lines, String prefix)
      throws InterruptedException {
    List<String> seen = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no line starting \"" + prefix + "\" in " + WAIT + ": " + seen);
      }
      seen.add(line);
      if (line.startsWith(prefix)) {
        return seen;
      }
    }
  }
}
