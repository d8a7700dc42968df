package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.HTTP2Session;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;

/** {@link ProxyContract} in Jetty 12 (ee10), and what only Jetty does. */
class ProxyOnJettyTest extends ProxyContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.JETTY;
  }

  /**
   * A client that leaves while ApiLink waits for the gateway (a browser's fetch() aborted, a page
   * left) is not a server error in the container's access log, which operators count 5xx in for
   * alerting. Over HTTP/2 the container learns of it at once, from the stream's reset or the closed
   * connection, and Jetty logged 503 for each such request (ApiLink's answer for a server that
   * stops), where a plain async servlet's was logged 200. Tomcat logs such a request 500, a plain
   * async servlet's too (its own error handling; docs/operations.md, Monitoring).
   */
  @Test
  void anHttp2ClientThatLeavesBeforeTheAnswerIsNotLoggedAsAServerError() throws Exception {
    site.deployLinkedTo(backend.url(), c -> {});

    leaveEachWayOnceArrived(
        "/api/left",
        (session, path) ->
            session
                .newStream(
                    new HeadersFrame(
                        request("GET", path, HttpFields.build().add("x-echo-hang", "true")),
                        null,
                        true),
                    new Stream.Listener() {})
                .get(10, TimeUnit.SECONDS));
  }

  /**
   * A client that leaves while its HTTP/2 upload is still arriving (a browser's upload cancelled, a
   * tab closed) is neither a server error in the access log nor reported as the site stopping: over
   * HTTP/2 Jetty fails such a body with the same bare {@code EofException} it gives a body whose
   * connection it closes as the server stops, and ApiLink answered 503 "the site is stopping" and
   * logged "the web application is stopping" for each (found by review on the Jetty 12.0.30 and
   * 12.1.12 distributions, with curl killed mid-upload over h2c and TLS).
   */
  @Test
  void anHttp2ClientThatLeavesMidUploadIsNeitherAServerErrorNorTheSiteStopping() throws Exception {
    site.deployLinkedTo(backend.url(), c -> {});

    try (LogWatch log = new LogWatch()) {
      leaveEachWayOnceArrived(
          "/api/upload-left",
          (session, path) -> {
            MetaData.Request head =
                request(
                    "POST",
                    path,
                    HttpFields.build()
                        .add("Content-Type", "application/octet-stream")
                        .add("Content-Length", "1000000"));
            Stream stream =
                session
                    .newStream(new HeadersFrame(head, null, false), new Stream.Listener() {})
                    .get(10, TimeUnit.SECONDS);
            stream
                .data(new DataFrame(stream.getId(), ByteBuffer.allocate(5000), false))
                .get(10, TimeUnit.SECONDS);
            return stream;
          });
      assertEquals(List.of(), log.all("the web application is stopping"));
    }
  }

  /** Opens a stream for {@code path} on {@code session}: the request the client then leaves. */
  @FunctionalInterface
  private interface Opening {
    Stream open(Session session, String path) throws Exception;
  }

  /**
   * For each way an HTTP/2 client leaves (it resets its stream, its connection just ends): opens a
   * stream to {@code apiPath} with {@code opening}, leaves once the gateway has the request, and
   * checks that the access log has no server error for it.
   */
  private void leaveEachWayOnceArrived(String apiPath, Opening opening) throws Exception {
    for (boolean resetsTheStream : new boolean[] {true, false}) {
      String path = apiPath + "?resetsTheStream=" + resetsTheStream;
      HTTP2Client h2 = new HTTP2Client();
      h2.start();
      try {
        Session session = connect(h2);
        Stream stream = opening.open(session, path);
        backend.awaitArrival(apiPath, Duration.ofSeconds(20));
        leave(session, stream, resetsTheStream);
      } finally {
        h2.stop();
      }

      int logged = site.container().accessLog().awaitStatus(path, Duration.ofSeconds(20));
      assertTrue(logged < 500, path + " logged " + logged);
      backend.clear();
    }
  }

  private Session connect(HTTP2Client h2) throws Exception {
    return h2.connect(
            new InetSocketAddress("127.0.0.1", site.container().port()), new Session.Listener() {})
        .get(10, TimeUnit.SECONDS);
  }

  private MetaData.Request request(String method, String path, HttpFields fields) {
    return new MetaData.Request(method, HttpURI.from(site.uri(path)), HttpVersion.HTTP_2, fields);
  }

  /** The client leaves: it resets its stream, or its connection just ends (no GOAWAY). */
  private static void leave(Session session, Stream stream, boolean resetsTheStream) {
    if (resetsTheStream) {
      stream.reset(
          new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
    } else {
      ((HTTP2Session) session).getEndPoint().close();
    }
  }
}
