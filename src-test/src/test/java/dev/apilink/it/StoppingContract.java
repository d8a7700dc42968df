package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.ByteArrayOutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping the container, gracefully, or undeploying the web application while {@code /api}
 * exchanges are in flight: what the container lets finish reaches the client whole, and a response
 * still streaming when the application stops is broken off, never ended as if whole (docs/proxy.md,
 * the 503's row).
 */
abstract class StoppingContract {

  static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  EchoBackend gateway;
  Site site;
  LogWatch log;

  /** Everything logged, the container's own records too, as an operator reads the log. */
  LogWatch everything;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    gateway = EchoBackend.start();
    log = new LogWatch();
    everything = new LogWatch("");
    site = Site.create(kind().createForGracefulStops(), dir, "");
    site.deployLinkedTo(gateway.url(), c -> {});
  }

  @AfterEach
  void stop() throws Exception {
    site.close();
    log.close();
    everything.close();
    gateway.close();
  }

  /** Runs {@code stop} on another thread, as an operator's command runs beside the requests. */
  static CompletableFuture<Void> inBackground(Stop stop) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            stop.run();
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  interface Stop {
    void run() throws Exception;
  }

  @Test
  void aRequestTheGatewayAnswersWithinTheGracePeriodOfAGracefulStopGetsTheWholeAnswer()
      throws Exception {
    CompletableFuture<HttpResponse<String>> inFlight =
        CLIENT.sendAsync(
            HttpRequest.newBuilder(site.uri("/api/order")).header("x-echo-hold", "order").build(),
            BodyHandlers.ofString());
    gateway.gate("order").awaitHeld(1, WAIT);

    CompletableFuture<Void> stopped =
        inBackground(() -> site.container().stopGracefully(Duration.ofSeconds(30)));
    Await.until(
        "the container waiting for the request in flight",
        WAIT,
        site.container()::waitingForRequestsInFlight,
        () -> "not waiting");
    gateway.gate("order").open();

    HttpResponse<String> response = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), response.body());
    assertTrue(response.body().contains("\"/api/order\""), response.body());
    stopped.get(30, TimeUnit.SECONDS);
    assertEquals(List.of(), log.all(" -> "));
  }

  @Test
  void aStreamStillRunningWhenTheGracePeriodEndsIsBrokenOffNotEnded() throws Exception {
    // Tomcat, stopping, ended a server-sent-event stream with its last chunk, as if whole.
    assertBrokenOffBy(() -> site.container().stopGracefully(Duration.ofSeconds(1)));
  }

  @Test
  void aStreamRunningWhenTheApplicationIsUndeployedIsBrokenOffNotEnded() throws Exception {
    // Tomcat ended the stream with its last chunk, as if whole, and kept the connection open.
    assertBrokenOffBy(() -> site.container().undeploy());
  }

  private void assertBrokenOffBy(Stop stop) throws Exception {
    String events = site.uri("/api/events").toString();
    try (Socket client = RawHttp.open(site.container().port())) {
      RawHttp.send(
          client, "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-sse: stream\r\n\r\n");
      gateway.sse("stream").send("before");
      RawHttp.readAtLeast(client.getInputStream(), "data: before".length());

      CompletableFuture<Void> stopped = inBackground(stop);

      ByteArrayOutputStream received = new ByteArrayOutputStream();
      boolean leftOpen = false;
      try {
        client.getInputStream().transferTo(received);
      } catch (SocketTimeoutException e) {
        leftOpen = true;
      } catch (SocketException e) {
        // reset: broken off too
      }
      String rest = received.toString(StandardCharsets.ISO_8859_1);
      assertFalse(rest.endsWith("0\r\n\r\n"), "ended as if whole with its last chunk: " + rest);
      assertFalse(leftOpen, "neither ended nor broken off 30 s after the stop: " + rest);
      stopped.get(30, TimeUnit.SECONDS);
    }
    // Not a gateway fault: one INFO line, no WARNING (docs/proxy.md, the 503's row); none on Jetty
    // when it closes the connection before it stops the application (a client that left, FINE).
    List<String> lines = log.all(" -> ");
    assertTrue(lines.size() <= 1, lines.toString());
    for (String line : lines) {
      assertEquals(
          "ApiLink: GET " + events + " -> response broken off: the web application is stopping",
          line);
    }
    assertEquals(List.of(), log.warnings(" -> "));
    // Nor does any record blame the gateway, which broke off nothing: Jetty logs the exception by
    // which ApiLink breaks the response off as a WARN, and its message said "the gateway's response
    // broke off" (seen on Jetty 12.1.12 at each redeployment with a stream open).
    assertEquals(
        List.of(),
        everything.warningsWithTheirExceptions().stream()
            .filter(record -> record.contains("gateway's response broke off"))
            .toList());
  }
}
