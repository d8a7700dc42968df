package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.io.ByteBufferPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bodies stream through the gateway both ways and are never held whole: 50 MB go up and come down
 * through a gateway whose whole heap is 32 MB, and arrive with the same hash.
 */
class StreamingTest {

  static final long FIFTY_MB = 50L * 1024 * 1024;
  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  @TempDir Path directory;

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  @Test
  void fiftyMegabytesStreamBothWaysThroughAGatewayWithA32MegabyteHeap() throws Exception {
    Path description = directory.resolve("gateway.json");
    Files.writeString(
        description,
        """
        {"apis": [{"name": "sample", "path": "api", "serviceUrl": "%s"}],
         "products": [{"id": "swa-linked", "apis": ["sample"]}],
         "subscriptions": [{"id": "swa-sub", "scope": "/products/swa-linked", "primaryKey": "k-0123456789"}]}
        """
            .formatted(backend.url()));
    Path errors = directory.resolve("stderr.txt");
    Process gateway =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx32m",
                "-cp",
                System.getProperty(
                    "surefire.test.class.path", System.getProperty("java.class.path")),
                ApimGatewayMain.class.getName(),
                "--config",
                description.toString())
            .redirectError(errors.toFile())
            .start();
    try (BufferedReader output =
        new BufferedReader(
            new InputStreamReader(gateway.getInputStream(), StandardCharsets.UTF_8))) {
      String first = output.readLine();
      assertNotNull(first, () -> "the gateway did not start: " + read(errors));
      assertTrue(first.startsWith("APIM gateway listening on "), first);
      URI url = URI.create(first.substring("APIM gateway listening on ".length()));

      assertUploadArrivesWhole(url, FIFTY_MB);
      assertDownloadArrivesWhole(url, FIFTY_MB);
    } finally {
      gateway.destroy();
      assertTrue(gateway.waitFor(20, TimeUnit.SECONDS), "the gateway stops on SIGTERM");
    }
    assertTrue(
        !read(errors).contains("OutOfMemoryError"),
        () -> "the gateway ran out of memory: " + read(errors));
  }

  @Test
  void aChunkedUploadOfUnknownLengthStreamsThrough() throws Exception {
    try (ApimGateway gateway = openGatewayToBackend()) {
      InputStreamRequestContent body = upload(FIFTY_MB / 10, -1);
      TestClient.Reply reply =
          client.send(client.request(gateway.url(), "/api/upload", null).method("POST").body(body));

      assertEquals(200, reply.status());
      EchoBackend.Received received = backend.received().get(0);
      assertEquals(List.of("chunked"), received.header("Transfer-Encoding"));
      assertEquals(FIFTY_MB / 10, received.bodyBytes());
      assertEquals(EchoBackend.sha256(EchoBackend.pattern(FIFTY_MB / 10)), received.bodySha256());
    }
  }

  /**
   * A gateway whose one API, at {@code api}, needs no key and goes to the echo backend, whose
   * record of requests this clears.
   */
  private static ApimGateway openGatewayToBackend() {
    backend.clear();
    return ApimGateway.builder()
        .api("sample", "api", backend.url())
        .product(Product.of("open").withSubscriptionRequired(false).withApis("sample"))
        .start();
  }

  /**
   * Jetty's client frames a body of unknown length as chunked only for POST and PUT, or when the
   * request has a Content-Type: for a PATCH, DELETE or OPTIONS without one it announced no body and
   * then wrote the body anyway, which the backend read as the next request on the connection (a
   * reviewer's PATCH body arrived at the backend as a request of its own). ApiLink sends every
   * HTTP/2 upload of unknown length chunked, whatever the method, and curl -T - sends no
   * Content-Type.
   */
  @ParameterizedTest
  @ValueSource(strings = {"PATCH", "DELETE", "OPTIONS"})
  void aChunkedBodyOfAnyMethodReachesTheBackendAsItsBody(String method) throws Exception {
    try (ApimGateway gateway = openGatewayToBackend()) {
      String smuggled = "GET /api/smuggled HTTP/1.1\r\nHost: backend\r\n\r\n";
      String request =
          method
              + " /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
              + "Connection: close\r\n\r\n"
              + Integer.toHexString(smuggled.length())
              + "\r\n"
              + smuggled
              + "\r\n0\r\n\r\n";
      String answer;
      try (Socket socket = new Socket("127.0.0.1", gateway.port())) {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      }

      assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
      EchoBackend.Received received = backend.received().get(0);
      assertEquals(method, received.method());
      assertEquals(smuggled.length(), received.bodyBytes());
      assertEquals(List.of("chunked"), received.header("Transfer-Encoding"));
    }
  }

  private static void assertUploadArrivesWhole(URI url, long length) throws Exception {
    backend.clear();
    InputStreamRequestContent body = upload(length, length);
    TestClient.Reply reply =
        client.send(
            client
                .request(url, "/api/upload", null)
                .method("PUT")
                .headers(headers -> headers.put("Ocp-Apim-Subscription-Key", "k-0123456789"))
                .body(body));

    assertEquals(200, reply.status(), reply.body());
    EchoBackend.Received received = backend.received().get(0);
    assertEquals(List.of(Long.toString(length)), received.header("Content-Length"));
    assertEquals(length, received.bodyBytes());
    assertEquals(EchoBackend.sha256(EchoBackend.pattern(length)), received.bodySha256());
  }

  private static void assertDownloadArrivesWhole(URI url, long length) throws Exception {
    InputStreamResponseListener listener = new InputStreamResponseListener();
    client
        .request(url, "/api/download", null)
        .headers(
            headers ->
                headers
                    .put("Ocp-Apim-Subscription-Key", "k-0123456789")
                    .put("x-echo-download", Long.toString(length)))
        .send(listener);
    Response response = listener.get(20, TimeUnit.SECONDS);

    assertEquals(200, response.getStatus());
    assertEquals(Long.toString(length), response.getHeaders().get("Content-Length"));
    try (InputStream body = listener.getInputStream()) {
      assertEquals(EchoBackend.sha256(EchoBackend.pattern(length)), EchoBackend.sha256(body));
    }
  }

  /** {@link EchoBackend#pattern} as a request body, of {@code declaredLength} (-1: unknown). */
  private static InputStreamRequestContent upload(long length, long declaredLength) {
    return new InputStreamRequestContent(
        "application/octet-stream",
        EchoBackend.pattern(length),
        new ByteBufferPool.Sized(null, false, 64 * 1024)) {
      @Override
      public long getLength() {
        return declaredLength;
      }
    };
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      return "(" + e + ")";
    }
  }
}
