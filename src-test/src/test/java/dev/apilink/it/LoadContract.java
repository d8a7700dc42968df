package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.echo.EchoBackend.Received;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.StringJoiner;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many clients at once, and clients that go away: nothing is lost, nothing crosses from one
 * exchange to another, and afterwards the container and the gateway client are back to idle. Run
 * once per container by {@link LoadOnJettyTest} and {@link LoadOnTomcatTest}.
 */
abstract class LoadContract {

  @RegisterExtension static final SecretWatch SECRETS = new SecretWatch();

  /**
   * How many clients, and how many at a time. Raised only to soak for rare failures (SECURITY.md);
   * the JVM-thread bound of the tests holds for the default of 4 at a time.
   */
  static final int CLIENTS = Integer.getInteger("apilink.test.loadClients", 1000);

  static final int AT_A_TIME = Integer.getInteger("apilink.test.loadAtATime", 4);
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dir;
  EchoBackend gateway;
  Site site;
  LogWatch log;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    log = new LogWatch();
    gateway = EchoBackend.startDiscreet();
    site = Site.create(kind(), dir, "");
    site.deployLinkedTo(gateway.url(), Battery.prepare(site, dir));
  }

  @AfterEach
  void stop() throws Exception {
    site.close();
    gateway.close();
    log.close();
  }

  /**
   * No exchange suffers from the others: ApiLink logs each gateway failure it answered or broke
   * off, and a client going away is not one. Once, about one broken-off download in 1,000 garbled
   * another connection's response ("bad response", answered 502) or broke it off ({@code
   * BufferOverflowException}): see {@code OutsideParsing}.
   */
  void assertNoGatewayFailureLogged() {
    assertEquals(List.of(), log.all(" -> "), "gateway failures that ApiLink answered or broke off");
  }

  /**
   * The workers of the bounded thread pools in this JVM: the container's (Jetty's, Tomcat's), the
   * gateway client's ({@code apilink-127.0.0.1:<port>-N}, at most 200) and the test gateway's. They
   * grow with load up to their bounds and shrink one by one over minutes: on a loaded machine a
   * thousand broken-off uploads left 294 threads where 62 was usual, none of them leaked.
   */
  static final Pattern POOL_WORKER =
      Pattern.compile(
          "(jetty-container|echo-backend|apilink-127\\.0\\.0\\.1:\\d+|http-nio-.+-exec)-\\d+");

  /**
   * The JVM's live threads but the pools' workers: a thread started for an exchange and never ended
   * is what the load tests look for, which no pool's growth hides.
   */
  static int jvmThreads() {
    return (int)
        Thread.getAllStackTraces().keySet().stream()
            .filter(Thread::isAlive)
            .filter(t -> !POOL_WORKER.matcher(t.getName()).matches())
            .count();
  }

  /**
   * No container request thread busy, no exchange in flight, no gateway connection in use, and no
   * connection open at the gateway beyond those idle in ApiLink's pool.
   */
  void assertBackToIdle() throws Exception {
    ServletContainer container = site.container();
    Await.until(
        "the container's request threads idle",
        WAIT,
        () -> container.busyThreads() == 0,
        container::busyThreads);
    Await.until(
        "no exchange in flight, no gateway connection in use, none open but the idle ones",
        WAIT,
        () ->
            container.apiLinkFilter().exchangesInFlight() == 0
                && container.apiLinkFilter().gatewayConnections().active() == 0
                && gateway.openConnections()
                    <= container.apiLinkFilter().gatewayConnections().idle(),
        () ->
            container.apiLinkFilter().exchangesInFlight()
                + " in flight, "
                + container.apiLinkFilter().gatewayConnections()
                + ", "
                + gateway.openConnections()
                + " open at the gateway");
    RawHttp.Response css =
        RawHttp.exchangeOne(
            container.port(),
            "GET /style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    assertEquals(200, css.status());
  }

  /**
   * Back to idle, and the JVM's threads outside the pools ({@link #jvmThreads}) within 100 of what
   * they were before the clients.
   */
  void assertBackToIdleWithoutNewThreads(String what, int threadsBefore, long start)
      throws Exception {
    assertBackToIdle();
    int threadsAfter = jvmThreads();
    System.out.printf(
        "%s: %d %s in %d ms; JVM threads %d before, %d after%n",
        kind(),
        CLIENTS,
        what,
        (System.nanoTime() - start) / 1_000_000,
        threadsBefore,
        threadsAfter);
    assertTrue(threadsAfter < threadsBefore + 100, threadsBefore + " -> " + threadsAfter);
  }

  /** Runs {@code client} for 0 .. count-1, {@link #AT_A_TIME} at a time; fails with the first. */
  static void clients(int count, IntClient client) throws Exception {
    ExecutorService workers = Executors.newFixedThreadPool(AT_A_TIME);
    try {
      AtomicInteger next = new AtomicInteger();
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < AT_A_TIME; w++) {
        done.add(
            workers.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                    client.run(i);
                  }
                  return null;
                }));
      }
      for (Future<?> worker : done) {
        try {
          worker.get(WAIT.toSeconds() * 4, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
      }
    } finally {
      workers.shutdownNow();
    }
  }

  /** Where a request that got no answer stands, for the failure message. */
  String stateOf(String path) {
    return "no answer to "
        + path
        + " within 30 s; at the gateway: "
        + gateway.received().stream().anyMatch(r -> r.rawPath().equals(path))
        + "; "
        + containerState();
  }

  /** ApiLink's exchanges and gateway connections, and the container's busy request threads. */
  String containerState() {
    return "exchanges in flight: "
        + site.container().apiLinkFilter().exchangesInFlight()
        + "; "
        + site.container().apiLinkFilter().gatewayConnections()
        + "; busy request threads: "
        + site.container().busyThreads();
  }

  /**
   * The load requests whose body has not reached the gateway, each with how far it got: its head at
   * the gateway, answered (by ApiLink, as the gateway has not), or neither.
   */
  String notHeld(List<CompletableFuture<HttpResponse<String>>> answers) {
    Set<String> whole = new HashSet<>();
    gateway.received().forEach(received -> whole.add(received.rawPath()));
    StringJoiner notHeld = new StringJoiner(", ");
    notHeld.setEmptyValue("none");
    for (int i = 0; i < answers.size(); i++) {
      String path = "/api/load/" + i;
      if (!whole.contains(path)) {
        CompletableFuture<HttpResponse<String>> answer = answers.get(i);
        notHeld.add(
            path
                + (gateway.hasArrived(path)
                    ? " (its head at the gateway)"
                    : answer.isDone()
                        ? " (answered "
                            + answer.handle((r, f) -> f == null ? r.statusCode() : f).join()
                            + ")"
                        : " (neither at the gateway nor answered)"));
      }
    }
    return notHeld.toString();
  }

  interface IntClient {
    void run(int i) throws Exception;
  }

  @Test
  void aThousandClientsThatGoAwayMidUploadAbortEveryGatewayRequestAndLeakNothing()
      throws Exception {
    byte[] half = new byte[32 * 1024];
    int threadsBefore = jvmThreads();
    long start = System.nanoTime();

    clients(
        CLIENTS,
        i -> {
          try (Socket client = RawHttp.open(site.container().port())) {
            OutputStream out = client.getOutputStream();
            out.write(
                ("POST /api/upload/"
                        + i
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Content-Type: application/octet-stream\r\n"
                        + "Content-Length: 1000000\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.write(half);
            out.flush();
            gateway.awaitArrival("/api/upload/" + i, WAIT); // the gateway has it
            client.setSoLinger(true, 0); // gone, with a reset, mid-body
          }
        });

    gateway.awaitReceived(CLIENTS, WAIT);
    List<Received> received = gateway.received();
    for (Received request : received) {
      assertTrue(request.rawPath().startsWith("/api/upload/"), request.rawPath());
      assertFalse(request.bodyComplete(), request.rawPath() + " was taken as whole");
      assertTrue(request.bodyBytes() < 1_000_000, request.rawPath());
    }
    assertEquals(
        CLIENTS,
        received.stream().map(Received::rawPath).distinct().count(),
        "each request reached the gateway once");
    assertNoGatewayFailureLogged();
    assertBackToIdleWithoutNewThreads("uploads broken off", threadsBefore, start);
  }

  /**
   * Clients that leave mid-download are nobody's failure, and nothing is logged for them, by the
   * container either: a change that broke their responses off (an exception from a dispatch) had
   * Jetty log a WARNING for each and Tomcat a SEVERE for some (found in the lead's read of review
   * B's change).
   */
  @Test
  void aThousandClientsThatGoAwayMidDownloadAbortEveryGatewayRequestAndLeakNothing()
      throws Exception {
    int threadsBefore = jvmThreads();
    long start = System.nanoTime();
    try (LogWatch everything = new LogWatch("")) {
      downloadAndGoAway();
      gateway.awaitFailedExchanges(CLIENTS, WAIT); // every download aborted at the gateway
      assertBackToIdle();
      assertEquals(List.of(), everything.warningsWithTheirExceptions());
    }
    assertNoGatewayFailureLogged();
    assertEquals(CLIENTS, gateway.failedExchanges().size());
    assertEquals(CLIENTS, gateway.received().size());
    assertBackToIdleWithoutNewThreads("downloads broken off", threadsBefore, start);
  }

  private void downloadAndGoAway() throws Exception {
    clients(
        CLIENTS,
        i -> {
          try (Socket client = RawHttp.open(site.container().port())) {
            client.setReceiveBufferSize(16 * 1024);
            client
                .getOutputStream()
                .write(
                    ("GET /api/download/"
                            + i
                            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-download: 1000000000\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
            String shortAnswer;
            try {
              // the head and some body
              shortAnswer = RawHttp.readAtLeastOrShortAnswer(client.getInputStream(), 4 * 1024);
            } catch (java.net.SocketTimeoutException e) {
              throw new AssertionError(stateOf("/api/download/" + i), e);
            }
            if (shortAnswer != null) {
              throw new AssertionError("/api/download/" + i + " answered: " + shortAnswer);
            }
            client.setSoLinger(true, 0); // gone, with a reset, mid-body
          }
        });
  }

  @Test
  void aThousandConcurrentRequestsEachGetTheirOwnAnswerWhileEventStreamsStayLive()
      throws Exception {
    ExecutorService executor = Executors.newFixedThreadPool(4);
    HttpClient client =
        HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(executor).build();
    try {
      List<BlockingQueue<String>> streams = new ArrayList<>();
      List<CompletableFuture<Void>> streamEnds = new ArrayList<>();
      for (int s = 0; s < 3; s++) {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        streams.add(events);
        HttpResponse<Stream<String>> response =
            client.send(
                HttpRequest.newBuilder(site.uri("/api/events/" + s))
                    .header("x-echo-sse", "stream-" + s)
                    .build(),
                BodyHandlers.ofLines());
        assertEquals(200, response.statusCode());
        streamEnds.add(
            CompletableFuture.runAsync(
                () -> {
                  for (Iterator<String> lines = response.body().iterator(); lines.hasNext(); ) {
                    String line = lines.next();
                    if (line.startsWith("data: ")) {
                      events.add(line.substring(6));
                    }
                  }
                }));
      }

      Random random = new Random(7);
      List<byte[]> bodies = new ArrayList<>();
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        byte[] body = new byte[1 + random.nextInt(4096)];
        random.nextBytes(body);
        bodies.add(body);
        answers.add(
            client.sendAsync(
                HttpRequest.newBuilder(site.uri("/api/load/" + i))
                    .header("x-echo-hold", "load")
                    .POST(BodyPublishers.ofByteArray(body))
                    .build(),
                BodyHandlers.ofString()));
      }

      try {
        gateway.gate("load").awaitHeld(CLIENTS, WAIT);
      } catch (AssertionError e) {
        // Seen in a CI run on two cores (994 of 1000) and in a loaded suite run (806): requests
        // closed unanswered by the kernel's SYN cookies when the container's accept backlog
        // overflowed, before it was raised (EmbeddedTomcat). Say where the others were.
        throw new AssertionError(
            e.getMessage()
                + "; at the gateway: "
                + gateway.received().size()
                + "; "
                + containerState()
                + "; answered: "
                + answers.stream().filter(CompletableFuture::isDone).count()
                + "; not held: "
                + notHeld(answers),
            e);
      }
      int inFlight = site.container().apiLinkFilter().exchangesInFlight();
      int busyThreads = site.container().busyThreads();
      for (int s = 0; s < streams.size(); s++) {
        gateway.sse("stream-" + s).send("while " + CLIENTS + " are held");
        assertEquals(
            "while " + CLIENTS + " are held",
            streams.get(s).poll(WAIT.toSeconds(), TimeUnit.SECONDS),
            "stream " + s + " is live");
      }
      gateway.gate("load").open();

      for (int i = 0; i < CLIENTS; i++) {
        HttpResponse<String> response = answers.get(i).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        SECRETS.inspect("POST /api/load/" + i, response.headers() + response.body());
        assertEquals(200, response.statusCode());
        JsonNode echoed = Site.JSON.readTree(response.body());
        assertEquals("/api/load/" + i, echoed.get("rawPath").asText(), "its own answer");
        assertEquals(bodies.get(i).length, echoed.get("bodyBytes").asLong());
        assertEquals(
            EchoBackend.sha256(new ByteArrayInputStream(bodies.get(i))),
            echoed.get("bodySha256").asText(),
            "its own body, whole");
      }
      for (int s = 0; s < streams.size(); s++) {
        gateway.sse("stream-" + s).send("after");
        assertEquals("after", streams.get(s).poll(WAIT.toSeconds(), TimeUnit.SECONDS));
        gateway.sse("stream-" + s).end();
        streamEnds.get(s).get(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      System.out.printf(
          "%s: %d requests and %d event streams in flight at once on %d busy request threads%n",
          kind(), inFlight - streams.size(), streams.size(), busyThreads);
      assertEquals(CLIENTS + streams.size(), inFlight, "all in flight at once");
      assertTrue(busyThreads < 20, busyThreads + " request threads busy: exchanges hold none");
      assertNoGatewayFailureLogged();
      assertBackToIdle();
    } finally {
      executor.shutdownNow();
    }
  }
}
