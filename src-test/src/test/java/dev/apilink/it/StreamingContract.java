package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apilink.testkit.echo.EchoBackend;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.InputStreamRequestContent;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 50 MB each way through ApiLink, in a JVM whose heap is smaller than the body (the build runs
 * these classes with {@code -Xmx48m}): a proxy that held a body whole would fail with
 * OutOfMemoryError instead of matching hashes.
 */
abstract class StreamingContract {

  static final long SIZE = 50L * 1024 * 1024;
  static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path dir;
  EchoBackend backend;
  Site site;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    backend = EchoBackend.start();
    site = Site.create(kind(), dir, "");
    site.deployLinkedTo(
        backend.url(),
        c ->
            ((com.fasterxml.jackson.databind.node.ObjectNode)
                    c.get("environments").get("production").get("backend"))
                .put("maxRequestBodyBytes", 0));
  }

  @AfterEach
  void stop() throws Exception {
    site.close();
    backend.close();
  }

  @Test
  void aFiftyMegabyteUploadArrivesIntactInAHeapSmallerThanIt() throws Exception {
    long maxHeap = Runtime.getRuntime().maxMemory();
    HttpResponse<String> response =
        CLIENT.send(
            HttpRequest.newBuilder(site.uri("/api/upload"))
                .POST(
                    BodyPublishers.fromPublisher(
                        BodyPublishers.ofInputStream(() -> EchoBackend.pattern(SIZE)), SIZE))
                .build(),
            BodyHandlers.ofString());

    assertEquals(200, response.statusCode());
    JsonNode echoed = Site.JSON.readTree(response.body());
    assertEquals(SIZE, echoed.get("bodyBytes").asLong());
    assertEquals(EchoBackend.sha256(EchoBackend.pattern(SIZE)), echoed.get("bodySha256").asText());
    System.out.printf(
        "%s upload of %d MB with a %d MB heap: peak heap use %d MB%n",
        kind(), SIZE >> 20, maxHeap >> 20, peakHeapBytes() >> 20);
  }

  @Test
  void aFiftyMegabyteDownloadArrivesIntactInAHeapSmallerThanIt() throws Exception {
    HttpResponse<InputStream> response =
        CLIENT.send(
            HttpRequest.newBuilder(site.uri("/api/download"))
                .header("x-echo-download", String.valueOf(SIZE))
                .build(),
            BodyHandlers.ofInputStream());

    assertEquals(200, response.statusCode());
    assertEquals(String.valueOf(SIZE), response.headers().firstValue("Content-Length").get());
    try (InputStream body = response.body()) {
      assertEquals(EchoBackend.sha256(EchoBackend.pattern(SIZE)), EchoBackend.sha256(body));
    }
    System.out.printf(
        "%s download of %d MB: peak heap use %d MB%n", kind(), SIZE >> 20, peakHeapBytes() >> 20);
  }

  @Test
  void anHttp2UploadOfUnknownLengthArrivesWholeAndAsTheClientSentIt() throws Exception {
    long size = 3L * 1024 * 1024;
    org.eclipse.jetty.client.HttpClient h2 =
        new org.eclipse.jetty.client.HttpClient(
            new HttpClientTransportOverHTTP2(new HTTP2Client()));
    h2.start();
    try {
      // HTTP/2 has no chunked framing: a body of unknown length has no Content-Length and is
      // ended by its last DATA frame (curl -T -, a fetch() stream, a JDK publisher of unknown
      // length). A reviewer's such uploads reached the gateway as empty requests, answered 200.
      ContentResponse upload =
          h2.newRequest(site.uri("/api/upload"))
              .method("POST")
              .headers(h -> h.add("Cookie", "a=1").add("Cookie", "b=2"))
              .body(
                  new InputStreamRequestContent(
                      "application/octet-stream", EchoBackend.pattern(size)))
              .timeout(60, TimeUnit.SECONDS)
              .send();
      ContentResponse get = h2.newRequest(site.uri("/api/x")).timeout(60, TimeUnit.SECONDS).send();

      assertEquals(HttpVersion.HTTP_2, upload.getVersion());
      assertEquals(200, upload.getStatus(), upload.getContentAsString());
      JsonNode echoed = Site.JSON.readTree(upload.getContentAsString());
      assertEquals(size, echoed.get("bodyBytes").asLong());
      assertEquals(
          EchoBackend.sha256(EchoBackend.pattern(size)), echoed.get("bodySha256").asText());
      assertEquals(200, get.getStatus());
      List<EchoBackend.Received> received = backend.received();
      assertEquals(2, received.size());
      EchoBackend.Received post = received.get(0);
      assertEquals(List.of("chunked"), post.header("Transfer-Encoding"));
      // An HTTP/2 client names the host in :authority, not Host (a reviewer saw none forwarded);
      // its cookie crumbs go out as one field (RFC 9113 8.2.3; Jetty passed them on as two).
      assertEquals(
          List.of("127.0.0.1:" + site.container().port()), post.header("X-Forwarded-Host"));
      assertEquals(List.of("a=1; b=2"), post.header("Cookie"));
      // RFC 9110 7.6.3: Via names the version the proxy received (docs/proxy.md).
      assertEquals(List.of("2.0 apilink"), post.header("Via"));
      EchoBackend.Received bodiless = received.get(1);
      assertEquals(0, bodiless.bodyBytes());
      assertEquals(List.of(), bodiless.header("Transfer-Encoding"));
    } finally {
      h2.stop();
    }
  }

  /**
   * A HEAD over HTTP/2 is answered with the gateway's head, and the connection serves the next
   * request. Tomcat (10.1.59, 11.0.24) ended a HEAD's stream with an empty DATA frame before its
   * HEADERS once a write listener was set: this client dropped the stream (a timeout), curl and
   * nghttp the whole connection (found by review on the real Tomcats).
   */
  @Test
  void anHttp2HeadIsAnsweredAndTheConnectionServesTheNextRequest() throws Exception {
    org.eclipse.jetty.client.HttpClient h2 =
        new org.eclipse.jetty.client.HttpClient(
            new HttpClientTransportOverHTTP2(new HTTP2Client()));
    h2.start();
    try {
      ContentResponse head =
          h2.newRequest(site.uri("/api/x")).method("HEAD").timeout(20, TimeUnit.SECONDS).send();
      ContentResponse get = h2.newRequest(site.uri("/api/y")).timeout(20, TimeUnit.SECONDS).send();

      assertEquals(HttpVersion.HTTP_2, head.getVersion());
      assertEquals(200, head.getStatus());
      assertEquals(0, head.getContent().length);
      assertEquals(200, get.getStatus(), get.getContentAsString());
      assertEquals(
          List.of("HEAD", "GET"),
          backend.received().stream().map(EchoBackend.Received::method).toList());
    } finally {
      h2.stop();
    }
  }

  private static long peakHeapBytes() {
    return ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == java.lang.management.MemoryType.HEAP)
        .mapToLong(pool -> pool.getPeakUsage().getUsed())
        .sum();
  }
}
