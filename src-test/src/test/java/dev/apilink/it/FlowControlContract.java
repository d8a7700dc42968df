package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.testkit.faults.Acceptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FuturePromise;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Back-pressure with real sockets: a client that reads slowly holds the gateway's writes, a gateway
 * that reads slowly holds the client's, and lengths past {@link Integer#MAX_VALUE} pass exactly.
 * Bodies of 3,000,000,000 bytes are announced, never sent whole: what is measured is how far the
 * other side got before its writes blocked, a few socket buffers rather than the body.
 */
abstract class FlowControlContract {

  /** A length past {@link Integer#MAX_VALUE}, as a large download or backup upload has. */
  static final long HUGE = 3_000_000_000L;

  /**
   * Loopback socket buffers grow to a few MiB each on Linux, and a byte travels through about six
   * of them (the gateway's, ApiLink's client's, ApiLink's own 64 KiB, the container's, the
   * client's): well under this, and well under {@link #HUGE}.
   */
  static final long FEW_SOCKET_BUFFERS = 64L * 1024 * 1024;

  private static final byte[] BLOCK = new byte[64 * 1024];

  @TempDir Path dir;
  Site site;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void startContainer() throws Exception {
    site = Site.create(kind(), dir, "");
  }

  @AfterEach
  void stopContainer() throws Exception {
    site.close();
  }

  // ---- downloads to slow clients ----

