package dev.apilink.it;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;

/**
 * An answer as an HTTP/2 client (Jetty's low-level {@code HTTP2Client}) saw it on one stream: its
 * status (0 if none came), its head (null if none), the body received, and how the stream ended:
 * {@link #ENDED}, or how it failed (a reset, or the client's own refusal of a malformed response).
 *
 * @param end {@link #ENDED}, {@code "reset by the server: <error>"} or {@code "failed: <error>
 *     <cause>"}
 */
record Http2Answer(int status, HttpFields head, byte[] body, String end) {

  static final String ENDED = "ended";

  /** The fields RFC 9113 8.2.2 forbids in an HTTP/2 message (a malformed response otherwise). */
  static final List<String> CONNECTION_SPECIFIC =
      List.of("connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade");

  /** Whether the stream ended cleanly (END_STREAM), rather than by a reset or a failure. */
  boolean ended() {
    return end.equals(ENDED);
  }

  String text() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The head's connection-specific fields, which an HTTP/2 response must not carry. */
  List<String> connectionSpecificFields() {
    return head == null
        ? List.of()
        : head.stream()
            .filter(f -> CONNECTION_SPECIFIC.contains(f.getLowerCaseName()))
            .map(HttpField::toString)
            .toList();
  }

  @Override
  public String toString() {
    return "Http2Answer[status="
        + status
        + ", end="
        + end
        + ", head="
        + head
        + ", "
        + body.length
        + " bytes: "
        + (body.length > 300 ? text().substring(0, 300) + "…" : text())
        + "]";
  }

  /** A listener for a new stream that completes {@code answer} once the stream ends, either way. */
  static Stream.Listener collecting(CompletableFuture<Http2Answer> answer) {
    return collecting(answer, new ByteArrayOutputStream());
  }

  /**
   * As {@link #collecting(CompletableFuture)}, writing each chunk of the body to {@code soFar} as
   * it arrives (under its lock), for a test that reads a stream before it ends: an event stream.
   */
  static Stream.Listener collecting(
      CompletableFuture<Http2Answer> answer, ByteArrayOutputStream soFar) {
    return new Stream.Listener() {
      private final ByteArrayOutputStream received = soFar;
      private int status;
      private HttpFields head;

      @Override
      public void onHeaders(Stream stream, HeadersFrame frame) {
        if (frame.getMetaData() instanceof MetaData.Response response) {
          status = response.getStatus();
          head = response.getHttpFields();
        }
        if (frame.isEndStream()) {
          complete(ENDED);
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
        boolean last = data.frame().isEndStream();
        data.release();
        synchronized (received) {
          received.writeBytes(chunk);
        }
        if (last) {
          complete(ENDED);
        } else {
          stream.demand();
        }
      }

      @Override
      public void onReset(Stream stream, ResetFrame frame, Callback callback) {
        complete("reset by the server: " + ErrorCode.toString(frame.getError(), ""));
        callback.succeeded();
      }

      @Override
      public void onFailure(
          Stream stream, int error, String reason, Throwable cause, Callback callback) {
        complete("failed: " + ErrorCode.toString(error, "") + " " + cause);
        callback.succeeded();
      }

      private void complete(String end) {
        byte[] body;
        synchronized (received) {
          body = received.toByteArray();
        }
        answer.complete(new Http2Answer(status, head, body, end));
      }
    };
  }
}
