package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.testkit.echo.EchoBackend;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpFields;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configuration changes and stops while several streams of one HTTP/2 connection (h2c, prior
 * knowledge) are in flight: a request held at the gateway, an event stream and an upload still
 * arriving. What {@link LiveReloadContract} and {@link StoppingContract} check over HTTP/1.1, where
 * each request has a connection of its own: here the streams share one, which a change must leave
 * open for new streams and a stop must not end as if each stream were whole. Run once per container
 * by {@link Http2AcrossChangesOnJettyTest} and {@link Http2AcrossChangesOnTomcatTest}.
 */
abstract class Http2AcrossChangesContract {

  static final Duration WAIT = Duration.ofSeconds(20);
  static final byte[] FIRST_HALF = "01234".getBytes(StandardCharsets.US_ASCII);
  static final byte[] SECOND_HALF = "56789".getBytes(StandardCharsets.US_ASCII);

  @TempDir Path dir;
  EchoBackend gatewayA;
  EchoBackend gatewayB;
  Site site;
  LogWatch log;

  /** Everything logged, the container's own records too, as an operator reads the log. */
  LogWatch everything;

  HTTP2Client h2;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    gatewayA = EchoBackend.start();
    gatewayB = EchoBackend.start();
    log = new LogWatch();
    everything = new LogWatch("");
    site = Site.create(kind().createForGracefulStops(), dir, "");
    site.deployLinkedTo(gatewayA.url(), c -> {});
    h2 = new HTTP2Client();
    h2.start();
  }

  @AfterEach
  void stop() throws Exception {
    h2.stop();
    site.close();
    log.close();
    everything.close();
    gatewayA.close();
    gatewayB.close();
  }

  /** The three streams in flight on one connection, each waiting at gateway A. */
  final class InFlight {
    final Session session;
    final CompletableFuture<Http2Answer> held = new CompletableFuture<>();
    final CompletableFuture<Http2Answer> events = new CompletableFuture<>();
    final ByteArrayOutputStream eventsSoFar = new ByteArrayOutputStream();
    final CompletableFuture<Http2Answer> upload = new CompletableFuture<>();
    final Stream uploadStream;
    final List<Stream> streams = new ArrayList<>();

    /** Opens the three streams and waits until each is at gateway A, the event stream's first. */
    InFlight() throws Exception {
      session =
          h2.connect(
                  new InetSocketAddress("127.0.0.1", site.container().port()),
                  new Session.Listener() {})
              .get(10, TimeUnit.SECONDS);
      open("GET", "/api/held", HttpFields.build().add("x-echo-hold", "held"), true, held, null);
      gatewayA.gate("held").awaitHeld(1, WAIT);
      open(
          "GET",
          "/api/events",
          HttpFields.build().add("x-echo-sse", "events"),
          true,
          events,
          eventsSoFar);
      gatewayA.sse("events").send("before");
      awaitEvents("data: before\n\n");
      uploadStream =
          open(
              "POST",
              "/api/upload",
              HttpFields.build().add("content-length", "10"),
              false,
              upload,
              null);
      uploadStream.data(new DataFrame(uploadStream.getId(), ByteBuffer.wrap(FIRST_HALF), false));
      gatewayA.awaitArrival("/api/upload", WAIT);
    }

    void awaitEvents(String text) throws InterruptedException {
      Await.until(
          "the event stream's " + text.strip(),
          WAIT,
          () -> eventsSoFar().equals(text),
          this::eventsSoFar);
    }

    String eventsSoFar() {
      synchronized (eventsSoFar) {
        return eventsSoFar.toString(StandardCharsets.UTF_8);
      }
    }

    Stream open(
        String method,
        String path,
        HttpFields.Mutable fields,
        boolean endWithHeaders,
        CompletableFuture<Http2Answer> answer,
        ByteArrayOutputStream soFar)
        throws Exception {
      MetaData.Request request =
          new MetaData.Request(method, HttpURI.from(site.uri(path)), HttpVersion.HTTP_2, fields);
      Stream stream =
          session
              .newStream(
                  new HeadersFrame(request, null, endWithHeaders),
                  soFar == null
                      ? Http2Answer.collecting(answer)
                      : Http2Answer.collecting(answer, soFar))
              .get(10, TimeUnit.SECONDS);
      streams.add(stream);
      return stream;
    }

    /** A new GET on the same connection, answered whole. */
    Http2Answer get(String path) throws Exception {
      CompletableFuture<Http2Answer> answer = new CompletableFuture<>();
      open("GET", path, HttpFields.build(), true, answer, null);
      return answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    /**
     * Lets each stream finish at gateway A: the answer released, the events ended, the rest sent.
     */
    void finishAtGatewayA() {
      gatewayA.gate("held").open();
      gatewayA.sse("events").send("after");
      gatewayA.sse("events").end();
      uploadStream.data(new DataFrame(uploadStream.getId(), ByteBuffer.wrap(SECOND_HALF), true));
    }

    /** Each stream ended whole, with what gateway A answered under the key it was sent with. */
    void assertEachFinishedAtGatewayA() throws Exception {
      Http2Answer heldAnswer = held.get(30, TimeUnit.SECONDS);
      assertEquals(Http2Answer.ENDED, heldAnswer.end(), heldAnswer.toString());
      assertEquals(200, heldAnswer.status(), heldAnswer.toString());
      assertTrue(heldAnswer.text().contains("\"" + Site.KEY + "\""), heldAnswer.toString());
      Http2Answer eventsAnswer = events.get(30, TimeUnit.SECONDS);
      assertEquals(Http2Answer.ENDED, eventsAnswer.end(), eventsAnswer.toString());
      assertEquals("data: before\n\ndata: after\n\n", eventsAnswer.text());
      Http2Answer uploadAnswer = upload.get(30, TimeUnit.SECONDS);
      assertEquals(Http2Answer.ENDED, uploadAnswer.end(), uploadAnswer.toString());
      assertEquals(200, uploadAnswer.status(), uploadAnswer.toString());
      assertTrue(uploadAnswer.text().contains("\"bodyBytes\":10"), uploadAnswer.toString());
      assertTrue(uploadAnswer.text().contains("\"" + Site.KEY + "\""), uploadAnswer.toString());
      EchoBackend.Received uploaded =
          gatewayA.received().stream()
              .filter(r -> r.rawPath().equals("/api/upload"))
              .findFirst()
              .orElseThrow();
      assertTrue(uploaded.bodyComplete(), uploaded.toString());
    }
  }

  /** A GET on a new HTTP/2 connection, answered whole. */
  Http2Answer getOnANewConnection(String path) throws Exception {
    Session session =
        h2.connect(
                new InetSocketAddress("127.0.0.1", site.container().port()),
                new Session.Listener() {})
            .get(10, TimeUnit.SECONDS);
    CompletableFuture<Http2Answer> answer = new CompletableFuture<>();
    MetaData.Request request =
        new MetaData.Request(
            "GET", HttpURI.from(site.uri(path)), HttpVersion.HTTP_2, HttpFields.build());
    session
        .newStream(new HeadersFrame(request, null, true), Http2Answer.collecting(answer))
        .get(10, TimeUnit.SECONDS);
    return answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * {@code count} exchanges in flight: the three on gateway A once the new stream's has ended,
   * which the container reports a moment after the client has its answer (docs/configuration.md,
   * maxRequestsPerClientConnection).
   */
  void awaitInFlight(int count) throws InterruptedException {
    Await.until(
        count + " in flight",
        WAIT,
        () -> site.container().apiLinkFilter().exchangesInFlight() == count,
        () -> site.container().apiLinkFilter().exchangesInFlight() + " in flight");
  }

  /** ApiLink's warnings, but the start-up one for the key that the test site generates. */
  List<String> warnings() {
    return log.warningsWithTheirExceptions().stream()
        .filter(line -> !line.contains("generated its own signing key"))
        .toList();
  }

  @Test
  void streamsInFlightOnOneHttp2ConnectionFinishOnTheirLinkWhileNewStreamsUseTheChangedOne()
      throws Exception {
    InFlight inFlight = new InFlight();
    List<Thread> threadsOfA = RetiredLinks.linkThreads();

    ObjectNode toB = site.linkedTo(gatewayB.url());
    ((ObjectNode) toB.get("environments").get("production").get("backend"))
        .put("subscriptionKey", "key-b");
    site.replaceConfig(toB.toString());
    log.await("ApiLink reloaded", WAIT);

    Http2Answer next = inFlight.get("/api/next");
    assertEquals(200, next.status(), next.toString());
    assertEquals(List.of("key-b"), gatewayB.received().get(0).header("Ocp-Apim-Subscription-Key"));
    awaitInFlight(3);
    assertFalse(inFlight.held.isDone(), inFlight.held::toString);
    assertFalse(inFlight.events.isDone(), inFlight.events::toString);
    assertFalse(inFlight.upload.isDone(), inFlight.upload::toString);

    inFlight.finishAtGatewayA();
    inFlight.assertEachFinishedAtGatewayA();
    RetiredLinks.awaitNothingLeft(site, threadsOfA, gatewayA, "gateway A", WAIT);
    assertEquals(200, inFlight.get("/api/last").status(), "the connection still serves");
    assertEquals(2, gatewayB.received().size());
    assertEquals(List.of(), warnings());
    assertEquals(Map.of("ExchangesStarted", 5L), Counted.outcomes(), "counted across both links");
  }

  @Test
  void streamsInFlightOnOneHttp2ConnectionFinishAtTheirGatewayWhenTheSiteIsUnlinked()
      throws Exception {
    InFlight inFlight = new InFlight();
    List<Thread> threadsOfA = RetiredLinks.linkThreads();

    ObjectNode unlinked = site.linkedTo(gatewayA.url());
    unlinked.putObject("environments").putObject("production");
    site.replaceConfig(unlinked.toString());
    log.await("is not linked", WAIT);

    Http2Answer next = inFlight.get("/api/next");
    assertEquals(404, next.status(), "the application's: " + next);
    assertFalse(gatewayA.hasArrived("/api/next"));
    awaitInFlight(3);

    inFlight.finishAtGatewayA();
    inFlight.assertEachFinishedAtGatewayA();
    RetiredLinks.awaitNothingLeft(site, threadsOfA, gatewayA, "gateway A", WAIT);
    assertEquals(404, inFlight.get("/api/last").status(), "the connection still serves");
    assertEquals(List.of(), warnings());
    assertEquals(Map.of("ExchangesStarted", 3L), Counted.outcomes());
  }

  @Test
  void streamsInFlightOnOneHttp2ConnectionWhenTheApplicationStopsAreAnsweredOrBrokenOffNeverEnded()
      throws Exception {
    assertAnsweredOrBrokenOffBy(() -> site.container().undeploy());
  }

  @Test
  void streamsStillInFlightOnOneHttp2ConnectionWhenTheGracePeriodEndsAreAnsweredOrBrokenOff()
      throws Exception {
    assertAnsweredOrBrokenOffBy(() -> site.container().stopGracefully(Duration.ofSeconds(1)));
  }

  @Test
  void streamsInFlightOnOneHttp2ConnectionWhenTheContainerShutsDownAreNeverEnded()
      throws Exception {
    assertAnsweredOrBrokenOffBy(() -> site.container().stopAsAShutdownDoes());
  }

  @Test
  void streamsThatTheGatewayEndsWithinTheGracePeriodReachTheirHttp2ClientWhole() throws Exception {
    InFlight inFlight = new InFlight();

    CompletableFuture<Void> stopped =
        inBackground(() -> site.container().stopGracefully(Duration.ofSeconds(30)));
    Await.until(
        "the container waiting for the requests in flight",
        WAIT,
        site.container()::waitingForRequestsInFlight,
        () -> "not waiting");
    inFlight.finishAtGatewayA();

    long t0 = System.nanoTime();
    inFlight.assertEachFinishedAtGatewayA();
    System.out.printf(
        "%s DEBUG answered after %d ms%n", kind(), (System.nanoTime() - t0) / 1_000_000);
    stopped.get(30, TimeUnit.SECONDS);
    System.out.printf(
        "%s DEBUG stopped after %d ms%n", kind(), (System.nanoTime() - t0) / 1_000_000);
    assertEquals(List.of(), log.all(" -> "));
  }

  /**
   * A client that resets its streams on the link that a change retired (a browser tab closed): each
   * exchange ends at once, and the retired link closes, its gateway connections with it. Over
   * HTTP/1.1 neither container tells ApiLink of a client that left while the gateway is silent
   * (docs/configuration.md, timeoutSeconds); HTTP/2's reset is told.
   */
  @Test
  void streamsThatTheHttp2ClientResetsOnARetiredLinkEndItsExchangesAndTheLinkCloses()
      throws Exception {
    InFlight inFlight = new InFlight();
    List<Thread> threadsOfA = RetiredLinks.linkThreads();
    site.replaceConfig(site.linkedTo(gatewayB.url()).toString());
    log.await("ApiLink reloaded", WAIT);

    for (Stream stream : inFlight.streams) {
      stream.reset(
          new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
    }
    Await.until(
        "the exchanges ended and the retired link closed",
        WAIT,
        () ->
            site.container().apiLinkFilter().exchangesInFlight() == 0
                && threadsOfA.stream().noneMatch(Thread::isAlive),
        () ->
            site.container().apiLinkFilter().exchangesInFlight()
                + " in flight, "
                + threadsOfA.stream().filter(Thread::isAlive).map(Thread::getName).toList()
                + " alive");

    // The gateway notices a connection closed under a request it holds once it writes.
    gatewayA.gate("held").open();
    gatewayA.sse("events").send("after");
    gatewayA.sse("events").end();
    RetiredLinks.awaitNothingLeft(site, threadsOfA, gatewayA, "gateway A", WAIT);
    // On a connection of its own: Tomcat closes one whose client resets three streams in a row
    // ("Too much overhead", docs/operations.md: HTTP/2 streams opened and reset at once).
    Http2Answer next = getOnANewConnection("/api/next");
    assertEquals(200, next.status(), next.toString());
    assertEquals(1, gatewayB.received().size());
    assertEquals(List.of(), warnings());
    assertEquals(
        Map.of("ExchangesStarted", 4L), Counted.outcomes(), "three clients that left, one answer");
  }

  /**
   * A download whose HTTP/2 client has stopped reading (its window spent), on the link that a
   * change retired, when the application stops: ApiLink writes it without blocking, waiting for the
   * container to say it can write again, which never comes. The stop must still break it off and
   * return, and leave neither a thread nor a gateway connection behind.
   */
  @Test
  void aStalledHttp2DownloadOnARetiredLinkIsBrokenOffWhenTheApplicationStops() throws Exception {
    site.replaceConfig(
        site.linkedTo(gatewayA.url())
            .toString()
            .replace("\"subscriptionKey\"", "\"timeoutSeconds\": 0, \"subscriptionKey\""));
    log.await("ApiLink reloaded", WAIT);
    HTTP2Client stalling = FlowControlContract.startedHttp2Client(65_535, 65_535, WAIT.plus(WAIT));
    try {
      Session session =
          stalling
              .connect(
                  new InetSocketAddress("127.0.0.1", site.container().port()),
                  new Session.Listener() {})
              .get(10, TimeUnit.SECONDS);
      CompletableFuture<String> end = new CompletableFuture<>();
      CompletableFuture<Integer> status = new CompletableFuture<>();
      MetaData.Request request =
          new MetaData.Request(
              "GET",
              HttpURI.from(site.uri("/api/download")),
              HttpVersion.HTTP_2,
              HttpFields.build().add("x-echo-download", Long.toString(1L << 30)));
      session
          .newStream(
              new HeadersFrame(request, null, true),
              new Stream.Listener() {
                @Override
                public void onHeaders(Stream stream, HeadersFrame frame) {
                  status.complete(((MetaData.Response) frame.getMetaData()).getStatus());
                  if (frame.isEndStream()) {
                    end.complete(Http2Answer.ENDED);
                  }
                  // No demand: nothing of the body is read, no WINDOW_UPDATE sent.
                }

                @Override
                public void onReset(Stream stream, ResetFrame frame, Callback callback) {
                  end.complete("reset by the server: " + ErrorCode.toString(frame.getError(), ""));
                  callback.succeeded();
                }

                @Override
                public void onFailure(
                    Stream stream, int error, String reason, Throwable cause, Callback callback) {
                  end.complete("failed: " + cause);
                  callback.succeeded();
                }
              })
          .get(10, TimeUnit.SECONDS);
      assertEquals(200, status.get(10, TimeUnit.SECONDS));
      List<Thread> threads = RetiredLinks.linkThreads();
      site.replaceConfig(site.linkedTo(gatewayB.url()).toString());
      log.await("ApiLink reloaded", WAIT);
      assertEquals(1, site.container().apiLinkFilter().exchangesInFlight(), "the stalled one");

      inBackground(() -> site.container().undeploy()).get(30, TimeUnit.SECONDS);

      assertNotEquals(Http2Answer.ENDED, end.get(30, TimeUnit.SECONDS));
      for (Thread thread : threads) {
        thread.join(10_000);
        assertFalse(thread.isAlive(), thread.getName() + " outlived the application");
      }
      Await.until(
          "no connection to gateway A",
          WAIT,
          () -> gatewayA.openConnections() == 0,
          () -> gatewayA.openConnections() + " open");
      assertEquals(List.of(), log.warnings(" -> "));
      assertEquals(
          List.of(),
          everything.warningsWithTheirExceptions().stream()
              .filter(record -> record.contains("gateway's response broke off"))
              .toList());
    } finally {
      stalling.stop();
    }
  }

  /**
   * A gateway that breaks off its answer on the link that an unlink retired: the client's stream is
   * broken off (ApiLink's async dispatch for it meets a filter whose site is no longer linked), the
   * line names the gateway that broke off, and the stream is never handed to the application.
   */
  @Test
  void aResponseThatTheGatewayBreaksOffAfterAnUnlinkBreaksOffItsHttp2Stream() throws Exception {
    InFlight inFlight = new InFlight();
    List<Thread> threadsOfA = RetiredLinks.linkThreads();
    CompletableFuture<Http2Answer> download = new CompletableFuture<>();
    inFlight.open(
        "GET",
        "/api/download",
        HttpFields.build()
            .add("x-echo-hold", "download")
            .add("x-echo-download", Integer.toString(4 * 1024 * 1024))
            .add("x-echo-abort-after", Integer.toString(256 * 1024)),
        true,
        download,
        null);
    gatewayA.gate("download").awaitHeld(1, WAIT);
    ObjectNode unlinked = site.linkedTo(gatewayA.url());
    unlinked.putObject("environments").putObject("production");
    site.replaceConfig(unlinked.toString());
    log.await("is not linked", WAIT);

    gatewayA.gate("download").open();
    Http2Answer answer = download.get(30, TimeUnit.SECONDS);

    assertEquals(200, answer.status(), answer.toString());
    assertNotEquals(Http2Answer.ENDED, answer.end(), answer.toString());
    assertTrue(answer.body().length < 4 * 1024 * 1024, answer.toString());
    inFlight.finishAtGatewayA();
    inFlight.assertEachFinishedAtGatewayA();
    RetiredLinks.awaitNothingLeft(site, threadsOfA, gatewayA, "gateway A", WAIT);
    List<String> lines = log.warnings("/api/download");
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(
        lines
            .get(0)
            .startsWith("ApiLink: GET " + site.uri("/api/download") + " -> response broken off: "),
        lines.get(0));
    assertTrue(lines.get(0).endsWith("(gateway " + gatewayA.url() + ")"), lines.get(0));
    assertEquals(404, inFlight.get("/api/last").status(), "the connection still serves");
    assertEquals(Map.of("ExchangesStarted", 4L, "ResponsesBrokenOff", 1L), Counted.outcomes());
  }

  /**
   * Streams sent without pause on a few HTTP/2 connections while the configuration flips between
   * two gateways: each is answered whole by one of them, and once the flips are over nothing of the
   * earlier links is left (no exchange, no thread, no connection to the gateway no longer in use).
   */
  @Test
  void http2StreamsDuringManyChangesAreEachAnsweredAndNothingOfTheRetiredLinksIsLeft()
      throws Exception {
    int connections = 4;
    List<Session> sessions = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      sessions.add(
          h2.connect(
                  new InetSocketAddress("127.0.0.1", site.container().port()),
                  new Session.Listener() {})
              .get(10, TimeUnit.SECONDS));
    }
    AtomicBoolean running = new AtomicBoolean(true);
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicInteger answered = new AtomicInteger();
    List<CompletableFuture<Void>> loads = new ArrayList<>();
    for (int c = 0; c < connections; c++) {
      Session session = sessions.get(c);
      int client = c;
      loads.add(
          CompletableFuture.runAsync(
              () -> {
                try {
                  for (int n = 0; running.get(); n++) {
                    // Eight streams at once on the connection, each held a little at the gateway.
                    List<CompletableFuture<Http2Answer>> batch = new ArrayList<>();
                    for (int k = 0; k < 8; k++) {
                      CompletableFuture<Http2Answer> answer = new CompletableFuture<>();
                      MetaData.Request request =
                          new MetaData.Request(
                              "GET",
                              HttpURI.from(site.uri("/api/flip/" + client + "-" + n + "-" + k)),
                              HttpVersion.HTTP_2,
                              HttpFields.build().add("x-echo-delay-ms", Integer.toString(k * 7)));
                      session
                          .newStream(
                              new HeadersFrame(request, null, true), Http2Answer.collecting(answer))
                          .get(10, TimeUnit.SECONDS);
                      batch.add(answer);
                    }
                    for (CompletableFuture<Http2Answer> answer : batch) {
                      Http2Answer got = answer.get(30, TimeUnit.SECONDS);
                      if (!got.ended() || got.status() != 200 || !got.text().contains("rawPath")) {
                        failures.add(got.toString());
                      }
                      answered.incrementAndGet();
                    }
                  }
                } catch (Exception e) {
                  failures.add(e.toString());
                }
              }));
    }
    List<Thread> before;
    try {
      for (int flip = 0; flip < 7; flip++) {
        EchoBackend to = flip % 2 == 0 ? gatewayB : gatewayA;
        EchoBackend from = flip % 2 == 0 ? gatewayA : gatewayB;
        int reached = from.received().size();
        Await.until(
            "streams reaching " + from.url(),
            WAIT,
            () -> from.received().size() > reached + 20,
            () -> from.received().size() - reached);
        site.replaceConfig(site.linkedTo(to.url()).toString());
        log.await("ApiLink reloaded", WAIT);
      }
      // The last change links gateway A again; B's link is the last retired.
      before = RetiredLinks.linkThreads();
      site.replaceConfig(site.linkedTo(gatewayA.url()).toString());
      log.await("ApiLink reloaded", WAIT);
      int reached = gatewayA.received().size();
      Await.until(
          "streams reaching gateway A",
          WAIT,
          () -> gatewayA.received().size() > reached + 20,
          () -> gatewayA.received().size() - reached);
    } finally {
      running.set(false);
      for (CompletableFuture<Void> load : loads) {
        load.get(60, TimeUnit.SECONDS);
      }
    }

    assertEquals(List.of(), List.copyOf(failures), answered + " answered");
    assertEquals(answered.get(), gatewayA.received().size() + gatewayB.received().size());
    RetiredLinks.awaitNothingLeft(site, before, gatewayB, "gateway B", WAIT);
    assertEquals(List.of(), warnings());
  }

  /**
   * Streams of one HTTP/2 connection waiting for the only gateway connection ({@code
   * maxConnections} 1) of the link that a change retired, when the application stops: each is
   * answered 503 as the site stopping, and none is logged as a gateway fault.
   */
  @Test
  void http2StreamsQueuedForAGatewayConnectionOfARetiredLinkAreAnswered503WhenTheApplicationStops()
      throws Exception {
    site.replaceConfig(
        site.linkedTo(gatewayA.url())
            .toString()
            .replace("\"subscriptionKey\"", "\"maxConnections\": 1, \"subscriptionKey\""));
    log.await("ApiLink reloaded", WAIT);
    Session session =
        h2.connect(
                new InetSocketAddress("127.0.0.1", site.container().port()),
                new Session.Listener() {})
            .get(10, TimeUnit.SECONDS);
    List<String> paths = List.of("/api/held", "/api/queued-1", "/api/queued-2");
    List<CompletableFuture<Http2Answer>> answers = new ArrayList<>();
    for (String path : paths) {
      CompletableFuture<Http2Answer> answer = new CompletableFuture<>();
      MetaData.Request request =
          new MetaData.Request(
              "GET",
              HttpURI.from(site.uri(path)),
              HttpVersion.HTTP_2,
              HttpFields.build().add("x-echo-hold", "held"));
      session
          .newStream(new HeadersFrame(request, null, true), Http2Answer.collecting(answer))
          .get(10, TimeUnit.SECONDS);
      answers.add(answer);
      if (answers.size() == 1) {
        gatewayA.gate("held").awaitHeld(1, WAIT);
      }
    }
    awaitInFlight(3);
    site.replaceConfig(site.linkedTo(gatewayB.url()).toString());
    log.await("ApiLink reloaded", WAIT);

    inBackground(() -> site.container().undeploy()).get(30, TimeUnit.SECONDS);

    for (CompletableFuture<Http2Answer> waiting : answers) {
      Http2Answer answer = waiting.get(30, TimeUnit.SECONDS);
      assertEquals(503, answer.status(), answer.toString());
      assertEquals(LiveReloadContract.STOPPING, answer.text(), answer.toString());
    }
    assertEquals(
        paths.stream()
            .map(
                p ->
                    "ApiLink: GET "
                        + site.uri(p)
                        + " -> answered 503: the web application is stopping")
            .sorted()
            .toList(),
        log.all(" -> ").stream().sorted().toList());
    assertEquals(List.of(), warnings());
    assertEquals(
        List.of("/api/held"),
        gatewayA.received().stream().map(EchoBackend.Received::rawPath).toList());
  }

  /** Runs {@code stop} on another thread, as an operator's command runs beside the requests. */
  static CompletableFuture<Void> inBackground(StoppingContract.Stop stop) {
    return StoppingContract.inBackground(stop);
  }

  /**
   * Stops the application with {@link InFlight}'s three streams at gateway A, and checks each
   * stream's end as {@link StoppingContract} checks an HTTP/1.1 request's: one still waiting is
   * answered 503 (or reset), the event stream is broken off, never ended as if whole; the stop
   * returns; no thread of ApiLink outlives it, no connection to the gateway stays open; and nothing
   * blames the gateway.
   */
  private void assertAnsweredOrBrokenOffBy(StoppingContract.Stop stop) throws Exception {
    InFlight inFlight = new InFlight();
    List<Thread> threads = RetiredLinks.linkThreads();

    inBackground(stop).get(30, TimeUnit.SECONDS);

    // Waiting for the gateway, or for the rest of their body: ApiLink's 503, or a reset.
    for (CompletableFuture<Http2Answer> waiting : List.of(inFlight.held, inFlight.upload)) {
      Http2Answer answer = waiting.get(30, TimeUnit.SECONDS);
      if (answer.ended()) {
        assertEquals(503, answer.status(), answer.toString());
        assertEquals(LiveReloadContract.STOPPING, answer.text(), answer.toString());
      } else {
        assertNotEquals(200, answer.status(), answer.toString());
      }
    }
    // Begun: broken off, never ended as if whole.
    Http2Answer events = inFlight.events.get(30, TimeUnit.SECONDS);
    assertNotEquals(Http2Answer.ENDED, events.end(), events.toString());
    assertEquals("data: before\n\n", events.text());
    for (Thread thread : threads) {
      thread.join(10_000);
      assertFalse(thread.isAlive(), thread.getName() + " outlived the application");
    }
    // The gateway notices a connection closed under a request it holds once it writes: its answer,
    // the stream's last event, and its read for the next request on that connection.
    gatewayA.gate("held").open();
    gatewayA.sse("events").send("after");
    gatewayA.sse("events").end();
    Await.until(
        "no connection to gateway A",
        WAIT,
        () -> gatewayA.openConnections() == 0,
        () -> gatewayA.openConnections() + " open");
    // Not a gateway fault: INFO lines at most, no WARNING (docs/proxy.md, the 503's row).
    assertEquals(List.of(), log.warnings(" -> "));
    for (String line : log.all(" -> ")) {
      assertTrue(line.endsWith(": the web application is stopping"), line);
    }
    assertEquals(
        List.of(),
        everything.warningsWithTheirExceptions().stream()
            .filter(record -> record.contains("gateway's response broke off"))
            .toList());
  }
}
