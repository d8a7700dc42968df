package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.testkit.echo.EchoBackend;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpField;
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
 * What an HTTP/2 client (h2c, prior knowledge) receives, frame by frame, when ApiLink answers it
 * itself: a response of RFC 9113 8.2.2 carries no connection-specific field. Run once per container
 * by {@link Http2ClientOnJettyTest} and {@link Http2ClientOnTomcatTest}.
 */
abstract class Http2ClientContract {

  /** The fields RFC 9113 8.2.2 forbids in an HTTP/2 message (a malformed response otherwise). */
  static final List<String> CONNECTION_SPECIFIC =
      List.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade");

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

  /**
   * An answer as the HTTP/2 client saw it: its status (0 if none), and how its stream ended: the
   * status again when it ended cleanly, else how it failed (a reset, or the client's own refusal of
   * a malformed response).
   */
  record Answer(int status, String outcome, HttpFields head, String body) {

    /** The head's connection-specific fields, which an HTTP/2 response must not carry. */
    List<String> connectionSpecificFields() {
      return head == null
          ? List.of()
          : head.stream()
              .filter(f -> CONNECTION_SPECIFIC.contains(f.getLowerCaseName()))
              .map(HttpField::toString)
              .toList();
    }
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
  CompletableFuture<Answer> send(
      Session session, String method, String path, HttpFields fields, byte[] body, boolean endBody)
      throws Exception {
    CompletableFuture<Answer> answer = new CompletableFuture<>();
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    HttpFields[] head = new HttpFields[1];
    int[] status = new int[1];
    MetaData.Request request =
        new MetaData.Request(method, HttpURI.from(site.uri(path)), HttpVersion.HTTP_2, fields);
    Stream stream =
        session
            .newStream(
                new HeadersFrame(request, null, body == null),
                new Stream.Listener() {
                  @Override
                  public void onHeaders(Stream stream, HeadersFrame frame) {
                    if (frame.getMetaData() instanceof MetaData.Response response) {
                      status[0] = response.getStatus();
                      head[0] = response.getHttpFields();
                    }
                    if (frame.isEndStream()) {
                      answer.complete(ended());
                    } else {
                      stream.demand();
                    }
                  }

                  @Override
                  public void onDataAvailable(Stream stream) {
                    Stream.Data data = stream.readData();
                    if (data == null) {
                      stream.demand();
                      return;
                    }
                    ByteBuffer bytes = data.frame().getByteBuffer();
                    byte[] chunk = new byte[bytes.remaining()];
                    bytes.get(chunk);
                    received.writeBytes(chunk);
                    data.release();
                    if (data.frame().isEndStream()) {
                      answer.complete(ended());
                    } else {
                      stream.demand();
                    }
                  }

                  @Override
                  public void onReset(Stream stream, ResetFrame frame, Callback callback) {
                    answer.complete(
                        failed("reset by the server: " + ErrorCode.toString(frame.getError(), "")));
                    callback.succeeded();
                  }

                  @Override
                  public void onFailure(
                      Stream stream, int error, String reason, Throwable cause, Callback callback) {
                    answer.complete(
                        failed("failed: " + ErrorCode.toString(error, "") + " " + cause));
                    callback.succeeded();
                  }

                  private Answer ended() {
                    return new Answer(
                        status[0],
                        String.valueOf(status[0]),
                        head[0],
                        received.toString(StandardCharsets.UTF_8));
                  }

                  private Answer failed(String how) {
                    return new Answer(
                        status[0],
                        how + (status[0] == 0 ? "" : " after " + status[0]),
                        head[0],
                        received.toString(StandardCharsets.UTF_8));
                  }
                })
            .get(10, TimeUnit.SECONDS);
    if (body != null) {
      stream.data(new DataFrame(stream.getId(), ByteBuffer.wrap(body), endBody));
    }
    return answer;
  }

  /**
   * ApiLink's 500 for an answer the server failed to pass on reaches an HTTP/2 client whole. It
   * carried {@code Connection: close}, which only HTTP/1.1 knows: Tomcat sent it in the HEADERS
   * frame, a malformed response (RFC 9113 8.2.2) that this client, like browsers and nghttp2,
   * refused as a protocol error, so the client never saw the 500. Jetty leaves the field out.
   */
  @Test
  void anAnswerTheServerCouldNotPassOnIsA500ThatAnHttp2ClientReceives() throws Exception {
    Answer answer =
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

    assertEquals("500", answer.outcome(), answer.toString());
    assertEquals(List.of(), answer.connectionSpecificFields());
    assertEquals(
        FaultContract.error(500, FaultContract.NOT_PASSED_ON), answer.body(), answer.toString());
  }

  /**
   * An HTTP/2 upload that stops arriving gets ApiLink's 408, which the client receives whole. On
   * Tomcat it carried {@code Connection: close} in its HEADERS frame, and the client refused it as
   * a protocol error. Tomcat (its HTTP/2 stream read timeout, 20 s) then resets the stream with
   * {@code INTERNAL_ERROR} after the whole answer; Jetty (its idle timeout, 2 s here) ends it
   * cleanly.
   */
  @Test
  void anHttp2UploadThatStopsArrivingIsA408ThatTheClientReceives() throws Exception {
    site.container().readTimeout(Duration.ofSeconds(2));
    Session session = connect();
    CompletableFuture<Answer> pending =
        send(
            session,
            "POST",
            "/api/upload",
            HttpFields.build().add("content-length", "10"),
            "abc".getBytes(StandardCharsets.US_ASCII),
            false);
    Answer answer = pending.get(40, TimeUnit.SECONDS);

    assertEquals(408, answer.status(), answer.toString());
    assertEquals(List.of(), answer.connectionSpecificFields());
    assertEquals(
        FaultContract.error(408, "Request timeout: the request body stopped arriving."),
        answer.body());
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
    Answer answer =
        send(
                connect(),
                "POST",
                "/api/orders",
                HttpFields.build().add("content-length", "5"),
                null,
                true)
            .get(20, TimeUnit.SECONDS);

    if (answer.status() == 0) {
      assertEquals("reset by the server: protocol_error", answer.outcome());
    } else {
      assertEquals(
          FaultContract.error(400, "Bad request: the request body could not be read."),
          answer.body(),
          answer.toString());
    }
    assertEquals(List.of(), gateway.received());
  }

  /** Over HTTP/2 too, a form body that a filter before ApiLink read is the site's 500. */
  @Test
  void anHttp2FormBodyThatAFilterBeforeApiLinkReadIsStillA500() throws Exception {
    Answer answer =
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
        answer.body(),
        answer.toString());
    assertEquals(List.of(), gateway.received());
  }
}