  @Test
  void aClientThatReadsAlmostNothingStopsTheGatewaysWritesAfterAFewSocketBuffers()
      throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));

      try (Socket client = slowClient()) {
        RawHttp.send(client, "GET /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        String head = readHead(client.getInputStream());
        readExactly(client.getInputStream(), 1024);

        long stalled = awaitSteady(written);
        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
        assertEquals("3000000000", field(head, "Content-Length"), head);
        assertTrue(
            stalled < FEW_SOCKET_BUFFERS,
            "the gateway wrote " + stalled + " bytes while the client read 1024");
        System.out.printf(
            "%s: the gateway wrote %d bytes, the client read 1024%n", kind(), stalled);
        // Held, not stuck: reading on lets the gateway write on.
        readExactly(client.getInputStream(), (int) (stalled + 1024 * 1024));
        assertTrue(written.get() > stalled, "still " + written.get() + " bytes written");
      }
    }
  }

  @Test
  void aStalledClientThatResetsEndsItsExchangeAndTheGatewaysConnection() throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));
      ServletContainer container = site.container();

      try (Socket client = slowClient()) {
        RawHttp.send(client, "GET /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        readHead(client.getInputStream());
        readExactly(client.getInputStream(), 1024);
        awaitSteady(written);
        client.setSoLinger(true, 0);
      }

      awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
      Counted.asAClientThatLeft();
    }
  }

  /**
   * A client that stops reading while {@code timeoutSeconds} runs out: the container's async
   * timeout, {@link dev.apilink.proxy.GatewayError#LAST_RESORT_SECONDS} later, finds its response
   * committed, and the response is broken off. Left to the container, Jetty (12.1) neither closed
   * the connection nor called {@code onComplete}: the client waited for ever, and the exchange
   * stayed in flight (a retired link never closed, the filter's and the JMX bean's count never went
   * back to 0); Tomcat closed it.
   */
  @Test
  void aClientThatStopsReadingAsTimeoutSecondsRunsOutHasItsExchangeEndedAndItsResponseBrokenOff()
      throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 1));

      try (Socket client = slowClient()) {
        RawHttp.send(client, "GET /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        readHead(client.getInputStream());
        readExactly(client.getInputStream(), 1024);

        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.brokenOffOnce();
        long received = 1024 + client.getInputStream().transferTo(OutputStream.nullOutputStream());
        assertTrue(received < HUGE, "the client received " + received + " bytes of " + HUGE);
      }
    }
  }

  /**
   * docs/proxy.md: {@code timeoutSeconds} limits the whole exchange; a response that had begun is
   * broken off when it runs out. For a client that had stopped reading, the gateway's timeout went
   * unnoticed until the client read on, and the response ran until the container's async timeout, 5
   * s later, logged as an exchange lost on the way ({@code ExchangeOutlived}).
   */
  @Test
  void aClientThatStopsReadingIsBrokenOffAtTimeoutSecondsNotAtTheLastResort() throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written));
        LogWatch log = new LogWatch()) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 1));

      try (Socket client = slowClient()) {
        RawHttp.send(client, "GET /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        readHead(client.getInputStream());
        readExactly(client.getInputStream(), 1024);

        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.brokenOffOnce();
        assertEquals(
            List.of(
                "ApiLink: GET "
                    + site.uri("/api/huge")
                    + " -> response cut off at timeoutSeconds:"
                    + " TimeoutException: Total timeout 1000 ms elapsed (gateway "
                    + gateway.url()
                    + ")"),
            log.warnings("/api/huge"));
      }
    }
  }

  /**
   * A slow upload and a slow download at once: the gateway answers before it has read the body (it
   * reads none), the client goes on sending and stops reading, while {@code timeoutSeconds} runs
   * out.
   */
  @Test
  void aClientThatUploadsAndStopsReadingAnEarlyAnswerIsBrokenOffAtTimeoutSeconds()
      throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written));
        LogWatch log = new LogWatch()) {
      deploy(
          gateway.url(),
          c ->
              Battery.backend(c)
                  .put("timeoutSeconds", 1)
                  .put("maxRequestBodyBytes", 4_000_000_000L));

      try (Socket client = slowClient()) {
        RawHttp.send(
            client,
            "POST /api/huge HTTP/1.1\r\nHost: site\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: "
                + HUGE
                + "\r\n\r\n");
        Thread writer = writeInBackground(client.getOutputStream(), HUGE, new AtomicLong());
        try {
          readHead(client.getInputStream());
          readExactly(client.getInputStream(), 1024);

          awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
          Counted.brokenOffOnce();
          assertTimeoutSecondsCutOff(log, gateway, "POST");
        } finally {
          client.setSoLinger(true, 0);
          client.close();
          writer.join(TimeUnit.SECONDS.toMillis(30));
        }
      }
    }
  }

  /** The gateway stops sending mid-body while its client has stopped reading too. */
  @Test
  void aGatewayAndAClientThatBothStopMidBodyAreBrokenOffAtTimeoutSeconds() throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway =
            SocketGateway.start(
                connection -> {
                  readHead(connection.getInputStream());
                  OutputStream out = connection.getOutputStream();
                  out.write(
                      ("HTTP/1.1 200 OK\r\nContent-Length: " + HUGE + "\r\n\r\n")
                          .getBytes(StandardCharsets.ISO_8859_1));
                  for (int i = 0; i < 16; i++) { // 1 MiB, more than the client takes
                    out.write(BLOCK);
                    written.addAndGet(BLOCK.length);
                  }
                  out.flush();
                  connection.getInputStream().read(); // then nothing more, until closed
                });
        LogWatch log = new LogWatch()) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 1));

      try (Socket client = slowClient()) {
        RawHttp.send(client, "GET /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        readHead(client.getInputStream());
        readExactly(client.getInputStream(), 1024);

        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.brokenOffOnce();
        assertTimeoutSecondsCutOff(log, gateway, "GET");
      }
    }
  }

  private void assertTimeoutSecondsCutOff(LogWatch log, SocketGateway gateway, String method) {
    assertEquals(
        List.of(
            "ApiLink: "
                + method
                + " "
                + site.uri("/api/huge")
                + " -> response cut off at timeoutSeconds:"
                + " TimeoutException: Total timeout 1000 ms elapsed (gateway "
                + gateway.url()
                + ")"),
        log.warnings("/api/huge"));
  }

  /** No exchange in flight, no gateway connection in use, and none left open at the gateway. */
  void awaitTheExchangeEndedAndItsGatewayConnectionClosed(SocketGateway gateway, AtomicLong written)
      throws InterruptedException {
    ServletContainer container = site.container();
    Await.until(
        "the exchange ended and its gateway connection closed",
        Duration.ofSeconds(30),
        () ->
            container.apiLinkFilter().exchangesInFlight() == 0
                && container.apiLinkFilter().gatewayConnections().active() == 0
                && gateway.openConnections() == 0,
        () ->
            container.apiLinkFilter().exchangesInFlight()
                + " in flight, "
                + container.apiLinkFilter().gatewayConnections()
                + ", gateway connections open "
                + gateway.openConnections()
                + ", "
                + written.get()
                + " bytes written");
  }

  /**
   * With {@code timeoutSeconds} 0, a client that stops reading is ended by the container's own
   * timeout (docs/operations.md, slow readers): its exchange must end with it, and the gateway's
   * connection be closed, or nothing would ever free them.
   */
  @Test
  void aClientThatStopsReadingIsEndedByTheContainersTimeoutAndItsGatewayConnectionWithIt()
      throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));
      ServletContainer container = site.container();
      container.readTimeout(Duration.ofSeconds(3));

      try (Socket client = slowClient()) {
        RawHttp.send(client, "GET /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        readHead(client.getInputStream());
        readExactly(client.getInputStream(), 1024);

        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.asAClientThatLeft();
      }
    }
  }

  /**
   * docs/proxy.md: {@code timeoutSeconds} limits the whole exchange, a download flowing at full
   * speed included, and the client sees it broken off: its chunked body never gets its last chunk.
   */
  @Test
  void aDownloadFlowingSteadilyIsBrokenOffAtTimeoutSecondsWithoutItsLastChunk() throws Exception {
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              readHead(connection.getInputStream());
              OutputStream out = connection.getOutputStream();
              out.write(
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      .getBytes(StandardCharsets.ISO_8859_1));
              byte[] size =
                  (Integer.toHexString(BLOCK.length) + "\r\n")
                      .getBytes(StandardCharsets.ISO_8859_1);
              byte[] crlf = "\r\n".getBytes(StandardCharsets.ISO_8859_1);
              while (true) {
                out.write(size);
                out.write(BLOCK);
                out.write(crlf);
              }
            })) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 2));

      long start = System.nanoTime();
      long[] body = new long[1];
      boolean whole;
      try (Socket client = RawHttp.open(site.container().port())) {
        RawHttp.send(client, "GET /api/endless HTTP/1.1\r\nHost: site\r\n\r\n");
        String head = readHead(client.getInputStream());
        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
        whole = readChunkedBody(client.getInputStream(), body);
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      System.out.printf(
          "%s: %d bytes of a steady download in %d ms, then broken off%n", kind(), body[0], millis);

      assertFalse(whole, "ended with a last chunk after " + body[0] + " bytes");
      assertTrue(body[0] > BLOCK.length, body[0] + " bytes");
      assertTrue(millis >= 2000 && millis < 2000 + 10_000, "took " + millis + " ms");
    }
  }

  /**
   * Reads a chunked body, counting its bytes in {@code body[0]}: true if it ended with its last
   * chunk, false if the connection ended first.
   */
  private static boolean readChunkedBody(InputStream in, long[] body) throws IOException {
    byte[] skip = new byte[64 * 1024];
    try {
      while (true) {
        String line = readLine(in);
        if (line == null) {
          return false;
        }
        int size = Integer.parseInt(line.trim(), 16);
        if (size == 0) {
          return "".equals(readLine(in));
        }
        int left = size + 2; // the data and its CRLF
        while (left > 0) {
          int n = in.read(skip, 0, Math.min(skip.length, left));
          if (n < 0) {
            return false;
          }
          left -= n;
          body[0] += Math.min(n, Math.max(0, left + n - 2));
        }
      }
    } catch (java.net.SocketException e) {
      return false; // reset
    }
  }

  /** A line without its CRLF, or null at the end of the stream. */
  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b >= 0; b = in.read()) {
      if (b == '\n') {
        String text = line.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      line.write(b);
    }
    return null;
  }

  @Test
  void fortySlowClientsHoldNoRequestThreadAndNoApiLinkThread() throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));

      List<Socket> clients = new ArrayList<>();
      try {
        for (int i = 0; i < 40; i++) {
          Socket client = slowClient();
          clients.add(client);
          RawHttp.send(client, "GET /api/huge/" + i + " HTTP/1.1\r\nHost: site\r\n\r\n");
        }
        for (Socket client : clients) {
          readHead(client.getInputStream());
          readExactly(client.getInputStream(), 1024);
        }
        long stalled = awaitSteady(written);

        assertTrue(
            stalled < 40 * FEW_SOCKET_BUFFERS,
            "the gateway wrote " + stalled + " bytes to 40 clients that read 1024 each");
        System.out.printf("%s: the gateway wrote %d bytes to 40 clients%n", kind(), stalled);
        assertEquals(0, site.container().busyThreads(), "request threads busy");
        assertEquals(List.of(), threadsInApiLink());
      } finally {
        for (Socket client : clients) {
          client.close();
        }
      }
    }
  }

  /** Jetty's HTTP2Client's own idle timeout. */
  static final Duration H2_IDLE = Duration.ofSeconds(30);

  /** An HTTP/2 client, started, with these receive windows and idle timeout. */
  static HTTP2Client startedHttp2Client(int sessionWindow, int streamWindow, Duration idleTimeout)
      throws Exception {
    HTTP2Client h2 = new HTTP2Client();
    h2.setIdleTimeout(idleTimeout.toMillis());
    h2.setInitialSessionRecvWindow(sessionWindow);
    h2.setInitialStreamRecvWindow(streamWindow);
    h2.start();
    return h2;
  }

  @Test
  void anHttp2ClientThatReadsNothingStopsTheGatewaysWritesAfterAFewBuffers() throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));
      // Windows as small as HTTP/2 allows: what the client has not read, the server cannot send.
      HTTP2Client h2 = startedHttp2Client(65_535, 65_535, H2_IDLE);
      try {
        FuturePromise<Session> connected = new FuturePromise<>();
        h2.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), site.container().port()),
            new Session.Listener() {},
            connected);
        Session session = connected.get(10, TimeUnit.SECONDS);
        CompletableFuture<MetaData.Response> head = new CompletableFuture<>();
        MetaData.Request request =
            new MetaData.Request(
                "GET",
                HttpURI.from(site.uri("/api/huge").toString()),
                HttpVersion.HTTP_2,
                HttpFields.EMPTY);
        session.newStream(
            new HeadersFrame(request, null, true),
            new FuturePromise<Stream>(),
            new Stream.Listener() {
              @Override
              public void onHeaders(Stream stream, HeadersFrame frame) {
                head.complete((MetaData.Response) frame.getMetaData());
              }
            });

        MetaData.Response response = head.get(10, TimeUnit.SECONDS);
        long stalled = awaitSteady(written);
        System.out.printf(
            "%s over HTTP/2: the gateway wrote %d bytes, the client read none%n", kind(), stalled);
        assertEquals(200, response.getStatus());
        assertEquals(HUGE, response.getHttpFields().getLongField(HttpHeader.CONTENT_LENGTH));
        assertTrue(
            stalled < FEW_SOCKET_BUFFERS,
            "the gateway wrote " + stalled + " bytes while the client read none");
      } finally {
        h2.stop();
      }
    }
  }

  /**
   * HTTP/2's counterpart of {@link #aClientThatStopsReadingIsBrokenOffAtTimeoutSecondsNotAtTheLast
   * Resort}: a client that sends no more WINDOW_UPDATE for its stream, its window spent, while
   * {@code timeoutSeconds} runs out, has its stream reset then, the cause logged as the time limit,
   * and its exchange and gateway connection ended.
   */
  @Test
  void anHttp2ClientWhoseStreamWindowIsSpentIsResetAtTimeoutSeconds() throws Exception {
    anHttp2ClientThatStopsReadingIsResetAtTimeoutSeconds(16 * 1024 * 1024, 65_535);
  }

  /** The same with the connection's window spent, the stream's still open. */
  @Test
  void anHttp2ClientWhoseConnectionWindowIsSpentIsResetAtTimeoutSeconds() throws Exception {
    anHttp2ClientThatStopsReadingIsResetAtTimeoutSeconds(65_535, 16 * 1024 * 1024);
  }

  private void anHttp2ClientThatStopsReadingIsResetAtTimeoutSeconds(
      int sessionWindow, int streamWindow) throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written));
        LogWatch log = new LogWatch()) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 1));
      HTTP2Client h2 = startedHttp2Client(sessionWindow, streamWindow, H2_IDLE);
      try {
        CompletableFuture<String> end = new CompletableFuture<>();
        Stream stream = stalledHttp2Stream(h2, "/api/huge", end);

        assertEquals("reset by the server", end.get(20, TimeUnit.SECONDS).replaceAll(":.*", ""));
        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.brokenOffOnce();
        assertEquals(
            List.of(
                "ApiLink: GET "
                    + site.uri("/api/huge")
                    + " -> response cut off at timeoutSeconds:"
                    + " TimeoutException: Total timeout 1000 ms elapsed (gateway "
                    + gateway.url()
                    + ")"),
            log.warnings("/api/huge"));
        assertTrue(stream.isReset() || stream.isClosed(), stream.toString());
      } finally {
        h2.stop();
      }
    }
  }

  /**
   * HTTP/2's counterpart of {@link
   * #aStalledClientThatResetsEndsItsExchangeAndTheGatewaysConnection}: a stream reset by its client
   * while ApiLink waits for {@code onWritePossible()} (no time limit to end it otherwise).
   */
  @Test
  void aStalledHttp2StreamThatItsClientResetsEndsItsExchangeAndTheGatewaysConnection()
      throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written));
        LogWatch log = new LogWatch()) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));
      HTTP2Client h2 = startedHttp2Client(65_535, 65_535, H2_IDLE);
      try {
        Stream stream = stalledHttp2Stream(h2, "/api/huge", new CompletableFuture<>());
        awaitSteady(written);
        stream.reset(
            new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);

        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.asAClientThatLeft();
        assertEquals(List.of(), log.warnings("/api/huge"));
      } finally {
        h2.stop();
      }
    }
  }

  /**
   * HTTP/2's counterpart of {@link
   * #aClientThatStopsReadingIsEndedByTheContainersTimeoutAndItsGateway ConnectionWithIt}: with
   * {@code timeoutSeconds} 0, a stream whose client takes nothing more (no WINDOW_UPDATE) while its
   * connection stays open is reset, and its exchange and the gateway's connection end with it,
   * within {@link dev.apilink.proxy.GatewayError#CLIENT_STALL_SECONDS} (or the container's own
   * timeout, Jetty's idle timeout). Tomcat (10.1.59) applies no write timeout to non-blocking
   * writes over HTTP/2: the stream stayed open, the exchange in flight and the gateway connection
   * in use for over 100 s.
   */
  @Test
  void anHttp2ClientThatStopsReadingWithNoTimeoutSecondsIsResetAndItsGatewayConnectionClosed()
      throws Exception {
    AtomicLong written = new AtomicLong();
    try (SocketGateway gateway = SocketGateway.start(endless(HUGE, written));
        LogWatch log = new LogWatch()) {
      deploy(gateway.url(), c -> Battery.backend(c).put("timeoutSeconds", 0));
      site.container().readTimeout(Duration.ofSeconds(3));
      // The client's connection stays.
      HTTP2Client h2 = startedHttp2Client(65_535, 65_535, Duration.ofSeconds(90));
      try {
        CompletableFuture<String> end = new CompletableFuture<>();
        stalledHttp2Stream(h2, "/api/huge", end);

        awaitTheExchangeEndedAndItsGatewayConnectionClosed(gateway, written);
        Counted.asAClientThatLeft();
        assertEquals("reset by the server", end.get(10, TimeUnit.SECONDS).replaceAll(":.*", ""));
        assertEquals(List.of(), log.warnings("/api/huge"));
      } finally {
        h2.stop();
      }
    }
  }

  /**
   * Opens a stream for a GET of {@code path} that reads nothing of the answer (no demand, so no
   * WINDOW_UPDATE), once its head came; {@code end} says how the stream ended.
   */
  private Stream stalledHttp2Stream(HTTP2Client h2, String path, CompletableFuture<String> end)
      throws Exception {
    FuturePromise<Session> connected = new FuturePromise<>();
    h2.connect(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), site.container().port()),
        new Session.Listener() {},
        connected);
    Session session = connected.get(10, TimeUnit.SECONDS);
    CompletableFuture<MetaData.Response> head = new CompletableFuture<>();
    MetaData.Request request =
        new MetaData.Request(
            "GET", HttpURI.from(site.uri(path).toString()), HttpVersion.HTTP_2, HttpFields.EMPTY);
    FuturePromise<Stream> opened = new FuturePromise<>();
    session.newStream(
        new HeadersFrame(request, null, true),
        opened,
        new Stream.Listener() {
          @Override
          public void onHeaders(Stream stream, HeadersFrame frame) {
            head.complete((MetaData.Response) frame.getMetaData());
            if (frame.isEndStream()) {
              end.complete("ended");
            }
          }

          @Override
          public void onReset(Stream stream, ResetFrame frame, Callback callback) {
            end.complete("reset by the server: " + ErrorCode.toString(frame.getError(), ""));
            callback.succeeded();
          }

          @Override
          public void onFailure(
              Stream stream, int error, String reason, Throwable cause, Callback callback) {
            end.complete("failed: " + ErrorCode.toString(error, "") + " " + cause);
            callback.succeeded();
          }
        });
    MetaData.Response response = head.get(10, TimeUnit.SECONDS);
    assertEquals(200, response.getStatus());
    return opened.get(10, TimeUnit.SECONDS);
  }

  @Test
  void aHeadAnsweredWithAContentLengthPastIntegerMaxValueReachesTheClientExactly()
      throws Exception {
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              readHead(connection.getInputStream());
              connection
                  .getOutputStream()
                  .write(
                      ("HTTP/1.1 200 OK\r\nContent-Length: " + HUGE + "\r\n\r\n")
                          .getBytes(StandardCharsets.ISO_8859_1));
              connection.getInputStream().read();
            })) {
      deploy(gateway.url(), c -> {});

      try (Socket client = RawHttp.open(site.container().port())) {
        RawHttp.send(client, "HEAD /api/huge HTTP/1.1\r\nHost: site\r\n\r\n");
        String head = readHead(client.getInputStream());

        assertTrue(head.startsWith("HTTP/1.1 200 "), head);
        assertEquals("3000000000", field(head, "Content-Length"), head);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"Content-Length: 3000000000", "Transfer-Encoding: chunked"})
  void aGatewayThatClosesMidBodyBreaksOffTheHttp2ClientsStreamRatherThanEndingIt(String framing)
      throws Exception {
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              readHead(connection.getInputStream());
              OutputStream out = connection.getOutputStream();
              boolean chunked = framing.startsWith("Transfer-Encoding");
              out.write(
                  ("HTTP/1.1 200 OK\r\n" + framing + "\r\n\r\n" + (chunked ? "10000\r\n" : ""))
                      .getBytes(StandardCharsets.ISO_8859_1));
              out.write(BLOCK); // the first 64 KiB of a 64 KiB chunk, or of the sized body
              out.flush();
              connection.shutdownOutput(); // a clean close, not a reset
              connection.getInputStream().read();
            })) {
      deploy(gateway.url(), c -> {});
      HTTP2Client h2 = new HTTP2Client();
      h2.start();
      try {
        FuturePromise<Session> connected = new FuturePromise<>();
        h2.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), site.container().port()),
            new Session.Listener() {},
            connected);
        Session session = connected.get(10, TimeUnit.SECONDS);
        CompletableFuture<Http2Answer> ending = new CompletableFuture<>();
        MetaData.Request request =
            new MetaData.Request(
                "GET",
                HttpURI.from(site.uri("/api/broken").toString()),
                HttpVersion.HTTP_2,
                HttpFields.EMPTY);
        session.newStream(
            new HeadersFrame(request, null, true),
            new FuturePromise<Stream>(),
            Http2Answer.collecting(ending));

        Http2Answer end = ending.get(20, TimeUnit.SECONDS);
        System.out.printf(
            "%s over HTTP/2, %s: %s after %d bytes%n",
            kind(), framing, end.end(), end.body().length);
        assertTrue(end.end().startsWith("reset by the server: "), end.toString());
      } finally {
        h2.stop();
      }
    }
  }

  // ---- uploads to a slow gateway ----

  /**
   * A gateway that reads the head of each request and not one byte of its body until {@code done}:
   * the site is linked to it with no time limit and a body limit past {@code Integer.MAX_VALUE} and
   * past the body, compared as the long it is. Each head it read is added to {@code heads}.
   */
  SocketGateway deployToAGatewayThatReadsNoBody(List<String> heads, CountDownLatch done)
      throws Exception {
    SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              heads.add(readHead(connection.getInputStream()));
              done.await(60, TimeUnit.SECONDS); // reads no byte of the body
            });
    deploy(
        gateway.url(),
        c ->
            Battery.backend(c).put("timeoutSeconds", 0).put("maxRequestBodyBytes", 4_000_000_000L));
    return gateway;
  }

  /**
   * The upload's head reached the gateway with its length exactly, and the client's writes stopped
   * ({@link #awaitSteady}) after a few socket buffers of the body: returns how much it wrote.
   */
  static long assertTheClientStopsAfterAFewBuffers(List<String> heads, AtomicLong sent)
      throws InterruptedException {
    long stalled = awaitSteady(sent);
    assertEquals(1, heads.size(), heads.toString());
    assertEquals("3000000000", field(heads.get(0), "Content-Length"), heads.get(0));
    assertTrue(
        stalled < FEW_SOCKET_BUFFERS,
        "the client sent " + stalled + " bytes while the gateway read none");
    return stalled;
  }

  @Test
  void aGatewayThatReadsNothingOfAnUploadStopsTheClientsWritesAfterAFewSocketBuffers()
      throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    List<String> heads = new CopyOnWriteArrayList<>();
    try (SocketGateway gateway = deployToAGatewayThatReadsNoBody(heads, done)) {
      AtomicLong sent = new AtomicLong();
      try (Socket client = RawHttp.open(site.container().port())) {
        RawHttp.send(
            client,
            "POST /api/backup HTTP/1.1\r\nHost: site\r\nContent-Type: application/octet-stream\r\n"
                + "Content-Length: "
                + HUGE
                + "\r\n\r\n");
        Thread writer = writeInBackground(client.getOutputStream(), HUGE, sent);
        try {
          long stalled = assertTheClientStopsAfterAFewBuffers(heads, sent);
          System.out.printf(
              "%s: the client wrote %d bytes, the gateway read none%n", kind(), stalled);
        } finally {
          done.countDown();
          client.setSoLinger(true, 0);
          client.close();
          writer.join(TimeUnit.SECONDS.toMillis(30));
        }
      }
    }
  }

  @Test
  void anHttp2UploadToAGatewayThatReadsNothingStopsTheClientsDataAfterAFewBuffers()
      throws Exception {
    CountDownLatch done = new CountDownLatch(1);
    List<String> heads = new CopyOnWriteArrayList<>();
    try (SocketGateway gateway = deployToAGatewayThatReadsNoBody(heads, done)) {
      HTTP2Client h2 = new HTTP2Client();
      h2.start();
      AtomicLong sent = new AtomicLong();
      try {
        FuturePromise<Session> connected = new FuturePromise<>();
        h2.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), site.container().port()),
            new Session.Listener() {},
            connected);
        Session session = connected.get(10, TimeUnit.SECONDS);
        MetaData.Request request =
            new MetaData.Request(
                "POST",
                HttpURI.from(site.uri("/api/backup").toString()),
                HttpVersion.HTTP_2,
                HttpFields.build().put(HttpHeader.CONTENT_LENGTH, String.valueOf(HUGE)),
                HUGE);
        FuturePromise<Stream> opened = new FuturePromise<>();
        session.newStream(new HeadersFrame(request, null, false), opened, new Stream.Listener() {});
        Stream stream = opened.get(10, TimeUnit.SECONDS);
        sendData(stream, sent);

        long stalled = assertTheClientStopsAfterAFewBuffers(heads, sent);
        System.out.printf(
            "%s over HTTP/2: the client sent %d bytes, the gateway read none%n", kind(), stalled);
      } finally {
        done.countDown();
        h2.stop();
      }
    }
  }

  /** Sends DATA frames of 16 KiB on {@code stream}, each once the last is written, for ever. */
  private static void sendData(Stream stream, AtomicLong sent) {
    stream.data(
        new DataFrame(stream.getId(), ByteBuffer.wrap(new byte[16 * 1024]), false),
        Callback.from(
            () -> {
              sent.addAndGet(16 * 1024);
              sendData(stream, sent);
            },
            failure -> {}));
  }

  @Test
  void anUploadAnnouncedPastALimitAboveIntegerMaxValueIsA413BeforeAnyOfItIsSent() throws Exception {
    List<String> heads = new CopyOnWriteArrayList<>();
    try (SocketGateway gateway =
        SocketGateway.start(connection -> heads.add(readHead(connection.getInputStream())))) {
      deploy(gateway.url(), c -> Battery.backend(c).put("maxRequestBodyBytes", 2_500_000_000L));

      try (Socket client = RawHttp.open(site.container().port())) {
        client.setSoTimeout(10_000);
        RawHttp.send(
            client,
            "POST /api/backup HTTP/1.1\r\nHost: site\r\nContent-Length: " + HUGE + "\r\n\r\n");
        String head = readHead(client.getInputStream());

        assertTrue(head.startsWith("HTTP/1.1 413 "), head);
        assertEquals("close", field(head, "Connection"), head);
      }
      assertEquals(List.of(), heads);
    }
  }

  // ---- the gateway's Content-Length and what it sends ----

  @Test
  void aGatewayThatSendsMoreThanItsContentLengthDoesNotAnswerTheNextRequestWithTheRest()
      throws Exception {
    List<String> paths = new CopyOnWriteArrayList<>();
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              InputStream in = connection.getInputStream();
              OutputStream out = connection.getOutputStream();
              while (true) {
                String head = readHead(in);
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP/"));
                paths.add(path);
                String answer =
                    path.equals("/api/first")
                        // Five bytes announced, a whole response's worth more sent behind them.
                        ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                            + "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
                        : "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond";
                out.write(answer.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
              }
            })) {
      deploy(gateway.url(), c -> {});

      RawHttp.Response first =
          RawHttp.exchangeOne(
              site.container().port(),
              "GET /api/first HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n");
      RawHttp.Response second =
          RawHttp.exchangeOne(
              site.container().port(),
              "GET /api/second HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n");

      assertEquals("first", first.bodyText());
      assertEquals("second", second.bodyText());
      assertEquals(List.of("/api/first", "/api/second"), paths);
    }
  }

  @Test
  void bytesAGatewaySendsOnAnIdlePooledConnectionAreNotTheAnswerToTheNextRequest()
      throws Exception {
    CountDownLatch sendExtra = new CountDownLatch(1);
    List<String> paths = new CopyOnWriteArrayList<>();
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              InputStream in = connection.getInputStream();
              OutputStream out = connection.getOutputStream();
              while (true) {
                String head = readHead(in);
                String path = head.substring(head.indexOf(' ') + 1, head.indexOf(" HTTP/"));
                paths.add(path);
                if (path.equals("/api/first")) {
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.flush();
                  sendExtra.await(30, TimeUnit.SECONDS);
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nsmuggled"
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.flush();
                } else {
                  out.write(
                      "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond"
                          .getBytes(StandardCharsets.ISO_8859_1));
                  out.flush();
                }
              }
            })) {
      deploy(gateway.url(), c -> {});
      ServletContainer container = site.container();

      RawHttp.Response first =
          RawHttp.exchangeOne(
              container.port(),
              "GET /api/first HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n");
      Await.until(
          "the gateway connection back in the pool",
          Duration.ofSeconds(20),
          () -> container.apiLinkFilter().gatewayConnections().idle() == 1,
          () -> container.apiLinkFilter().gatewayConnections());
      sendExtra.countDown();
      Await.until(
          "the gateway connection closed",
          Duration.ofSeconds(20),
          () -> container.apiLinkFilter().gatewayConnections().idle() == 0,
          () -> container.apiLinkFilter().gatewayConnections());
      RawHttp.Response second =
          RawHttp.exchangeOne(
              container.port(),
              "GET /api/second HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n");

      assertEquals("first", first.bodyText());
      assertEquals("second", second.bodyText());
      assertEquals(List.of("/api/first", "/api/second"), paths);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "Transfer-Encoding: chunked\r\nContent-Length: 3",
        "Content-Length: 3\r\nTransfer-Encoding: chunked",
        "Content-Length: 3000000000\r\nTransfer-Encoding: chunked"
      })
  void aChunkedAnswerThatAlsoClaimsALengthIsA502(String framing) throws Exception {
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              readHead(connection.getInputStream());
              OutputStream out = connection.getOutputStream();
              out.write(
                  ("HTTP/1.1 200 OK\r\n" + framing + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
                      .getBytes(StandardCharsets.ISO_8859_1));
              out.flush();
              connection.getInputStream().read();
            })) {
      deploy(gateway.url(), c -> {});

      try (Socket client = RawHttp.open(site.container().port())) {
        client.setSoTimeout(10_000);
        RawHttp.send(client, "GET /api/both HTTP/1.1\r\nHost: site\r\n\r\n");
        String head = readHead(client.getInputStream());
        // Jetty's client refuses such a head (RFC 9112 6.3 lets a recipient treat it as an error):
        // the client is not given a length that its body does not have.
        assertTrue(head.startsWith("HTTP/1.1 502 "), head);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "3000000000"})
  void aNotModifiedAnswerWithTheRepresentationsLengthReachesTheClientWholeAndTheConnectionGoesOn(
      String length) throws Exception {
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              InputStream in = connection.getInputStream();
              OutputStream out = connection.getOutputStream();
              while (true) {
                String head = readHead(in);
                // RFC 9110 8.6: a 304 may carry the Content-Length of the representation it stands
                // for, and has no body.
                out.write(
                    (head.startsWith("GET /api/cached ")
                            ? "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: "
                                + length
                                + "\r\n\r\n"
                            : "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
              }
            })) {
      deploy(gateway.url(), c -> {});

      List<RawHttp.Response> responses =
          RawHttp.exchange(
              site.container().port(),
              "GET /api/cached HTTP/1.1\r\nHost: site\r\nIf-None-Match: \"v1\"\r\n\r\n"
                  + "GET /api/next HTTP/1.1\r\nHost: site\r\nConnection: close\r\n\r\n",
              2);

      assertEquals(304, responses.get(0).status(), responses.toString());
      assertEquals(200, responses.get(1).status(), responses.toString());
      assertEquals("next", responses.get(1).bodyText());
    }
  }

  @Test
  void aGatewayThatClosesShortOfAContentLengthPastIntegerMaxValueBreaksOffTheClientsResponse()
      throws Exception {
    try (SocketGateway gateway =
        SocketGateway.start(
            connection -> {
              readHead(connection.getInputStream());
              OutputStream out = connection.getOutputStream();
              out.write(
                  ("HTTP/1.1 200 OK\r\nContent-Length: " + HUGE + "\r\n\r\n")
                      .getBytes(StandardCharsets.ISO_8859_1));
              out.write(BLOCK);
              out.flush();
              connection.shutdownOutput(); // a clean close, not a reset
              connection.getInputStream().read();
            })) {
      deploy(gateway.url(), c -> {});

      RawHttp.Received received =
          RawHttp.exchangeBytes(
              site.container().port(),
              "GET /api/short HTTP/1.1\r\nHost: site\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      RawHttp.Response response = RawHttp.Response.parseAll(received.bytes(), false).get(0);

      assertEquals(200, response.status(), response.toString());
      assertEquals("3000000000", response.header("Content-Length"));
      // All of it on Tomcat 10.1.59; Jetty 12.1.14 sometimes keeps the last 47 bytes (65,489
      // arrived, in two runs of six, over HTTP/2 too) when the response is aborted: broken off
      // either way.
      assertTrue(response.body().length <= BLOCK.length, response.body().length + " bytes");
      assertFalse(response.complete(), "broken off, not ended: " + response);
      System.out.printf(
          "%s: %d bytes of a 3,000,000,000-byte body, broken off%n",
          kind(), response.body().length);
    }
  }

  // ---- helpers ----

  private void deploy(URI gateway, Consumer<ObjectNode> change) throws Exception {
    site.deployLinkedTo(gateway, change);
  }

  /** A gateway that answers 200 with a body of {@code length} zeros, counting what it wrote. */
  private static SocketGateway.Handler endless(long length, AtomicLong written) {
    return connection -> {
      readHead(connection.getInputStream());
      OutputStream out = connection.getOutputStream();
      out.write(
          ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                  + length
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      long left = length;
      while (left > 0) {
        int n = (int) Math.min(BLOCK.length, left);
        out.write(BLOCK, 0, n);
        written.addAndGet(n);
        left -= n;
      }
    };
  }

  /** A client connection with a small receive buffer, as a slow mobile client has. */
  private Socket slowClient() throws IOException {
    Socket client = new Socket();
    client.setReceiveBufferSize(4096); // before connecting: it sets the window offered
    client.connect(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), site.container().port()));
    client.setSoTimeout(30_000);
    return client;
  }

  private static Thread writeInBackground(OutputStream out, long length, AtomicLong sent) {
    Thread writer =
        new Thread(
            () -> {
              try {
                long left = length;
                while (left > 0) {
                  int n = (int) Math.min(BLOCK.length, left);
                  out.write(BLOCK, 0, n);
                  sent.addAndGet(n);
                  left -= n;
                }
              } catch (IOException e) {
                // the test closed the connection
              }
            },
            "flow-control-uploader");
    writer.setDaemon(true);
    writer.start();
    return writer;
  }

  /**
   * Waits until {@code count} has stopped growing (the writes behind it block) and returns it: the
   * same value for two seconds, within thirty. No event says that a write blocks; a count that
   * stands still while the writer has more to write does.
   */
  private static long awaitSteady(AtomicLong count) throws InterruptedException {
    long[] last = {-1, System.nanoTime()}; // the value, and since when it has not changed
    Await.until(
        "the writes blocked",
        Duration.ofSeconds(30),
        () -> {
          long now = count.get();
          if (now != last[0]) {
            last[0] = now;
            last[1] = System.nanoTime();
            return false;
          }
          return now > 0 && System.nanoTime() - last[1] > TimeUnit.SECONDS.toNanos(2);
        },
        () -> count.get() + " bytes, still growing");
    return last[0];
  }

  /** The threads inside ApiLink's own code now (the tests' and the testkit's excepted). */
  private static List<String> threadsInApiLink() {
    List<String> inside = new ArrayList<>();
    Thread.getAllStackTraces()
        .forEach(
            (thread, frames) -> {
              for (StackTraceElement frame : frames) {
                String type = frame.getClassName();
                if (type.startsWith("dev.apilink.config.ConfigWatcher")) {
                  return; // watches the configuration file, whatever the traffic
                }
                if (type.startsWith("dev.apilink.")
                    && !type.startsWith("dev.apilink.it.")
                    && !type.startsWith("dev.apilink.testkit.")) {
                  inside.add(thread.getName() + " at " + frame);
                  return;
                }
              }
            });
    return inside;
  }

  /** Reads a response or request head up to its empty line, byte by byte. */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException(
            "closed after " + head.toString(StandardCharsets.ISO_8859_1) + " (no whole head)");
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  private static void readExactly(InputStream in, int bytes) throws IOException {
    byte[] buffer = new byte[1024];
    int left = bytes;
    while (left > 0) {
      int n = in.read(buffer, 0, Math.min(buffer.length, left));
      if (n < 0) {
        throw new IOException("closed with " + left + " of " + bytes + " bytes still to come");
      }
      left -= n;
    }
  }

  /** The value of the field {@code name} in {@code head}, or null. */
  static String field(String head, String name) {
    for (String line : head.split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0
          && line.substring(0, colon)
              .trim()
              .toLowerCase(Locale.ROOT)
              .equals(name.toLowerCase(Locale.ROOT))) {
        return line.substring(colon + 1).trim();
      }
    }
    return null;
  }

  /**
   * A gateway scripted on plain sockets: each connection runs the handler on a thread of its own.
   */
  static final class SocketGateway implements AutoCloseable {

    interface Handler {
      void handle(Socket connection) throws Exception;
    }

    private final ServerSocket socket;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();

    private SocketGateway(ServerSocket socket) {
      this.socket = socket;
    }

    static SocketGateway start(Handler handler) throws IOException {
      ServerSocket socket = new ServerSocket(0, 100, InetAddress.getLoopbackAddress());
      SocketGateway gateway = new SocketGateway(socket);
      Acceptor.start(
          socket,
          gateway.connections,
          "socket-gateway",
          connection -> {
            try (connection) {
              handler.handle(connection);
            } catch (Exception e) {
              // the other side closed, or the test ended
            }
          });
      return gateway;
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + socket.getLocalPort());
    }

    int connections() {
      return connections.size();
    }

    /** The connections the gateway has not seen end (its handler still running). */
    int openConnections() {
      return (int) connections.stream().filter(c -> !c.isClosed()).count();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket connection : connections) {
        connection.close();
      }
    }
  }
}
