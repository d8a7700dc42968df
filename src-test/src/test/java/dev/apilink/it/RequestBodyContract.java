package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the gateway receives, byte for byte, when the client's request body ends early, runs over
 * the limit or is followed by another request: never a request complete by its framing that the
 * client did not complete, and no gateway connection left open behind a half-written one. Run once
 * per container by {@link RequestBodyOnJettyTest} and {@link RequestBodyOnTomcatTest}.
 */
abstract class RequestBodyContract {

  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  Site site;
  Consumer<ObjectNode> keyFile;
  RecordingGateway gateway;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    site = Site.create(kind(), dir, "");
    keyFile = Battery.prepare(site, dir);
    gateway = RecordingGateway.start();
  }

  @AfterEach
  void stop() throws Exception {
    site.close();
    gateway.close();
  }

  void deploy(long maxRequestBodyBytes) throws Exception {
    site.deployLinkedTo(
        gateway.url(),
        keyFile.andThen(
            c ->
                Battery.backend(c)
                    .put("timeoutSeconds", 30)
                    .put("maxRequestBodyBytes", maxRequestBodyBytes)));
  }

  /** Sends {@code bytes} and closes the connection (FIN, not a reset) without reading. */
  void sendAndClose(String bytes) throws Exception {
    try (Socket client = RawHttp.open(site.container().port())) {
      OutputStream out = client.getOutputStream();
      out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      Await.until(
          "the gateway receiving the body's first bytes",
          WAIT,
          () -> gateway.connections().stream().anyMatch(c -> c.bytesAfterTheFirstHead() >= 400),
          gateway::connections);
    }
  }

  /** Every gateway connection has ended, none with a request complete by its framing. */
  void assertGatewayNeverSawACompleteRequest() throws Exception {
    Await.until(
        "every gateway connection closed by ApiLink or idle between requests",
        WAIT,
        () ->
            gateway.connections().stream()
                .allMatch(
                    c -> c.ended() || c.completeRequests().isEmpty() && c.bytes().length == 0),
        gateway::connections);
    for (RecordingGateway.Connection connection : gateway.connections()) {
      assertEquals(
          List.of(), connection.completeRequests(), "the gateway saw as complete: " + connection);
    }
    Await.until(
        "no exchange in flight",
        WAIT,
        () -> site.container().apiLinkFilter().exchangesInFlight() == 0,
        () -> site.container().apiLinkFilter().exchangesInFlight());
  }

  static String post(String framing) {
    return "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
        + framing
        + "\r\n";
  }

  // ---- the client stops ----

  @Test
  void aSizedBodyTheClientClosesShortOfItsLengthNeverReachesTheGatewayAsWhole() throws Exception {
    deploy(0);
    sendAndClose(post("Content-Length: 1000\r\n") + "x".repeat(400));
    assertGatewayNeverSawACompleteRequest();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "190\r\n", // between chunks: after a whole chunk of 400 bytes
        "3e8\r\n", // inside a chunk of 1000 bytes
      })
  void aChunkedBodyTheClientClosesBeforeItsLastChunkNeverReachesTheGatewayAsWhole(String chunk)
      throws Exception {
    deploy(0);
    String body = chunk + "x".repeat(400) + (chunk.equals("190\r\n") ? "\r\n" : "");
    sendAndClose(post("Transfer-Encoding: chunked\r\n") + body);
    assertGatewayNeverSawACompleteRequest();
  }

  /**
   * An HTTP/2 upload without a Content-Length (curl {@code -T -}, a {@code fetch()} stream), which
   * ApiLink sends on chunked, whose client resets the stream midway: the gateway must not get the
   * last chunk. The reset comes while more DATA frames are still being taken, as a browser's
   * cancelled {@code fetch()} stream or curl stopped mid-upload does.
   */
  @Test
  void anHttp2BodyWithoutALengthThatTheClientResetsNeverReachesTheGatewayAsWhole()
      throws Exception {
    assumeFalse(
        kind() == ServletContainer.Kind.TOMCAT,
        "Known, not fixed (docs/operations.md, Known limits): Tomcat marks a reset stream's input"
            + " finished without telling the application when it is not waiting to read, and the"
            + " Servlet API then shows a body that ended; fails on Tomcat in about 5 runs of 6");
    deploy(0);
    HTTP2Client h2 = new HTTP2Client();
    h2.start();
    try {
      Session session =
          h2.connect(
                  new InetSocketAddress("127.0.0.1", site.container().port()),
                  new Session.Listener() {})
              .get(10, TimeUnit.SECONDS);
      MetaData.Request head =
          new MetaData.Request(
              "POST", HttpURI.from(site.uri("/api/upload")), HttpVersion.HTTP_2, HttpFields.EMPTY);
      Stream stream =
          session
              .newStream(new HeadersFrame(head, null, false), new Stream.Listener() {})
              .get(10, TimeUnit.SECONDS);
      stream.data(new DataFrame(stream.getId(), ByteBuffer.wrap(new byte[500]), false));
      Await.until(
          "the gateway receiving the body's first bytes",
          WAIT,
          () -> gateway.connections().stream().anyMatch(c -> c.bytesAfterTheFirstHead() >= 500),
          gateway::connections);
      for (int i = 0; i < 20; i++) {
        stream
            .data(new DataFrame(stream.getId(), ByteBuffer.wrap(new byte[100]), false))
            .get(10, TimeUnit.SECONDS);
      }
      stream.reset(
          new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
      assertGatewayNeverSawACompleteRequest();
    } finally {
      h2.stop();
    }
  }

  @Test
  void aClientThatHalfClosesAfterAWholeSizedBodyGetsTheAnswerToTheOneRequestTheGatewaySaw()
      throws Exception {
    deploy(0);
    RawHttp.Response response;
    try (Socket client = RawHttp.open(site.container().port())) {
      RawHttp.send(client, post("Content-Length: 1000\r\n") + "x".repeat(1000));
      client.shutdownOutput();
      response = RawHttp.Response.parseAll(client.getInputStream().readAllBytes(), false).get(0);
    }
    assertEquals(200, response.status(), response.toString());
    assertEquals("ok", response.bodyText());
    List<String> received = gateway.connections().get(0).completeRequests();
    assertEquals(1, received.size(), gateway.connections().toString());
    assertTrue(received.get(0).endsWith("\r\n\r\n" + "x".repeat(1000)), received.get(0));
  }

  // ---- the limit ----

  static String sizedOrChunked(boolean chunked, int bytes) {
    String body = "x".repeat(bytes);
    return chunked
        ? post("Transfer-Encoding: chunked\r\n")
            + Integer.toHexString(bytes)
            + "\r\n"
            + body
            + "\r\n0\r\n\r\n"
        : post("Content-Length: " + bytes + "\r\n") + body;
  }

  @ParameterizedTest
  @CsvSource({"true, 1000", "false, 1000", "true, 40000", "false, 40000"})
  void aBodyOfExactlyTheLimitReachesTheGatewayWhole(boolean chunked, int limit) throws Exception {
    deploy(limit);
    List<RawHttp.Response> responses =
        RawHttp.exchange(site.container().port(), sizedOrChunked(chunked, limit), 1);
    assertEquals(200, responses.get(0).status(), responses.toString());
    List<String> received = gateway.connections().get(0).completeRequests();
    assertEquals(1, received.size());
    String atTheGateway = received.get(0);
    assertEquals(
        limit,
        atTheGateway.chars().skip(atTheGateway.indexOf("\r\n\r\n")).filter(c -> c == 'x').count());
  }

  @ParameterizedTest
  @CsvSource({"true, 1000", "false, 1000", "true, 40000", "false, 40000"})
  void aBodyOneByteOverTheLimitIs413AndNeverWholeAtTheGateway(boolean chunked, int limit)
      throws Exception {
    deploy(limit);
    List<RawHttp.Response> responses =
        RawHttp.exchangeAllWhileSending(
            site.container().port(),
            sizedOrChunked(chunked, limit + 1).getBytes(StandardCharsets.ISO_8859_1));
    assertEquals(1, responses.size(), responses.toString());
    assertEquals(413, responses.get(0).status(), responses.toString());
    assertEquals(
        "{\"statusCode\": 413, \"message\": \"Request entity too large: the request body is over"
            + " the limit of "
            + limit
            + " bytes.\"}",
        responses.get(0).bodyText());
    if (!chunked) {
      assertEquals(List.of(), gateway.connections(), "refused before anything was sent");
    }
    assertGatewayNeverSawACompleteRequest();
  }

  // ---- pipelining ----

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aRequestPipelinedBehindABodyReachesTheGatewayAsARequestOfItsOwn(boolean chunked)
      throws Exception {
    deploy(0);
    String first =
        chunked
            ? post("Transfer-Encoding: chunked\r\n") + "5\r\nhello\r\n0\r\n\r\n"
            : post("Content-Length: 5\r\n") + "hello";
    List<RawHttp.Response> responses =
        RawHttp.exchange(
            site.container().port(),
            first + "GET /api/second HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
            2);
    assertEquals(2, responses.size(), responses.toString());
    assertEquals(200, responses.get(0).status());
    assertEquals(200, responses.get(1).status());
    List<String> received = new java.util.ArrayList<>();
    for (RecordingGateway.Connection connection : gateway.connections()) {
      received.addAll(connection.completeRequests());
    }
    assertEquals(2, received.size(), gateway.connections().toString());
    assertTrue(received.get(0).startsWith("POST /api/upload "), received.get(0));
    assertTrue(
        received.get(0).endsWith(chunked ? "\r\n\r\n5\r\nhello\r\n0\r\n\r\n" : "\r\n\r\nhello"),
        received.get(0));
    assertTrue(received.get(1).startsWith("GET /api/second "), received.get(1));
  }

  // ---- Expect: 100-continue ----

  @Test
  void aClientThatExpectsContinueAndNeverSendsItsBodyLeavesTheGatewayNothingWhole()
      throws Exception {
    site.deployLinkedTo(
        gateway.url(), keyFile.andThen(c -> Battery.backend(c).put("timeoutSeconds", 3)));
    List<RawHttp.Response> responses =
        RawHttp.exchangeAll(
            site.container().port(),
            post("Content-Length: 1000\r\nExpect: 100-continue\r\nConnection: close\r\n"));
    RawHttp.Response last = responses.get(responses.size() - 1);
    assertEquals(408, last.status(), responses.toString());
    assertGatewayNeverSawACompleteRequest();
  }
}
