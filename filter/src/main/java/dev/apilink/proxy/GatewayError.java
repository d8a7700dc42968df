package dev.apilink.proxy;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpMethod;

/**
 * The one place where a failed exchange becomes a status and a body in APIM's JSON shape, {@code
 * {"statusCode": N, "message": "..."}}. Messages say what went wrong on which leg; they never
 * contain the gateway's address, a key or a token.
 *
 * @param status the HTTP status sent to the client
 * @param message the {@code message} of the body
 */
public record GatewayError(int status, String message) {

  /**
   * An exchange still running {@link #LAST_RESORT_SECONDS} after its {@code timeoutSeconds}, which
   * should have ended it: the container's async timeout ends it as a last resort.
   */
  public static final class ExchangeOutlived extends TimeoutException {
    private static final long serialVersionUID = 1L;

    /**
     * @param wrapper the class of the response wrapper that never called ApiLink's write listener
     *     back, or null
     */
    public ExchangeOutlived(int timeoutSeconds, String wrapper) {
      super(
          "the exchange had not ended "
              + LAST_RESORT_SECONDS
              + " s after timeoutSeconds ("
              + timeoutSeconds
              + " s); the container's async timeout ended it");
      if (wrapper != null) {
        initCause(new WriteListenerNeverCalled(wrapper));
      }
    }
  }

