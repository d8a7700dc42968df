package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.faults.BreakingServer;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Routing by API URL suffix, and what the backend and the client see of a forwarded call. */
class RoutingTest {

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  @RegisterExtension
  static final ApimGatewayExtension gateway =
      ApimGatewayExtension.of(
          ApimGateway.builder()
              .api("sample", "api", backend.url() + "/a")
              .api("sample-v2", "api/v2", backend.url() + "/b/")
              .api("root", "root", backend.url())
              .product(
                  Product.of("public")
                      .withSubscriptionRequired(false)
                      .withApis("sample", "sample-v2", "root")));

  @BeforeEach
  void clear() {
    backend.clear();
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  private EchoBackend.Received received() {
    List<EchoBackend.Received> received = backend.received();
    assertEquals(1, received.size(), "requests received by the backend");
    return received.get(0);
  }

  @Test
  void aCallGoesToTheApiWithTheLongestMatchingUrlSuffix() {
    assertEquals(200, client.get(gateway.url(), "/api/v2/users").status());
    assertEquals("/b/users", received().rawPath());
  }

  @Test
  void aSuffixMatchesWholePathSegmentsOnly() {
    assertEquals(200, client.get(gateway.url(), "/api/v20").status());
    assertEquals("/a/v20", received().rawPath());
  }

  @Test
  void aPathThatNoApiMatchesIsAnsweredWithApimsNotFound() {
    TestClient.Reply reply = client.get(gateway.url(), "/apiary");

    assertEquals(404, reply.status());
    assertEquals("{\"statusCode\": 404, \"message\": \"Resource not found\"}", reply.body());
    assertEquals("application/json", reply.header("Content-Type"));
    assertTrue(backend.received().isEmpty());
  }

  @Test
  void theRootPathIsNotFoundWhenNoApiHasAnEmptySuffix() {
    assertEquals(404, client.get(gateway.url(), "/").status());
  }

  @Test
  void theSuffixItselfGoesToTheServiceUrl() {
    client.get(gateway.url(), "/api");
    assertEquals("/a", received().rawPath());
  }

  @Test
  void aServiceUrlWithoutPathGetsTheRootPath() {
    client.get(gateway.url(), "/root");
    assertEquals("/", received().rawPath());
  }

  @Test
  void pathAndQueryReachTheBackendByteForByte() {
    client.send(
        client.request(
            gateway.url(), "/api/caf%C3%A9/a%2Fb;p=1/%7E", "q=a%20b&plus=%2B&&empty=&x=%26"));

    EchoBackend.Received received = received();
    assertEquals("/a/caf%C3%A9/a%2Fb;p=1/%7E", received.rawPath());
    assertEquals("q=a%20b&plus=%2B&&empty=&x=%26", received.rawQuery());
  }

  @Test
  void hopByHopHeadersStayBehindAndHostIsTheBackends() {
    client.send(
        client
            .request(gateway.url(), "/api/headers", null)
            .headers(
                headers ->
                    headers
                        .put("Connection", "X-Private")
                        .put("X-Private", "for the gateway only")
                        .put("Keep-Alive", "timeout=5")
                        .put("Proxy-Authorization", "Basic Zm9vOmJhcg==")
                        .put("TE", "trailers")
                        .put("X-Kept", "end to end")));

    EchoBackend.Received received = received();
    for (String name :
        List.of("Connection", "X-Private", "Keep-Alive", "Proxy-Authorization", "TE")) {
      assertEquals(List.of(), received.header(name), name);
    }
    assertEquals(List.of("end to end"), received.header("X-Kept"));
    assertEquals(List.of("127.0.0.1:" + backend.port()), received.header("Host"));
  }

  /**
   * Users of API Management see X-Forwarded-For with the caller's address on every request that
   * reaches the backend, and cannot remove it with set-header (Microsoft Q&A 5774313, "APIM |
   * Remove X-Forwarded-For header when forwarding the request to backend").
   */
  @Test
  void theBackendLearnsTheCallersAddressFromXForwardedFor() {
    client.get(gateway.url(), "/api/x");

    // The value's exact form (address, address:port) is not documented: only its presence.
    assertEquals(1, received().header("X-Forwarded-For").size());
  }

  @Test
  void theBackendsStatusHeadersAndBodyReachTheClient() {
    TestClient.Reply reply =
        client.get(
            gateway.url(),
            "/api/teapot",
            headers ->
                headers.put("x-echo-status", "418").put("x-echo-response-header", "X-Answer: 42"));

    assertEquals(418, reply.status());
    assertEquals("42", reply.header("X-Answer"));
    assertTrue(reply.body().contains("\"rawPath\":\"/a/teapot\""), reply.body());
  }

  @Test
  void aCompressedBodyPassesThroughUntouched() throws Exception {
    TestClient.Reply reply =
        client.send(
            client
                .request(gateway.url(), "/api/gzip", null)
                .headers(headers -> headers.put("x-echo-gzip", "true")));

    assertEquals("gzip", reply.header("Content-Encoding"));
    try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(reply.content()))) {
      assertTrue(new String(gzip.readAllBytes(), StandardCharsets.UTF_8).contains("/a/gzip"));
    }
  }

  @Test
  void aResponseWithoutBodyEndsCleanly() {
    TestClient.Reply head =
        client.send(client.request(gateway.url(), "/api/head", null).method("HEAD"));
    TestClient.Reply noContent =
        client.get(gateway.url(), "/api/none", headers -> headers.put("x-echo-status", "204"));

    assertEquals(200, head.status());
    assertEquals("", head.body());
    assertEquals(204, noContent.status());
    assertEquals("", noContent.body());
  }

  @Test
  void anUploadThatExpects100ContinueGoesThrough() throws Exception {
    java.net.http.HttpClient javaClient = java.net.http.HttpClient.newHttpClient();
    byte[] body = "a body sent after 100 Continue".getBytes(StandardCharsets.UTF_8);

    java.net.http.HttpResponse<String> response =
        javaClient.send(
            java.net.http.HttpRequest.newBuilder(URI.create(gateway.url() + "/api/continue"))
                .expectContinue(true)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());

    assertEquals(200, response.statusCode());
    EchoBackend.Received received = received();
    assertEquals(body.length, received.bodyBytes());
    assertEquals(List.of(), received.header("Expect"));
  }

  @Test
  void serverSentEventsReachTheClientOneByOne() throws Exception {
    InputStreamResponseListener listener = new InputStreamResponseListener();
    client
        .request(gateway.url(), "/api/events", null)
        .headers(headers -> headers.put("x-echo-sse", "routing"))
        .send(listener);
    Response response = listener.get(10, TimeUnit.SECONDS);
    assertEquals("text/event-stream", response.getHeaders().get("Content-Type"));

    try (BufferedReader events =
        new BufferedReader(
            new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8))) {
      backend.sse("routing").send("first");
      assertEquals("data: first", events.readLine());
      assertEquals("", events.readLine());
      // The second event is sent only once the first has arrived: no buffering on the way.
      backend.sse("routing").send("second");
      assertEquals("data: second", events.readLine());
      backend.sse("routing").end();
      assertEquals("", events.readLine());
      assertNull(events.readLine());
    }
  }

  @Test
  void aBackendThatBreaksOffMidBodyBreaksOffTheClientsResponse() throws Exception {
    InputStreamResponseListener listener = new InputStreamResponseListener();
    client
        .request(gateway.url(), "/api/download", null)
        .headers(
            headers ->
                headers
                    .put("x-echo-download", "1000000")
                    .put("x-echo-abort-after", "100000")
                    .put("x-echo-chunked", "true"))
        .send(listener);
    Response response = listener.get(10, TimeUnit.SECONDS);
    assertEquals(200, response.getStatus());

    try (java.io.InputStream body = listener.getInputStream()) {
      // A chunked response that ended cleanly here would pass a truncation off as the whole.
      assertThrows(java.io.IOException.class, body::readAllBytes);
    }
  }

  /**
   * An API may send interim responses before its answer (RFC 9110 15.2: 102 Processing, 103 Early
   * Hints, as Node's {@code writeEarlyHints} does): the client still gets the final response.
   */
  @ParameterizedTest
  @ValueSource(strings = {"102 Processing", "103 Early Hints"})
  void anInterimResponseIsFollowedByTheBackendsAnswer(String interim) throws Exception {
    byte[] answer =
        ("HTTP/1.1 "
                + interim
                + "\r\nLink: </style.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 6\r\n\r\nanswer")
            .getBytes(StandardCharsets.US_ASCII);
    try (BreakingServer api = BreakingServer.start(answer, BreakingServer.Ending.STALL);
        ApimGateway hinted =
            ApimGateway.builder()
                .api("hinted", "api", api.url())
                .product(Product.of("open").withSubscriptionRequired(false).withApis("hinted"))
                .start()) {
      TestClient.Reply reply = client.get(hinted.url(), "/api/page");

      assertEquals(200, reply.status());
      assertEquals("answer", reply.body());
    }
  }

  @Test
  void anUnreachableBackendIsAnsweredWithBadGateway() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    try (ApimGateway unreachable =
        ApimGateway.builder()
            .api("gone", "api", URI.create("http://127.0.0.1:" + closedPort))
            .product(Product.of("open").withSubscriptionRequired(false).withApis("gone"))
            .start()) {
      TestClient.Reply reply = client.get(unreachable.url(), "/api/x");

      assertEquals(502, reply.status());
      assertEquals("{\"statusCode\": 502, \"message\": \"Bad Gateway\"}", reply.body());
    }
  }

  @Test
  void aBackendSlowerThanTheTimeoutIsAnsweredWithGatewayTimeout() {
    try (ApimGateway impatient =
        ApimGateway.builder()
            .api("slow", "api", backend.url())
            .product(Product.of("open").withSubscriptionRequired(false).withApis("slow"))
            .backendTimeout(Duration.ofMillis(200))
            .start()) {
      TestClient.Reply reply =
          client.get(impatient.url(), "/api/hang", headers -> headers.put("x-echo-hang", "true"));

      assertEquals(504, reply.status());
      assertEquals("{\"statusCode\": 504, \"message\": \"Gateway Timeout\"}", reply.body());
    }
  }

  /**
   * Microsoft's forward-request reference: {@code timeout} is "the amount of time in seconds to
   * wait for the HTTP response headers to be returned by the backend service". A stream whose
   * headers came in time goes on past it.
   */
  @Test
  void theTimeoutLimitsTheWaitForHeadersNotAResponseThatHasBegun() throws Exception {
    try (ApimGateway impatient =
        ApimGateway.builder()
            .api("events", "api", backend.url())
            .product(Product.of("open").withSubscriptionRequired(false).withApis("events"))
            .backendTimeout(Duration.ofSeconds(1))
            .start()) {
      InputStreamResponseListener listener = new InputStreamResponseListener();
      client
          .request(impatient.url(), "/api/events", null)
          .headers(headers -> headers.put("x-echo-sse", "past-the-timeout"))
          .send(listener);
      assertEquals(200, listener.get(10, TimeUnit.SECONDS).getStatus());

      try (BufferedReader events =
          new BufferedReader(
              new InputStreamReader(listener.getInputStream(), StandardCharsets.UTF_8))) {
        backend.sse("past-the-timeout").send("first");
        assertEquals("data: first", events.readLine());
        assertEquals("", events.readLine());
        // A call started after the stream got its 504 once the timeout had passed: the stream has
        // now lived longer than the timeout too.
        TestClient.Reply hung =
            client.get(impatient.url(), "/api/hang", headers -> headers.put("x-echo-hang", "true"));
        assertEquals(504, hung.status());
        backend.sse("past-the-timeout").send("second");
        assertEquals("data: second", events.readLine());
        backend.sse("past-the-timeout").end();
        assertEquals("", events.readLine());
        assertNull(events.readLine());
      }
    }
  }

  @Test
  void aBackendSilentForLongerThanAnIdleConnectionIsKeptIsWaitedFor() {
    // A reviewer's API that took 33 s got a 504 after 30 s, the client's idle timeout, although
    // the forward-request timeout is 300 s.
    try (ApimGateway patient =
        ApimGateway.builder()
            .api("slow", "api", backend.url())
            .product(Product.of("open").withSubscriptionRequired(false).withApis("slow"))
            .idleConnectionTimeout(Duration.ofMillis(200))
            .backendTimeout(Duration.ofSeconds(30))
            .start()) {
      TestClient.Reply reply =
          client.get(patient.url(), "/api/slow", headers -> headers.put("x-echo-delay-ms", "1500"));

      assertEquals(200, reply.status(), reply.body());
    }
  }

  @Test
  void theGatewayUrlIsItsLoopbackOrigin() {
    assertEquals("http://127.0.0.1:" + gateway.gateway().port(), gateway.url().toString());
    assertFalse(gateway.url().toString().endsWith("/"));
  }
}
