package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.proxy.GatewayClient;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.faults.BreakingServer;
import dev.apilink.testkit.faults.BreakingServer.Ending;
import dev.apilink.testkit.faults.ForgetfulServer;
import dev.apilink.testkit.faults.SilentServer;
import dev.apilink.testkit.faults.UnacceptingServer;
import dev.apilink.testkit.gateway.ApimGateway;
import dev.apilink.testkit.proxy.ForwardProxy;
import dev.apilink.testkit.proxy.SocksProxy;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A gateway that fails in each way a network lets it, in front of a real container: every failure
 * becomes a JSON error within the configured limit or a broken-off response, never a
 * complete-looking one, and afterwards the container is healthy and holds no thread or connection
 * for it. Run once per container by {@link FaultsOnJettyTest} and {@link FaultsOnTomcatTest}.
 */
abstract class FaultContract {

  @RegisterExtension static final SecretWatch SECRETS = new SecretWatch();

  static final Duration IDLE = Duration.ofSeconds(20);

  @TempDir Path dir;
  Site site;
  Consumer<ObjectNode> keyFile;

  abstract ServletContainer.Kind kind();

  final RefusingPorts refusing = new RefusingPorts();

  @BeforeEach
  void startContainer() throws Exception {
    site = Site.create(kind(), dir, "");
    keyFile = Battery.prepare(site, dir);
  }

  @AfterEach
  void stopContainer() throws Exception {
    site.close();
    refusing.close();
  }

  // ---- helpers ----

  void deployLinkedTo(URI gateway, int connectTimeoutSeconds, int timeoutSeconds) throws Exception {
    site.deployLinkedTo(
        gateway,
        keyFile.andThen(
            c ->
                Battery.backend(c)
                    .put("connectTimeoutSeconds", connectTimeoutSeconds)
                    .put("timeoutSeconds", timeoutSeconds)));
  }

  /**
   * GETs {@code path} from a site whose {@code connectTimeoutSeconds} is 1: a 504 that says no
   * connection came within 1 second, after 1 to 3 s.
   */
  void assertNoConnectionWithinOneSecond(String path) throws Exception {
    assert504AfterOneSecond(
        path, "Gateway timeout: no connection to the API gateway within 1 second.");
  }

  /** {@code path} is answered 504 with {@code message} after 1 to 3 s (a limit of 1 second). */
  void assert504AfterOneSecond(String path, String message) throws Exception {
    long start = System.nanoTime();
    RawHttp.Response response = get(path);
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(504, response.status());
    assertEquals(error(504, message), response.bodyText());
    assertTrue(millis >= 1000 && millis < 1000 + 2000, "took " + millis + " ms");
  }

  RawHttp.Response get(String path) throws Exception {
    RawHttp.Response response =
        RawHttp.exchangeOne(
            site.container().port(),
            "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    SECRETS.inspect("GET " + path, response.raw());
    return response;
  }

  /** A POST of {@code bodyBytes} bytes, sent in one write with its head, as clients do. */
  RawHttp.Response post(String path, int bodyBytes) throws Exception {
    RawHttp.Response response =
        RawHttp.exchangeOne(site.container().port(), postRequest(path, bodyBytes));
    SECRETS.inspect("POST " + path, response.raw());
    return response;
  }

  static String postRequest(String path, int bodyBytes) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: "
        + bodyBytes
        + "\r\nConnection: close\r\n\r\n"
        + "x".repeat(bodyBytes);
  }

  static String error(int status, String message) {
    return "{\"statusCode\": " + status + ", \"message\": \"" + message + "\"}";
  }

  /** A loopback port where connections are refused until the test ends. */
  int closedPort() throws IOException {
    return refusing.next();
  }

  static int jvmThreads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /**
   * The container serves its static files, no request thread is busy, no exchange is in flight and
   * no connection to the gateway is in use.
   */
  void assertHealthyAndIdle() throws Exception {
    RawHttp.Response css = get("/style.css");
    assertEquals(200, css.status());
    assertEquals("body { color: teal }", css.bodyText());
    awaitNoBusyThread("the container's request threads idle");
    ServletContainer container = site.container();
    Await.until(
        "no exchange in flight and no gateway connection in use",
        IDLE,
        () ->
            container.apiLinkFilter().exchangesInFlight() == 0
                && container.apiLinkFilter().gatewayConnections().active() == 0,
        () ->
            container.apiLinkFilter().exchangesInFlight()
                + " in flight, "
                + container.apiLinkFilter().gatewayConnections());
  }

  /** Waits until the connection of the exchange just answered is back in the pool. */
  void awaitOneIdleGatewayConnection() throws Exception {
    ServletContainer container = site.container();
    Await.until(
        "the gateway connection back in the pool",
        IDLE,
        () -> container.apiLinkFilter().gatewayConnections().idle() == 1,
        () -> container.apiLinkFilter().gatewayConnections());
  }

  // ---- the gateway cannot be reached ----

  static final String IMF_FIXDATE =
      "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d\\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
          + " \\d{4} \\d\\d:\\d\\d:\\d\\d GMT";

  @Test
  void aGatewayThatRefusesConnectionsIsA502AndTheContainerStaysHealthy() throws Exception {
    URI gateway = URI.create("http://127.0.0.1:" + closedPort());
    // A connect limit well above the 3 s allowed below, so that "at once" is not "at the limit".
    deployLinkedTo(gateway, 10, 15);
    LogWatch log = new LogWatch();

    for (int i = 0; i < 20; i++) {
      long start = System.nanoTime();
      RawHttp.Response response = get("/api/refused/" + i);
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertEquals(502, response.status());
      assertEquals("application/json;charset=utf-8", response.header("Content-Type"));
      assertEquals(
          error(502, "Bad gateway: the API gateway could not be reached."), response.bodyText());
      // The container dates ApiLink's own answers, in IMF-fixdate (RFC 9110 5.6.7) whatever the
      // JVM's zone and locale.
      assertTrue(response.header("Date").matches(IMF_FIXDATE), response.header("Date"));
      assertTrue(millis < 3000, "a refused connection is answered at once, took " + millis + " ms");
    }
    log.close();
    // One WARNING, not twenty (a reviewer's gateway that was down under load logged 71,560 lines
    // in two minutes); the next would come 10 s later, with the count of those not logged.
    List<String> warnings = log.warnings("-> answered 502");
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(
        warnings
            .get(0)
            .startsWith(
                "ApiLink: GET " + site.container().url() + "/api/refused/0 -> answered 502: Conn"));
    assertTrue(warnings.get(0).endsWith(" (gateway " + gateway + ")"), warnings.get(0));
    assertHealthyAndIdle();

    // The failures stop here: unlinking closes the link, which reports the 19 not logged rather
    // than leaving them uncounted (else 10 s after the quiet time). The line names the gateway, as
    // the one-by-one lines do: it comes once the configuration has changed, after the line that
    // names the next gateway (a reviewer's soak test relinked to a gateway that was down, and the
    // counts of the previous link's 504s and broken-off responses read as the new gateway's).
    LogWatch closing = new LogWatch();
    ObjectNode unlinked = site.linkedTo(gateway);
    keyFile.accept(unlinked);
    unlinked.putObject("environments").putObject("production");
    site.replaceConfig(unlinked.toString());
    assertEquals(
        "ApiLink: 19 more requests to "
            + site.container().url()
            + "/api answered 502 (java.net.ConnectException) (gateway "
            + gateway
            + "), not logged one by one (at most one line every 10 s)",
        closing.await("more requests", Duration.ofSeconds(20)));
    closing.close();
  }

  /**
   * ApiLink's own answers are not for caches, whatever a filter before it said for {@code /api}: a
   * CDN in front that kept a 502 under a filter's {@code Cache-Control: public, max-age=3600} would
   * serve it for an hour after the gateway was back.
   */
  @Test
  void anAnswerOfApiLinksOwnIsNotStoredByCachesWhateverAFilterSaid() throws Exception {
    deployLinkedTo(URI.create("http://127.0.0.1:" + closedPort()), 1, 5);

    RawHttp.Response response =
        RawHttp.exchangeOne(
            site.container().port(),
            "GET /api/refused HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + TestAuthFilter.CACHE_PUBLIC
                + ": yes\r\nConnection: close\r\n\r\n");

    assertEquals(502, response.status(), response.toString());
    assertEquals(
        List.of("no-store"),
        response.headers().stream()
            .filter(field -> field.getKey().equalsIgnoreCase("Cache-Control"))
            .map(Map.Entry::getValue)
            .toList(),
        response.toString());
  }

  @ParameterizedTest(name = "a body of {0} bytes")
  @ValueSource(ints = {5, 100_000})
  void aRequestWithABodyToAGatewayThatRefusesConnectionsIsA502(int bodyBytes) throws Exception {
    deployLinkedTo(URI.create("http://127.0.0.1:" + closedPort()), 1, 5);

    for (int i = 0; i < 20; i++) {
      RawHttp.Response response = post("/api/refused/" + i, bodyBytes);

      // Found by a reviewer: most such requests got a 400 that blamed the client's body, unlogged.
      assertEquals(
          error(502, "Bad gateway: the API gateway could not be reached."),
          response.bodyText(),
          "request " + i);
      assertEquals(502, response.status());
    }
    assertHealthyAndIdle();
  }

  @Test
  void aRequestWithABodyToAGatewayWhoseHostDoesNotResolveIsA502() throws Exception {
    deployLinkedTo(URI.create("http://apilink-no-such-host.invalid"), 2, 5);

    RawHttp.Response response = post("/api/unresolved", 5);

    assertEquals(
        error(502, "Bad gateway: the API gateway's host name does not resolve."),
        response.bodyText());
  }

  @Test
  void aRequestWithABodyToAGatewayWhoseConnectHangsIsA504() throws Exception {
    try (UnacceptingServer gateway = UnacceptingServer.start()) {
      deployLinkedTo(gateway.url(), 1, 30);

      RawHttp.Response response = post("/api/hanging-connect", 5);

      assertEquals(
          error(504, "Gateway timeout: no connection to the API gateway within 1 second."),
          response.bodyText());
    }
  }

