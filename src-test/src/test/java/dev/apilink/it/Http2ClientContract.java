package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.ApiLinkFilter;
import dev.apilink.testkit.echo.EchoBackend;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an HTTP/2 client (h2c, prior knowledge) receives, frame by frame, when ApiLink answers it
 * itself: a response of RFC 9113 8.2.2 carries no connection-specific field. Run once per container
 * by {@link Http2ClientOnJettyTest} and {@link Http2ClientOnTomcatTest}.
 */
abstract class Http2ClientContract {

  @TempDir Path dir;
  EchoBackend gateway;
  Site site;
  HTTP2Client h2;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    gateway = EchoBackend.startDiscreet();
    site = Site.create(kind(), dir, "");
    site.deployLinkedTo(gateway.url(), c -> {});
    h2 = new HTTP2Client();
    h2.start();
  }

  @AfterEach
  void stop() throws Exception {
    h2.stop();
    site.close();
    gateway.close();
  }

  Session connect() throws Exception {
    return h2.connect(
            new InetSocketAddress("127.0.0.1", site.container().port()), new Session.Listener() {})
        .get(10, TimeUnit.SECONDS);
  }

  /**
   * Opens a stream for {@code method path} with {@code fields}, sends {@code body} (none if null:
   * the stream ends with its HEADERS), and leaves it open after the body if {@code endBody} is
   * false; returns the answer once the stream ends.
   */
  CompletableFuture<Http2Answer> send(
      Session session, String method, String path, HttpFields fields, byte[] body, boolean endBody)
      throws Exception {
    CompletableFuture<Http2Answer> answer = new CompletableFuture<>();
    MetaData.Request request =
        new MetaData.Request(method, HttpURI.from(site.uri(path)), HttpVersion.HTTP_2, fields);
    Stream stream =
        session
            .newStream(
                new HeadersFrame(request, null, body == null), Http2Answer.collecting(answer))
            .get(10, TimeUnit.SECONDS);
    if (body != null) {
      stream.data(new DataFrame(stream.getId(), ByteBuffer.wrap(body), endBody));
    }
    return answer;
  }

  /**
   * Nothing reached the gateway as a request it would serve: the head may have gone out before the
   * body fell short, and then the gateway saw its request broken off (recorded as incomplete, when
   * the abort arrives, which may be after the client's answer).
   */
  void assertNoCompleteRequestAtTheGateway() {
    List<EchoBackend.Received> complete =
        gateway.received().stream().filter(EchoBackend.Received::bodyComplete).toList();
    assertEquals(List.of(), complete);
  }

  /**
   * ApiLink's 500 for an answer the server failed to pass on reaches an HTTP/2 client whole. It
   * carried {@code Connection: close}, which only HTTP/1.1 knows: Tomcat sent it in the HEADERS
   * frame, a malformed response (RFC 9113 8.2.2) that this client, like browsers and nghttp2,
   * refused as a protocol error, so the client never saw the 500. Jetty leaves the field out.
   */
  @Test
  void anAnswerTheServerCouldNotPassOnIsA500ThatAnHttp2ClientReceives() throws Exception {
    Http2Answer answer =
        send(
                connect(),
                "GET",
                "/api/orders",
                HttpFields.build()
                    .add("x-echo-response-header", FailingResponse.MARKER + ": 1")
                    .add(FailingResponse.HEADER, "head"),
                null,
                true)
            .get(20, TimeUnit.SECONDS);

    assertEquals(Http2Answer.ENDED, answer.end(), answer.toString());
    assertEquals(500, answer.status(), answer.toString());
    assertEquals(List.of(), answer.connectionSpecificFields());
    assertEquals(
        FaultContract.error(500, FaultContract.NOT_PASSED_ON), answer.text(), answer.toString());
  }

  /**
   * An HTTP/2 upload that stops arriving gets ApiLink's 408, which the client receives whole. On
   * Tomcat it carried {@code Connection: close} in its HEADERS frame, and the client refused it as
   * a protocol error. Tomcat (its HTTP/2 stream read timeout, 2 s here) then resets the stream with
   * {@code INTERNAL_ERROR} after the whole answer; Jetty (its idle timeout) ends it cleanly.
   *
   * <p>The 408 is one of ApiLink's answers to the client's body, as the 408 at {@code
   * timeoutSeconds} is: counted once in AnsweredOtherErrors, and logged once as {@code answered
   * 408} naming the container's timeout (docs/operations.md: the lines {@code answered 408} are the
   * client's body, logged at most once every 10 s). It was counted with no line at all: an operator
   * saw the bean's count rise and nothing in the log to say which request or why (found by review
   * h39e).
   */
  @Test
  void anHttp2UploadThatStopsArrivingIsA408ThatTheClientReceivesCountedAndLoggedOnce()
      throws Exception {
    site.container().readTimeout(Duration.ofSeconds(2));
    try (LogWatch log = new LogWatch()) {
      Http2Answer answer =
          send(
                  connect(),
                  "POST",
                  "/api/upload",
                  HttpFields.build().add("content-length", "10"),
                  "abc".getBytes(StandardCharsets.US_ASCII),
                  false)
              .get(40, TimeUnit.SECONDS);

      assertEquals(408, answer.status(), answer.toString());
      assertEquals(List.of(), answer.connectionSpecificFields());
      assertEquals(
          FaultContract.error(408, "Request timeout: the request body stopped arriving."),
          answer.text());
      ApiLinkFilter apiLink = site.container().apiLinkFilter();
      Await.until(
          "the exchange over",
          Duration.ofSeconds(20),
          () -> apiLink.exchangesInFlight() == 0,
          () -> apiLink.exchangesInFlight() + " in flight");

      Counted.once("AnsweredOtherErrors");
      List<String> warnings = log.warnings("/api/upload");
      assertEquals(1, warnings.size(), "one line for the 408: " + warnings);
      assertTrue(
          warnings
              .get(0)
              .startsWith("ApiLink: POST " + site.uri("/api/upload") + " -> answered 408: "),
          warnings.get(0));
      assertTrue(warnings.get(0).contains("Timeout"), "the container's timeout named: " + warnings);
      assertTrue(warnings.get(0).endsWith(" (gateway " + gateway.url() + ")"), warnings.get(0));
    }
  }

  /**
   * An HTTP/2 request whose {@code content-length} announces a body that its stream never carries
   * (END_STREAM on its HEADERS) is malformed (RFC 9113 8.1.1): the client's fault, a reset or a
   * 400, never forwarded. Tomcat resets the stream itself; Jetty (12.1.14) hands ApiLink an empty
   * body, which ApiLink took for one a filter before it had read: a 500 that blamed the site, and a
   * WARNING for a filter that did not exist.
   */
  @Test
  void anHttp2RequestWithoutTheBodyItsLengthAnnouncesIsTheClientsFaultNotTheSites()
      throws Exception {
    Http2Answer answer =
        send(
                connect(),
                "POST",
                "/api/orders",
                HttpFields.build().add("content-length", "5"),
                null,
                true)
            .get(20, TimeUnit.SECONDS);

    if (answer.status() == 0) {
      assertEquals("reset by the server: protocol_error", answer.end());
    } else {
      assertEquals(
          FaultContract.error(400, "Bad request: the request body could not be read."),
          answer.text(),
          answer.toString());
    }
    assertNoCompleteRequestAtTheGateway();
  }

  /**
   * A method is sent to the gateway upper case (Jetty's client writes it so), and is judged as it
   * goes: a lower-case {@code get} whose stream ended with its HEADERS went out on Jetty as a GET
   * with an empty chunked body, which GET and HEAD are spared (found by review h38k).
   */
  @Test
  void aLowerCaseGetOverHttp2ReachesTheGatewayAsAGetWithoutABody() throws Exception {
    Http2Answer answer =
        send(connect(), "get", "/api/orders", HttpFields.build(), null, true)
            .get(20, TimeUnit.SECONDS);

    assertEquals(200, answer.status(), answer.toString());
    EchoBackend.Received received = gateway.received().get(0);
    assertEquals("GET", received.method());
    assertEquals(List.of(), received.header("Transfer-Encoding"), received.toString());
  }

  /** Over HTTP/2 too, a form body that a filter before ApiLink read is the site's 500. */
  @Test
  void anHttp2FormBodyThatAFilterBeforeApiLinkReadIsStillA500() throws Exception {
    Http2Answer answer =
        send(
                connect(),
                "POST",
                "/api/orders",
                HttpFields.build()
                    .add("content-type", "application/x-www-form-urlencoded")
                    .add("content-length", "7")
                    .add("X-Test-Read-Parameters", "true"),
                "a=1&b=2".getBytes(StandardCharsets.US_ASCII),
                true)
            .get(20, TimeUnit.SECONDS);

    assertEquals(
        FaultContract.error(
            500,
            "Internal server error: the site read the request body before ApiLink could forward"
                + " it."),
        answer.text(),
        answer.toString());
    assertNoCompleteRequestAtTheGateway();
  }
}