  /** Why an exchange outlived its limits: the container never called the write listener back. */
  public static final class WriteListenerNeverCalled extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    WriteListenerNeverCalled(String wrapper) {
      super(
          "through "
              + wrapper
              + ", a filter's response wrapper (does it ignore setWriteListener()?)");
    }
  }

  /** How long past {@code timeoutSeconds} the container's async timeout ends an exchange. */
  public static final int LAST_RESORT_SECONDS = 5;

  /**
   * How long an HTTP/2 client may take nothing of a response that waits for it, when no {@code
   * timeoutSeconds} ends the exchange, before ApiLink breaks it off: Tomcat's own default stream
   * write timeout, which Tomcat (10.1.59) applies to blocking writes only.
   */
  public static final int CLIENT_STALL_SECONDS = 20;

  /** An HTTP/2 client took nothing of the response for {@link #CLIENT_STALL_SECONDS}. */
  public static final class ClientStalled extends IOException {
    private static final long serialVersionUID = 1L;

    ClientStalled() {
      super("the client took nothing of the response for " + CLIENT_STALL_SECONDS + " s");
    }
  }

  /** The request body is over {@code maxRequestBodyBytes}. */
  public static final class RequestBodyTooLarge extends IOException {
    private static final long serialVersionUID = 1L;
    final long limitBytes;

    public RequestBodyTooLarge(long limitBytes) {
      super("request body over " + limitBytes + " bytes", null);
      this.limitBytes = limitBytes;
    }
  }

  /**
   * The request body ended before its {@code Content-Length}, or a form body of unknown length
   * ended before its first byte while its parameters hold more than the query's: the container ends
   * a client's body that stops short with a read failure, so the application read it first (a
   * filter before ApiLink that asked for a form's parameters, such as Spring Security's {@code
   * CsrfFilter} for {@code _csrf}).
   */
  public static final class RequestBodyAlreadyRead extends IOException {
    private static final long serialVersionUID = 1L;

    public RequestBodyAlreadyRead(long readBytes, long declaredBytes) {
      // Logged cut at 120 characters: the cause first.
      super(
          "a filter before ApiLink read the body (form parameters?): "
              + (declaredBytes < 0
                  ? "nothing of its chunked body was left"
                  : readBytes + " of its " + declaredBytes + " bytes were left"),
          null);
    }
  }

  /**
   * The gateway's response head is larger than the container sends ({@code
   * maxResponseHeaderBytes}).
   */
  public static final class ResponseHeadersTooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    public ResponseHeadersTooLarge(int headBytes, int containerFieldBytes, int limitBytes) {
      super(
          "a response head of "
              + headBytes
              + " bytes, plus "
              + containerFieldBytes
              + " for the container's own fields, over maxResponseHeaderBytes "
              + limitBytes,
          null);
    }
  }

  /**
   * Every connection that {@code maxConnections} allows is in use and as many requests as may wait
   * for one already wait: Jetty's client refuses the next one with a bare {@link
   * RejectedExecutionException}, before any connection to the gateway.
   */
  static final class GatewayQueueFull extends IOException {
    private static final long serialVersionUID = 1L;

    GatewayQueueFull(int maxConnections, int maxQueued, Throwable refusal) {
      super(
          "maxConnections ("
              + maxConnections
              + ") in use and "
              + maxQueued
              + " requests already waiting for a connection",
          refusal);
    }
  }

  /**
   * The client's connection has {@code maxRequestsPerClientConnection} {@code /api} requests in
   * flight already (HTTP/2): the next one is answered without the gateway.
   */
  static final class ClientConnectionFull extends IOException {
    private static final long serialVersionUID = 1L;

    ClientConnectionFull(int max) {
      super(
          "the client's connection has maxRequestsPerClientConnection ("
              + max
              + ") or more requests to /api in flight",
          null);
    }
  }

  /**
   * The HTTP proxy's {@code 407} to a request it was to pass on to an http gateway (an https
   * gateway's requests go through a tunnel, and the proxy can refuse only its {@code CONNECT}).
   */
  static final class ProxyRefusedRequest extends HttpResponseException {
    private static final long serialVersionUID = 1L;

    ProxyRefusedRequest(Response response) {
      super("the proxy refused to pass the request on", response);
    }
  }

  /** Maps the failure of an exchange whose response has not been committed. */
  public static GatewayError of(Throwable failure, int connectTimeoutSeconds, int timeoutSeconds) {
    return of(failure, connectTimeoutSeconds, timeoutSeconds, unreachable());
  }

  private static GatewayError unreachable() {
    return new GatewayError(502, "Bad gateway: the API gateway could not be reached.");
  }

  /**
   * Maps the failure of an exchange whose request head had reached the gateway, before anything was
   * sent to the client: as {@link #of}, except that a failure of no known kind means the gateway
   * broke off rather than that it could not be reached. A bodiless request sent again after its
   * pooled connection failed may still get no new connection within {@code connectTimeoutSeconds}.
   */
  public static GatewayError ofResponse(
      Throwable failure, int connectTimeoutSeconds, int timeoutSeconds) {
    return of(failure, connectTimeoutSeconds, timeoutSeconds, brokenResponse());
  }

  private static GatewayError of(
      Throwable failure, int connectTimeoutSeconds, int timeoutSeconds, GatewayError otherwise) {
    if (find(failure, GatewayQueueFull.class) != null) {
      return queueFull();
    }
    if (find(failure, ClientConnectionFull.class) != null) {
      return new GatewayError(
          429,
          "Too many requests: this connection has too many requests to the API in flight; wait"
              + " for their answers.");
    }
    if (find(failure, RequestBodyTooLarge.class) instanceof RequestBodyTooLarge tooLarge) {
      return new GatewayError(
          413,
          "Request entity too large: the request body is over the limit of "
              + tooLarge.limitBytes
              + " bytes.");
    }
    if (find(failure, RequestBodyAlreadyRead.class) != null) {
      return new GatewayError(
          500,
          "Internal server error: the site read the request body before ApiLink could forward it.");
    }
    if (find(failure, ResponseHeadersTooLarge.class) != null) {
      return new GatewayError(
          502, "Bad gateway: the API gateway's response headers are too large.");
    }
    if (requestHeadersTooLarge(failure)) {
      // Nothing was sent: the gateway was not unreachable, as this was answered before (found by
      // review with a user of 5,000 roles). The client's own fields fit the container's limit, so
      // ApiLink's, the user's x-ms-client-principal above all, made the difference.
      return new GatewayError(
          431,
          "Request header fields too large: with the fields ApiLink adds for the API gateway (the"
              + " signed-in user's x-ms-client-principal among them), the request's header fields"
              + " are over "
              + GatewayClient.MAX_REQUEST_HEADER_BYTES / 1024
              + " KiB.");
    }
    if (find(failure, UnknownHostException.class) != null) {
      return new GatewayError(502, "Bad gateway: the API gateway's host name does not resolve.");
    }
    if (refusedConnection(failure)) {
      // Even when sent again after a pooled connection failed (a gateway stopped under load: a
      // reviewer's GET got "response broke off", its log line "Connection refused"); and a refused
      // tunnel is not a gateway answer that was not valid HTTP.
      return unreachable();
    }
    if (find(failure, HttpResponseException.class) != null) {
      if (endedEarly(failure)) {
        // The connection closed inside the response head: Jetty's parser reports that as a
        // protocol violation ("200: Early EOF"), but the gateway broke off, as a reviewer found.
        // Bytes of a response came back, so it was reached, even when the failure overtook the
        // notice that the request went out (seen in a suite run under load).
        return brokenResponse();
      }
      // Jetty's client could not parse the response: "HTTP protocol violation: bad response".
      return new GatewayError(502, "Bad gateway: the API gateway's response was not valid HTTP.");
    }
    if (timedOut(failure)) {
      return new GatewayError(
          504,
          "Gateway timeout: the API gateway did not answer within "
              + seconds(timeoutSeconds)
              + ".");
    }
    if (find(failure, SocketTimeoutException.class) != null) {
      return new GatewayError(
          504,
          "Gateway timeout: no connection to the API gateway within "
              + seconds(connectTimeoutSeconds)
              + ".");
    }
    return otherwise;
  }

  /**
   * The HTTP proxy's refusal, when that is why {@code failure} happened: its answer to the {@code
   * CONNECT} that would have opened a tunnel to the gateway, or its {@code 407} to an http
   * gateway's request; else null.
   */
  static Response proxyRefusal(Throwable failure) {
    if (find(failure, HttpResponseException.class) instanceof HttpResponseException refused
        && refused.getResponse() != null
        && (refused instanceof ProxyRefusedRequest
            || HttpMethod.CONNECT.is(refused.getResponse().getRequest().getMethod()))) {
      return refused.getResponse();
    }
    return null;
  }

  /**
   * Whether {@code failure} is that no connection to the gateway could be opened (refused, a host
   * that does not resolve, the connect limit, a proxy that refused the tunnel, a failed TLS
   * handshake), or that a time limit ran out: the failures after which sending a request again
   * would not help. A GET to a gateway whose certificate is not trusted was sent again, through a
   * second handshake that failed the same way.
   */
  static boolean openedNoConnectionOrTimedOut(Throwable failure) {
    return refusedConnection(failure)
        || find(failure, RejectedExecutionException.class) != null
        || find(failure, UnknownHostException.class) != null
        || find(failure, SSLHandshakeException.class) != null
        || isTimeout(failure);
  }

  /**
   * Whether Jetty's client refused to send a request whose head is over {@link
   * GatewayClient#MAX_REQUEST_HEADER_BYTES}: an {@link IllegalArgumentException} of this message
   * from {@code HttpSenderOverHTTP}, before any byte of it left (Jetty 12.1).
   */
  static boolean requestHeadersTooLarge(Throwable failure) {
    return find(failure, IllegalArgumentException.class) instanceof IllegalArgumentException refused
        && "Request headers too large".equals(refused.getMessage());
  }

  /**
   * Whether the gateway, or the HTTP proxy that the JVM's settings name, refused the connection:
   * refused outright, or the proxy answered the {@code CONNECT} with an error (407 for credentials,
   * 403 for a host it does not allow), or an http gateway's request with 407.
   */
  private static boolean refusedConnection(Throwable failure) {
    return find(failure, ConnectException.class) != null || proxyRefusal(failure) != null;
  }

  private static String seconds(int count) {
    return count == 1 ? "1 second" : count + " seconds";
  }

  /**
   * A TRACE or CONNECT request, in any case: never forwarded with the key and the token, which a
   * TRACE's echo would hand to the client (RFC 9110 9.3.8).
   */
  public static GatewayError methodNotForwarded() {
    return new GatewayError(
        405,
        "Method not allowed: ApiLink does not forward TRACE or CONNECT requests to the API"
            + " gateway.");
  }

  /**
   * HEAD spelled otherwise than upper case ({@link GatewayTarget#isHeadNotUpperCase}): the gateway
   * would answer it as HEAD, without the body that the container's answer to it must have.
   */
  public static GatewayError headNotUpperCase() {
    return new GatewayError(
        501,
        "Not implemented: ApiLink forwards HEAD requests only spelled in upper case, as the API"
            + " gateway reads any other spelling as HEAD.");
  }

  /**
   * A request other than {@code GET} or {@code HEAD} for the discovery document or the JWKS, which
   * the gateway's {@code validate-jwt} only reads.
   */
  public static GatewayError wellKnownMethodNotAllowed() {
    return new GatewayError(
        405, "Method not allowed: the site's discovery documents answer GET and HEAD only.");
  }

  /** A {@code Content-Length} that is not one number the container can read. */
  public static GatewayError invalidContentLength() {
    return new GatewayError(400, "Bad request: the Content-Length is not one valid number.");
  }

  /** An {@code /api} path that leaves {@code /api} once decoded ({@link GatewayTarget}). */
  public static GatewayError pathLeavesApi() {
    return new GatewayError(400, "Bad request: the path leaves /api once decoded.");
  }

  /**
   * Too many requests for the gateway at once: {@code maxConnections} in use and the queue for them
   * full. The gateway was never asked, so this is not its failure (RFC 9110 15.6.4: a temporary
   * overload of the server that answers).
   */
  public static GatewayError queueFull() {
    return new GatewayError(
        503, "Service unavailable: too many requests are waiting for the API gateway; try again.");
  }

  /** The web application stopped (undeployed, reloaded, or its container stopping) mid-exchange. */
  public static GatewayError siteStopping() {
    return new GatewayError(503, "Service unavailable: the site is stopping; try again.");
  }

  /** The container reads {@code /api} in a path that the client spelled otherwise. */
  public static GatewayError pathNotPlain() {
    return new GatewayError(
        400,
        "Bad request: the path reaches /api only once normalized; send it without dot-segments,"
            + " doubled slashes, encoded characters or parameters before /api.");
  }

  /** The client's request body did not arrive whole within {@code timeoutSeconds}. */
  public static GatewayError requestBodyTimeout(int timeoutSeconds) {
    return new GatewayError(
        408,
        "Request timeout: the request body did not arrive within " + seconds(timeoutSeconds) + ".");
  }

  /**
   * The client stopped sending its request body, and the container's read timeout ran out before
   * {@code timeoutSeconds} did.
   */
  public static GatewayError requestBodyStalled() {
    return new GatewayError(408, "Request timeout: the request body stopped arriving.");
  }

  /**
   * Whether {@code failure} is a time limit that ran out: for a failure to read the client's body,
   * the container's read timeout.
   */
  static boolean isTimeout(Throwable failure) {
    return find(failure, SocketTimeoutException.class) != null || timedOut(failure);
  }

  /**
   * Whether {@code failure} is the exchange's {@code timeoutSeconds} running out: Jetty's client
   * fails a request past its total timeout with a {@link TimeoutException}, anywhere in the chain.
   * Not a connect or read timeout ({@link SocketTimeoutException}); {@link #isTimeout} takes both.
   */
  static boolean timedOut(Throwable failure) {
    return find(failure, TimeoutException.class) != null;
  }

  /**
   * The name of the container's Jetty {@code EofException}, put together at run time: the drop-in
   * JAR's relocation rewrites every string constant that names a Jetty class, and a literal named
   * the relocated client's own class there, which the container never throws (found on the Jetty
   * 12.1.12 distribution; the embedded tests run the classes unrelocated).
   */
  private static final String CONTAINERS_JETTY_EOF =
      String.join(".", "org", "eclipse", "jetty", "io", "EofException");

  /**
   * Whether reading the client's body failed because the container closed the connection itself,
   * not the client: Jetty closes every connection as the server stops, and fails a body still on
   * its way with a bare {@code org.eclipse.jetty.io.EofException}, where a client that closes or
   * resets gives its subclass {@code HttpEofException} ("Early EOF"). Told by name: the class is
   * the container's, not the relocated copy in ApiLink's JAR.
   */
  static boolean closedByTheContainer(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getClass().getName().equals(CONTAINERS_JETTY_EOF)) {
        return true;
      }
    }
    return false;
  }

  /**
   * A request that the container does not let ApiLink serve asynchronously: a servlet or filter
   * before it is not async-supported, a deployment mistake that the log names. The client is told
   * only that the site cannot forward it.
   */
  public static GatewayError notAsyncSupported() {
    return new GatewayError(
        500,
        "Internal server error: the site is not set up to forward this request to the API"
            + " gateway.");
  }

  /**
   * A signed-in user whose principal has no name ({@code getName()} null): no {@code
   * x-ms-client-principal} can tell the API who it is. The log names the principal's class.
   */
  public static GatewayError namelessUser() {
    return new GatewayError(
        500, "Internal server error: the signed-in user has no name to send to the API gateway.");
  }

  /**
   * The gateway answered, but its answer could not be put into the client's response: this server
   * failed (a class its container could not load, memory), not the gateway nor the client.
   */
  public static GatewayError answerNotPassedOn() {
    return new GatewayError(
        500, "Internal server error: the API gateway's answer could not be passed on.");
  }

  /** The client's request body could not be read: cut off, or malformed (a bad chunk). */
  public static GatewayError unreadableRequestBody() {
    return new GatewayError(400, "Bad request: the request body could not be read.");
  }

  /** A gateway that broke off before its response headers were complete. */
  public static GatewayError brokenResponse() {
    return new GatewayError(502, "Bad gateway: the API gateway's response broke off.");
  }

  /** The body: {@code {"statusCode": N, "message": "..."}}. */
  public byte[] body() {
    return ("{\"statusCode\": " + status + ", \"message\": \"" + jsonEscape(message) + "\"}")
        .getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Sets the client's status, the JSON content type and length, and writes {@link #body()}: every
   * answer of ApiLink's own goes out this way, so that none drifts from the shape APIM uses.
   */
  public void send(HttpServletResponse clientResponse) throws IOException {
    byte[] body = body();
    clientResponse.setStatus(status);
    // Not for caches, whatever a filter before ApiLink set for /api: a CDN that kept a 502 under a
    // filter's "public, max-age=3600" served it for an hour after the gateway was back.
    clientResponse.setHeader("Cache-Control", "no-store");
    clientResponse.setContentType("application/json; charset=utf-8");
    clientResponse.setContentLength(body.length);
    clientResponse.getOutputStream().write(body);
  }

  /** Whether Jetty's parser reported the connection closing inside the response head. */
  private static boolean endedEarly(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t.getMessage() != null && t.getMessage().endsWith("Early EOF")) {
        return true;
      }
    }
    return false;
  }

  /** The first throwable of {@code type} in the cause chain of {@code failure}, or null. */
  static Throwable find(Throwable failure, Class<? extends Throwable> type) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return t;
      }
    }
    return null;
  }

  private static String jsonEscape(String text) {
    StringBuilder escaped = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> escaped.append("\\\"");
        case '\\' -> escaped.append("\\\\");
        default -> {
          if (c < 0x20) {
            escaped.append(String.format("\\u%04x", (int) c));
          } else {
            escaped.append(c);
          }
        }
      }
    }
    return escaped.toString();
  }
}