  /** A gateway's JSON refusal {@code {"early": 1}} with {@code status} and one more field. */
  static byte[] earlyAnswer(String status, String field) {
    return ("HTTP/1.1 "
            + status
            + "\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
            + field
            + "\r\n\r\n{\"early\": 1}\n")
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  /** An HTTP/2 session (h2c, prior knowledge) with the site's container. */
  Session h2cSession(HTTP2Client h2) throws Exception {
    return h2.connect(
            new InetSocketAddress("127.0.0.1", site.container().port()), new Session.Listener() {})
        .get(10, TimeUnit.SECONDS);
  }

  /** A gateway whose rate limit refuses each call (429) before reading its body, then stalls. */
  static BreakingServer rateLimitAnsweringBeforeTheBody() throws IOException {
    return BreakingServer.startAnsweringBeforeTheBody(
        earlyAnswer("429 Too Many Requests", "Retry-After: 5"), Ending.STALL);
  }

  @ParameterizedTest(name = "a body of {0} bytes")
  @ValueSource(ints = {5, 100_000, 4_000_000})
  void aGatewayThatAnswersBeforeReadingTheBodyAndResetsIsPassedOnOrA502(int bodyBytes)
      throws Exception {
    try (BreakingServer gateway =
        BreakingServer.startAnsweringBeforeTheBody(
            earlyAnswer("413 Payload Too Large", "Connection: close"), Ending.RESET)) {
      deployLinkedTo(gateway.url(), 1, 5);

      int passedOn = 0;
      for (int i = 0; i < 10; i++) {
        List<RawHttp.Response> responses =
            RawHttp.exchangeAllWhileSending(
                site.container().port(),
                postRequest("/api/upload/" + i, bodyBytes).getBytes(StandardCharsets.ISO_8859_1));
        if (responses.isEmpty() && bodyBytes > 1_000_000) {
          // The container closed over the unread rest of a body this large, and the client's
          // unsent bytes made that close a reset, which can discard an answer already delivered.
          continue;
        }
        assertEquals(1, responses.size(), "request " + i + ": " + responses);
        RawHttp.Response response = responses.get(0);
        SECRETS.inspect("POST /api/upload/" + i, response.raw());

        // The gateway's answer, or, when its reset overtook the answer, a 502 that says so. Never
        // the 400 that blamed the client's body (found by a reviewer), nor Tomcat's 500 with the
        // gateway's body (a break-off of a response Tomcat counted as committed but never sent).
        if (response.status() == 413) {
          assertEquals("{\"early\": 1}\n", response.bodyText(), "request " + i);
          passedOn++;
        } else {
          assertEquals(
              error(502, "Bad gateway: the API gateway's response broke off."),
              response.bodyText(),
              "request " + i + ": " + response);
          assertEquals(502, response.status());
        }
      }
      if (bodyBytes < 100) {
        assertTrue(passedOn > 0, "a small body's early answer reaches the client");
      }
      assertHealthyAndIdle();
    }
  }

  @Test
  void aGatewayThatAnswersBeforeTheBodyIsWholeHasItsConnectionClosedWhenTheClientLeaves()
      throws Exception {
    try (BreakingServer gateway = rateLimitAnsweringBeforeTheBody()) {
      // No total limit, as a site serving server-sent events has: no timer ends the exchange.
      deployLinkedTo(gateway.url(), 1, 0);

      // A browser's upload that a rate limit refuses early: a tenth of the body sent, the answer
      // read, then the page left. A reviewer's such uploads (Tomcat 11.0.24, Jetty 12.1.12) each
      // kept their gateway connection in use for ever, counted against maxConnections.
      try (Socket client = RawHttp.open(site.container().port())) {
        OutputStream out = client.getOutputStream();
        out.write(
            ("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        // Sent while the answer is read: the container closes the connection after the early
        // answer, over the body it did not read, and a write still under way then fails with a
        // broken pipe (written before reading, it did in 2 of 36 runs under CPU load, on both
        // containers).
        RawHttp.sendInBackground(client, new byte[1_000_000]);
        String answer =
            RawHttp.readAtLeastOrShortAnswer(client.getInputStream(), Integer.MAX_VALUE);
        assertTrue(answer.startsWith("HTTP/1.1 429 "), answer);
        // The rest of the body is not read: the client must not send another request on this
        // connection, which Jetty closes after the answer (it said nothing of it before).
        assertTrue(
            answer
                .substring(0, answer.indexOf("\r\n\r\n"))
                .toLowerCase(Locale.ROOT)
                .contains("\r\nconnection: close"),
            answer);
        // The page leaves once the exchange is over for ApiLink, not earlier: a client that
        // closes while ApiLink still reads its body is a read failure, which aborts the request.
        awaitNoExchangeInFlight();
      }

      assertNotNull(gateway.awaitConnectionEnded(IDLE), "the gateway connection is closed");
      assertHealthyAndIdle();
    }
  }

  /**
   * Over HTTP/2 too, the gateway's early answer to an upload still arriving reaches the client
   * whole, and the connection serves the next request. ApiLink sends such an answer as soon as it
   * is written (for Tomcat's HTTP/1.1 processor, see FaultsOnTomcatTest); a flush before the
   * exchange ends changes how a stream's end is framed, which over HTTP/2 broke a HEAD before.
   */
  @Test
  void aGatewaysEarlyAnswerToAnUploadStillArrivingOverHttp2IsWholeAndTheConnectionGoesOn()
      throws Exception {
    try (BreakingServer gateway = rateLimitAnsweringBeforeTheBody()) {
      deployLinkedTo(gateway.url(), 1, 10);
      HttpClient h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
      h2.start();
      AsyncRequestContent upload = new AsyncRequestContent();
      try {
        upload.write(ByteBuffer.wrap(new byte[1000]), Callback.NOOP);
        CompletableFuture<String> early = new CompletableFuture<>();
        StringBuilder body = new StringBuilder();
        h2.newRequest(site.uri("/api/upload"))
            .method("POST")
            .body(upload)
            .timeout(20, TimeUnit.SECONDS)
            .onResponseContent(
                (response, content) -> body.append(StandardCharsets.UTF_8.decode(content)))
            .onResponseSuccess(
                response ->
                    early.complete(response.getVersion() + " " + response.getStatus() + " " + body))
            .onResponseFailure((response, failure) -> early.completeExceptionally(failure))
            .send(result -> {});

        assertEquals("HTTP/2.0 429 {\"early\": 1}\n", early.get(20, TimeUnit.SECONDS));
        ContentResponse next =
            h2.newRequest(site.uri("/style.css")).timeout(20, TimeUnit.SECONDS).send();
        assertEquals(HttpVersion.HTTP_2, next.getVersion());
        assertEquals("body { color: teal }", next.getContentAsString());
      } finally {
        upload.close();
        h2.stop();
      }
      awaitNoExchangeInFlight();
    }
  }

  /**
   * The gateway's early answer, once whole, is the client's even if the client's body then turns
   * out unreadable: ApiLink's 400 for that body must not be written over it. On Jetty the gateway's
   * 413 without a {@code Content-Length} was still in the container's buffer, not yet committed,
   * when the body's failure came; the 400 then went into the same response, and the client got
   * Jetty's HTML 500 "Insufficient content written 13 &lt; 82" (found by review B, on embedded
   * Jetty 12.1.14). Tomcat reports such a body's failure from its read, which waits for the
   * exchange's lock: there the 413 went out alone.
   */
  @Test
  void aBodyThatBreaksJustAfterTheGatewaysWholeEarlyAnswerLeavesTheClientThatAnswerAlone()
      throws Exception {
    byte[] unsizedRefusal =
        ("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\nd\r\n{\"early\": 1}\n\r\n0\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway =
            BreakingServer.startAnsweringBeforeTheBody(unsizedRefusal, Ending.STALL);
        // Logged (at DEBUG) by Jetty's client on the thread that reads the answer's end for the
        // response pump: the answer is whole and written to the client's response, the pump holds
        // the exchange's lock and has not yet completed the client's exchange.
        HoldingLog answerWhole =
            HoldingLog.at("org.eclipse.jetty.client.transport.HttpReceiver", "Response complete");
        // Logged on the gateway thread that reads the answer's head, before ApiLink hears of it.
        HoldingLog answerHead =
            HoldingLog.at("org.eclipse.jetty.client.transport.HttpReceiver", "Response headers")) {
      deployLinkedTo(gateway.url(), 1, 10);

      try (Socket client = RawHttp.open(site.container().port())) {
        OutputStream out = client.getOutputStream();
        out.write(
            ("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        // The answer goes on once the container's request thread is idle, its first
        // onWritePossible() called: the pump then runs on the gateway thread. An answer that came
        // first was pumped from that onWritePossible(), and the container holds a request's read
        // callbacks while one of its callbacks runs: the body's failure could not come during the
        // pump, and the wait below failed (8 of 324 runs on embedded Jetty, 4 of 250 on Tomcat,
        // under CPU load).
        answerHead.awaitHeld(IDLE);
        awaitNoBusyThread("the container's request threads idle");
        answerHead.release();
        answerWhole.awaitHeld(IDLE);
        out.write("zz\r\n".getBytes(StandardCharsets.ISO_8859_1)); // not a chunk size
        out.flush();
        Await.until(
            "the body's failure waiting for the response pump",
            IDLE,
            FaultContract::aThreadWaitsForAnExchange,
            () -> "no thread waits");
        answerWhole.releaseAndAwaitLeft("dev.apilink.proxy", IDLE);

        String answer =
            RawHttp.readAtLeastOrShortAnswer(client.getInputStream(), Integer.MAX_VALUE);
        List<RawHttp.Response> responses =
            RawHttp.Response.parseAll(answer.getBytes(StandardCharsets.ISO_8859_1), false);
        assertEquals(1, responses.size(), answer);
        assertEquals(413, responses.get(0).status(), answer);
        assertEquals("{\"early\": 1}\n", responses.get(0).bodyText(), answer);
        assertTrue(responses.get(0).complete(), answer);
      }
    }
  }

  /**
   * A client whose body turns out unreadable while the gateway's early answer is still arriving has
   * that answer broken off, as it must be; but the break-off is the client's doing, as the 400 for
   * an unreadable body is: it was logged as a WARNING that the gateway's response broke off, named
   * the gateway, and was counted in ResponsesBrokenOff (review B, embedded Tomcat 10.1.59 and Jetty
   * 12.1.14: "response broken off: BadRequestException: Invalid chunk header (gateway ...)").
   */
  @Test
  void aBodyThatBreaksDuringTheGatewaysEarlyAnswerBreaksItOffWithoutBlamingTheGateway()
      throws Exception {
    LogWatch log = new LogWatch();
    // A status and the first chunk of a body that never ends, sent as soon as the head is in.
    try (log;
        BreakingServer gateway =
            BreakingServer.startAnsweringBeforeTheBody(
                BreakingServer.partialResponse(1000, 13, false), Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 10);
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name = Counted.siteBean();

      RawHttp.Received received;
      try (Socket client = RawHttp.open(site.container().port())) {
        OutputStream out = client.getOutputStream();
        out.write(
            ("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = client.getInputStream();
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        // Jetty writes a chunk's closing CRLF with the next chunk: up to the chunk's data.
        while (!answer.toString(StandardCharsets.ISO_8859_1).endsWith("abcdefghijklm")) {
          int b = in.read();
          assertTrue(b >= 0, "the gateway's first chunk, before the end: " + answer);
          answer.write(b);
        }
        out.write("zz\r\n".getBytes(StandardCharsets.ISO_8859_1)); // not a chunk size
        out.flush();
        boolean reset = false;
        try {
          in.transferTo(answer);
        } catch (SocketException e) {
          reset = true;
        }
        received = new RawHttp.Received(answer.toByteArray(), reset);
      }
      awaitNoExchangeInFlight();

      List<RawHttp.Response> responses = RawHttp.Response.parseAll(received.bytes(), true);
      assertEquals(1, responses.size(), responses.toString());
      assertEquals(200, responses.get(0).status());
      assertFalse(responses.get(0).complete(), "broken off, never ended as if whole");
      assertEquals(List.of(), log.warnings("broken off"));
      assertEquals(0L, server.getAttribute(name, "ResponsesBrokenOff"));
    }
  }

  /** Waits until the container's ApiLink has no exchange in flight. */
  private void awaitNoExchangeInFlight() throws InterruptedException {
    awaitExchangesInFlight(0);
  }

  /** Waits until the container's ApiLink has {@code count} exchanges in flight. */
  private void awaitExchangesInFlight(int count) throws InterruptedException {
    ServletContainer container = site.container();
    Await.until(
        count == 0 ? "the exchange over" : count + " exchanges in flight",
        IDLE,
        () -> container.apiLinkFilter().exchangesInFlight() == count,
        () -> container.apiLinkFilter().exchangesInFlight() + " in flight");
  }

  /**
   * Whether a thread other than one held by a {@link HoldingLog} waits for an exchange's lock: a
   * container thread reporting the client's failure while the response pump holds the lock.
   */
  private static boolean aThreadWaitsForAnExchange() {
    return Thread.getAllStackTraces().values().stream()
        .filter(
            frames ->
                Arrays.stream(frames)
                    .noneMatch(f -> f.getClassName().equals(HoldingLog.class.getName())))
        .anyMatch(
            frames ->
                frames.length > 0
                    && Arrays.stream(frames)
                        .anyMatch(
                            f -> f.getClassName().startsWith("dev.apilink.proxy.ProxyExchange"))
                    && Arrays.stream(frames)
                        .anyMatch(f -> f.getClassName().startsWith("java.util.concurrent.locks.")));
  }

  @Test
  void aGatewayThatCannotBeReachedEndsTheConnectionOfARequestWhoseBodyWasNotRead()
      throws Exception {
    deployLinkedTo(URI.create("http://127.0.0.1:" + closedPort()), 1, 5);

    // The body is held back, so the error comes before it was read: the client must not send its
    // next request behind a body that the container will throw away or close the connection over.
    List<RawHttp.Response> responses =
        RawHttp.exchange(
            site.container().port(),
            "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: 18\r\n\r\n",
            1);

    assertEquals(502, responses.get(0).status(), responses.toString());
    assertEquals("close", responses.get(0).header("Connection"), responses.toString());
  }

  @Test
  void aGatewayWhoseHostDoesNotResolveIsA502WithinTheConnectLimit() throws Exception {
    deployLinkedTo(URI.create("http://apilink-no-such-host.invalid"), 2, 5);

    long start = System.nanoTime();
    RawHttp.Response response = get("/api/unresolved");
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(502, response.status());
    assertEquals(
        error(502, "Bad gateway: the API gateway's host name does not resolve."),
        response.bodyText());
    assertTrue(millis < 2000 + 1000, "took " + millis + " ms");
    assertHealthyAndIdle();
  }

  /**
   * A host name lookup is part of opening a connection: one that does not finish (a DNS server that
   * does not answer) is given up at {@code connectTimeoutSeconds}. Jetty's client waits 15 s for
   * it, its own limit, and reports that as it reports the exchange's {@code timeoutSeconds}: the
   * client had "did not answer within 0 seconds" after 15 s, with no total limit.
   */
  @Test
  void aHostNameLookupThatNeverEndsIsA504AtTheConnectLimit() throws Exception {
    deployLinkedTo(URI.create("http://" + StalledLookups.HOST), 1, 0);
    LogWatch log = new LogWatch();

    try (StalledLookups lookups = StalledLookups.install()) {
      assertNoConnectionWithinOneSecond("/api/lookup");
      assertTrue(lookups.stalled() > 0, "the gateway's host name was looked up");
    }
    log.close();
    assertEquals(
        List.of(
            "ApiLink: GET "
                + site.container().url()
                + "/api/lookup -> answered 504: HostLookupTimeout: the lookup of the host"
                + " name "
                + StalledLookups.HOST
                + " did not finish within 1 s (gateway http://"
                + StalledLookups.HOST
                + ")"),
        log.warnings("-> answered 504"));
    assertHealthyAndIdle();
  }

  @Test
  void aGatewayWhoseConnectHangsIsA504AtTheConnectLimit() throws Exception {
    try (UnacceptingServer gateway = UnacceptingServer.start()) {
      deployLinkedTo(gateway.url(), 1, 30);
      LogWatch log = new LogWatch();

      assertNoConnectionWithinOneSecond("/api/hanging-connect");
      log.close();
      assertEquals(
          List.of(
              "ApiLink: GET "
                  + site.container().url()
                  + "/api/hanging-connect -> answered 504: SocketTimeoutException: Connect"
                  + " Timeout (gateway "
                  + gateway.url()
                  + ")"),
          log.warnings("-> answered 504"));
      assertHealthyAndIdle();
    }
  }

  // ---- the gateway is too slow ----

  @Test
  void aClientThatStallsMidUploadIsA408ThatSaysSoNotAGatewayTimeout() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      deployLinkedTo(gateway.url(), 1, 1);

      long start = System.nanoTime();
      // Five of the ten bytes announced, then nothing: the gateway waits for the client.
      List<RawHttp.Response> responses =
          RawHttp.exchange(
              site.container().port(),
              "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nhello",
              1);
      long millis = (System.nanoTime() - start) / 1_000_000;

      // Was a 504 saying the gateway did not answer in time (found by a reviewer).
      assertEquals(1, responses.size(), responses.toString());
      assertEquals(408, responses.get(0).status(), responses.toString());
      assertEquals(
          error(408, "Request timeout: the request body did not arrive within 1 second."),
          responses.get(0).bodyText());
      assertEquals("close", responses.get(0).header("Connection"));
      assertTrue(millis >= 1000 && millis < 1000 + 2000, "took " + millis + " ms");
      assertGatewayNeverTookTheBodyAsWhole(gateway);
      awaitNoExchangeInFlight();
      Counted.once("AnsweredOtherErrors");
    } finally {
      gateway.close();
    }
  }

  /**
   * A client that sends the head of an upload and then nothing: it was a 504 saying the gateway did
   * not answer, on Tomcat and Jetty, as ApiLink had read nothing yet to wait for the next of.
   */
  @Test
  void aClientThatSendsNoneOfItsUploadIsA408Too() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      deployLinkedTo(gateway.url(), 1, 1);

      // The head announces ten bytes, and none come.
      List<RawHttp.Response> responses =
          RawHttp.exchange(
              site.container().port(),
              "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n",
              1);

      assertEquals(1, responses.size(), responses.toString());
      assertEquals(
          error(408, "Request timeout: the request body did not arrive within 1 second."),
          responses.get(0).bodyText());
      assertGatewayNeverTookTheBodyAsWhole(gateway);
    } finally {
      gateway.close();
    }
  }

  /**
   * A client still sending when {@code timeoutSeconds} runs out, 300 bytes every 2 ms: between its
   * pieces ApiLink waits for it, and hands each to the gateway in microseconds. It was a 504 saying
   * the gateway did not answer in a third to a half of such uploads (3 and 5 of 10 here, on
   * embedded Tomcat 10.1.59 and Jetty 12.1.14; review D saw 2 of 7 of Chromium's throttled uploads
   * on the Jetty 12.1.12 distribution): whether ApiLink was waiting for the client was read when
   * the failure was classified, and a later piece had been read by then.
   */
  @Test
  void aClientStillTricklingItsUploadAtTheLimitIsA408EveryTime() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      deployLinkedTo(gateway.url(), 1, 1);

      List<Integer> statuses = new ArrayList<>();
      for (int upload = 0; upload < 10; upload++) {
        statuses.add(statusOfTricklingUpload());
      }

      assertEquals(Collections.nCopies(10, 408), statuses);
      assertGatewayNeverTookTheBodyAsWhole(gateway);
    } finally {
      gateway.close();
    }
  }

  /**
   * A gateway that stops taking an upload, so that ApiLink waits for it while the client would send
   * more: a 504, the gateway's, not the client's 408. Its connection is never accepted and never
   * read; the kernel takes the request's first few megabytes for it and then no more.
   */
  @Test
  void aGatewayThatStopsTakingAnUploadIsA504NotTheClients408() throws Exception {
    try (ServerSocket gateway = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      deployLinkedTo(URI.create("http://127.0.0.1:" + gateway.getLocalPort()), 1, 1);

      assertEquals(List.of(504), List.of(statusOfUpload(20_000_000, 65_536, 0)));
    }
  }

  /** The status of a 10 MB upload sent 300 bytes every 2 ms until the answer comes. */
  private int statusOfTricklingUpload() throws Exception {
    return statusOfUpload(10_000_000, 300, 2_000_000);
  }

  /**
   * The status of an upload of {@code declaredBytes} sent in pieces of {@code pieceBytes}, {@code
   * paceNanos} apart, until the answer comes.
   */
  private int statusOfUpload(long declaredBytes, int pieceBytes, long paceNanos) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), site.container().port())) {
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                  + declaredBytes
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      Thread client =
          new Thread(
              () -> {
                byte[] piece = new byte[pieceBytes];
                try {
                  for (long sent = 0; sent + pieceBytes <= declaredBytes; sent += pieceBytes) {
                    out.write(piece);
                    out.flush();
                    if (paceNanos > 0) {
                      LockSupport.parkNanos(
                          paceNanos); // the client's pace, not a wait for the server
                    }
                  }
                } catch (IOException e) {
                  // answered and closed: the upload ends here
                }
              });
      client.start();
      long start = System.nanoTime();
      String statusLine =
          new String(socket.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1);
      long millis = (System.nanoTime() - start) / 1_000_000;
      socket.close();
      client.join();
      // Twice, in full suite runs on Tomcat, the connection closed with no answer at all: Tomcat's
      // read event raced its completion of the exchange, with the 408 still in its buffer
      // (FaultsOnTomcatTest.anAnswerOfApiLinksOwnLeavesAtOnceWhileEveryRequestThreadIsBusy). Say
      // what came, and when.
      assertEquals(
          12,
          statusLine.length(),
          "a status line, not '" + statusLine + "' after " + millis + " ms");
      return Integer.parseInt(statusLine.substring(9));
    }
  }

  /**
   * The same stall, when the container's own read timeout (Tomcat's {@code connectionTimeout}, 20 s
   * in its {@code server.xml}; Jetty's idle timeout, 30 s) runs out before {@code timeoutSeconds}
   * (45 s by default): it was a 400 saying the body "could not be read" (a reviewer's, on Tomcat
   * 11.0.24 after 20 s and Jetty 12.1.12 after 30 s), which an application takes as not worth
   * sending again.
   */
  @Test
  void aClientThatStallsMidUploadPastTheContainersReadTimeoutIsA408Too() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.container().readTimeout(Duration.ofSeconds(1));
      deployLinkedTo(gateway.url(), 1, 30);

      long start = System.nanoTime();
      List<RawHttp.Response> responses =
          RawHttp.exchange(
              site.container().port(),
              "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nhello",
              1);
      long millis = (System.nanoTime() - start) / 1_000_000;

      if (kind() == ServletContainer.Kind.TOMCAT && responses.isEmpty()) {
        // Tomcat 10.1, embedded here, closes a connection whose read timed out without letting
        // the application answer (so does the 10.1.59 distribution): the 408 is checked on Tomcat
        // 11.0.24 by StalledUploadOnTomcat11IT. The gateway side is checked as always.
        assertTrue(millis < 15_000, "took " + millis + " ms");
        assertGatewayNeverTookTheBodyAsWhole(gateway);
        return;
      }
      assertEquals(1, responses.size(), responses.toString());
      assertEquals(408, responses.get(0).status(), responses.toString());
      assertEquals(
          error(408, "Request timeout: the request body stopped arriving."),
          responses.get(0).bodyText());
      assertTrue(millis < 15_000, "took " + millis + " ms");
      // Counted as the 408 at timeoutSeconds is (it was not: a reviewer read 0 on the bean).
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name = Counted.siteBean();
      assertEquals(1L, server.getAttribute(name, "AnsweredOtherErrors"));
      assertGatewayNeverTookTheBodyAsWhole(gateway);
    } finally {
      gateway.close();
    }
  }

  @Test
  void aGatewayThatNeverFinishesItsTlsHandshakeIsA504AtTheConnectLimit() throws Exception {
    try (SilentServer gateway = SilentServer.start()) {
      // No total limit: a reviewer's such request waited for ever, holding its gateway connection,
      // as the handshake was not part of opening the connection (and 8 s of 3 with a limit).
      deployLinkedTo(URI.create("https://127.0.0.1:" + gateway.port()), 1, 0);
      LogWatch log = new LogWatch();

      assertNoConnectionWithinOneSecond("/api/handshake");
      log.close();
      assertEquals(
          List.of(
              "ApiLink: GET "
                  + site.container().url()
                  + "/api/handshake -> answered 504: HandshakeTimeout: the TLS handshake did"
                  + " not finish within 1000 ms (gateway https://127.0.0.1:"
                  + gateway.port()
                  + ")"),
          log.warnings("-> answered 504"));
      assertHealthyAndIdle();
    }
  }

  /**
   * A {@code keepAliveSeconds} at or over Azure's load balancers' idle limit (4 minutes) is
   * accepted, with a warning at start-up: pooled connections then outlive what a balancer keeps.
   */
  @ParameterizedTest
  @CsvSource({"239, 0", "240, 1"})
  void aKeepAliveAtAzuresLoadBalancerIdleLimitIsWarnedOf(int keepAliveSeconds, int warnings)
      throws Exception {
    LogWatch log = new LogWatch();
    site.deployLinkedTo(
        URI.create("https://contoso-apim.azure-api.net"),
        keyFile.andThen(c -> Battery.backend(c).put("keepAliveSeconds", keepAliveSeconds)));
    log.close();

    List<String> logged = log.warnings("keepAliveSeconds is");
    assertEquals(warnings, logged.size(), logged.toString());
    if (warnings > 0) {
      assertTrue(
          logged
              .get(0)
              .startsWith(
                  "ApiLink: keepAliveSeconds is 240 s, not under the 4-minute idle limit of Azure's"
                      + " load balancers"),
          logged.get(0));
    }
  }

  /**
   * The site's bean in the JVM's MBean server: linked, to which gateway, each exchange and each 502
   * counted; and gone once the web application stops, which would otherwise keep its classes.
   */
  @Test
  void theSitesMXBeanCountsExchangesAndTheirFailuresUntilTheApplicationStops() throws Exception {
    URI gateway = URI.create("http://127.0.0.1:" + closedPort());
    deployLinkedTo(gateway, 1, 5);
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName query = new ObjectName("dev.apilink:type=ApiLink,*");
    Set<ObjectName> names = server.queryNames(query, null);
    assertEquals(1, names.size(), names.toString());
    ObjectName name = names.iterator().next();
    assertEquals(ObjectName.quote("/"), name.getKeyProperty("context"));

    assertEquals(502, get("/api/one").status());
    assertEquals(502, get("/api/two").status());
    // Refused before any exchange: neither started nor an error (docs/operations.md), so that the
    // 502s against ExchangesStarted stay the gateway's failure rate.
    assertEquals(
        405,
        RawHttp.exchangeOne(
                site.container().port(),
                "trace /api/three HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .status());

    assertEquals(true, server.getAttribute(name, "Linked"));
    assertEquals("production", server.getAttribute(name, "Environment"));
    assertEquals(gateway.toString(), server.getAttribute(name, "GatewayUrl"));
    assertEquals(2L, server.getAttribute(name, "ExchangesStarted"));
    assertEquals(2L, server.getAttribute(name, "AnsweredBadGateway"));
    assertEquals(0L, server.getAttribute(name, "AnsweredGatewayTimeout"));
    assertEquals(0L, server.getAttribute(name, "AnsweredOtherErrors"));
    assertEquals(0L, server.getAttribute(name, "ResponsesBrokenOff"));
    // An exchange ends just after its client has the answer.
    Await.until(
        "the bean shows no exchange in flight and no gateway connection in use",
        IDLE,
        () ->
            attribute(server, name, "ExchangesInFlight").equals(0)
                && attribute(server, name, "GatewayConnectionsActive").equals(0),
        () -> attribute(server, name, "ExchangesInFlight"));

    site.container().undeploy();
    assertEquals(Set.of(), server.queryNames(query, null));
  }

  /**
   * A body over {@code maxRequestBodyBytes} is a 413 whether its Content-Length says so before
   * anything is read or its chunks pass the limit: each is one of ApiLink's other errors. The one
   * refused by its Content-Length was not counted (a reviewer's two 413s on Tomcat 11.0.24 read 1).
   */
  @Test
  void theSitesMXBeanCountsEach413WhetherTheBodyWasSizedOrChunked() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.deployLinkedTo(
          gateway.url(), keyFile.andThen(c -> Battery.backend(c).put("maxRequestBodyBytes", 1000)));
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name = Counted.siteBean();

      assertEquals(413, post("/api/sized", 2000).status());
      assertEquals(
          413,
          RawHttp.exchangeOne(
                  site.container().port(),
                  "POST /api/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
                      + "Connection: close\r\n\r\n7d0\r\n"
                      + "x".repeat(2000)
                      + "\r\n0\r\n\r\n")
              .status());

      assertEquals(2L, server.getAttribute(name, "ExchangesStarted"));
      assertEquals(2L, server.getAttribute(name, "AnsweredOtherErrors"));
      assertEquals(0L, server.getAttribute(name, "AnsweredBadGateway"));
    } finally {
      gateway.close();
    }
  }

  /**
   * The bean's connection counts as an operator reads them after an answer: the gateway's
   * connection, kept alive, is idle; none is in use or waiting to open.
   */
  @Test
  void theSitesMXBeanShowsTheGatewaysConnectionIdleOnceTheAnswerIsSent() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.deployLinkedTo(gateway.url(), keyFile);
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      ObjectName name = Counted.siteBean();

      assertEquals(200, get("/api/one").status());

      Await.until(
          "the bean shows the gateway's connection idle and none in use",
          IDLE,
          () ->
              attribute(server, name, "GatewayConnectionsIdle").equals(1)
                  && attribute(server, name, "GatewayConnectionsActive").equals(0),
          () -> attribute(server, name, "GatewayConnectionsIdle"));
      assertEquals(0, server.getAttribute(name, "GatewayConnectionsPending"));
    } finally {
      gateway.close();
    }
  }

  /** The bean of a site whose environment has no backend: not linked, no gateway URL. */
  @Test
  void theSitesMXBeanSaysWhenTheEnvironmentIsNotLinked() throws Exception {
    ObjectNode config = site.linkedTo(URI.create("http://127.0.0.1:" + closedPort()));
    ((ObjectNode) config.get("environments")).putObject("production");
    assertTrue(site.deploy(config), () -> site.container().deploymentFailure());
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = Counted.siteBean();

    assertEquals(false, server.getAttribute(name, "Linked"));
    assertEquals("production", server.getAttribute(name, "Environment"));
    assertEquals("", server.getAttribute(name, "GatewayUrl"));
    assertEquals(0, server.getAttribute(name, "GatewayConnectionsActive"));
  }

  static Object attribute(MBeanServer server, ObjectName name, String attribute) {
    try {
      return server.getAttribute(name, attribute);
    } catch (JMException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A HEAD's answer is written without a write listener: its errors too, without a body. */
  @Test
  void aHeadToAGatewayThatIsDownIsA502WithoutABody() throws Exception {
    deployLinkedTo(URI.create("http://127.0.0.1:" + closedPort()), 1, 5);

    RawHttp.Response response =
        RawHttp.exchangeOne(
            site.container().port(),
            "HEAD /api/down HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

    assertEquals(502, response.status(), response.toString());
    assertEquals("", response.bodyText());
    assertHealthyAndIdle();
  }

  // ---- a gateway reached through the HTTP proxy that the JVM's proxy settings name ----

  @Test
  void aProxyThatRefusesTheTunnelIsA502AndTheLogNamesTheProxyAndItsAnswer() throws Exception {
    ForwardProxy proxy = ForwardProxy.startAskingForCredentials();
    try {
      URI gateway = ThroughProxy.gateway("https", proxy.port(), closedPort());
      deployLinkedTo(gateway, 1, 5);

      String logged = assertUnreachableThroughProxy("/api/refused", gateway, proxy.port());

      assertTrue(
          logged.contains("the proxy answered CONNECT with 407 Proxy Authentication Required"),
          logged);
      // Not sent again: the proxy would refuse again.
      assertEquals(1, proxy.tunnels().size(), proxy.tunnels().toString());
      assertHealthyAndIdle();
    } finally {
      proxy.close();
    }
  }

  /**
   * A proxy that wants credentials gets those of {@code proxyCredentials} with the {@code CONNECT}:
   * it opens the tunnel, and the TLS handshake inside it, with a gateway that never answers, runs
   * into the connect limit (a 504, where the proxy's 407 would be a 502).
   */
  @Test
  void aProxyThatAsksForCredentialsIsGivenTheConfiguredOnesWithTheConnect() throws Exception {
    try (ForwardProxy proxy = ForwardProxy.startAskingForCredentials("apilink:pass word:1é");
        SilentServer gateway = SilentServer.start()) {
      deployLinkedThroughProxy(
          ThroughProxy.gateway("https", proxy.port(), gateway.port()), "apilink:pass word:1é");

      assertNoConnectionWithinOneSecond("/api/behind");
      assertEquals(1, proxy.tunnels().size(), proxy.tunnels().toString());
      assertTrue(
          proxy.tunnels().get(0).headerNames().contains("Proxy-Authorization"),
          proxy.tunnels().toString());
      assertHealthyAndIdle();
    }
  }

  /**
   * An http gateway's requests go to the proxy itself, so its 407 came back as if the gateway had
   * answered it (review T). It is the proxy refusing the request: a 502, logged as such.
   */
  @Test
  void aProxyThatRefusesAnHttpGatewaysRequestIsA502AndTheLogSaysWhy() throws Exception {
    try (ForwardProxy proxy = ForwardProxy.startAskingForCredentials("apilink:secret")) {
      URI gateway = ThroughProxy.gateway("http", proxy.port(), closedPort());
      deployLinkedTo(gateway, 1, 5);

      String logged = assertUnreachableThroughProxy("/api/refused", gateway, proxy.port());

      assertTrue(logged.contains("the proxy answered 407 Proxy Authentication Required"), logged);
      assertHealthyAndIdle();
    }
  }

  /** The configured credentials go with each request that the proxy is to pass on. */
  @Test
  void anHttpGatewaysRequestsCarryTheConfiguredProxyCredentials() throws Exception {
    try (ForwardProxy proxy = ForwardProxy.startAskingForCredentials("apilink:secret")) {
      deployLinkedThroughProxy(
          ThroughProxy.gateway("http", proxy.port(), closedPort()), "apilink:secret");

      // This proxy forwards nothing: its 501 rather than its 407 shows it took the credentials.
      RawHttp.Response response = get("/api/allowed");

      assertEquals(501, response.status(), response.toString());
      assertHealthyAndIdle();
    }
  }

  /**
   * Credentials for a proxy that the JVM's settings do not name are a configuration slip. The
   * warning names the settings for the gateway's scheme: an http gateway's proxy is http.proxyHost
   * (it named https.proxyHost, which does nothing for it).
   */
  @Test
  void proxyCredentialsForAGatewayReachedDirectlyAreWarnedOf() throws Exception {
    LogWatch log = new LogWatch();
    URI gateway = URI.create("http://127.0.0.1:" + closedPort());
    deployLinkedThroughProxy(gateway, "apilink:secret");
    log.close();

    List<String> warnings = log.warnings("proxyCredentials");
    assertEquals(1, warnings.size(), warnings.toString());
    assertEquals(
        "ApiLink: proxyCredentials is set, but the JVM's proxy settings name no proxy for "
            + gateway
            + " (http.proxyHost, http.proxyPort, http.nonProxyHosts; socksProxyHost): the gateway"
            + " is reached directly, and the credentials are not sent",
        warnings.get(0));
    assertEquals(List.of(), log.all("secret"));
  }

  /** Deploys the site linked to {@code gateway} with {@code proxyCredentials}. */
  void deployLinkedThroughProxy(URI gateway, String proxyCredentials) throws Exception {
    site.deployLinkedTo(
        gateway,
        keyFile.andThen(
            c ->
                Battery.backend(c)
                    .put("connectTimeoutSeconds", 1)
                    .put("timeoutSeconds", 5)
                    .put("proxyCredentials", proxyCredentials)));
  }

  @Test
  void aProxyThatIsDownIsA502AndTheLogNamesIt() throws Exception {
    int proxyPort = closedPort();
    URI gateway = ThroughProxy.gateway("https", proxyPort, closedPort());
    deployLinkedTo(gateway, 1, 5);

    assertUnreachableThroughProxy("/api/down", gateway, proxyPort);
    assertHealthyAndIdle();
  }

  /**
   * GETs {@code path}: a 502 "could not be reached", logged once in a line that ends by naming the
   * gateway and the proxy on {@code proxyPort}; returns that line.
   */
  String assertUnreachableThroughProxy(String path, URI gateway, int proxyPort) throws Exception {
    return assertUnreachableThroughProxy(path, gateway, "HTTP", proxyPort);
  }

  /** As {@link #assertUnreachableThroughProxy(String, URI, int)}, for a proxy of {@code kind}. */
  String assertUnreachableThroughProxy(String path, URI gateway, String kind, int proxyPort)
      throws Exception {
    LogWatch log = new LogWatch();
    RawHttp.Response response = get(path);
    log.close();
    assertEquals(
        error(502, "Bad gateway: the API gateway could not be reached."), response.bodyText());
    List<String> warnings = log.warnings("-> answered 502");
    assertEquals(1, warnings.size(), warnings.toString());
    String logged = warnings.get(0);
    assertTrue(
        logged.endsWith(
            " (gateway "
                + gateway
                + " through the "
                + kind
                + " proxy 127.0.0.1:"
                + proxyPort
                + ")"),
        logged);
    return logged;
  }

  @Test
  void aProxyThatNeverAnswersTheConnectIsA504AtTheConnectLimit() throws Exception {
    try (SilentServer proxy = SilentServer.start()) {
      URI gateway = ThroughProxy.gateway("https", proxy.port(), closedPort());
      deployLinkedTo(gateway, 1, 0);
      LogWatch log = new LogWatch();

      assertNoConnectionWithinOneSecond("/api/connect");
      log.close();
      assertEquals(
          List.of(
              "ApiLink: GET "
                  + site.container().url()
                  + "/api/connect -> answered 504: TunnelTimeout: the proxy did not open a"
                  + " tunnel to the gateway within 1 s (gateway "
                  + gateway
                  + " through the HTTP proxy 127.0.0.1:"
                  + proxy.port()
                  + ")"),
          log.warnings("-> answered 504"));
      assertHealthyAndIdle();
    }
  }

  /** An http gateway follows {@code http.proxyHost}: the proxy is sent the request itself. */
  @Test
  void anHttpGatewayIsSentItsRequestsThroughTheProxyInAbsoluteForm() throws Exception {
    try (SilentServer proxy = SilentServer.start()) {
      URI gateway = ThroughProxy.gateway("http", proxy.port(), closedPort());
      deployLinkedTo(gateway, 1, 1);

      assertEquals(504, get("/api/orders?x=1").status());
      assertEquals("GET " + gateway + "/api/orders?x=1 HTTP/1.1", proxy.awaitRequestGivenUp(IDLE));
      assertHealthyAndIdle();
    }
  }

  // ---- a gateway reached through the SOCKS proxy that the JVM's socksProxyHost names ----

  /**
   * Jetty's client does not follow {@code socksProxyHost} by itself (only the JDK's blocking
   * sockets do): before, ApiLink logged a warning and connected directly, and a host that only the
   * proxy could resolve was a 502. The proxy is given the host name, as the JDK's sockets give it.
   */
  @Test
  void aGatewayIsReachedThroughTheSocksProxyTheJvmsSettingsName() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try (SocksProxy proxy = SocksProxy.start()) {
      URI url = ThroughProxy.gateway("http", Proxy.Type.SOCKS, proxy.port(), gateway.port());
      deployLinkedTo(url, 1, 5);

      assertEquals(200, get("/api/orders?x=1").status());
      assertEquals("/api/orders", gateway.received().get(0).rawPath());
      assertEquals(List.of(new SocksProxy.Connect(5, url.getAuthority(), null)), proxy.connects());
      assertHealthyAndIdle();
    } finally {
      gateway.close();
    }
  }

  /**
   * {@code proxyCredentials} are a SOCKS 5 proxy's user name and password (RFC 1929), in UTF-8 as
   * for an HTTP proxy (Jetty's default, US-ASCII, sent the {@code é} as {@code ?}).
   */
  @Test
  void aSocksProxyThatAsksForCredentialsIsGivenTheConfiguredOnes() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try (SocksProxy proxy = SocksProxy.startAskingForCredentials("apilink:pass word:1é")) {
      URI url = ThroughProxy.gateway("http", Proxy.Type.SOCKS, proxy.port(), gateway.port());
      deployLinkedThroughProxy(url, "apilink:pass word:1é");

      assertEquals(200, get("/api/allowed").status());
      assertEquals(
          List.of(new SocksProxy.Connect(5, url.getAuthority(), "apilink")), proxy.connects());
      assertHealthyAndIdle();
    } finally {
      gateway.close();
    }
  }

  /**
   * The SOCKS proxy's refusal (here: the gateway refused it the connection) is the gateway that
   * could not be reached, not sent again, and logged with the proxy's answer; Jetty reports it as a
   * plain I/O error, which read as a gateway that broke off.
   */
  @Test
  void aSocksProxyThatRefusesIsA502AndTheLogNamesTheProxyAndItsAnswer() throws Exception {
    try (SocksProxy proxy = SocksProxy.start()) {
      URI gateway = ThroughProxy.gateway("https", Proxy.Type.SOCKS, proxy.port(), closedPort());
      deployLinkedTo(gateway, 1, 5);

      String logged = assertUnreachableThroughProxy("/api/refused", gateway, "SOCKS", proxy.port());

      assertTrue(
          logged.contains("the SOCKS proxy did not connect to the gateway: SOCKS5 connection"),
          logged);
      assertEquals(1, proxy.connects().size(), proxy.connects().toString());
      assertHealthyAndIdle();
    }
  }

  /**
   * OpenSSH's dynamic forwarding ({@code ssh -D}), the SOCKS proxy most developers run, answers a
   * gateway it cannot connect to by closing the connection, without SOCKS's reply: that is the
   * proxy's refusal as well, not sent again, and logged as the proxy's. Before, it was logged as a
   * bare {@code ClosedChannelException}, as if the gateway had closed an open connection, and a GET
   * asked the proxy for a second connection.
   */
  @Test
  void aSocksProxyThatClosesInsteadOfReplyingIsARefusalNotSentAgain() throws Exception {
    try (SocksProxy proxy = SocksProxy.startClosingWithoutReplyOnFailure()) {
      URI gateway = ThroughProxy.gateway("http", Proxy.Type.SOCKS, proxy.port(), closedPort());
      deployLinkedTo(gateway, 1, 5);

      String logged = assertUnreachableThroughProxy("/api/refused", gateway, "SOCKS", proxy.port());

      assertTrue(
          logged.contains(
              "SocksRefusal: the SOCKS proxy closed the connection without connecting to the"
                  + " gateway"),
          logged);
      assertEquals(1, proxy.connects().size(), proxy.connects().toString());
      assertHealthyAndIdle();
    }
  }

  /** Wrong credentials: the proxy closes the connection; the gateway could not be reached. */
  @Test
  void aSocksProxyThatRefusesTheCredentialsIsA502() throws Exception {
    try (SocksProxy proxy = SocksProxy.startAskingForCredentials("apilink:secret")) {
      URI gateway = ThroughProxy.gateway("https", Proxy.Type.SOCKS, proxy.port(), closedPort());
      deployLinkedThroughProxy(gateway, "apilink:wrong");

      assertUnreachableThroughProxy("/api/refused", gateway, "SOCKS", proxy.port());
      assertEquals(List.of(), proxy.connects());
      assertHealthyAndIdle();
    }
  }

  /**
   * An https gateway's TLS runs inside the SOCKS proxy's connection, with the gateway: here its
   * self-signed certificate is refused, which only a TLS handshake with it can show.
   */
  @Test
  void anHttpsGatewaysTlsHandshakeRunsThroughTheSocksProxy() throws Exception {
    Path keyStore = Certificates.selfSigned(dir, "private-gateway", "ip:127.0.0.1");
    try (ApimGateway gateway = ApimGateway.builder().tls(keyStore, Certificates.PASSWORD).start();
        SocksProxy proxy = SocksProxy.start()) {
      URI url =
          ThroughProxy.gateway("https", Proxy.Type.SOCKS, proxy.port(), gateway.url().getPort());
      // Not a 1 s connect limit: the first TLS handshake of a run can take longer under load.
      deployLinkedTo(url, 10, 15);

      String logged = assertUnreachableThroughProxy("/api/untrusted", url, "SOCKS", proxy.port());

      assertTrue(logged.contains("PKIX path building failed"), logged);
      assertEquals(List.of(new SocksProxy.Connect(5, url.getAuthority(), null)), proxy.connects());
      assertHealthyAndIdle();
    }
  }

  /**
   * SOCKS 5 carries a user name and a password of at most 255 bytes each (RFC 1929): a longer one
   * is warned of at start-up, without showing it (a reviewer's 300-character password was refused
   * by Dante, and nothing said why).
   */
  @Test
  void socks5CredentialsTooLongToSendAreWarnedOf() throws Exception {
    try (SocksProxy proxy = SocksProxy.start()) {
      URI url = ThroughProxy.gateway("https", Proxy.Type.SOCKS, proxy.port(), closedPort());
      String password = "long-" + "p".repeat(300);
      LogWatch log = new LogWatch();
      deployLinkedThroughProxy(url, "apilink:" + password);
      log.close();

      List<String> warnings = log.warnings("proxyCredentials");
      assertEquals(1, warnings.size(), warnings.toString());
      assertEquals(
          "ApiLink: proxyCredentials has a user name or a password over 255 bytes (in UTF-8), more"
              + " than SOCKS 5 can carry (RFC 1929): the SOCKS proxy for "
              + url
              + " will refuse them",
          warnings.get(0));
      assertEquals(List.of(), log.all(password));
    }
  }

  /** A SOCKS proxy that accepts the connection and then says nothing: the connect limit. */
  @Test
  void aSocksProxyThatNeverAnswersIsA504AtTheConnectLimit() throws Exception {
    try (SilentServer proxy = SilentServer.start()) {
      deployLinkedTo(
          ThroughProxy.gateway("https", Proxy.Type.SOCKS, proxy.port(), closedPort()), 1, 0);

      assertNoConnectionWithinOneSecond("/api/connect");
      assertHealthyAndIdle();
    }
  }

  /**
   * {@code socksProxyVersion=4}, as the JDK's sockets read it: SOCKS 4a, which carries the host
   * name but no password, so credentials set for it are warned of and not sent.
   */
  @Test
  void socksProxyVersion4IsFollowedAndCredentialsForItAreWarnedOf() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    System.setProperty("socksProxyVersion", "4");
    try (SocksProxy proxy = SocksProxy.start()) {
      URI url = ThroughProxy.gateway("http", Proxy.Type.SOCKS, proxy.port(), gateway.port());
      LogWatch log = new LogWatch();
      deployLinkedThroughProxy(url, "apilink:secret");
      log.close();

      assertEquals(200, get("/api/orders").status());
      assertEquals(List.of(new SocksProxy.Connect(4, url.getAuthority(), null)), proxy.connects());
      List<String> warnings = log.warnings("proxyCredentials");
      assertEquals(1, warnings.size(), warnings.toString());
      assertEquals(
          "ApiLink: proxyCredentials is set, but the JVM's proxy settings send connections to "
              + url
              + " through a SOCKS 4 proxy (socksProxyVersion=4), which takes no password: the"
              + " credentials are not sent",
          warnings.get(0));
      assertHealthyAndIdle();
    } finally {
      System.clearProperty("socksProxyVersion");
      gateway.close();
    }
  }

  @Test
  void aGatewayBehindTheProxyThatNeverFinishesItsTlsHandshakeIsA504AtTheConnectLimit()
      throws Exception {
    ForwardProxy proxy = ForwardProxy.start();
    try (SilentServer gateway = SilentServer.start()) {
      // The handshake runs inside the proxy's tunnel, once the proxy has connected.
      deployLinkedTo(ThroughProxy.gateway("https", proxy.port(), gateway.port()), 1, 0);

      assertNoConnectionWithinOneSecond("/api/handshake");
      assertEquals(1, proxy.tunnels().size(), proxy.tunnels().toString());
      assertHealthyAndIdle();
    } finally {
      proxy.close();
    }
  }

  @Test
  void aGatewayWhoseCertificateIsNotTrustedIsA502AndTheLogNamesTheTlsProblem() throws Exception {
    // A self-signed certificate that this JVM's trust store does not hold: what an operator sees
    // who has not given the container a trust store with a private gateway's CA.
    Path keyStore = Certificates.selfSigned(dir, "private-gateway", "ip:127.0.0.1");
    try (ApimGateway gateway = ApimGateway.builder().tls(keyStore, Certificates.PASSWORD).start()) {
      assertEquals("https", gateway.url().getScheme());
      // Not the 1 s connect limit of the other tests: the first TLS handshake of the run, which
      // this may be, once took longer under load and got the 504 for no connection (review S).
      deployLinkedTo(gateway.url(), 10, 15);
      LogWatch log = new LogWatch();

      RawHttp.Response response = get("/api/untrusted");

      log.close();
      assertEquals(
          error(502, "Bad gateway: the API gateway could not be reached."), response.bodyText());
      List<String> warnings = log.warnings("-> answered 502");
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(warnings.get(0).contains("PKIX path building failed"), warnings.get(0));
      assertHealthyAndIdle();
    }
  }

  @Test
  void aGatewayThatNeverAnswersIsA504AtTheTotalLimitAndItsRequestIsAborted() throws Exception {
    try (SilentServer gateway = SilentServer.start()) {
      deployLinkedTo(gateway.url(), 1, 1);
      LogWatch log = new LogWatch();

      assert504AfterOneSecond(
          "/api/silent", "Gateway timeout: the API gateway did not answer within 1 second.");
      assertEquals("GET /api/silent HTTP/1.1", gateway.awaitRequestGivenUp(IDLE));
      awaitNoExchangeInFlight();
      Counted.once("AnsweredGatewayTimeout");
      log.close();
      // The line docs/troubleshooting.md quotes for a timeoutSeconds that ran out.
      assertEquals(
          List.of(
              "ApiLink: GET "
                  + site.container().url()
                  + "/api/silent -> answered 504: TimeoutException: Total timeout 1000 ms"
                  + " elapsed (gateway "
                  + gateway.url()
                  + ")"),
          log.warnings("-> answered 504"));
      assertHealthyAndIdle();
    }
  }

  @Test
  void aGatewaySilentForLongerThanTheKeepAliveIsWaitedForUpToTheTotalLimit() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.deployLinkedTo(
          gateway.url(),
          keyFile.andThen(
              c -> Battery.backend(c).put("keepAliveSeconds", 1).put("timeoutSeconds", 10)));

      // Silent for 2.5 s: longer than a pooled connection may idle, well within the total limit.
      RawHttp.Response response =
          RawHttp.exchangeOne(
              site.container().port(),
              "GET /api/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-delay-ms: 2500\r\n"
                  + "Connection: close\r\n\r\n");

      assertEquals(200, response.status(), response.toString());
      assertTrue(response.bodyText().contains("/api/slow"), response.bodyText());
    } finally {
      gateway.close();
    }
  }

  @Test
  void anIdleGatewayConnectionIsClosedAfterTheKeepAlive() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.deployLinkedTo(
          gateway.url(), keyFile.andThen(c -> Battery.backend(c).put("keepAliveSeconds", 1)));

      assertEquals(200, get("/api/once").status());

      ServletContainer container = site.container();
      Await.until(
          "no gateway connection left open a few seconds after a 1 s keep-alive",
          Duration.ofSeconds(10),
          () -> {
            GatewayClient.Connections connections = container.apiLinkFilter().gatewayConnections();
            return connections.idle() + connections.active() + connections.pending() == 0;
          },
          () -> container.apiLinkFilter().gatewayConnections().toString());
    } finally {
      gateway.close();
    }
  }

  /**
   * A busy site's pooled connection is never idle for {@code keepAliveSeconds}; without an age
   * limit it was used for as long as the gateway kept it open, so a change of the gateway's address
   * (DNS) was never followed.
   */
  @Test
  void aBusyGatewayConnectionIsClosedOnceOlderThanTheMaxConnectionAge() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.deployLinkedTo(
          gateway.url(),
          keyFile.andThen(c -> Battery.backend(c).put("maxConnectionAgeSeconds", 1)));
      // One request after another (each answered after 100 ms), each well within the 30 s
      // keep-alive of the one before, until ApiLink has closed a gateway connection. (Counting the
      // connections opened is not enough: the next request can come before the last one's
      // connection is back in the pool, and then a second one opens without any age limit.)
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      int sent = 0;
      while (gateway.acceptedConnections() - gateway.openConnections() == 0) {
        assertTrue(
            System.nanoTime() < deadline,
            "no gateway connection closed after "
                + sent
                + " requests in 15 s; "
                + gateway.openConnections()
                + " open");
        RawHttp.Response response =
            RawHttp.exchangeOne(
                site.container().port(),
                "GET /api/next HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-delay-ms: 100\r\n"
                    + "Connection: close\r\n\r\n");
        sent++;
        assertEquals(200, response.status(), response.toString());
      }
    } finally {
      gateway.close();
    }
  }

  @Test
  void aGatewayThatStallsMidBodyIsBrokenOffAtTheTotalLimitAndItsConnectionClosed()
      throws Exception {
    byte[] partial = BreakingServer.partialResponse(100_000, 1000, true);
    try (BreakingServer gateway = BreakingServer.start(partial, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 1);
      LogWatch log = new LogWatch();

      long start = System.nanoTime();
      RawHttp.Response response = get("/api/stalling");
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertEquals(200, response.status(), "the head had been forwarded");
      assertEquals(1000, response.body().length);
      assertFalse(response.complete(), "broken off, not ended: " + response);
      assertTrue(millis >= 1000 && millis < 1000 + 2000, "took " + millis + " ms");
      // What docs/troubleshooting.md tells an operator to look for: the limit, not the
      // gateway, ended it.
      String warning = log.await("-> response", Duration.ofSeconds(20));
      log.close();
      assertTrue(
          warning.startsWith(
              "ApiLink: GET "
                  + site.container().url()
                  + "/api/stalling -> response cut off at timeoutSeconds: "),
          warning);
      assertTrue(warning.endsWith(" (gateway " + gateway.url() + ")"), warning);
      assertEquals("closed by the client", gateway.awaitConnectionEnded(IDLE));
      assertEquals(0, gateway.openConnections());
      assertHealthyAndIdle();
      Counted.brokenOffOnce();
    }
  }

  // ---- the gateway breaks the connection ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "100 Continue\r\n",
        "102 Processing\r\n",
        "103 Early Hints\r\nLink: </style.css>; rel=preload\r\n",
        "104 Upload Resumption Supported\r\n", // hung forever without the fix (a reviewer)
        "199 Unknown\r\n",
        // Jetty's handler for 100 takes a request's first alone: the second was taken for the
        // answer, a 504 at timeoutSeconds without the fix (review h40s)
        "100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n",
        "100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 100 Continue\r\n"
      })
  void interimResponsesFromTheGatewayAreSkippedAndItsAnswerForwarded(String interim)
      throws Exception {
    byte[] answer =
        ("HTTP/1.1 "
                + interim
                + "\r\nHTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                + "Connection: close\r\n\r\nok")
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(answer, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/hints");

      assertEquals(200, response.status(), response.toString());
      assertEquals("ok", response.bodyText());
      assertHealthyAndIdle();
    }
  }

  /**
   * A body with neither {@code Content-Length} nor chunked coding ends where the gateway closes the
   * connection (RFC 9112 6.3, as an HTTP/1.0 server answers): it reaches an HTTP/1.1 client whole
   * and chunked, ended by its last chunk, on a connection that serves the next request, and an
   * HTTP/1.0 client whole, ended by the close. No test had such a gateway answer before.
   */
  @Test
  void anAnswerThatTheGatewayEndsByClosingReachesTheClientWhole() throws Exception {
    String body = "z".repeat(100_000);
    byte[] answer =
        ("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + body)
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(answer, Ending.CLOSE)) {
      deployLinkedTo(gateway.url(), 1, 5);

      List<RawHttp.Response> responses =
          RawHttp.exchange(
              site.container().port(),
              "GET /api/a HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                  + "GET /api/b HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
              2);
      RawHttp.Response http10 =
          RawHttp.exchangeOne(
              site.container().port(), "GET /api/c HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");

      assertEquals(2, responses.size(), responses.toString());
      for (RawHttp.Response response : responses) {
        assertEquals(200, response.status(), response.toString());
        assertEquals("chunked", response.header("Transfer-Encoding"), response.toString());
        assertTrue(response.complete(), "ended by its last chunk: " + response);
        assertEquals(body, response.bodyText());
      }
      assertEquals(200, http10.status(), http10.toString());
      assertNull(http10.header("Transfer-Encoding"), http10.toString());
      assertEquals(body, http10.bodyText());
      assertHealthyAndIdle();
    }
  }

  /**
   * The gateway's {@code Content-Type} names the encoding of its bytes, or names none: a filter
   * before ApiLink that set the response's character encoding (Spring's {@code
   * CharacterEncodingFilter} with {@code forceResponseEncoding}, for the site's own pages) must not
   * add one. Both containers added it ({@code text/plain;charset=UTF-8}), and a browser then
   * decoded a windows-1252 text, or a page whose {@code <meta charset>} names its encoding, as
   * UTF-8.
   */
  @Test
  void aCharacterEncodingSetBeforeApiLinkIsNotAddedToTheGatewaysContentType() throws Exception {
    byte[] answer =
        ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
                + "Connection: close\r\n\r\ncaf\u00e9")
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(answer, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response =
          RawHttp.exchangeOne(
              site.container().port(),
              "GET /api/menu HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + TestAuthFilter.RESPONSE_ENCODING
                  + ": UTF-8\r\nConnection: close\r\n\r\n");
      SECRETS.inspect("GET /api/menu", response.raw());

      assertEquals(200, response.status(), response.toString());
      assertEquals("text/plain", response.header("Content-Type"), response.toString());
      assertEquals("caf\u00e9", new String(response.body(), StandardCharsets.ISO_8859_1));
      assertHealthyAndIdle();
    }
  }

  /**
   * The gateway's response trailers (gRPC's {@code grpc-status}, a digest of a streamed body) reach
   * the client after the body, as the Servlet API's {@code setTrailerFields} sends them: those that
   * only a head may carry (framing, cookies, caching, RFC 9110 6.5.1) do not. They were dropped.
   */
  @Test
  void theGatewaysTrailersFollowTheBodyToTheClient() throws Exception {
    byte[] answer =
        ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                + "Trailer: grpc-status, digest, set-cookie\r\nConnection: close\r\n\r\n"
                + "2\r\nok\r\n0\r\ngrpc-status: 0\r\ndigest: sha-256=abc\r\n"
                + "set-cookie: a=b\r\ncontent-length: 9\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(answer, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      String raw = getAcceptingTrailers("/api/streamed");

      int last = raw.indexOf("\r\n0\r\n");
      assertTrue(last > 0, "a chunked body: " + raw);
      String trailers = raw.substring(last + 5).toLowerCase(Locale.ROOT);
      assertTrue(trailers.contains("grpc-status: 0\r\n"), raw);
      assertTrue(trailers.contains("digest: sha-256=abc\r\n"), raw);
      assertFalse(trailers.contains("set-cookie"), raw);
      assertFalse(trailers.contains("content-length"), raw);
      assertTrue(raw.endsWith("\r\n\r\n"), raw);
      String head = raw.substring(0, raw.indexOf("\r\n\r\n")).toLowerCase(Locale.ROOT);
      assertFalse(head.contains("\r\ntrailer:"), "Trailer is not passed on: " + raw);

      // Over HTTP/2 they come in a HEADERS frame after the DATA.
      HttpClient h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
      h2.start();
      try {
        ContentResponse overHttp2 =
            h2.newRequest(site.uri("/api/streamed")).timeout(20, TimeUnit.SECONDS).send();
        assertEquals(HttpVersion.HTTP_2, overHttp2.getVersion());
        assertEquals("ok", overHttp2.getContentAsString());
        assertNotNull(overHttp2.getTrailers(), "trailers over HTTP/2");
        assertEquals("0", overHttp2.getTrailers().get("grpc-status"));
        assertEquals("sha-256=abc", overHttp2.getTrailers().get("digest"));
        assertNull(overHttp2.getTrailers().get("set-cookie"));
      } finally {
        h2.stop();
      }

      // HTTP/1.0 has no trailers: the body alone, whole.
      RawHttp.Response old =
          RawHttp.exchangeOne(
              site.container().port(), "GET /api/streamed HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, old.status(), old.toString());
      assertEquals("ok", old.bodyText());
      assertHealthyAndIdle();
    }
  }

  /**
   * Trailers that the gateway's head did not announce in {@code Trailer} stay behind: the client's
   * body ends with no trailer fields, as every response did before trailers were passed on.
   */
  @Test
  void theGatewaysUnannouncedTrailersStayBehind() throws Exception {
    byte[] answer =
        ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
                + "Connection: close\r\n\r\n2\r\nok\r\n0\r\ngrpc-status: 0\r\n\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(answer, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      String raw = getAcceptingTrailers("/api/streamed");

      // Chunked (Jetty) or with the length the container counted (Tomcat, the body being whole).
      assertTrue(
          raw.endsWith("\r\nok\r\n0\r\n\r\n") || raw.endsWith("\r\n\r\nok"), "the body: " + raw);
      assertFalse(raw.toLowerCase(Locale.ROOT).contains("grpc-status"), raw);
      assertHealthyAndIdle();
    }
  }

  /** A raw HTTP/1.1 GET that says it takes trailers ({@code TE}); the whole exchange as text. */
  private String getAcceptingTrailers(String path) throws IOException {
    return RawHttp.exchange(
        site.container().port(),
        "GET "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTE: trailers\r\nConnection: close\r\n\r\n");
  }

  /**
   * A 204 has no body, whatever its {@code Content-Length} says (RFC 9110 6.4.1), and a server must
   * not send that field in one (8.6). Found by review on Jetty 12.1.12 (distribution and embedded):
   * the gateway's {@code Content-Length} was set on the client's 204, and Jetty, which then waits
   * for that many bytes, answered its HTML 500 {@code Insufficient content written 0 < 3} instead:
   * a {@code DELETE} that the API carried out looked failed. Tomcat drops the field itself.
   */
  @ParameterizedTest
  @ValueSource(strings = {"DELETE", "GET"})
  void aNoContentAnswerThatClaimsALengthReachesTheClientAsANoContentAnswer(String method)
      throws Exception {
    byte[] answer =
        "HTTP/1.1 204 No Content\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(answer, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response =
          RawHttp.exchangeOne(
              site.container().port(),
              method + " /api/orders/7 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");

      assertEquals(204, response.status(), response.toString());
      assertNull(response.header("Content-Length"), response.toString());
      assertEquals(0, response.body().length);
      assertHealthyAndIdle();
    }
  }

  /**
   * The last case: {@code X-Content-Length} is where Jetty's compression puts the {@code
   * Content-Length} of a body it decodes (with {@code X-Content-Encoding}); a client may send the
   * field itself, on a request that has no body. Such a GET is as bodiless as any: taken for a
   * decoded body of unknown length, it was answered 502 (found by review).
   */
  @ParameterizedTest
  @CsvSource({"GET,", "HEAD,", "OPTIONS,", "DELETE,", "GET,X-Content-Length: 42"})
  void aPooledConnectionTheGatewayClosedIsRetriedOnceForABodilessIdempotentRequest(
      String method, String header) throws Exception {
    try (ForgetfulServer gateway = ForgetfulServer.start()) {
      deployLinkedTo(gateway.url(), 1, 5);
      assertEquals(200, get("/api/first").status());
      awaitOneIdleGatewayConnection();

      // The pooled connection is reused, and the gateway closes it instead of answering.
      RawHttp.Response response =
          RawHttp.exchangeOne(
              site.container().port(),
              method
                  + " /api/second HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + (header == null ? "" : header + "\r\n")
                  + "Connection: close\r\n\r\n");

      // Found by a reviewer as a 502 for a request that did nothing wrong.
      assertEquals(200, response.status(), response.toString());
      assertEquals(1, gateway.dropped());
      assertEquals(2, gateway.answered(), "answered again, on a new connection");
      assertHealthyAndIdle();
    }
  }

  /**
   * The retry goes out on a new connection, not on another pooled one: a gateway that closes its
   * connections as they are reused (a restart, an idle limit) closes all of them. With two pooled
   * connections that the gateway closes at their next request, the retry went to the second and the
   * GET was answered 502 (review h40s, Tomcat and Jetty).
   */
  @Test
  void aRetryGoesOutOnANewConnectionRatherThanOnAnotherPooledOne() throws Exception {
    CountDownLatch twoConnections = new CountDownLatch(2);
    AtomicInteger dropped = new AtomicInteger();
    try (FlowControlContract.SocketGateway gateway =
        FlowControlContract.SocketGateway.start(
            connection -> {
              // Answers the first request of each connection, once two are open, then closes the
              // connection when the next request arrives on it, unanswered.
              InputStream in = connection.getInputStream();
              FlowControlContract.readHead(in);
              twoConnections.countDown();
              twoConnections.await(IDLE.toSeconds(), TimeUnit.SECONDS);
              connection
                  .getOutputStream()
                  .write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                          .getBytes(StandardCharsets.ISO_8859_1));
              FlowControlContract.readHead(in);
              dropped.incrementAndGet();
            })) {
      deployLinkedTo(gateway.url(), 1, 5);
      CompletableFuture<RawHttp.Response> first =
          CompletableFuture.supplyAsync(() -> getOrFail("/api/a"));
      assertEquals(200, get("/api/b").status());
      assertEquals(200, first.get(IDLE.toSeconds(), TimeUnit.SECONDS).status());
      ServletContainer container = site.container();
      Await.until(
          "two gateway connections in the pool",
          IDLE,
          () -> container.apiLinkFilter().gatewayConnections().idle() == 2,
          () -> container.apiLinkFilter().gatewayConnections());

      RawHttp.Response response = get("/api/c");

      assertEquals(200, response.status(), response.toString());
      assertEquals("ok", response.bodyText());
      assertEquals(1, dropped.get(), "one pooled connection tried, then a new one");
      assertEquals(3, gateway.connections());
      assertHealthyAndIdle();
    }
  }

  private RawHttp.Response getOrFail(String path) {
    try {
      return get(path);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * A retried request tells the gateway who the user is, as its first attempt did. The retry is
   * built on a gateway thread, where a security filter that keeps the user in a thread-local
   * (Spring Security's {@code SecurityContextHolder}, which docs/containers.md sets up before
   * ApiLink) no longer knows it: the first attempt carried the user's {@code
   * x-ms-client-principal}, the retry none, so the API served a signed-in user's request as an
   * anonymous one.
   */
  @Test
  void aRetriedRequestCarriesTheSameClientPrincipalAsItsFirstAttempt() throws Exception {
    try (ForgetfulServer gateway = ForgetfulServer.startDroppingWhenTold()) {
      deployLinkedTo(gateway.url(), 1, 5);
      String asAlice =
          "Host: 127.0.0.1\r\nX-Test-User: alice\r\nX-Test-Thread-Bound: yes\r\n"
              + "Connection: close\r\n\r\n";
      assertEquals(
          200,
          RawHttp.exchangeOne(site.container().port(), "GET /api/first HTTP/1.1\r\n" + asAlice)
              .status());
      String alices = principalIn(gateway.answeredHeads().get(0));
      assertNotNull(alices, "the first request's principal: " + gateway.answeredHeads().get(0));
      awaitOneIdleGatewayConnection();

      CompletableFuture<RawHttp.Response> second =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return RawHttp.exchangeOne(
                      site.container().port(), "GET /api/second HTTP/1.1\r\n" + asAlice);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
      // The pooled connection closes once the request's dispatch is over, as a gateway's idle
      // limit closes it at any time: the client learns of it on a thread of its own.
      dropOnceTheDispatchIsOver(gateway);
      RawHttp.Response response = second.get(IDLE.toSeconds(), TimeUnit.SECONDS);

      assertEquals(200, response.status(), response.toString());
      assertEquals(1, gateway.dropped());
      assertEquals(2, gateway.answered(), "answered again, on a new connection");
      assertEquals(
          alices,
          principalIn(gateway.answeredHeads().get(1)),
          "the retry's x-ms-client-principal: " + gateway.answeredHeads().get(1));
    }
  }

  /**
   * Once {@code gateway} holds a request unanswered and the container's thread is out of that
   * request's dispatch, closes the gateway's pooled connection under it.
   */
  private void dropOnceTheDispatchIsOver(ForgetfulServer gateway) throws Exception {
    gateway.awaitUnanswered(IDLE);
    awaitNoBusyThread("the request's dispatch over");
    gateway.drop();
  }

  /** Waits until none of the container's request threads is busy, {@code what} naming why. */
  private void awaitNoBusyThread(String what) throws InterruptedException {
    ServletContainer container = site.container();
    Await.until(what, IDLE, () -> container.busyThreads() == 0, container::busyThreads);
  }

  /** The value of the {@code x-ms-client-principal} field of a request head, else null. */
  private static String principalIn(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("x-ms-client-principal:")) {
        return line.substring(line.indexOf(':') + 1).strip();
      }
    }
    return null;
  }

  @Test
  void aRequestWithABodyOnAPooledConnectionTheGatewayClosedIsNotRetried() throws Exception {
    try (ForgetfulServer gateway = ForgetfulServer.start()) {
      deployLinkedTo(gateway.url(), 1, 5);
      assertEquals(200, get("/api/first").status());
      awaitOneIdleGatewayConnection();

      RawHttp.Response response = post("/api/second", 5);

      // Its body was streamed to the gateway and is gone: it cannot be sent again.
      assertEquals(502, response.status(), response.toString());
      assertEquals(1, gateway.dropped());
      assertEquals(1, gateway.answered());
    }
  }

  /**
   * An HTTP/2 stream that the container resets itself, its body longer than its Content-Length (a
   * protocol error), ends its exchange at once. Neither container tells the application of such a
   * reset: a reviewer's one connection of such streams held 164 gateway connections on Jetty
   * 12.1.12, 10 per connection on Tomcat 11.0.24, each until timeoutSeconds ran out, with its 408
   * blaming a client long cut off.
   */
  @Disabled(
      "Known, not fixed (docs/operations.md, HTTP/2 streams that the container resets itself):"
          + " neither container calls the application back; fails on both")
  @Test
  void anHttp2StreamTheContainerResetsForItsBodyEndsTheExchangeAtOnce() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    HTTP2Client h2 = new HTTP2Client();
    h2.start();
    try {
      deployLinkedTo(gateway.url(), 1, 120);
      Session session = h2cSession(h2);

      sendABodyLongerThanItsLength(session, "/api/longer", gateway);

      awaitNoExchangeInFlight();
      assertHealthyAndIdle();
    } finally {
      h2.stop();
      gateway.close();
    }
  }

  /**
   * POSTs to {@code path} on {@code session}'s connection a body of 16 bytes for a Content-Length
   * of 3, once the request has reached {@code gateway}: the container resets the stream (a protocol
   * error) and does not tell ApiLink.
   */
  private void sendABodyLongerThanItsLength(Session session, String path, EchoBackend gateway)
      throws Exception {
    MetaData.Request head =
        new MetaData.Request(
            "POST",
            HttpURI.from(site.uri(path)),
            HttpVersion.HTTP_2,
            HttpFields.build().put("Content-Length", "3"),
            3);
    Stream stream =
        session
            .newStream(new HeadersFrame(head, null, false), new Stream.Listener() {})
            .get(10, TimeUnit.SECONDS);
    gateway.awaitArrival(path, IDLE);
    stream.data(new DataFrame(stream.getId(), ByteBuffer.wrap(new byte[16]), true));
  }

  /**
   * What bounds the known hold above: one client connection has at most {@code
   * maxRequestsPerClientConnection} exchanges in flight, those of streams the container reset
   * included. Past it, a request on that connection is answered 429 without reaching the gateway,
   * while other connections are served; once the held exchanges end at {@code timeoutSeconds}, the
   * connection is served again. Without the bound, Jetty let one connection hold a gateway
   * connection for every such stream it opened (a reviewer's: 164 within 5 s).
   */
  @Test
  void aClientConnectionHoldsNoMoreExchangesThanItsLimitThoseOfStreamsTheContainerResetIncluded()
      throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    HTTP2Client h2 = new HTTP2Client();
    h2.start();
    try {
      site.deployLinkedTo(
          gateway.url(),
          keyFile.andThen(
              c ->
                  Battery.backend(c)
                      // Long enough for the checks below to be made before the held end.
                      .put("timeoutSeconds", 10)
                      .put("maxRequestsPerClientConnection", 3)));
      Session session = h2cSession(h2);
      for (int i = 1; i <= 3; i++) {
        sendABodyLongerThanItsLength(session, "/api/longer/" + i, gateway);
      }

      assertEquals(
          "429 {\"statusCode\": 429, \"message\": \"Too many requests: this connection has too"
              + " many requests to the API in flight; wait for their answers.\"}",
          getOn(session, "/api/refused"));
      assertFalse(gateway.hasArrived("/api/refused"));
      // The refused one ends just after its answer is sent; the three held ones are still there.
      awaitExchangesInFlight(3);
      String otherConnection = getOn(h2cSession(h2), "/api/another-connection");
      assertTrue(otherConnection.startsWith("200 "), otherConnection);

      awaitNoExchangeInFlight(); // the three held ones, at timeoutSeconds
      String again = getOn(session, "/api/again");
      assertTrue(again.startsWith("200 "), again);
      assertHealthyAndIdle();
    } finally {
      h2.stop();
      gateway.close();
    }
  }

  /**
   * A client that keeps within the container's own limit of streams on a connection (Jetty's 128,
   * Tomcat's 100) never meets {@code maxRequestsPerClientConnection}'s default, also while the
   * container has let a stream go and ApiLink has yet to hear that its exchange is complete: 1,000
   * requests at once on one HTTP/2 connection, each answered after 50 ms, all get the gateway's
   * 200.
   */
  @Test
  void aClientWithinTheContainersStreamLimitNeverMeetsTheDefaultBound() throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    HttpClient h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
    h2.setMaxConnectionsPerDestination(1);
    h2.setMaxRequestsQueuedPerDestination(2000);
    h2.start();
    try {
      deployLinkedTo(gateway.url(), 1, 30);
      List<Integer> statuses =
          getAtOnce(h2, "/api/many/", 1000, h -> h.put("x-echo-delay-ms", "50"));

      assertEquals(List.of(200), statuses.stream().distinct().toList());
      assertEquals(1000, gateway.received().size());
      awaitNoExchangeInFlight();
    } finally {
      h2.stop();
      gateway.close();
    }
  }

  /**
   * A request wrapper built against Servlet 5.0 (a filter of the site's, before ApiLink) has no
   * {@code getServletConnection()}, and another's may give no id: its HTTP/2 requests still reach
   * the gateway, not counted on their connection, rather than failing with the {@code
   * AbstractMethodError} or a {@code NullPointerException}.
   */
  @ParameterizedTest
  @ValueSource(strings = {"throws", "null-id"})
  void anHttp2RequestWhoseWrapperCannotTellItsConnectionGoesOnUncounted(String unknown)
      throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    HttpClient h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
    h2.setMaxConnectionsPerDestination(1);
    h2.start();
    try {
      site.deployLinkedTo(
          gateway.url(),
          keyFile.andThen(c -> Battery.backend(c).put("maxRequestsPerClientConnection", 1)));
      List<Integer> statuses =
          getAtOnce(
              h2,
              "/api/old-wrapper/",
              3,
              h -> h.put("X-Test-Connection-Unknown", unknown).put("x-echo-delay-ms", "500"));

      assertEquals(List.of(200, 200, 200), statuses);
      assertEquals(3, gateway.received().size());
      awaitNoExchangeInFlight();
    } finally {
      h2.stop();
      gateway.close();
    }
  }

  /**
   * Sends {@code count} GETs at once through {@code client}, to {@code prefix} followed by each
   * one's number, with {@code headers}: their statuses in that order, -1 for a request that failed.
   */
  private List<Integer> getAtOnce(
      HttpClient client, String prefix, int count, Consumer<HttpFields.Mutable> headers)
      throws Exception {
    List<CompletableFuture<Integer>> answers = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      CompletableFuture<Integer> answer = new CompletableFuture<>();
      client
          .newRequest(site.uri(prefix + i))
          .headers(headers)
          .timeout(60, TimeUnit.SECONDS)
          .send(
              result -> answer.complete(result.isFailed() ? -1 : result.getResponse().getStatus()));
      answers.add(answer);
    }
    List<Integer> statuses = new ArrayList<>();
    for (CompletableFuture<Integer> answer : answers) {
      statuses.add(answer.get(90, TimeUnit.SECONDS));
    }
    return statuses;
  }

  /** GETs {@code path} on {@code session}'s connection: the answer's status, a space, its body. */
  private String getOn(Session session, String path) throws Exception {
    CompletableFuture<Http2Answer> answer = new CompletableFuture<>();
    MetaData.Request head =
        new MetaData.Request(
            "GET", HttpURI.from(site.uri(path)), HttpVersion.HTTP_2, HttpFields.build());
    session.newStream(new HeadersFrame(head, null, true), Http2Answer.collecting(answer));
    Http2Answer answered = answer.get(20, TimeUnit.SECONDS);
    if (!answered.ended()) {
      throw new IOException("the stream " + answered);
    }
    return answered.status() + " " + answered.text();
  }

  /**
   * A client that leaves just as its request is about to be sent again (its pooled gateway
   * connection failed unanswered) ends the exchange there: the second attempt is not made. It was
   * built on a gateway thread from the client's request, which the container had recycled once the
   * client left: Jetty's client logged the IllegalStateException (Tomcat) or NullPointerException
   * (Jetty) with its stack trace at INFO; a request not yet recycled went to the gateway for nobody
   * (found by review B, an HTTP/2 client resetting its stream at that point).
   */
  @Test
  void aClientThatLeavesAsItsRequestIsSentAgainEndsTheExchangeWithoutIt() throws Exception {
    List<Throwable> thrownIntoTheGatewayClient = new CopyOnWriteArrayList<>();
    Logger gatewayClientLog = Logger.getLogger("org.eclipse.jetty.client");
    Handler thrown =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getThrown() != null) {
              thrownIntoTheGatewayClient.add(record.getThrown());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    gatewayClientLog.addHandler(thrown);
    HTTP2Client h2 = new HTTP2Client();
    h2.start();
    try (ForgetfulServer gateway = ForgetfulServer.startDroppingWhenTold();
        HoldingLog retry = HoldingLog.at("dev.apilink.proxy", "sending again")) {
      deployLinkedTo(gateway.url(), 1, 0);
      assertEquals(200, get("/api/first").status());
      awaitOneIdleGatewayConnection();

      // Over HTTP/2 the container learns at once that the client left: its stream is reset.
      Session session = h2cSession(h2);
      MetaData.Request head =
          new MetaData.Request(
              "GET", HttpURI.from(site.uri("/api/second")), HttpVersion.HTTP_2, HttpFields.build());
      Stream stream =
          session
              .newStream(new HeadersFrame(head, null, true), new Stream.Listener() {})
              .get(10, TimeUnit.SECONDS);
      // The pooled connection closes once the container's thread is out of the request's dispatch:
      // a send that meets the close fails, and is sent again, on the thread that sent it, which
      // the hold below would then keep from ever learning that the client left.
      dropOnceTheDispatchIsOver(gateway);
      retry.awaitHeld(IDLE);
      stream.reset(
          new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
      awaitNoExchangeInFlight();
      retry.releaseAndAwaitLeft("dev.apilink.proxy.ProxyExchange", IDLE);

      assertEquals(List.of(), thrownIntoTheGatewayClient);
      assertEquals(1, gateway.dropped());
      assertEquals(1, gateway.answered(), "not sent again for a client that left");
      assertHealthyAndIdle();
    } finally {
      h2.stop();
      gatewayClientLog.removeHandler(thrown);
    }
  }

  @Test
  void aRetryThatOpensNoConnectionIsA504NamingTheConnectLimit() throws Exception {
    // The gateway answers once on the one connection it accepts, then takes no more (its accept
    // queue full: a connect hangs) and closes that connection at the next request, unanswered.
    try (ServerSocket gateway = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        UnacceptingServer queue = UnacceptingServer.around(gateway)) {
      CompletableFuture<Void> served =
          CompletableFuture.runAsync(() -> answerOnceThenFill(gateway, queue));
      deployLinkedTo(URI.create("http://127.0.0.1:" + gateway.getLocalPort()), 1, 10);
      assertEquals(200, get("/api/first").status());
      awaitOneIdleGatewayConnection();

      // Sent again on a new connection, which never opens. A reviewer's said "within 0 seconds"
      // (Tomcat 11.0.24, a gateway stopped under load).
      assertNoConnectionWithinOneSecond("/api/second");
      served.get(IDLE.toSeconds(), TimeUnit.SECONDS);
    }
  }

  @Test
  void aRetryWhoseConnectionIsRefusedIsA502ThatTheGatewayCouldNotBeReached() throws Exception {
    // The gateway answers once on the one connection it accepts; at the next request it stops
    // listening, then closes that connection unanswered: a gateway stopped under load. A reviewer
    // got "response broke off" for such a GET, while the log said "Connection refused".
    try (ServerSocket gateway = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> served =
          CompletableFuture.runAsync(() -> answerOnceThenStop(gateway));
      deployLinkedTo(URI.create("http://127.0.0.1:" + gateway.getLocalPort()), 1, 10);
      assertEquals(200, get("/api/first").status());
      awaitOneIdleGatewayConnection();

      RawHttp.Response response = get("/api/second");

      assertEquals(
          error(502, "Bad gateway: the API gateway could not be reached."), response.bodyText());
      served.get(IDLE.toSeconds(), TimeUnit.SECONDS);
      assertHealthyAndIdle();
    }
  }

  /** Answers the first request on the one connection it accepts; stops at the second. */
  private static void answerOnceThenStop(ServerSocket gateway) {
    try (Socket connection = gateway.accept()) {
      InputStream in = connection.getInputStream();
      readHead(in);
      OutputStream out = connection.getOutputStream();
      out.write(
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      readHead(in);
      gateway.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Answers the first request on the one connection it accepts; closes it at the second. */
  private static void answerOnceThenFill(ServerSocket gateway, UnacceptingServer queue) {
    try (Socket connection = gateway.accept()) {
      InputStream in = connection.getInputStream();
      readHead(in);
      queue.fill();
      OutputStream out = connection.getOutputStream();
      out.write(
          "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      readHead(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void readHead(InputStream in) throws IOException {
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the connection closed inside a request head");
      }
      matched = b == "\r\n\r\n".charAt(matched) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/1.1 200 OK\r\nBad{Name: x\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
        "HTTP/1.1 200 OK\r\nX-A: a\r\n folded\r\nContent-Length: 2\r\n\r\nok",
        "HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\nok",
        // A transfer coding other than chunked (RFC 9112 7), which ApiLink never offers (it
        // forwards no TE) and does not decode: Transfer-Encoding is hop-by-hop and not passed on,
        // so the client got the gzip bytes as the content itself (found by review, both
        // containers).
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
            + "2\r\nzz\r\n0\r\n\r\n"
      })
  void aResponseThatIsNotValidHttpIsA502SayingSo(String answer) throws Exception {
    try (BreakingServer gateway =
        BreakingServer.start(answer.getBytes(StandardCharsets.ISO_8859_1), Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/malformed");

      // A reviewer saw each of these called a response that "broke off".
      assertEquals(
          error(502, "Bad gateway: the API gateway's response was not valid HTTP."),
          response.bodyText(),
          response.toString());
      assertEquals(502, response.status());
      assertHealthyAndIdle();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/1.1 20",
        "HTTP/1.1 200 OK\r\n",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n",
        "HTTP/1.1 200 OK\r\nContent-Ty"
      })
  void aGatewayThatClosesInsideItsResponseHeadBrokeOffRatherThanSpokeBadHttp(String head)
      throws Exception {
    try (BreakingServer gateway =
        BreakingServer.start(head.getBytes(StandardCharsets.ISO_8859_1), Ending.CLOSE)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/cut-head");

      // A reviewer saw each of these called a response that was "not valid HTTP".
      assertEquals(
          error(502, "Bad gateway: the API gateway's response broke off."),
          response.bodyText(),
          response.toString());
      assertHealthyAndIdle();
    }
  }

  @Test
  void aGatewayThatSwitchesProtocolsUnaskedIsA502() throws Exception {
    byte[] upgrade =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
            .getBytes(StandardCharsets.ISO_8859_1);
    try (BreakingServer gateway = BreakingServer.start(upgrade, Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/upgraded");

      assertEquals(502, response.status(), response.toString());
      assertEquals(
          error(502, "Bad gateway: the API gateway's response broke off."), response.bodyText());
      assertEquals("closed by the client", gateway.awaitConnectionEnded(IDLE));
      assertHealthyAndIdle();
    }
  }

  @Test
  void aGatewayThatResetsBeforeAnsweringIsA502() throws Exception {
    try (BreakingServer gateway = BreakingServer.start(new byte[0], Ending.RESET)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/reset-at-once");

      assertEquals(502, response.status());
      assertEquals(
          error(502, "Bad gateway: the API gateway's response broke off."), response.bodyText());
      assertHealthyAndIdle();
    }
  }

  /**
   * A gateway that breaks off while the client's body is still arriving, before any answer, is the
   * 502 of DESIGN.md; the rest of the body stays unread, so the connection is not reused.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(
      value = Ending.class,
      names = {"CLOSE", "RESET"})
  void aGatewayThatBreaksOffMidUploadIsA502(Ending ending) throws Exception {
    try (BreakingServer gateway = BreakingServer.startAnsweringBeforeTheBody(new byte[0], ending)) {
      deployLinkedTo(gateway.url(), 1, 10);

      List<RawHttp.Response> responses;
      try (Socket client = RawHttp.open(site.container().port())) {
        RawHttp.send(
            client,
            "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n");
        RawHttp.sendInBackground(client, new byte[100_000]);
        String answer = RawHttp.readAtLeastOrShortAnswer(client.getInputStream(), 1_000_000);
        responses = RawHttp.Response.parseAll(answer.getBytes(StandardCharsets.ISO_8859_1), false);
      }

      assertEquals(502, responses.get(0).status(), responses.toString());
      // A reset can overtake Jetty's notice that the request head was written: then the gateway
      // is taken for one not reached (once in a full run on a loaded 2-core machine).
      assertTrue(
          Set.of(
                  error(502, "Bad gateway: the API gateway's response broke off."),
                  error(502, "Bad gateway: the API gateway could not be reached."))
              .contains(responses.get(0).bodyText()),
          responses.toString());
      assertEquals("close", responses.get(0).header("Connection"), responses.toString());
      assertHealthyAndIdle();
    }
  }

  // ---- response heads the container could not send ----

  @ParameterizedTest(name = "a {0}-byte field, a body of {1} bytes")
  @CsvSource({"9000, 2", "60000, 2", "9000, 0"})
  void aResponseHeadOverTheContainersLimitIsA502(int fieldBytes, int bodyBytes) throws Exception {
    try (BreakingServer gateway =
        BreakingServer.start(answerWithField(fieldBytes, bodyBytes), Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/big-head");

      // Without the check: Tomcat closed the connection without answering, Jetty sent its 500 page.
      assertEquals(502, response.status(), response.toString());
      assertEquals(
          error(502, "Bad gateway: the API gateway's response headers are too large."),
          response.bodyText());
      if (bodyBytes > 0) {
        assertEquals("closed by the client", gateway.awaitConnectionEnded(IDLE));
      }
      assertHealthyAndIdle();
    }
  }

  @Test
  void aResponseHeadWithinTheContainersLimitPassesWhole() throws Exception {
    try (BreakingServer gateway = BreakingServer.start(answerWithField(7000, 2), Ending.STALL)) {
      deployLinkedTo(gateway.url(), 1, 5);

      RawHttp.Response response = get("/api/big-head");

      assertEquals(200, response.status(), response.toString());
      assertEquals("a".repeat(7000), response.header("X-Big"));
      assertEquals("ok", response.bodyText());
    }
  }

  @Test
  void maxResponseHeaderBytesSetsTheLimit() throws Exception {
    try (BreakingServer gateway = BreakingServer.start(answerWithField(2000, 2), Ending.STALL)) {
      site.deployLinkedTo(
          gateway.url(),
          keyFile.andThen(c -> Battery.backend(c).put("maxResponseHeaderBytes", 2048)));
      LogWatch log = new LogWatch();

      RawHttp.Response response = get("/api/big-head");

      log.close();
      assertEquals(502, response.status(), response.toString());
      assertEquals(
          error(502, "Bad gateway: the API gateway's response headers are too large."),
          response.bodyText());
      // The line that tells the operator which setting to raise.
      assertEquals(
          List.of(
              "ApiLink: GET "
                  + site.container().url()
                  + "/api/big-head -> answered 502: ResponseHeadersTooLarge: a response head"
                  + " of 2047 bytes, plus 256 for the container's own fields, over"
                  + " maxResponseHeaderBytes 2048 (gateway "
                  + gateway.url()
                  + ")"),
          log.warnings("-> answered 502"));
    }
  }

  /** A whole response with a field {@code X-Big} of {@code fieldBytes} and a sized body. */
  private static byte[] answerWithField(int fieldBytes, int bodyBytes) {
    return ("HTTP/1.1 200 OK\r\nX-Big: "
            + "a".repeat(fieldBytes)
            + "\r\nContent-Length: "
            + bodyBytes
            + "\r\n\r\n"
            + "ok".substring(0, bodyBytes))
        .getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aGatewayThatResetsMidSizedBodyBreaksOffTheClientsResponseAndLeaksNothing() throws Exception {
    resetsMidBody(true);
  }

  @Test
  void aGatewayThatResetsMidChunkedBodyBreaksOffTheClientsResponseAndLeaksNothing()
      throws Exception {
    resetsMidBody(false);
  }

  private void resetsMidBody(boolean sized) throws Exception {
    byte[] partial = BreakingServer.partialResponse(100_000, 20_000, sized);
    try (BreakingServer gateway = BreakingServer.start(partial, Ending.RESET)) {
      deployLinkedTo(gateway.url(), 1, 5);
      get("/api/warm-up");
      int threadsBefore = jvmThreads();

      for (int i = 0; i < 50; i++) {
        RawHttp.Response response = get("/api/reset-mid-body/" + i);

        assertEquals(200, response.status(), "the head had been forwarded");
        assertFalse(response.complete(), "broken off, not ended: " + response);
        assertTrue(response.body().length <= 20_000);
      }

      assertHealthyAndIdle();
      GatewayClient.Connections connections = site.container().apiLinkFilter().gatewayConnections();
      assertEquals(0, connections.active() + connections.idle(), connections.toString());
      int threadsAfter = jvmThreads();
      assertTrue(
          threadsAfter < threadsBefore + 20,
          "JVM threads " + threadsBefore + " before, " + threadsAfter + " after");
    }
  }

  /**
   * A gateway's error whose body breaks off, by the gateway or at {@code timeoutSeconds}, is one
   * response broken off: counted there alone, and logged once as that. Its status was counted as
   * passed on as well (GatewayAnsweredClientErrors or GatewayAnsweredServerErrors), and the bean's
   * outcomes added up to two for one exchange (found by review h40c, embedded Tomcat and Jetty).
   */
  @ParameterizedTest
  @CsvSource({
    "404 Not Found, RESET, response broken off",
    "500 Internal Server Error, RESET, response broken off",
    "503 Service Unavailable, STALL, response cut off at timeoutSeconds"
  })
  void aGatewaysErrorWhoseBodyBreaksOffIsCountedAsAResponseBrokenOffAlone(
      String status, Ending ending, String logged) throws Exception {
    byte[] partial = BreakingServer.partialResponse(status, 100_000, 1000, true);
    try (BreakingServer gateway = BreakingServer.start(partial, ending)) {
      deployLinkedTo(gateway.url(), 1, 1);
      LogWatch log = new LogWatch();

      RawHttp.Response response = get("/api/error-broken-off");

      assertEquals(
          Integer.parseInt(status.substring(0, 3)),
          response.status(),
          "the head had been forwarded");
      assertFalse(response.complete(), "broken off, not ended: " + response);
      String warning = log.await("-> response", IDLE);
      assertTrue(
          warning.startsWith(
              "ApiLink: GET " + site.container().url() + "/api/error-broken-off -> " + logged),
          warning);
      assertHealthyAndIdle();
      log.close();
      assertEquals(List.of(warning), log.warnings("/api/error-broken-off"));
      Counted.brokenOffOnce();
    }
  }

  // ---- the client's body breaks ----

  @ParameterizedTest
  @ValueSource(
      strings = {
        "5\r\nhello\r\nnot-a-chunk-size\r\n\r\n", // a later chunk-size line is malformed
        "zz\r\nhello\r\n0\r\n\r\n" // the first: Jetty fails the read before the first write
      })
  void aRequestBodyThatCannotBeReadIsNeverAnsweredAsASuccess(String chunkedBody) throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      deployLinkedTo(gateway.url(), 1, 5);
      // A pooled gateway connection, as on a site in use: the aborted gateway request then fails
      // at once, on the container's thread. On a new connection it may fail later, on a gateway
      // thread, and a malformed first chunk showed as an empty 200 on Jetty only every other run.
      get("/api/warm-up");

      List<RawHttp.Response> responses =
          RawHttp.exchangeAll(
              site.container().port(),
              "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                  + chunkedBody);

      for (RawHttp.Response response : responses) {
        SECRETS.inspect("malformed chunked body", response.raw());
      }
      if (kind() == ServletContainer.Kind.TOMCAT && responses.isEmpty()) {
        // Seen once in 17 runs (SECURITY.md): Tomcat closed the connection without its error
        // page. No answer is not a success either; the gateway side is checked as always.
        assertGatewayNeverTookTheBodyAsWhole(gateway);
        return;
      }
      assertEquals(1, responses.size(), responses.toString());
      assertEquals(400, responses.get(0).status(), responses.toString());
      if (kind() == ServletContainer.Kind.JETTY) {
        assertEquals(
            error(400, "Bad request: the request body could not be read."),
            responses.get(0).bodyText());
      } // Tomcat answers with its own error page before ApiLink can
      assertEquals("close", responses.get(0).header("Connection"));
      assertGatewayNeverTookTheBodyAsWhole(gateway);
    } finally {
      gateway.close();
    }
  }

  // ---- the server fails while the answer is passed on ----

  /**
   * A failure inside the server while the gateway's head goes into the client's response, the
   * client still there: a class the container cannot load (with no file descriptor left, Tomcat's
   * class loader throws {@code IllegalStateException}), memory. The client gets ApiLink's 500 with
   * none of the gateway's fields, and the log says why. It was an empty 200: the failure was taken
   * for a client that had left, and completing sent the container's default.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"head", "head-unchecked"})
  void aFailureInsideTheServerWhileTheAnswersHeadIsCopiedIsA500NotAnEmpty200(String where)
      throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          RawHttp.Response response = getWhileTheServerFails("/api/orders", where, "");

          assertEquals(500, response.status(), response.toString());
          assertEquals(error(500, NOT_PASSED_ON), response.bodyText());
          assertNull(response.header(FailingResponse.MARKER), response.toString());
          assertEquals(1, gateway.received().size());
          List<String> warnings = log.warnings("-> answered 500");
          assertEquals(1, warnings.size(), warnings.toString());
          assertTrue(
              warnings
                  .get(0)
                  .startsWith(
                      "ApiLink: GET "
                          + site.container().url()
                          + "/api/orders -> answered 500: the gateway's"),
              warnings.get(0));
        });
  }

  /**
   * The same for an answer without a body, which ends when its head is copied: the exchange was
   * lost (left in flight, the client without an answer until it gave up) or an empty 200.
   */
  @Test
  void aFailureInsideTheServerWhileABodylessAnswersHeadIsCopiedIsA500() throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          RawHttp.Response response =
              getWhileTheServerFails("/api/orders", "head", "x-echo-status: 204\r\n");

          assertEquals(500, response.status(), response.toString());
          assertEquals(error(500, NOT_PASSED_ON), response.bodyText());
          assertNull(response.header(FailingResponse.MARKER), response.toString());
        });
  }

  /**
   * The gateway's answer that could not be passed on is counted as what the client got, ApiLink's
   * 500, and not also as a gateway 4xx passed on to clients (docs/operations.md): it was counted in
   * GatewayAnsweredClientErrors as soon as its status went into the response, before its fields
   * ({@code head}); and when the server failed on the first write of its body, before anything went
   * out ({@code first-write}), it stayed counted after the response was reset for the 500.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"head", "first-write"})
  void aGatewayAnswerThatCouldNotBePassedOnIsCountedOnlyAsApiLinks500(String failing)
      throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          MBeanServer server = ManagementFactory.getPlatformMBeanServer();
          ObjectName name = Counted.siteBean();

          RawHttp.Response response =
              getWhileTheServerFails("/api/orders", failing, "x-echo-status: 404\r\n");

          assertEquals(500, response.status(), response.toString());
          assertEquals(error(500, NOT_PASSED_ON), response.bodyText());
          assertEquals(1L, server.getAttribute(name, "ExchangesStarted"));
          assertEquals(1L, server.getAttribute(name, "AnsweredOtherErrors"));
          assertEquals(
              0L,
              server.getAttribute(name, "GatewayAnsweredClientErrors"),
              "the gateway's 404 never reached the client");
        });
  }

  /**
   * A failure inside the server once the gateway's answer has begun to reach the client breaks that
   * answer off; completing ended a chunked download with its last chunk, as if whole. Counted as a
   * response broken off alone, whatever the gateway's status: a 500 so broken off was counted in
   * GatewayAnsweredServerErrors too (review h40c).
   */
  @ParameterizedTest
  @ValueSource(ints = {200, 500})
  void aFailureInsideTheServerAfterTheAnswerBeganBreaksItOff(int status) throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          RawHttp.Response response =
              getWhileTheServerFails(
                  "/api/download",
                  "body",
                  "x-echo-status: "
                      + status
                      + "\r\nx-echo-download: 1000000\r\nx-echo-chunked: true\r\n");

          assertEquals(status, response.status(), response.toString());
          assertFalse(
              response.complete(),
              "broken off, not ended as if whole: " + response.body().length + " bytes");
          assertTrue(response.body().length < 1_000_000, response.body().length + " bytes");
          List<String> warnings = log.warnings("-> response broken off");
          assertEquals(1, warnings.size(), warnings.toString());
          Counted.brokenOffOnce();
        });
  }

  /**
   * A failure inside the server as a HEAD's answer head is sent (its output closed, in blocking
   * mode) ends the exchange at once, never a success: it was left in flight, the client without an
   * answer until the container's async timeout, 5 s after timeoutSeconds (for ever without one).
   * Logged and counted as any answer this server failed to pass on (docs/proxy.md): it was neither,
   * only a FINE line, and the bean showed the gateway's answer as passed on (review h40c).
   */
  @Test
  void aFailureInsideTheServerWhileAHeadsAnswerIsSentStillEndsTheExchange() throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          long start = System.nanoTime();
          RawHttp.Response response =
              RawHttp.exchangeOne(
                  site.container().port(),
                  "HEAD /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + FailingResponse.HEADER
                      + ": close\r\nConnection: close\r\n\r\n");
          long millis = (System.nanoTime() - start) / 1_000_000;

          // The container's async timeout comes at 10 s (timeoutSeconds 5, and 5 s more).
          assertTrue(
              millis < 8000,
              "answered after " + millis + " ms, by the container's async timeout: " + response);
          assertTrue(response.status() >= 500, "never a success: " + response);
          Counted.brokenOffOnce();
          assertEquals(
              List.of(
                  "ApiLink: HEAD "
                      + site.container().url()
                      + "/api/orders -> response broken off: the gateway's answer could not be"
                      + " passed on to the client: NoClassDefFoundError: dev/example/NotLoaded"),
              log.warnings(" -> "));
        });
  }

  /**
   * An exchange that nothing ends gets the 504 of {@code timeoutSeconds} from the container's async
   * timeout, 5 s later, as a last resort. Here a filter before ApiLink wraps the response in an
   * output stream that never calls the write listener back, so the gateway's answer can never be
   * written; the client waited for ever, and the exchange stayed in flight.
   */
  @Test
  void anExchangeThatNothingEndsIsAnswered504FiveSecondsAfterTimeoutSeconds() throws Exception {
    withAnEchoGateway(
        1,
        (gateway, log) -> {
          long start = System.nanoTime();
          RawHttp.Response response = getWhileTheServerFails("/api/orders", "listener-ignored", "");
          long millis = (System.nanoTime() - start) / 1_000_000;

          assertEquals(504, response.status(), response.toString());
          assertEquals(
              error(504, "Gateway timeout: the API gateway did not answer within 1 second."),
              response.bodyText());
          assertNull(response.header(FailingResponse.MARKER), response.toString());
          assertTrue(millis >= 6000 && millis < 6000 + 8000, "took " + millis + " ms");
          List<String> warnings = log.warnings("-> answered 504");
          assertEquals(1, warnings.size(), warnings.toString());
          assertTrue(
              warnings
                  .get(0)
                  .contains(
                      "ExchangeOutlived: the exchange had not ended 5 s after timeoutSeconds (1"
                          + " s); the container's async timeout ended it <-"
                          + " WriteListenerNeverCalled: through "
                          + FailingResponse.class.getName()
                          + ", a filter's response wrapper (does it ignore setWriteListener()?)"),
              warnings.get(0));
          awaitNoExchangeInFlight();
          Counted.once("AnsweredGatewayTimeout");
        });
  }

  /**
   * A filter's response wrapper whose output stream refuses {@code setWriteListener()} is a
   * deployment mistake, answered 500 and logged as a filter that is not async-supported is; the
   * gateway is not asked. It was taken for a client that had left: an empty 200.
   */
  @Test
  void aResponseWrapperThatRefusesTheWriteListenerIsA500ThatNamesIt() throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          RawHttp.Response response =
              getWhileTheServerFails("/api/orders", "listener-unsupported", "");

          assertRefusedAsNotSetUp(
              response,
              gateway,
              log,
              "a filter's response wrapper, refused setWriteListener()",
              FailingResponse.class.getName());
        });
  }

  /**
   * A filter's request wrapper whose input stream refuses {@code setReadListener()} (written before
   * Servlet 3.1: it throws, or lacks the method) leaves ApiLink no way to read the body without
   * holding a thread: a deployment mistake, answered 500 and logged as the response's wrapper above
   * is, not a client whose body could not be read, and nothing reaches the gateway.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"listener-unsupported", "listener-missing"})
  void aRequestWrapperThatRefusesTheReadListenerIsA500ThatNamesIt(String how) throws Exception {
    withAnEchoGateway(
        5,
        (gateway, log) -> {
          long start = System.nanoTime();
          List<RawHttp.Response> responses =
              RawHttp.exchangeAll(
                  site.container().port(),
                  "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + FailingRequest.HEADER
                      + ": "
                      + how
                      + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
                      + "Connection: close\r\n\r\n{}");
          long millis = (System.nanoTime() - start) / 1_000_000;

          assertEquals(1, responses.size(), responses.toString());
          // The last resort would answer at 10 s (timeoutSeconds 5 + 5).
          assertTrue(millis < 8000, "at once, not at a time limit: " + millis + " ms");
          assertRefusedAsNotSetUp(
              responses.get(0),
              gateway,
              log,
              "a filter's request wrapper, refused setReadListener()",
              FailingRequest.class.getName());
        });
  }

  /**
   * A filter before ApiLink that has taken the container's own response's writer, or the request's
   * reader, leaves ApiLink no output or input stream: a deployment mistake, answered 500 and logged
   * as the wrapper above is. The writer's case was taken for a client that had left (an empty 200
   * for a request the gateway never saw), the reader's for a body that could not be read (the
   * client's 400).
   */
  @ParameterizedTest(name = "the {0}")
  @ValueSource(strings = {"response's writer", "request's reader"})
  void aResponseOrRequestStreamAFilterTookIsA500ThatSaysSo(String taken) throws Exception {
    String request =
        taken.equals("response's writer")
            ? "GET /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-Writer-Taken: yes\r\n"
                + "Connection: close\r\n\r\n"
            : "POST /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Test-Reader-Taken: yes\r\n"
                + "Content-Type: application/json\r\nContent-Length: 2\r\n"
                + "Connection: close\r\n\r\n{}";
    withAnEchoGateway(
        5,
        (gateway, log) ->
            assertRefusedAsNotSetUp(
                RawHttp.exchangeOne(site.container().port(), request),
                gateway,
                log,
                "a filter before ApiLink took the " + taken,
                ""));
  }

  /**
   * {@code response} is ApiLink's 500 for a site not set up to forward {@code /api/orders}, the
   * gateway never asked, and one SEVERE line says why, its cause starting with {@code cause}.
   */
  private void assertRefusedAsNotSetUp(
      RawHttp.Response response, EchoBackend gateway, LogWatch log, String why, String cause) {
    assertEquals(500, response.status(), response.toString());
    assertEquals(
        error(
            500,
            "Internal server error: the site is not set up to forward this request to the"
                + " API gateway."),
        response.bodyText());
    assertEquals(List.of(), gateway.received());
    List<String> severe = log.warnings(why);
    assertEquals(1, severe.size(), severe.toString());
    assertTrue(
        severe
            .get(0)
            .startsWith(
                "ApiLink: the request for "
                    + site.container().url()
                    + "/api/orders cannot be forwarded: "
                    + cause),
        severe.get(0));
  }

  /**
   * A failure inside the server as ApiLink writes its own answer to a gateway that cannot be
   * reached breaks the response off at once, never a success: with an unchecked exception the
   * exchange completed with nothing written, an empty 200; with an error it was left to the last
   * resort, {@code timeoutSeconds} + 5 s later.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"error-status", "error-status-unchecked"})
  void aFailureInsideTheServerWhileApiLinkWritesItsOwnAnswerBreaksItOff(String where)
      throws Exception {
    URI gateway = URI.create("http://127.0.0.1:" + closedPort());
    deployLinkedTo(gateway, 1, 5);

    long start = System.nanoTime();
    RawHttp.Response response = getWhileTheServerFails("/api/refused", where, "");
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertTrue(
        response.status() == 0 || response.status() >= 500,
        "never a success: " + response.status() + " " + response);
    // The last resort comes at 10 s (timeoutSeconds 5, and 5 s more): well under it, on a loaded
    // machine too.
    assertTrue(millis < 7000, "at once, not at the last resort: " + millis + " ms");
    assertHealthyAndIdle();
  }

  /**
   * A failure inside the server as ApiLink writes any other of its own answers is never a success
   * either, and ends the exchange at once: the 400 of a body that cannot be read, the 504 of the
   * last resort, the 500 for a filter's wrapper that refuses the write listener, the 500 of an
   * answer not passed on. With an unchecked exception each of the first three completed with
   * nothing written, an empty 200.
   */
  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({
    "malformed-body, error-status",
    "malformed-body, error-status-unchecked",
    "listener-ignored, error-status",
    "listener-ignored, error-status-unchecked",
    "listener-unsupported, error-status",
    "listener-unsupported, error-status-unchecked",
    "head, error-status",
    "head, error-status-unchecked"
  })
  void aFailureInsideTheServerWhileApiLinkWritesAnyOfItsAnswersIsNeverASuccess(
      String answer, String failure) throws Exception {
    withAnEchoGateway(
        1,
        (gateway, log) -> {
          get("/api/warm-up"); // as in aRequestBodyThatCannotBeReadIsNeverAnsweredAsASuccess
          String request =
              answer.equals("malformed-body")
                  ? "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      + FailingResponse.HEADER
                      + ": "
                      + failure
                      + "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nnot-a-chunk-size\r\n\r\n"
                  : requestWhileTheServerFails("/api/orders", answer + "," + failure, "");

          long start = System.nanoTime();
          List<RawHttp.Response> responses = RawHttp.exchangeAll(site.container().port(), request);
          long millis = (System.nanoTime() - start) / 1_000_000;

          for (RawHttp.Response response : responses) {
            SECRETS.inspect(answer + ", " + failure, response.raw());
            assertTrue(response.status() >= 400, "never a success: " + response);
          }
          // The last resort comes at timeoutSeconds (1 s) + 5 s; the others at once.
          long limit = answer.equals("listener-ignored") ? 6000 + 6000 : 5000;
          assertTrue(millis < limit, "took " + millis + " ms");
          assertGatewayNeverTookTheBodyAsWhole(gateway);
        });
  }

  /**
   * A failure inside the server as ApiLink answers a request before its exchange has begun, such as
   * the 413 of a {@code Content-Length} over {@code maxRequestBodyBytes}, still ends the exchange.
   * It escaped ApiLink before the exchange was set to end, which then stayed in flight for ever,
   * counted on its client connection and keeping a retired link open. So did Tomcat's {@code
   * getContentLengthLong()}, which throws for an HTTP/2 {@code Content-Length} that is not one
   * number (a reviewer's {@code abc}, on the Tomcat 10.1.59 and 11.0.24 distributions; now a 400).
   */
  @ParameterizedTest
  @ValueSource(strings = {"error-status", "error-status-unchecked"})
  void aFailureInsideTheServerBeforeTheExchangeBeginsStillEndsIt(String failure) throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    try {
      site.deployLinkedTo(
          gateway.url(), keyFile.andThen(c -> Battery.backend(c).put("maxRequestBodyBytes", 10)));

      List<RawHttp.Response> responses =
          RawHttp.exchangeAll(
              site.container().port(),
              "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  + FailingResponse.HEADER
                  + ": "
                  + failure
                  + "\r\nContent-Length: 100\r\nConnection: close\r\n\r\n"
                  + "x".repeat(100));

      for (RawHttp.Response response : responses) {
        assertTrue(response.status() >= 400, "never a success: " + response);
      }
      assertFalse(gateway.hasArrived("/api/upload"));
      assertHealthyAndIdle();
    } finally {
      gateway.close();
    }
  }

  /** A test against the site linked to an echo gateway, with what ApiLink logs meanwhile. */
  interface WithEchoGateway {
    void run(EchoBackend gateway, LogWatch log) throws Exception;
  }

  /**
   * Runs {@code test} with the site linked to an echo gateway ({@code connectTimeoutSeconds} 1),
   * then checks that the site is healthy and idle.
   */
  private void withAnEchoGateway(int timeoutSeconds, WithEchoGateway test) throws Exception {
    EchoBackend gateway = EchoBackend.startDiscreet();
    LogWatch log = new LogWatch();
    try {
      deployLinkedTo(gateway.url(), 1, timeoutSeconds);
      test.run(gateway, log);
      assertHealthyAndIdle();
    } finally {
      log.close();
      gateway.close();
    }
  }

  static final String NOT_PASSED_ON =
      "Internal server error: the API gateway's answer could not be passed on.";

  /**
   * GETs {@code path} with the gateway's field {@code X-Answer-Marker} in its answer, from a
   * response that fails {@code where} {@link FailingResponse} says.
   */
  private RawHttp.Response getWhileTheServerFails(String path, String where, String moreFields)
      throws Exception {
    RawHttp.Response response =
        RawHttp.exchangeOne(
            site.container().port(), requestWhileTheServerFails(path, where, moreFields));
    SECRETS.inspect("GET " + path, response.raw());
    return response;
  }

  /** The request that {@link #getWhileTheServerFails(String, String, String)} sends. */
  private static String requestWhileTheServerFails(String path, String where, String moreFields) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-response-header: "
        + FailingResponse.MARKER
        + ": 1\r\n"
        + FailingResponse.HEADER
        + ": "
        + where
        + "\r\n"
        + moreFields
        + "Connection: close\r\n\r\n";
  }

  private void assertGatewayNeverTookTheBodyAsWhole(EchoBackend gateway) throws Exception {
    for (EchoBackend.Received received : gateway.received()) {
      if (received.rawPath().equals("/api/upload")) {
        assertFalse(received.bodyComplete(), "the gateway never takes a broken body as whole");
      }
    }
    assertHealthyAndIdle();
  }
}
