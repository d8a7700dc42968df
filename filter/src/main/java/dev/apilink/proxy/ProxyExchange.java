package dev.apilink.proxy;

import dev.apilink.config.BackendConfig;
import dev.apilink.config.Loggers;
import dev.apilink.proxy.GatewayError.ClientConnectionFull;
import dev.apilink.proxy.GatewayError.ClientStalled;
import dev.apilink.proxy.GatewayError.RequestBodyAlreadyRead;
import dev.apilink.proxy.GatewayError.RequestBodyTooLarge;
import dev.apilink.proxy.GatewayError.ResponseHeadersTooLarge;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletResponseWrapper;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.IO;
import org.eclipse.jetty.util.IteratingCallback;

/**
 * One {@code /api} request on its way to the gateway and its answer on the way back.
 *
 * <p>No container thread waits: the exchange runs in Servlet async mode with non-blocking reads and
 * writes on the client side ({@code clientRequest}, {@code clientResponse}) and Jetty's
 * non-blocking client on the gateway side ({@code proxyRequest}, {@code gatewayResponse}). Bodies
 * stream both ways with back-pressure: a chunk is read from one side only when the other side has
 * taken the previous one, so memory per exchange is one buffer, whatever the body's size.
 *
 * <p>Failures end here: before anything was sent to the client they become a JSON error ({@link
 * GatewayError}); after, the client's response is broken off, never completed as if whole.
 */
final class ProxyExchange implements AsyncListener {

  /** The request attribute that asks the filter to abort the client's connection. */
  static final String ABORT_ATTRIBUTE = "dev.apilink.proxy.abort";

  private static final Logger LOG = Loggers.named("dev.apilink.proxy");

  private static final int BUFFER_BYTES = 16 * 1024;

  /** {@code Via} for the usual HTTP/1.1 client, built once rather than per request. */
  private static final String VIA_HTTP_11 = "1.1 apilink";

  private static final String VARY = "Vary";

  private static final String FORM = "application/x-www-form-urlencoded";

  /** The scheme of API Management's challenge in its 401 to a missing or refused key. */
  private static final String APIM_KEY_CHALLENGE = "AzureApiManagementKey";

  /** How a 401 of API Management to the subscription key is logged and counted. */
  private static final String KEY_REFUSED = "answered 401 by the gateway to the subscription key";

  /**
   * How far apart the gateway's clock and this machine's may be before a 401 says so: the {@code
   * clock-skew} of the policy that the link command prints.
   */
  private static final long CLOCKS_APART_SECONDS = 60;

  /** How a 401 of a gateway whose clock is far from this machine's is logged and counted. */
  private static final String CLOCKS_APART =
      "answered 401 by the gateway, whose clock differs from this machine's by more than "
          + CLOCKS_APART_SECONDS
          + " s";

  /** The methods that may be sent again (RFC 9110 9.2.2), when they carry no body. */
  private static final Set<String> IDEMPOTENT =
      Set.of("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE");

  /**
   * The tag of a request sent again: Jetty's client keeps a pool of connections per tag, so the
   * retry finds none of the pooled connections to the gateway and opens one of its own.
   */
  private static final String RETRY_TAG = "apilink-retry";

  /**
   * Methods taken to have no body when nothing frames one: browsers send none with them, and an
   * HTTP/2 GET of unknown length is almost always one whose stream ended with its headers.
   */
  private static final Set<String> BODILESS = Set.of("GET", "HEAD");

  /** Why the container's async timeout ended an exchange that had not outlived its limit. */
  private static final String STOPPING_CANCELLATION = "the web application is stopping";

  /** How long a container thread waits for a gateway thread to leave the client's response. */
  private static final long CLIENT_LOCK_WAIT_SECONDS = 5;

  private final Link link;
  private final HttpServletRequest clientRequest;
  private final HttpServletResponse clientResponse;

  /** The container's session cookie's name, read once on the container's thread; or null. */
  private final String sessionCookie;

  /**
   * The client's request method, read once on the container's thread: the exchange ends on gateway
   * threads, when the container may have recycled the request (whose methods then throw).
   */
  private final String method;

  private final boolean head; // whether method is HEAD

  /**
   * The user's {@code x-ms-client-principal} (null for none) and whether the container signed the
   * user in with the client's {@code Authorization}, read once on the container's thread: a retry
   * is built on a gateway thread, where a security filter that keeps the user in a thread-local
   * (Spring Security's {@code SecurityContextHolder}) no longer knows it.
   */
  private final String clientPrincipal;

  private final boolean containersCredentials;

  /** Whether the client speaks HTTP/1.x (not HTTP/2 or 3), read once for the same reason. */
  private final boolean http1;

  private final AtomicBoolean ended = new AtomicBoolean();

  /** Set once the container is to call this exchange back: {@link #start}'s thread only. */
  private boolean listening;

  /** The client connection on which {@link ClientConnections} counts this exchange, or null. */
  private volatile String clientConnection;

  /**
   * Held by whoever touches the client's request, response or AsyncContext: a gateway thread while
   * it reads, writes or completes, a container thread while it handles the client's failure. Tomcat
   * 10.1 hands a request's buffers and connector request to the next connection as soon as its own
   * error handling returns; a read, write or complete() still under way on a gateway thread then
   * lands on that next connection (seen in the battery as another client's response cut off, or
   * failed with the first client's reset). Holding this lock in the container's error callbacks
   * keeps that handling from returning while a gateway thread is inside; {@link #clientClosed}
   * keeps any from entering afterwards.
   */
  private final ReentrantLock clientLock = new ReentrantLock();

  private boolean clientClosed; // guarded by clientLock: the exchange has ended the client's side
  private boolean unreadableBodyAnswerDeferred; // guarded by clientLock
  // The gateway's status and headers are in the client's response, maybe not yet sent.
  private boolean gatewayAnswerBegun; // guarded by clientLock
  // The gateway's answer is whole: its body, if any, ended and written.
  private boolean gatewayAnswerWhole; // guarded by clientLock
  // The container reported a failure of the client's exchange itself, not only of its request body
  // (a reset, a failed write): no onWritePossible() is coming.
  private volatile boolean clientExchangeFailed;
  // The container's AsyncListener.onError: see notASuccessIfSentAfterAll().
  private volatile boolean failedByTheContainer;
  private volatile boolean ownAnswerWritten; // one of ApiLink's errors is in the response

  /** The gateway's status counted as passed on to the client; 0 when none is. */
  private volatile int countedGatewayStatus;

  // No AtomicInteger per exchange for it: one field, taken back once (gatewayAnswerNotPassedOn).
  private static final AtomicIntegerFieldUpdater<ProxyExchange> COUNTED_GATEWAY_STATUS =
      AtomicIntegerFieldUpdater.newUpdater(ProxyExchange.class, "countedGatewayStatus");

  private AsyncContext async;
  private volatile Request proxyRequest; // the attempt under way
  private long startNanos;
  private boolean retried; // set by the thread that completes the first attempt
  private volatile RequestBody requestBody; // null when the request has no body
  private volatile ResponseBody responseBody;
  private final ClientOutput clientOutput = new ClientOutput();
  private volatile boolean clientFailed;
  private volatile boolean requestBodyFailed;
  private volatile boolean requestBodyStalled; // the container gave up waiting for more of it
  private volatile Throwable requestBodyFailure; // why reading the client's body failed, if it did
  private volatile boolean requestBodyClosedByContainer; // as the server stops, not by the client
  private volatile boolean gatewayReached; // the request head was written to the gateway

  ProxyExchange(Link link, HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    this.link = link;
    this.clientRequest = clientRequest;
    this.clientResponse = clientResponse;
    this.sessionCookie = GatewayTarget.sessionCookie(clientRequest);
    this.method = clientRequest.getMethod();
    this.head = method.equals("HEAD");
    this.http1 = clientRequest.getProtocol().startsWith("HTTP/1");
    this.clientPrincipal =
        ClientPrincipal.of(clientRequest, link.identityProvider(), link.customRoles());
    this.containersCredentials = containersCredentials();
  }

  /**
   * The classes, with their nested classes, that {@link #preloadClasses} loads: those that end an
   * exchange with a failure and that a successful exchange does not load, and the exchange's own,
   * such as its request body's, which a site's first request with a body loads.
   */
  private static final List<Class<?>> PRELOADED =
      List.of(
          GatewayError.class,
          FailureLog.class,
          UnreadBody.class,
          HandshakeLimitedConnector.class,
          ProxyExchange.class,
          // Jetty's client closes a connection it could not open with it.
          IO.class);

  /**
   * Loads and initialises, now, the classes that an exchange and its failures need, so that no
   * failure waits for the container to read one from ApiLink's JAR. With no file descriptor left
   * the JAR cannot be opened (Tomcat closes a web application's JARs once unused, and reopens them
   * to load a class): Tomcat 11.0.24 threw {@code IllegalStateException: FileNotFoundException:
   * .../apilink-filter-0.1.0-all.jar (Too many open files)} from inside Jetty's client, which
   * dropped it, first as it closed the connection it could not open, then as it told the exchange
   * of its timeout: the client got no answer, not even a 504, and the exchange stayed in flight for
   * ever. The site's first request with a body got an empty 503 (its request body's class unread),
   * and, that class loaded, no answer (Jetty's failure chunk unread). Found with {@code prlimit}
   * ({@code NoFileDescriptorLeftOnTomcat11IT}).
   */
  static void preloadClasses() {
    PRELOADED.forEach(ProxyExchange::initialize);
    // A request body fails as the request does: Jetty makes the failure into a chunk of a class of
    // its own, anonymous, loaded by failing one here.
    AsyncRequestContent body = new AsyncRequestContent();
    body.fail(new IOException("the gateway request failed"));
    body.read();
  }

  /** Loads and initialises {@code type} and its nested classes. */
  private static void initialize(Class<?> type) {
    try {
      Class.forName(type.getName(), true, type.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException(e); // loaded already: it is found
    }
    for (Class<?> nested : type.getDeclaredClasses()) {
      initialize(nested);
    }
  }

  /**
   * Starts the exchange. Anything thrown before the container is to call this exchange back (its
   * AsyncListener added) ends the exchange here, since nothing else would: it stayed in flight for
   * ever, a retired link waiting for it never closed, and its client connection stayed counted (a
   * reviewer's HTTP/2 requests with {@code content-length: abc} on Tomcat 10.1.59 and 11.0.24).
   */
  void start() {
    try {
      begin();
    } catch (RuntimeException | Error e) {
      if (!listening) {
        ended();
      }
      throw e;
    }
  }

  private void begin() {
    if (!http1 && !countedOnClientConnection()) {
      return;
    }
    BackendConfig backend = link.backend();
    // A body framed by Transfer-Encoding has no length, whatever Content-Length claims (RFC 9112
    // 6.3): forwarding both, or the claimed length, is how requests get smuggled.
    boolean transferCoded = clientRequest.getHeader("Transfer-Encoding") != null;
    long declaredLength;
    try {
      declaredLength = transferCoded ? -1 : clientRequest.getContentLengthLong();
    } catch (IllegalArgumentException e) {
      // Tomcat refuses such a request itself over HTTP/1.1; over HTTP/2 it passes on a
      // Content-Length that is not one number (abc, two values, past a long) and throws here.
      closeConnectionAfterAnswer();
      sendErrorBlocking(GatewayError.invalidContentLength());
      ended();
      return;
    }
    long maxBodyBytes = backend.maxRequestBodyBytes();
    if (maxBodyBytes > 0 && declaredLength > maxBodyBytes) {
      // Refused before anything is read; the unread body makes the connection unusable.
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      sendErrorBlocking(GatewayError.of(new RequestBodyTooLarge(maxBodyBytes), 0, 0));
      ended();
      return;
    }
    boolean hasBody =
        declaredLength > 0
            || transferCoded
            || unframedBody(declaredLength)
            || decodedByContainer(declaredLength);

    startNanos = System.nanoTime();
    async = clientRequest.startAsync();
    // The gateway's limits apply, not the container's default; past them, a last resort.
    int timeoutSeconds = backend.timeoutSeconds();
    async.setTimeout(
        timeoutSeconds == 0
            ? 0
            : TimeUnit.SECONDS.toMillis(timeoutSeconds + GatewayError.LAST_RESORT_SECONDS));
    async.addListener(this); // onComplete() (or a break-off) ends the exchange for the link
    listening = true;
    try {
      // Here, on the container's thread. Set on a gateway thread, Tomcat 10.1 runs the first
      // onWritePossible() inline on that thread; when the client resets its connection meanwhile,
      // that inline run and the container's own handling of the reset race, and the next
      // connection served by the same processor is closed mid-response.
      if (head) {
        // A HEAD's answer has no body: its head and an error's are written in blocking mode. Over
        // HTTP/2, Tomcat (10.1.59, 11.0.24) ends a HEAD's stream with an empty DATA frame as soon
        // as a write listener is set, before the head is sent: the client dropped the stream
        // (Jetty's) or the whole connection (curl, nghttp).
        clientOutput.withoutListener();
      } else {
        ServletOutputStream output;
        try {
          output = clientResponse.getOutputStream();
        } catch (IllegalStateException e) {
          // The Servlet API refuses the output stream once the writer was taken: a filter before
          // ApiLink did. Completed with nothing written, that was an empty 200 for a request the
          // gateway never saw.
          refuse(
              "answered 500, the response's writer taken before ApiLink",
              "a filter before ApiLink took the response's writer ("
                  + e
                  + "); map that filter away from /api/*, or have it leave the response alone",
              e,
              true);
          return;
        }
        output.setWriteListener(clientOutput);
      }
    } catch (IOException | RuntimeException e) {
      clientFailed = true;
      if (e instanceof RuntimeException && clientResponse instanceof ServletResponseWrapper) {
        refuseForTheWrapper(e);
        return;
      }
      endAfterClientFailure();
      return;
    }

    proxyRequest = newProxyRequest(backend);
    if (hasBody) {
      requestBody = new RequestBody(declaredLength, maxBodyBytes);
      proxyRequest.body(requestBody.content);
      if (declaredLength < 0) {
        // Jetty's client frames a body of unknown length as chunked only for POST and PUT: for
        // PATCH, DELETE or OPTIONS it announces no body, then writes the body anyway, where the
        // gateway reads it as the next request on the connection (another client's request
        // smuggled behind it). Asked for explicitly, chunked framing applies to any method.
        proxyRequest.headers(fields -> fields.put(HttpHeader.TRANSFER_ENCODING, "chunked"));
      }
      // Before the request is sent, so that a body that cannot be read without a thread sends
      // nothing to the gateway.
      try {
        ServletInputStream input;
        try {
          input = clientRequest.getInputStream();
        } catch (IllegalStateException e) {
          // The Servlet API refuses the input stream once the reader was taken: a filter before
          // ApiLink did, and may have read the body. The client was answered 400, as if its body
          // could not be read (found by review).
          refuseWhenWritable(
              "answered 500, the request's reader taken before ApiLink",
              "a filter before ApiLink took the request's reader ("
                  + e
                  + "); map that filter away from /api/*, or have it leave the body alone",
              e);
          return;
        }
        input.setReadListener(requestBody);
      } catch (UnsupportedOperationException | LinkageError e) {
        // A filter's request wrapper whose input stream was written before Servlet 3.1: it refuses
        // the listener, or lacks the method (AbstractMethodError). The client was answered 400 for
        // a body that could not be read, or, the error thrown out of the filter, the container's
        // 503, and the request had been sent to the gateway already (found by review).
        refuseForTheRequestWrapper(e);
        return;
      } catch (IOException | RuntimeException e) {
        // The container looks at the body here: a first AJP body packet over Tomcat's packetSize
        // fails it (IllegalArgumentException). The client's body, not the gateway: it was answered
        // 502 and counted as the gateway's failure. The aborted request fails as it is sent.
        bodyFailed(e);
        abortProxyRequest(e);
      }
    }
    send(proxyRequest);
  }

  /**
   * Counts this exchange on its client connection, one that carries several at once (HTTP/2); or,
   * when that has {@code maxRequestsPerClientConnection} in flight already, answers 429 and ends
   * it. A stream that the container resets itself, for a body longer than its {@code
   * Content-Length}, is never told to the application (Tomcat 10.1.59, Jetty 12.1.14): its exchange
   * keeps a gateway connection until {@code timeoutSeconds}. Jetty lets the client open new streams
   * in place of those without end: a reviewer's one connection held 164 gateway connections within
   * 5 s. Bounded here, a connection holds about what its streams could hold by sending their
   * uploads slowly, which the container's stream limit bounds.
   *
   * @return whether the exchange goes on
   */
  private boolean countedOnClientConnection() {
    String connection;
    try {
      connection = clientRequest.getServletConnection().getConnectionId();
    } catch (RuntimeException | LinkageError e) {
      // A request wrapper written for an older Servlet API: the exchange goes on, not counted.
      LOG.log(Level.FINE, "ApiLink: the request does not tell its connection", e);
      return true;
    }
    if (connection == null) {
      return true; // the API says never null; a wrapper's may be
    }
    int max = link.backend().maxRequestsPerClientConnection();
    if (link.clientConnections().enter(connection, max)) {
      clientConnection = connection;
      return true;
    }
    ClientConnectionFull full = new ClientConnectionFull(max);
    log(429, full);
    sendErrorBlocking(GatewayError.of(full, 0, 0));
    ended();
    return false;
  }

  /**
   * The method as the gateway gets it: Jetty's client writes it upper case, so that a client's
   * {@code get} is a GET there, and is judged as one for its body and a retry (a lower-case {@code
   * get} over HTTP/2 went out on Jetty with an empty chunked body; found by review h38k).
   */
  private String gatewayMethod() {
    return method.toUpperCase(Locale.ROOT);
  }

  /**
   * Whether the request has a body that neither {@code Content-Length} nor chunked coding frames:
   * HTTP/2 (and 3) end a body with its last frame, and need neither (curl {@code -T -}, a {@code
   * fetch()} stream). It has one unless the stream has already ended. A reviewer's such uploads
   * reached the gateway as empty requests, answered 200. HTTP/1.x has no such body. Jetty does not
   * tell whether the stream has ended before the body is read: there a request without one, but for
   * a GET or HEAD, goes to the gateway with an empty chunked body.
   */
  private boolean unframedBody(long declaredLength) {
    if (declaredLength >= 0 || http1 || BODILESS.contains(gatewayMethod())) {
      return false;
    }
    try {
      return !clientRequest.getInputStream().isFinished();
    } catch (IOException | RuntimeException e) {
      return true; // read it, and let its failure end the exchange as a body's failure does
    }
  }

  /**
   * Whether the container decoded the body before ApiLink, and took its length away: Jetty's
   * compression (the {@code compression-gzip} module of 12.1, which decodes gzip request bodies by
   * default; the older {@code gzip} module with {@code inflateBufferSize}) renames the client's
   * {@code Content-Length} to {@code X-Content-Length}, and its {@code Content-Encoding} to {@code
   * X-Content-Encoding}. The decoded body, of unknown length, goes to the gateway chunked. Taken
   * for a request without a body, it reached the gateway as an empty POST, and the client had the
   * gateway's 200 for it (a reviewer's gzip upload on Jetty 12.1.12). Both renamed fields, as Jetty
   * sets them: a client's own {@code X-Content-Length} on a bodiless GET made it a request with a
   * body, sent chunked and never sent again after a pooled connection failed (found by review).
   */
  private boolean decodedByContainer(long declaredLength) {
    // Asked only without Transfer-Encoding, where a declared length of -1 means no Content-Length.
    return declaredLength < 0
        && clientRequest.getHeader("X-Content-Length") != null
        && clientRequest.getHeader("X-Content-Encoding") != null;
  }

  private void send(Request request) {
    proxyRequest = request;
    if (link.client().sendsRequestsToProxy()) {
      request.onResponseHeaders(ProxyExchange::abortIfRefusedByProxy);
    }
    request.onResponseHeaders(ProxyExchange::abortIfTransferCoded);
    request
        .onRequestBegin(this::withTheCurrentToken)
        .onRequestCommit(r -> gatewayReached = true)
        // An answer that began proves it too: the commit is notified after the write completes,
        // and a gateway that answers and closes at once can overtake that notification (a suite
        // run's "could not be reached" for a response head cut after its status line).
        .onResponseBegin(r -> gatewayReached = true)
        .onResponseContentSource(this::onGatewayContent)
        .send(this::onGatewayComplete);
  }

  /**
   * The request with the token current as it goes out, rather than when it was built: it may wait
   * for one of {@code maxConnections} connections, and for that connection to open, as long as
   * {@code timeoutSeconds} allows. A 30 s token taken before a 33 s wait reached the gateway past
   * its {@code exp}, which the gateway's validate-jwt refuses (found by review). Jetty's client
   * writes the request's fields after this listener.
   */
  private void withTheCurrentToken(Request request) {
    HttpField token = link.tokenGatewayField();
    // The same field object while the token is unchanged: most requests replace nothing, and make
    // no lambda for it either.
    if (request.getHeaders().getField(token.getName()) != token) {
      request.headers(fields -> fields.put(token));
    }
  }

  /**
   * An http gateway's request goes to the HTTP proxy as it is, and a {@code 407} for credentials is
   * the proxy's, not the gateway's: passed on, it reached the client as if the gateway had answered
   * it, and nothing was logged (review T).
   */
  private static void abortIfRefusedByProxy(Response response) {
    if (response.getStatus() == HttpStatus.PROXY_AUTHENTICATION_REQUIRED_407) {
      response.abort(new GatewayError.ProxyRefusedRequest(response));
    }
  }

  /**
   * A transfer coding other than chunked (RFC 9112 7) is one ApiLink never offered (it forwards no
   * {@code TE}) and Jetty's client does not decode, and {@code Transfer-Encoding} is hop-by-hop:
   * passed on, the client got the coded bytes as the content itself (a gateway's {@code gzip,
   * chunked} reached it as gzip bytes under {@code Content-Type: text/plain}). Not valid HTTP.
   */
  private static void abortIfTransferCoded(Response response) {
    if (!response.getHeaders().contains(HttpHeader.TRANSFER_ENCODING)) {
      return; // most answers: no list of codings made
    }
    for (String coding : response.getHeaders().getCSV(HttpHeader.TRANSFER_ENCODING, false)) {
      if (!coding.equalsIgnoreCase("chunked")) {
        response.abort(
            new HttpResponseException(
                "the gateway's response has the transfer coding " + coding + ", not decoded",
                response));
        return;
      }
    }
  }

  /**
   * Whether a failed attempt is sent once more, on another connection: only a request without a
   * body (nothing to replay) whose method is idempotent (RFC 9110 9.2.2: sending it twice does no
   * harm), that got no answer on a connection that was open, and only once, within {@code
   * timeoutSeconds}. That is the race of a pooled connection the gateway closed just as ApiLink
   * sent on it (an idle limit, or a close after an early answer), which otherwise failed a request
   * that did nothing wrong with a 502. A connection that could not be opened is not retried.
   */
  private boolean mayRetry(Result result) {
    Throwable failure = result.getFailure();
    return !retried
        && requestBody == null
        && !clientFailed
        && result.getResponse().getStatus() == 0
        && IDEMPOTENT.contains(gatewayMethod())
        // onRequestCommit does not tell whether a connection was open: the failure of a closed
        // pooled connection can come before it.
        && !GatewayError.openedNoConnectionOrTimedOut(failure)
        && remainingMillis() > 0;
  }

  private void retry(Throwable failure) {
    retried = true;
    // gatewayReached stays: the first attempt failed on an open connection, so if this one fails
    // too the answer is that the gateway's response broke off (its failure can come before its own
    // onRequestCommit, as the first one's could).
    LOG.log(
        Level.FINE, "ApiLink: the gateway connection failed unanswered; sending again", failure);
    Request request;
    clientLock.lock(); // this is a gateway thread, and the next request is built from the client's
    try {
      // The client may have left since mayRetry(): the container then aborted the first attempt,
      // not this one, and may have recycled the request (review B: Jetty's client logged the
      // facade's IllegalStateException; a request not yet recycled went out for nobody).
      if (clientFailed || clientClosed) {
        return;
      }
      request = newProxyRequest(link.backend());
      // On a new connection, not on another pooled one: a gateway that closed one pooled
      // connection as it was reused (a restart, an idle limit) has most likely closed the others
      // idle beside it too, and the one retry (RFC 9110 9.2.2: none after a failed retry) went to
      // one of those: a 502 (review h40s, two pooled connections closed at reuse, Tomcat and
      // Jetty). Closed after its answer, so that no connection idles in the retries' own pool.
      request.tag(RETRY_TAG).headers(fields -> fields.put(HttpHeader.CONNECTION, "close"));
      if (link.backend().timeoutSeconds() > 0) {
        // At least 1 ms: the time left may have run out since mayRetry(), and Jetty takes a
        // timeout of 0 or less as none (a reviewer's reading: the retry would have run to the
        // last resort, 5 s past timeoutSeconds).
        request.timeout(Math.max(1, remainingMillis()), TimeUnit.MILLISECONDS);
      }
      proxyRequest = request; // from here a client's failure aborts this attempt
    } finally {
      clientLock.unlock();
    }
    send(request);
  }

  /** What is left of {@code timeoutSeconds} since the exchange began; 1 when there is no limit. */
  private long remainingMillis() {
    int limit = link.backend().timeoutSeconds();
    if (limit == 0) {
      return 1;
    }
    return limit * 1000L - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  private Request newProxyRequest(BackendConfig backend) {
    String rawPath =
        GatewayTarget.asciiOnly(
            link.pathPrefix() + GatewayTarget.withoutSessionId(rawPathInContext(), sessionCookie));
    String rawQuery =
        GatewayTarget.asciiOnly(
            GatewayTarget.withoutSubscriptionKey(clientRequest.getQueryString()));
    Request request =
        new GatewayRequest(link.client().http(), link.gatewayOrigin(), rawPath, rawQuery);
    request.method(method);
    // timeoutSeconds alone limits the exchange: no idle limit while it runs (see GatewayClient).
    request.idleTimeout(0, TimeUnit.MILLISECONDS);
    if (backend.timeoutSeconds() > 0) {
      request.timeout(backend.timeoutSeconds(), TimeUnit.SECONDS);
    }
    Headers headers = ProxyHeaders.toGateway(clientHeaders(), added(rawQuery));
    request.headers(
        fields -> {
          fields.add(link.hostField());
          for (Headers.Field field : headers) {
            fields.add(link.gatewayField(field));
          }
        });
    return request;
  }

  /** The path after the context path, as the client sent it (percent-encoding kept). */
  private String rawPathInContext() {
    return GatewayTarget.rawPathInContext(
        clientRequest.getRequestURI(), clientRequest.getContextPath());
  }

  private Headers clientHeaders() {
    List<Headers.Field> fields = new ArrayList<>();
    for (Enumeration<String> names = clientRequest.getHeaderNames(); names.hasMoreElements(); ) {
      String name = names.nextElement();
      for (Enumeration<String> values = clientRequest.getHeaders(name);
          values.hasMoreElements(); ) {
        fields.add(new Headers.Field(name, values.nextElement()));
      }
    }
    return Headers.of(fields);
  }

  /**
   * What ApiLink adds for the gateway. {@code x-ms-original-url} is built from the configured
   * origin, not from the client's {@code Host}, which any client can set (a backend that builds
   * links from it could be made to point them elsewhere), and without a {@code subscription-key} in
   * its query, as the gateway's request line.
   */
  private ProxyHeaders.Added added(String rawQuery) {
    StringBuilder originalUrl =
        new StringBuilder(link.siteOrigin())
            .append(
                GatewayTarget.asciiOnly(
                    GatewayTarget.withoutSessionId(clientRequest.getRequestURI(), sessionCookie)));
    if (rawQuery != null) {
      originalUrl.append('?').append(rawQuery);
    }
    String protocol = clientRequest.getProtocol();
    String via =
        protocol.equals("HTTP/1.1")
            ? VIA_HTTP_11
            : (protocol.startsWith("HTTP/") ? protocol.substring(5) : version(protocol))
                + " apilink";
    String scheme = clientScheme();
    return new ProxyHeaders.Added(
        link.backend().subscriptionKeyHeader(),
        link.backend().subscriptionKey(),
        link.tokenHeader(),
        link.tokenValue(),
        clientPrincipal,
        originalUrl.toString(),
        clientRequest.getRemoteAddr(),
        scheme,
        clientHost(protocol, scheme),
        via,
        containersCredentials,
        sessionCookie);
  }

  /**
   * The version {@code Via} names for a protocol that is not {@code HTTP/x}: Tomcat takes an
   * HTTP/0.9 request (a request line without a version) and reports its protocol as empty, which
   * made a {@code Via} value without a protocol before {@code apilink} (found by review on Tomcat
   * 11.0.24).
   */
  private static String version(String protocol) {
    return protocol.isEmpty() ? "0.9" : protocol;
  }

  /**
   * Whether the container signed the user in with the client's {@code Authorization}: BASIC holds
   * the user's password, DIGEST its digest, neither of which is the gateway's to see.
   */
  private boolean containersCredentials() {
    String authType = clientRequest.getAuthType();
    return HttpServletRequest.BASIC_AUTH.equals(authType)
        || HttpServletRequest.DIGEST_AUTH.equals(authType);
  }

  /**
   * The host and port the client asked for, as the container took them from its {@code Host} (for
   * HTTP/2 and 3, from {@code :authority}: a reviewer's HTTP/2 requests reached the gateway without
   * {@code X-Forwarded-Host}) or from a load balancer in front that it trusts (Tomcat's {@code
   * RemoteIpValve} with {@code hostHeader}, Jetty's {@code forwarded} module, a {@code
   * RemoteIpFilter}), as {@code X-Forwarded-Proto} is the scheme it took. The {@code Host} itself
   * is then the balancer's: a reviewer's gateway got {@code tomcat-1.internal:18080} beside {@code
   * X-Forwarded-Proto: https}. None for an HTTP/1.0 request without a {@code Host}, nor for an
   * HTTP/0.9 one (no headers at all; Tomcat's protocol for it is empty).
   */
  private String clientHost(String protocol, String scheme) {
    if ((protocol.startsWith("HTTP/1") || protocol.isEmpty())
        && clientRequest.getHeader("Host") == null) {
      return null;
    }
    String name = clientRequest.getServerName();
    if (name == null || name.isEmpty()) {
      return null;
    }
    if (name.indexOf(':') >= 0 && !name.startsWith("[")) {
      name = "[" + name + "]";
    }
    return GatewayTarget.authority(scheme, name, clientRequest.getServerPort());
  }

  /**
   * The scheme the client used, http or https, as the container took it (from the connection, from
   * its own configuration such as Tomcat's {@code scheme} connector attribute, or from a load
   * balancer in front that it trusts). Any other {@code getScheme()} is the client's word: Jetty
   * reports there the scheme of an absolute-form target (found by review on Jetty 12.1.12: {@code
   * GET ftp://host/api/x} over plain HTTP reached the gateway with {@code X-Forwarded-Proto: ftp});
   * the connection then says which. An {@code https://} target over plain HTTP Jetty reports as
   * secure too, exactly as a request its {@code forwarded} module took from a balancer: that one
   * the Servlet API cannot tell apart.
   */
  private String clientScheme() {
    String scheme = clientRequest.getScheme();
    if ("http".equals(scheme) || "https".equals(scheme)) {
      return scheme;
    }
    return clientRequest.isSecure() ? "https" : "http";
  }

  // ---- gateway side ----

  private void onGatewayContent(Response gatewayResponse, Content.Source source) {
    ResponseBody body = new ResponseBody(gatewayResponse, source);
    responseBody = body;
    clientOutput.whenWritable(
        () -> {
          clientOutput.body = body;
          body.run();
        });
  }

  private void onGatewayComplete(Result result) {
    ResponseBody body = responseBody;
    if (body != null) {
      // The response body pump owns the rest of the exchange, its failures included.
      if (result.isFailed()) {
        body.failedWhileTheClientIsSlow(result.getFailure());
      }
      return;
    }
    if (result.isSucceeded()) {
      clientLock.lock();
      try {
        if (!clientClosed) {
          List<Headers.Field> toClient = headersToClient(result.getResponse());
          ResponseHeadersTooLarge tooLarge =
              ProxyHeaders.tooLargeForContainer(toClient, link.backend().maxResponseHeaderBytes());
          if (tooLarge != null) {
            fail(tooLarge, true);
            return;
          }
          try {
            copyStatusAndHeaders(result.getResponse(), toClient);
          } catch (Throwable failure) { // inside Jetty's notification, which would swallow it
            notPassedOn(failure);
            return;
          }
          gatewayAnswerWhole = true;
          closeClient();
        }
      } finally {
        clientLock.unlock();
      }
    } else if (mayRetry(result)) {
      retry(result.getFailure());
    } else {
      // Once the request head went out, the gateway was reached, even if it then failed before
      // taking the whole body.
      fail(result.getFailure(), gatewayReached || result.getRequestFailure() == null);
    }
  }

  private List<Headers.Field> headersToClient(Response gatewayResponse) {
    if (gatewayResponse.getStatus() == 401 && !logIfKeyRefused(gatewayResponse)) {
      logIfClocksApart(gatewayResponse);
    }
    List<Headers.Field> fields = new ArrayList<>(gatewayResponse.getHeaders().size());
    String siteApi = null;
    // A 204 has no body, and a server must not send Content-Length in one (RFC 9110 8.6): Jetty
    // took a gateway's for the length of the client's 204 and answered its HTML 500 for the body
    // that never came (found by review; Tomcat drops the field itself).
    boolean noContent = gatewayResponse.getStatus() == 204;
    for (HttpField field : gatewayResponse.getHeaders()) {
      if (noContent && HttpHeader.CONTENT_LENGTH.is(field.getName())) {
        continue;
      }
      Headers.Field copy = new Headers.Field(field.getName(), field.getValue());
      if (SiteReferences.mayRefer(copy.name())) {
        if (siteApi == null) {
          siteApi = siteApi();
        }
        copy = link.siteReferences().toClient(copy, siteApi);
      }
      fields.add(copy);
    }
    return ProxyHeaders.toClient(Headers.owning(fields), sessionCookie).asList();
  }

  /** The site's {@code /api} as the client spelled it: {@code /shop/api} under {@code /shop}. */
  private String siteApi() {
    String requestUri = clientRequest.getRequestURI();
    String inContext = rawPathInContext();
    return GatewayTarget.asciiOnly(
            requestUri.substring(0, requestUri.length() - inContext.length()))
        + "/api";
  }

  private void copyStatusAndHeaders(Response gatewayResponse, List<Headers.Field> toClient) {
    gatewayAnswerBegun = true;
    clientResponse.setStatus(gatewayResponse.getStatus());
    // The gateway's Content-Type says how its bytes are encoded, or says nothing. A character
    // encoding that a filter before ApiLink set for the site's own pages (Spring's
    // CharacterEncodingFilter with forceResponseEncoding) was added to a type without one by both
    // containers: text/plain became text/plain;charset=UTF-8, and a browser decoded a windows-1252
    // text, or a page whose <meta charset> names its encoding, as UTF-8.
    clientResponse.setCharacterEncoding((String) null);
    // What the container or a filter before ApiLink said the answer varies with: Jetty's gzip
    // module (Accept-Encoding, for the compression it applies), its cross-origin module and CORS
    // filters (Origin). The gateway's Vary replaced it, and a response Jetty compressed went out
    // without Vary: Accept-Encoding, for caches to serve to clients that cannot decode it.
    List<String> containersVary =
        clientResponse.containsHeader(VARY) ? List.copyOf(clientResponse.getHeaders(VARY)) : null;
    List<String> gatewaysVary = containersVary == null ? null : new ArrayList<>(1);
    for (int i = 0; i < toClient.size(); i++) {
      Headers.Field field = toClient.get(i);
      // The first value of each name replaces what the container put there already: Jetty sets its
      // own Date and Server before the application runs, and adding the gateway's would send both
      // (two Date fields, which RFC 9110 5.3 does not allow for a singleton field).
      if (firstOfItsName(toClient, i)) {
        clientResponse.setHeader(field.name(), field.value());
      } else {
        clientResponse.addHeader(field.name(), field.value());
      }
      if (gatewaysVary != null && field.is(VARY)) {
        gatewaysVary.add(field.value());
      }
    }
    if (gatewaysVary != null && !gatewaysVary.isEmpty()) {
      clientResponse.setHeader(VARY, ProxyHeaders.joinedVary(containersVary, gatewaysVary));
    }
    RequestBody body = requestBody;
    if (http1 && body != null && !body.whole) {
      // An answer before the client's body is all read: Jetty closes the connection after it over
      // the unread rest without saying so, and a client that sent its next request on it got no
      // answer (a reviewer saw Tomcat's early answer say so, Jetty's not). UnreadBody's reasoning.
      clientResponse.setHeader("Connection", "close");
    }
    // Counted once the whole head is in the response: one that could not be copied becomes
    // ApiLink's 500 (notPassedOn()), counted as that alone.
    link.counts().passedOn(gatewayResponse.getStatus());
    countedGatewayStatus = gatewayResponse.getStatus();
  }

  /**
   * The response is reset for ApiLink's 500 before anything of the gateway's went out (its body
   * could not be written), or broken off: the gateway's status, counted as passed on when its head
   * went into the response, is not. It stayed counted, and the exchange was in two buckets (found
   * by review k: a 404 whose body's first write failed counted in GatewayAnsweredClientErrors
   * beside ApiLink's 500).
   */
  private void gatewayAnswerNotPassedOn() {
    int status = COUNTED_GATEWAY_STATUS.getAndSet(this, 0);
    if (status != 0) {
      link.counts().notPassedOn(status);
    }
  }

  /**
   * Counts a response broken off after it had begun, in ResponsesBrokenOff alone: the client never
   * had the gateway's answer whole, whatever its status, as with a 200. A gateway's 404 or 500
   * whose body then broke off (by the gateway, at timeoutSeconds) stayed counted as passed on too,
   * and the bean's outcomes added up to two for one exchange (found by review h40c).
   */
  private void countBrokenOff() {
    gatewayAnswerNotPassedOn();
    link.counts().failed(-1);
  }

  /**
   * Whether no field before {@code index} has the same name (a handful of fields: no set needed).
   */
  private static boolean firstOfItsName(List<Headers.Field> fields, int index) {
    String name = fields.get(index).name();
    for (int i = 0; i < index; i++) {
      if (fields.get(i).is(name)) {
        return false;
      }
    }
    return true;
  }

  // ---- endings ----

  /** The gateway's response is whole and written: complete the client's. */
  private void finish() {
    clientLock.lock();
    try {
      gatewayAnswerWhole = true;
      if (!clientClosed) {
        closeClient();
      }
    } finally {
      clientLock.unlock();
    }
    RequestBody body = requestBody;
    if (body != null && !body.whole) {
      // The gateway answered before it had the whole body (a policy that refuses an upload early).
      // Once the client's exchange is complete the container hands ApiLink no more of that body, so
      // the gateway request would never end: a reviewer's such uploads kept their gateway
      // connection in use for ever without timeoutSeconds. Aborted, the connection is closed.
      // A body read whole needs nothing more from the client: Jetty ends its request once the last
      // bytes are written, which the answer to them can overtake, and returns the connection.
      abortProxyRequest(new IOException("the gateway answered before the request body was whole"));
    }
  }

  /**
   * A failure before anything reached the client: answer with the JSON error. Not when the client's
   * side failed first (its body unreadable, or the client gone): the gateway's failure is then a
   * consequence, and {@link #closeClient} ends that side with the answer, if any, that it gets.
   *
   * @param requestSent whether the request head had reached the gateway (so its answer failed)
   */
  private void fail(Throwable failure, boolean requestSent) {
    if (requestBodyFailed || clientFailed) {
      LOG.log(Level.FINE, "ApiLink: the exchange ends with the client's failure", failure);
      endAfterClientFailure();
      return;
    }
    Throwable cause = namingTheFullQueue(failure);
    GatewayError error = errorFor(cause, requestSent);
    clientOutput.whenWritable(
        () -> {
          clientLock.lock();
          try {
            if (clientClosed) {
              return;
            }
            boolean answered =
                answerOrBreakOff(
                    () -> {
                      log(error.status(), cause);
                      if (requestBody != null && !requestBody.whole) {
                        // The rest of the body stays unread (a 413, or a gateway that failed
                        // first).
                        UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
                      }
                      writeError(error);
                    });
            if (answered) {
              closeClient();
            }
          } finally {
            clientLock.unlock();
          }
        });
  }

  /**
   * {@code failure}, or, where Jetty's client refused the request because the queue for gateway
   * connections was full, that limit named: Jetty's bare {@link RejectedExecutionException} was
   * logged without its message (a dump of the pool) and answered as a gateway that could not be
   * reached (found by review C).
   */
  private Throwable namingTheFullQueue(Throwable failure) {
    if (link.stopping() || GatewayError.find(failure, RejectedExecutionException.class) == null) {
      return failure;
    }
    BackendConfig backend = link.backend();
    return new GatewayError.GatewayQueueFull(
        backend.maxConnections(), GatewayClient.maxQueued(backend), failure);
  }

  private GatewayError errorFor(Throwable failure, boolean requestSent) {
    if (link.stopping()) {
      // The web application stopped the gateway client under this exchange; a reviewer saw that
      // answered as the gateway's broken-off response.
      return GatewayError.siteStopping();
    }
    BackendConfig backend = link.backend();
    RequestBody body = requestBody;
    if (body != null
        && !body.whole
        && GatewayError.timedOut(failure)
        && body.waitedMostlyForClient()) {
      // The time ran out while the client's body was still arriving, and ApiLink had spent more of
      // it waiting for the client than for the gateway to take what had come.
      return GatewayError.requestBodyTimeout(backend.timeoutSeconds());
    }
    // Jetty commits the request head before a TLS handshake has finished: a handshake given up
    // is no connection, whatever was committed.
    return requestSent
            && GatewayError.find(failure, HandshakeLimitedConnector.HandshakeTimeout.class) == null
        ? GatewayError.ofResponse(
            failure, backend.connectTimeoutSeconds(), backend.timeoutSeconds())
        : GatewayError.of(failure, backend.connectTimeoutSeconds(), backend.timeoutSeconds());
  }

  /** A failure after the client's response began: break it off rather than end it cleanly. */
  private void abort(Throwable failure) {
    if (clientFailed) {
      endAfterClientFailure();
      return;
    }
    clientLock.lock();
    try {
      if (clientClosed) {
        return;
      }
      clientClosed = true;
      // The client's body broke (a malformed chunk, a client that left mid-upload) and the
      // gateway's answer, still arriving, broke off with it: the client's doing, as the 400 for
      // such a body is. It was logged as a WARNING that the gateway's response broke off, naming
      // the gateway, and counted in ResponsesBrokenOff (found by review B, on a gateway's early
      // answer). A body that the container closed as the server stops is not the client's.
      boolean clientsBody = requestBodyFailed && !requestBodyClosedByContainer;
      if (clientsBody) {
        LOG.log(Level.FINE, "ApiLink: the response breaks off with the client's body", failure);
      } else {
        countBrokenOff();
        log(-1, failure);
      }
      breakOff(failure, clientsBody);
    } finally {
      clientLock.unlock();
    }
  }

  /**
   * Passing the gateway's answer on failed inside this server, with the client still there: a class
   * that the container could not load (with no file descriptor left, Tomcat's class loader throws
   * {@code IllegalStateException}), memory, a failing filter's wrapper of the response. Taken for a
   * client that had left, the exchange completed: an empty 200, or a chunked download ended as if
   * whole. Now ApiLink's 500 if nothing of the answer went out (none of the gateway's fields with
   * it), else the answer broken off. Holding {@link #clientLock}.
   */
  private void notPassedOn(Throwable failure) {
    clientFailed = true; // nothing more of the gateway's answer is wanted
    abortProxyRequest(failure);
    if (clientClosed) {
      return;
    }
    clientClosed = true;
    GatewayError error = GatewayError.answerNotPassedOn();
    boolean answered = false;
    try {
      if (!clientResponse.isCommitted()) {
        clientResponse.reset();
        gatewayAnswerNotPassedOn();
        closeConnectionAfterAnswer();
        logNotPassedOn(error.status(), failure);
        writeError(error);
        answered = true;
      }
    } catch (IOException | RuntimeException | Error e) {
      // The server fails again, writing this answer: broken off below, as answerOrBreakOff does.
      LOG.log(Level.FINE, "ApiLink: could not send the error to the client", e);
    }
    if (answered) {
      complete();
      return;
    }
    if (!ownAnswerWritten) {
      countBrokenOff();
      try {
        logNotPassedOn(-1, failure);
      } catch (RuntimeException e) {
        // A recycled request cannot name its URI (see fail()): the break-off comes all the same.
        LOG.log(Level.FINE, "ApiLink: could not log the failure", e);
      }
    }
    breakOff(failure, false);
  }

  /**
   * Asks an HTTP/1.x client to close its connection after the answer being written. Never over
   * HTTP/2 (or 3), where {@code Connection} is a connection-specific field that makes the response
   * malformed (RFC 9113 8.2.2): Tomcat (10.1.59) sent it in the HEADERS frame, and the client
   * refused the answer as a protocol error, never seeing ApiLink's 500, 408 or 504 (found by
   * review; Jetty leaves the field out).
   */
  private void closeConnectionAfterAnswer() {
    if (http1) {
      clientResponse.setHeader("Connection", "close");
    }
  }

  private void logNotPassedOn(int status, Throwable failure) {
    long notLogged =
        link.failureLog()
            .admit(
                "whose gateway answer could not be passed on ("
                    + failure.getClass().getName()
                    + ")");
    LOG.log(
        notLogged < 0 ? Level.FINE : Level.WARNING,
        "ApiLink: "
            + method
            + " "
            + loggedUri()
            + " -> "
            + (status > 0 ? "answered " + status : "response broken off")
            + ": the gateway's answer could not be passed on to the client: "
            + FailureLog.describe(failure)
            + FailureLog.notLoggedSince(notLogged),
        failure);
  }

  /** Breaks off the client's response, holding {@link #clientLock}, once clientClosed is set. */
  private void breakOff(Throwable failure, boolean byClient) {
    // Servlet has no abort call; an exception thrown from a dispatch after the response is
    // committed makes Tomcat and Jetty close the connection without ending the response.
    try {
      // A request that the container recycled under the exchange throws from each of its methods
      // (see fail()).
      clientRequest.setAttribute(ABORT_ATTRIBUTE, new BreakOff(this, failure, byClient));
      async.dispatch();
    } catch (RuntimeException e) {
      if (responseCommitted()) {
        expireForTheContainerToBreakOff(e);
      } else {
        complete();
      }
    }
    // The exchange ends here, not only when the dispatch comes: the container may not dispatch to
    // a client that has gone (see complete()), nor for a request it recycled, which takes the
    // dispatch without a word (AjpOnTomcatTest). Counted once, whichever comes first.
    ended();
  }

  /**
   * Whether the client's response has begun; false for a request that the container recycled under
   * the exchange, which throws from each of its methods.
   */
  private boolean responseCommitted() {
    try {
      return clientResponse.isCommitted();
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * The container refused the dispatch that breaks off a response that has begun: Tomcat does from
   * the moment an application starts to stop, its context no longer mapped (an {@code
   * UnsupportedOperationException}, and Tomcat's SEVERE "Error during mapping"), through {@code
   * unloadDelay}'s wait to the filter's {@code destroy()}, which closes the gateway client under
   * the exchanges still streaming. Completing then ended a server-sent-event stream or a chunked
   * download with its last chunk, as if whole, when Tomcat stopped; when only the application was
   * undeployed or reloaded, the client got nothing more, past its async timeout (found by review,
   * embedded Tomcat 10.1.59). Left open with the shortest async timeout, Tomcat times the request
   * out at its next once-a-second check and, the response committed and {@link #onTimeout} doing
   * nothing more, closes the connection without ending the response. A container that refuses the
   * new timeout keeps the one set at the start, {@code timeoutSeconds} and {@link
   * GatewayError#LAST_RESORT_SECONDS} later.
   */
  private void expireForTheContainerToBreakOff(RuntimeException refusal) {
    LOG.log(
        Level.FINE,
        "ApiLink: the container refused the dispatch that breaks off the response; it is left to"
            + " time out",
        refusal);
    try {
      async.setTimeout(1);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "ApiLink: the container refused a shorter async timeout", e);
    }
  }

  /** The client went away or its body broke: abort the gateway request. Any thread. */
  private void clientFailed(Throwable failure) {
    clientFailed = true;
    LOG.log(Level.FINE, "ApiLink: the client went away", failure);
    abortProxyRequest(failure);
  }

  /**
   * Aborts the gateway request, holding {@link #clientLock} so that the abort never runs while the
   * pump reads the gateway's response (Jetty's receiver does not take a concurrent abort safely:
   * {@link OutsideParsing}).
   */
  private void abortProxyRequest(Throwable failure) {
    if (proxyRequest != null) {
      withClientLockBounded(() -> OutsideParsing.run(() -> proxyRequest.abort(failure)));
    }
  }

  /** Ends the client's side after its failure was noticed on a gateway thread. */
  private void endAfterClientFailure() {
    clientLock.lock();
    try {
      if (!clientClosed) {
        closeClient();
      }
    } finally {
      clientLock.unlock();
    }
  }

  /**
   * The container reports the client's failure, on its own thread: end the client's side now, once
   * no gateway thread is inside it (see {@link #clientLock}). The wait is bounded, in case a
   * gateway thread inside waits for the container in turn.
   */
  private void clientFailedOnContainerThread(Throwable failure) {
    withClientLockBounded(
        () -> {
          clientFailed(failure);
          if (!clientClosed) {
            closeClient();
          }
        });
  }

  /**
   * The container reports that the client's exchange failed, not only its request body: nothing
   * written now would reach the client, so the exchange ends without waiting to answer it.
   */
  private void clientExchangeFailedOnContainerThread(Throwable failure) {
    clientExchangeFailed = true;
    clientFailedOnContainerThread(failure);
  }

  /**
   * Runs {@code action} holding {@link #clientLock}, or without it after {@link
   * #CLIENT_LOCK_WAIT_SECONDS}: on a container thread, a gateway thread inside may in turn wait for
   * the container. The lock is reentrant: a caller that holds it already goes straight in.
   */
  private void withClientLockBounded(Runnable action) {
    boolean locked = false;
    try {
      locked = clientLock.tryLock(CLIENT_LOCK_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      action.run();
    } finally {
      if (locked) {
        clientLock.unlock();
      }
    }
  }

  /** Ends the client's side: answers a client whose body broke if it can, then completes. */
  private void closeClient() {
    if (requestBodyFailed && !clientExchangeFailed && !clientOutput.writable()) {
      // The container has not yet called onWritePossible(): completing now would send an empty
      // 200 for a body that was never read whole (seen on Jetty when the body broke first). End
      // once the response can be written, however often the exchange asks to end before that:
      // when Jetty fails a malformed first chunk-size line, before its first onWritePossible(),
      // the aborted gateway request asks once and the read failure again. The container's error
      // callbacks end it at once, its completion callback anyway if onWritePossible() never comes.
      if (!unreadableBodyAnswerDeferred) {
        unreadableBodyAnswerDeferred = true;
        clientOutput.whenWritable(this::endAfterClientFailure);
      }
      return;
    }
    clientClosed = true;
    if (gatewayAnswerBegun && !gatewayAnswerWhole && requestBodyFailed && !clientExchangeFailed) {
      // The client's body could not be read while the gateway's answer is still arriving, and the
      // client is still there: completing would end that answer as if whole. A client whose
      // chunked upload turned malformed during a chunked early answer got that answer ended with
      // its last chunk after its first (found by review B on Jetty 12.1.14, in 1 of 4 and 1 of 8
      // tries; by which callback was not seen). Broken off, as the client's doing. Not a client
      // that left (a failed write, a reset): nobody reads that response, and a break-off is an
      // exception the container logs, a WARNING or SEVERE for every download a client left.
      IOException cause = new IOException("the client's side failed during the gateway's answer");
      LOG.log(Level.FINE, "ApiLink: the response breaks off with the client's side", cause);
      breakOff(cause, true);
      return;
    }
    if (requestBodyFailed) {
      if (!answerUnreadableBody()) {
        return;
      }
    } else if (!clientFailed && head && !sendHead()) {
      return;
    }
    notASuccessIfSentAfterAll();
    complete();
  }

  /**
   * Sends a HEAD's answer head, if not yet sent, and ends its output before the exchange completes.
   * Completed with its head unsent, an async HEAD's stream was ended by Tomcat 11.0.24 over HTTP/2
   * with a DATA frame before its HEADERS: curl and nghttp closed the whole connection ({@code DATA:
   * stream not opened}), the client's other streams with it (found by review on the distribution,
   * over TLS and h2c; a plain async servlet did the same; Tomcat 10.1.59 sent the HEADERS). Closed
   * rather than flushed: after a {@code flushBuffer()}, Jetty's HTTP/2 HEAD never ended. A client
   * that has gone away fails this write, which leaves nothing more to do.
   */
  private boolean sendHead() {
    try {
      clientResponse.getOutputStream().close();
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "ApiLink: could not send the head to the client", e);
    } catch (Error e) {
      // This server failed (see answerOrBreakOff()): clientClosed is set, so nothing else would
      // end the exchange. Counted and logged as notPassedOn() breaks an answer off, unless the
      // answer was ApiLink's own, counted and logged already: it was logged at FINE alone, and
      // counted as the gateway's answer passed on (found by review h40c).
      if (ownAnswerWritten) {
        LOG.log(Level.FINE, "ApiLink: could not send the head; breaking off", e);
      } else {
        countBrokenOff();
        try {
          logNotPassedOn(-1, e);
        } catch (RuntimeException unlogged) {
          // A recycled request cannot name its URI (see fail()): the break-off comes all the same.
          LOG.log(Level.FINE, "ApiLink: could not log the failure", unlogged);
        }
      }
      breakOff(e, false);
      return false;
    }
    return true;
  }

  /**
   * A client whose body could not be read may still be there (its body malformed rather than cut
   * off): it must not read the empty 200 that completing would send. Tomcat 10.1 answers such a
   * body itself (Tomcat 11.0.24 was seen closing the connection unanswered); Jetty leaves it to the
   * application. If the client is gone, nobody reads this. A body whose connection the container
   * closed itself, as Jetty does when the server stops, is no fault of the client's: that is the
   * 503 of a stopping site.
   *
   * <p>Not once the gateway's answer is in the response, sent or not: a gateway that refuses an
   * upload early can have answered whole before the body failed, and that answer is the client's.
   * Checked by {@code isCommitted()} alone, the 400 went into the same response as a gateway's 413
   * that Jetty still held uncommitted (one without {@code Content-Length}): the client got Jetty's
   * HTML 500 "Insufficient content written" (found by review B, embedded Jetty 12.1.14).
   */
  private boolean answerUnreadableBody() {
    return answerOrBreakOff(
        () -> {
          if (clientOutput.writable() && !gatewayAnswerBegun && !clientResponse.isCommitted()) {
            closeConnectionAfterAnswer();
            if (requestBodyClosedByContainer) {
              // Jetty stopping: the client did nothing wrong, and may try again (found by review:
              // a 400 said its body could not be read, which a client does not retry).
              logStopping(GatewayError.siteStopping().status());
              writeError(GatewayError.siteStopping());
            } else if (requestBodyStalled) {
              // Logged as the 408 at timeoutSeconds is, and counted with it: it was counted in
              // AnsweredOtherErrors with no line to say which request or which limit (found by
              // review h39e). The 400 of a malformed body stays unlogged and uncounted.
              GatewayError stalled = GatewayError.requestBodyStalled();
              log(stalled.status(), requestBodyFailure);
              writeError(stalled);
            } else {
              writeError(GatewayError.unreadableRequestBody());
            }
          }
        });
  }

  /**
   * Reading the client's body failed with {@code failure}: the container's read timeout (Tomcat's
   * {@code connectionTimeout}, Jetty's idle timeout) when the client stopped sending, which may run
   * out before {@code timeoutSeconds} does.
   *
   * <p>Only over HTTP/1 does the failure tell a connection that the container closed from a client
   * that left: over HTTP/2 Jetty fails the stream with a bare {@code EofException} whether the
   * client reset it or closed its connection, and an HTTP/2 client still sending as the server
   * stops gets no answer at all (found by review on the Jetty 12.0.30 and 12.1.12 distributions:
   * every client that left mid-upload was answered and logged 503 "the web application is
   * stopping", while curl, its upload cut off by a stop, received no response head).
   */
  private void bodyFailed(Throwable failure) {
    requestBodyFailure = failure;
    requestBodyStalled = GatewayError.isTimeout(failure);
    // Once the container closed the connection, a later failure is its consequence (see onError).
    requestBodyClosedByContainer |= http1 && GatewayError.closedByTheContainer(failure);
    requestBodyFailed = true;
  }

  private void complete() {
    try {
      async.complete();
    } catch (RuntimeException e) {
      // already completed, or the request recycled, by the container after a client error
    } finally {
      // Nothing more is asked of the gateway client. The exchange ends here, not only in
      // onComplete(): after the client's connection failed, Jetty 12 and Tomcat 10.1 (when the
      // failure was read on a non-container thread) may never call it, and a retired link
      // would then wait for the exchange forever.
      ended();
    }
  }

  /**
   * Writes one of ApiLink's own answers. Every answer that an exchange ends with is written here,
   * so it is counted here, whether or not the client still reads it.
   */
  private void writeError(GatewayError error) throws IOException {
    ownAnswerWritten = true;
    link.counts().failed(error.status());
    error.send(clientResponse);
    clientOutput.sendNow(clientResponse.getOutputStream());
  }

  /** One of ApiLink's own answers, with what goes before it: logging, the response's fields. */
  private interface OwnAnswer {
    void write() throws IOException;
  }

  /**
   * Writes one of ApiLink's own answers as the exchange ends, holding {@link #clientLock}, or
   * breaks the response off if this server fails meanwhile. A client that left fails the write with
   * an {@code IOException}: nothing more to do. Anything else is not the client leaving but this
   * server (a class the container could not load, memory, a failing response wrapper). Completed,
   * such a response went out as far as it got: an empty 200 if its status was not set yet. An
   * {@code Error} escaped, and the exchange stayed in flight until the last resort, or for ever.
   * Broken off, the client has no success, at once (the container answers 500 if nothing was sent).
   * A request that the container recycled under the exchange throws {@code IllegalStateException}
   * from each of its methods (Tomcat, after its own non-blocking read failed: an AJP packet over
   * its packetSize); {@link #breakOff} ends that exchange too.
   *
   * @return whether the exchange is still to be completed: false once it was broken off
   */
  private boolean answerOrBreakOff(OwnAnswer answer) {
    try {
      answer.write();
    } catch (IOException e) {
      LOG.log(Level.FINE, "ApiLink: could not send the error to the client", e);
    } catch (RuntimeException | Error e) {
      LOG.log(Level.FINE, "ApiLink: could not write the error; breaking off", e);
      clientClosed = true;
      breakOff(e, false);
      return false;
    }
    return true;
  }

  private void sendErrorBlocking(GatewayError error) {
    try {
      writeError(error);
    } catch (IOException e) {
      LOG.log(Level.FINE, "ApiLink: could not send the error to the client", e);
    }
  }

  /**
   * The request's URL for a log line: the site's configured origin, then its URI without the
   * container's session id ({@code /api/orders;jsessionid=...} signs its holder in, and logs are
   * kept and read by others: found by a reviewer, the WARNING of a failed exchange named it). The
   * origin tells apart sites that share the container's log with the same path, at the root of two
   * virtual hosts or services, which a reviewer's lines did not (the client's {@code Host} could
   * say anything, the configured origin is the site's).
   */
  private String loggedUri() {
    return link.siteOrigin()
        + GatewayTarget.withoutSessionId(clientRequest.getRequestURI(), sessionCookie);
  }

  /** The one line for an exchange that the web application's stop ended. */
  private void logStopping(int status) {
    LOG.log(
        Level.INFO,
        "ApiLink: {0} {1} -> {2}: the web application is stopping",
        new Object[] {
          method, loggedUri(), status > 0 ? "answered " + status : "response broken off"
        });
  }

  private void log(int status, Throwable failure) {
    if (link.stopping()) {
      // Not a gateway fault: the application stopped its gateway client under this exchange.
      logStopping(status);
      return;
    }
    if (LOG.isLoggable(Level.WARNING)) {
      String answer =
          status > 0
              ? "answered " + status
              : GatewayError.timedOut(failure)
                  ? "response cut off at timeoutSeconds"
                  : "response broken off";
      long notLogged = link.failureLog().admit(answer + " (" + failure.getClass().getName() + ")");
      Level level = notLogged < 0 ? Level.FINE : Level.WARNING;
      // The gateway is named: a wrong port or host in the configuration shows in the line itself
      // (a reviewer had only the start-up line to find it in).
      LOG.log(
          level,
          "ApiLink: {0} {1} -> {2}: {3} (gateway {5}){4}",
          new Object[] {
            method,
            loggedUri(),
            answer,
            FailureLog.describe(failure),
            FailureLog.notLoggedSince(notLogged),
            link.loggedGateway()
          });
    }
  }

  /**
   * API Management's 401 to the subscription key, which carries its challenge {@code
   * WWW-Authenticate: AzureApiManagementKey …}, passes through to the client as every answer of the
   * gateway does, but it refuses the link rather than the user: once the key is regenerated on the
   * gateway side, every {@code /api} request gets it. A reviewer's site so refused logged nothing
   * and its JMX bean counted no error. Logged as the gateway's failures are, at most once every
   * {@link FailureLog#QUIET_SECONDS}; an API's own 401 has another challenge, or none.
   *
   * @return whether it was that 401
   */
  private boolean logIfKeyRefused(Response gatewayResponse) {
    String challenge = gatewayResponse.getHeaders().get(HttpHeader.WWW_AUTHENTICATE);
    if (challenge == null
        || !challenge.regionMatches(true, 0, APIM_KEY_CHALLENGE, 0, APIM_KEY_CHALLENGE.length())) {
      return false;
    }
    long notLogged = link.failureLog().admit(KEY_REFUSED);
    LOG.log(
        notLogged < 0 ? Level.FINE : Level.WARNING,
        "ApiLink: {0} {1} -> {2}: it is not one of the subscription''s keys (regenerated?), the"
            + " subscription is not active, the API is not in the linked product, or the API"
            + " reads the key from another header; check subscriptionKey and"
            + " subscriptionKeyHeader (gateway {3}){4}",
        new Object[] {
          method,
          loggedUri(),
          KEY_REFUSED,
          link.loggedGateway(),
          FailureLog.notLoggedSince(notLogged)
        });
    return true;
  }

  /**
   * Another 401, from a gateway whose {@code Date} is over {@link #CLOCKS_APART_SECONDS} from this
   * machine's clock: validate-jwt refuses a token that is not valid yet or has expired by its own
   * clock, beyond its {@code clock-skew}, and says only that the token is missing or invalid. A
   * reviewer's site five minutes ahead of the gateway got that for every request, and its log said
   * nothing. Logged at most once every {@link FailureLog#QUIET_SECONDS}; the field is read as a
   * time and only times are logged, never its text.
   */
  private void logIfClocksApart(Response gatewayResponse) {
    long gatewayNow;
    try {
      gatewayNow = gatewayResponse.getHeaders().getDateField(HttpHeader.DATE);
    } catch (IllegalArgumentException e) {
      return; // not a date
    }
    if (gatewayNow < 0) {
      return; // no Date
    }
    long now = System.currentTimeMillis();
    long behindSeconds = (now - gatewayNow) / 1000;
    if (Math.abs(behindSeconds) <= CLOCKS_APART_SECONDS) {
      return;
    }
    long notLogged = link.failureLog().admit(CLOCKS_APART);
    LOG.log(
        notLogged < 0 ? Level.FINE : Level.WARNING,
        "ApiLink: {0} {1} -> answered 401 by the gateway, whose clock is {2} s {3} this"
            + " machine''s (its Date {4}, here {5}): validate-jwt refuses the access token when"
            + " the clocks differ by more than its clock-skew ({6} s in the policy that link"
            + " prints); set both clocks right (NTP) (gateway {7}){8}",
        new Object[] {
          method,
          loggedUri(),
          Long.toString(Math.abs(behindSeconds)),
          behindSeconds > 0 ? "behind" : "ahead of",
          Instant.ofEpochMilli(gatewayNow).toString(),
          Instant.ofEpochMilli(now).toString(),
          Long.toString(CLOCKS_APART_SECONDS),
          link.loggedGateway(),
          FailureLog.notLoggedSince(notLogged)
        });
  }

  // ---- client side, seen by the container ----

  @Override
  public void onError(AsyncEvent event) {
    // Before waiting for the lock: whichever thread then ends the client's side reads them.
    failedByTheContainer = true;
    if (http1 && GatewayError.closedByTheContainer(event.getThrowable())) {
      // Jetty closed the connection itself, as the server stops: the client did nothing wrong,
      // whatever a read of its body threw meanwhile. Jetty 12.1.14's read on a gateway thread
      // threw a NullPointerException (its request buffer released under the read), and the client
      // was answered 400 "the request body could not be read" (3 of 7,743 stops under CPU
      // load, embedded; StoppingWhileTheBodyIsReadTest).
      requestBodyClosedByContainer = true;
    }
    clientExchangeFailedOnContainerThread(event.getThrowable());
  }

  /**
   * The container reports the client's connection failed; usually nothing more reaches the client.
   * But Jetty reports so too when it closes an HTTP/1.x connection itself as the server stops, and
   * then sends the response that completing leaves behind: a reviewer's requests waiting for the
   * gateway got an empty 200. Made a 503 first, which a client that is gone never reads.
   *
   * <p>Not over HTTP/2 (or 3): there the containers report a client that leaves at once, from its
   * reset stream (as a browser resets an aborted fetch()) or closed connection, and the access log
   * records the status set here. Jetty logged 503 for each such request while the gateway was
   * answering, a server error for operators' alerts where a plain async servlet's was logged 200
   * (found by review, with curl and Jetty's HTTP/2 client).
   *
   * <p>Marked where the client's side ends, holding the lock, not in the error callback: that
   * marked it only if it found the lock free, and a gateway thread reading the client's body held
   * it at that instant; the client got the empty 200 (seen once in CI, on the Jetty 12.1.12
   * distribution). Not over an answer of ApiLink's own, already in the response.
   */
  private void notASuccessIfSentAfterAll() {
    if (!http1 || !failedByTheContainer || ownAnswerWritten) {
      return;
    }
    try {
      if (clientResponse.isCommitted()) {
        return;
      }
      // The gateway's status and headers may have been copied and not yet sent: none of them
      // (a Set-Cookie, a Cache-Control: public) goes out with the 503.
      clientResponse.reset();
      clientResponse.setStatus(GatewayError.siteStopping().status());
      clientResponse.setHeader("Connection", "close");
      clientResponse.setContentLength(0);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "ApiLink: could not mark the response as failed", e);
    }
  }

  /**
   * The container's async timeout: {@link GatewayError#LAST_RESORT_SECONDS} after {@code
   * timeoutSeconds} (off when that is 0), by which the gateway's limits have ended any exchange;
   * one still running was lost on the way (a failure that Jetty's client or the container
   * swallowed, a filter's response wrapper that never calls the write listener back), and its
   * client would have waited for ever. It gets the 504 of {@code timeoutSeconds}, or its answer
   * broken off. With no async timeout ({@code timeoutSeconds} 0), Tomcat times out the async
   * requests of an application that is stopping from its once-a-second check, before the filter's
   * destroy() stops the link (with a timeout set, that check does not run, and destroy() answers
   * them); left unanswered, that became Tomcat's HTML 500, and the gateway exchange, ended later by
   * destroy(), touched the recycled request (a reviewer's catalina.sh stop). Answered as destroy()
   * answers: 503. And the timeout that {@code ResponseBody.waitForTheClient()} sets for an HTTP/2
   * client that takes nothing while no {@code timeoutSeconds} limits the exchange.
   */
  @Override
  public void onTimeout(AsyncEvent event) {
    int timeoutSeconds = link.backend().timeoutSeconds();
    Throwable outlived =
        timeoutSeconds > 0
                && System.nanoTime() - startNanos > TimeUnit.SECONDS.toNanos(timeoutSeconds)
            ? new GatewayError.ExchangeOutlived(timeoutSeconds, wrapperNeverCalledBack())
            : null;
    // Why the exchange ends, for the client's side and for the gateway request alike.
    Throwable[] cause = {
      outlived != null ? outlived : new CancellationException(STOPPING_CANCELLATION)
    };
    withClientLockBounded(
        () -> {
          // The timeout that waitForTheClient() set for an HTTP/2 client taking nothing.
          ResponseBody body = responseBody;
          boolean stalled = body != null && body.stalled() && !link.stopping();
          if (stalled) {
            cause[0] = new ClientStalled();
          }
          clientFailed = true; // nothing more of the client's request or response is touched
          if (clientClosed) {
            return;
          }
          clientClosed = true;
          if (stalled) {
            // Broken off as a client that left: nothing logged.
            LOG.log(Level.FINE, "ApiLink: the client stopped taking the response", cause[0]);
            breakOff(cause[0], true);
            return;
          }
          if (clientResponse.isCommitted()) {
            if (outlived != null) {
              countBrokenOff();
              log(-1, outlived);
            }
            // Broken off, as any response that has begun: completing would end it cleanly. Left
            // to the container, Tomcat closed the connection, but Jetty (12.1) neither closed it
            // nor called onComplete(): the client waited for the rest for ever, and the exchange
            // stayed in flight (a retired link never closed).
            breakOff(cause[0], false);
            return;
          }
          boolean answered =
              answerOrBreakOff(
                  () -> {
                    clientResponse.reset();
                    closeConnectionAfterAnswer();
                    if (outlived != null) {
                      GatewayError error = errorFor(outlived, true);
                      log(error.status(), outlived);
                      writeError(error);
                    } else {
                      logStopping(GatewayError.siteStopping().status());
                      writeError(GatewayError.siteStopping());
                    }
                  });
          if (answered) {
            complete();
          }
        });
    abortProxyRequest(cause[0]);
  }

  /** Sets the container's async timeout, or says that it refused (false). */
  private boolean setAsyncTimeout(long millis) {
    try {
      async.setTimeout(millis);
      return true;
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "ApiLink: the container refused the async timeout", e);
      return false;
    }
  }

  /**
   * A filter before ApiLink wraps the response in an output stream that refuses {@code
   * setWriteListener()}, as those written before Servlet 3.1 may ({@code
   * UnsupportedOperationException}): ApiLink cannot write without holding a thread, a deployment
   * mistake like a filter that is not async-supported, answered and logged as that is. Taken for a
   * client that had left, such a request was completed unsent: an empty 200.
   */
  private void refuseForTheWrapper(Exception refusal) {
    refuse(
        "answered 500, a response wrapper refused setWriteListener()",
        clientResponse.getClass().getName()
            + ", a filter's response wrapper, refused setWriteListener() ("
            + refusal
            + "); map that filter away from /api/*, or have its output stream pass"
            + " setWriteListener() and isReady() on to the container's",
        refusal,
        false);
  }

  /**
   * A filter before ApiLink wraps the request in an input stream that refuses {@code
   * setReadListener()}: ApiLink cannot read the body without holding a thread, a deployment mistake
   * answered and logged as a response wrapper that refuses the write listener is. Written once the
   * client's response can be: its write listener is set already (Tomcat sent its own HTML 500 for
   * an answer written before).
   */
  private void refuseForTheRequestWrapper(Throwable refusal) {
    refuseWhenWritable(
        "answered 500, a request wrapper refused setReadListener()",
        clientRequest.getClass().getName()
            + ", a filter's request wrapper, refused setReadListener() ("
            + refusal
            + "); map that filter away from /api/*, or have its input stream pass"
            + " setReadListener() and isReady() on to the container's",
        refusal);
  }

  /** {@link #refuse} once the client's response can be written: its write listener is set. */
  private void refuseWhenWritable(String kind, String why, Throwable refusal) {
    clientOutput.whenWritable(() -> refuse(kind, why, refusal, false));
  }

  /**
   * Answers a request that this site is not set up to forward with ApiLink's 500, and logs {@code
   * why} as SEVERE: a deployment mistake, as a filter that is not async-supported is; one {@code
   * kind} at most once every {@link FailureLog#QUIET_SECONDS} ({@link Link#logRefusal}). With
   * {@code reset}, the response is reset first, which frees a writer taken before ApiLink ran.
   */
  private void refuse(String kind, String why, Throwable refusal, boolean reset) {
    link.logRefusal(
        LOG,
        kind,
        "ApiLink: the request for " + loggedUri() + " cannot be forwarded: " + why,
        refusal);
    boolean answered;
    clientLock.lock();
    try {
      clientClosed = true;
      answered =
          answerOrBreakOff(
              () -> {
                if (reset) {
                  clientResponse.reset();
                }
                UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
                writeError(GatewayError.notAsyncSupported());
              });
    } finally {
      clientLock.unlock();
    }
    if (answered) {
      complete();
    }
  }

  /**
   * The class of the filter's response wrapper that ApiLink writes through, if the container never
   * called the write listener back through it; else null.
   */
  private String wrapperNeverCalledBack() {
    return clientResponse instanceof ServletResponseWrapper && !clientOutput.writable()
        ? clientResponse.getClass().getName()
        : null;
  }

  @Override
  public void onComplete(AsyncEvent event) {
    ended();
  }

  /** Tells the link this exchange is over; once, whichever of the ways to end comes first. */
  void ended() {
    if (ended.compareAndSet(false, true)) {
      if (clientConnection != null) {
        link.clientConnections().leave(clientConnection);
      }
      link.exchangeEnded();
    }
  }

  /** Whether the web application is stopping: its link was closed under this exchange. */
  boolean siteStopping() {
    return link.stopping();
  }

  /** What the dispatch that breaks off the client's response finds in {@link #ABORT_ATTRIBUTE}. */
  record BreakOff(ProxyExchange exchange, Throwable failure, boolean byClient) {}

  @Override
  public void onStartAsync(AsyncEvent event) {}

  /**
   * The client's side of writing, registered when the exchange starts (for a HEAD, not registered:
   * see {@link #withoutListener}): the container's first onWritePossible() says the client can be
   * written to; then the response body, once the gateway sends one, takes the callbacks over.
   */
  private final class ClientOutput implements WriteListener {
    volatile ResponseBody body;
    private volatile boolean blocking;
    private boolean writable;
    private Runnable waiting;

    @Override
    public void onWritePossible() {
      ResponseBody current = body;
      if (current != null) {
        current.onWritePossible();
        return;
      }
      Runnable next;
      synchronized (this) {
        writable = true;
        next = waiting;
        waiting = null;
      }
      if (next != null) {
        next.run();
      }
    }

    /** Runs {@code action} once the client can be written to: now, or on onWritePossible(). */
    void whenWritable(Runnable action) {
      synchronized (this) {
        if (!writable) {
          Runnable before = waiting;
          waiting =
              before == null
                  ? action
                  : () -> {
                    before.run();
                    action.run();
                  };
          return;
        }
      }
      action.run();
    }

    synchronized boolean writable() {
      return writable;
    }

    /** For an answer written in blocking mode (a HEAD's): writable from now on, no listener. */
    synchronized void withoutListener() {
      blocking = true;
      writable = true;
    }

    /**
     * Sends what is written to {@code out} now rather than when the container completes the
     * exchange: an answer that ends it early, ApiLink's own or the gateway's before the client's
     * body was whole. Tomcat holds a short answer in its buffer (its isCommitted() is true once the
     * Content-Length is written, sent or not), and completes an exchange ended off its request
     * threads on one of them: with every one busy the answer waited, and when the client's body was
     * still arriving Tomcat's read event could race complete() (IllegalStateException "Calling
     * [asyncOperation()] is not valid for a request with Async state [COMPLETING]", logged as
     * "Error reading request, ignored"), and it closed the connection with the answer unsent
     * (Tomcat 10.1.59: twice in about 500 uploads still arriving at timeoutSeconds). Jetty has sent
     * or is sending an answer whose Content-Length is written; its flush() then does nothing. Only
     * once the container has called the write listener (Tomcat refuses isReady() until then) and
     * {@code out} takes more; never in blocking mode (a HEAD's answer, see sendHead()).
     */
    void sendNow(ServletOutputStream out) throws IOException {
      synchronized (this) {
        if (blocking || !writable) {
          return;
        }
      }
      if (out.isReady()) {
        out.flush();
      }
    }

    /** Whether {@code out} takes more now: always in blocking mode, else its isReady(). */
    boolean ready(ServletOutputStream out) {
      return blocking || out.isReady();
    }

    @Override
    public void onError(Throwable failure) {
      ResponseBody current = body;
      if (current != null) {
        current.onError(failure);
        return;
      }
      clientExchangeFailedOnContainerThread(failure);
    }
  }

  /**
   * The client's request body, read without blocking and handed to the gateway request one buffer
   * at a time: the next read waits until the gateway connection has taken the previous buffer.
   */
  private final class RequestBody extends IteratingCallback implements ReadListener {
    final BodyContent content;
    private final long limitBytes;
    private final byte[] buffer;
    private long receivedBytes;
    // How long the body has waited for the client (its next bytes) and for the gateway (to take
    // the bytes handed to it), and for which it waits now, since when. Whether it waits for the
    // client at the moment a time limit runs out says little: Jetty takes each buffer on another
    // thread, up to milliseconds later on a busy machine, so a client sending small pieces was
    // often found waiting for the gateway (written by process() alone; any thread reads them).
    private volatile long clientWaitNanos;
    private volatile long gatewayWaitNanos;
    private volatile boolean waiting;
    private volatile boolean waitingForClient;
    private volatile long waitingSinceNanos;
    // The client's body has been read to its end and handed to the gateway request, its last bytes
    // marked as such: the rest is Jetty's writing (any thread reads it).
    volatile boolean whole;

    RequestBody(long declaredLength, long limitBytes) {
      this.content = new BodyContent(declaredLength);
      this.limitBytes = limitBytes;
      this.buffer =
          new byte
              [(int) Math.min(BUFFER_BYTES, declaredLength > 0 ? declaredLength : BUFFER_BYTES)];
      beginWait(true); // for the body's first bytes, which the container announces when they come
    }

    @Override
    protected Action process() throws Throwable {
      if (whole) {
        // Its last bytes are with the gateway request: nothing is read from the client any more,
        // whose exchange may be complete by now (the gateway's answer to them can come first).
        return Action.SUCCEEDED;
      }
      int read;
      endWait();
      clientLock.lock(); // this may be a gateway thread (see clientLock)
      try {
        if (clientClosed) {
          throw new IOException("the exchange has ended the client's side");
        }
        try {
          ServletInputStream in = clientRequest.getInputStream();
          if (in.isFinished()) {
            read = -1;
          } else if (!in.isReady()) {
            beginWait(true);
            return Action.IDLE; // onDataAvailable() or onAllDataRead() resumes
          } else {
            read = in.read(buffer);
          }
          if (read < 0 && receivedBytes == 0 && content.getLength() < 0 && formReadBefore()) {
            throw new RequestBodyAlreadyRead(0, -1);
          }
        } catch (RequestBodyAlreadyRead e) {
          throw e; // the site's doing, not the client's
        } catch (IOException | RuntimeException e) {
          bodyFailed(e); // reading the client's body failed
          throw e;
        }
        if (read < 0) {
          // Still under the lock: finished() may read the request's parameters, and an early
          // answer from the gateway can complete the exchange, and the container recycle the
          // request, as soon as the lock is let go (a reviewer's reading; not seen to happen).
          return finished();
        }
      } finally {
        clientLock.unlock();
      }
      receivedBytes += read;
      if (limitBytes > 0 && receivedBytes > limitBytes) {
        throw new RequestBodyTooLarge(limitBytes);
      }
      // The body's Content-Length reached: its end, without asking the container again. Jetty then
      // ends the gateway request as soon as these bytes are written. Asked once more, the answer
      // to them could come first: ApiLink took the body for unfinished and aborted the request,
      // closing a healthy connection (about one small POST in ten, on embedded Tomcat 10.1.59 and
      // Jetty 12.1.14).
      whole = receivedBytes == content.getLength();
      beginWait(false);
      content.write(whole, ByteBuffer.wrap(buffer, 0, read), this);
      return Action.SCHEDULED;
    }

    /**
     * Whether a form body of unknown length (chunked, or an HTTP/2 body without a length) that
     * ended before its first byte was read by a filter before ApiLink: its parameters hold more
     * values than the query string. Without a Content-Length to fall short of, it reached the
     * gateway as an empty body, answered 200 (found by review, Tomcat and Jetty). Asked only once
     * the body has ended: the containers then parse nothing more, having handed the input stream to
     * ApiLink.
     */
    private boolean formReadBefore() {
      String type = clientRequest.getContentType();
      if (type == null || !type.regionMatches(true, 0, FORM, 0, FORM.length())) {
        return false;
      }
      int fromBody = 0;
      for (String[] values : clientRequest.getParameterMap().values()) {
        fromBody += values.length;
      }
      String query = clientRequest.getQueryString();
      if (query != null) {
        for (String parameter : query.split("&")) {
          if (!parameter.isEmpty()) {
            fromBody--;
          }
        }
      }
      return fromBody > 0;
    }

    private void beginWait(boolean forClient) {
      waitingForClient = forClient;
      waitingSinceNanos = System.nanoTime();
      waiting = true;
    }

    private void endWait() {
      if (waiting) {
        waiting = false;
        long waited = System.nanoTime() - waitingSinceNanos;
        if (waitingForClient) {
          clientWaitNanos += waited;
        } else {
          gatewayWaitNanos += waited;
        }
      }
    }

    /**
     * Whether the body, so far, has waited longer for the client than for the gateway, the wait
     * still going on included: a time limit that runs out before the body is whole is then the
     * client's, not the gateway's.
     */
    boolean waitedMostlyForClient() {
      long client = clientWaitNanos;
      long gateway = gatewayWaitNanos;
      if (waiting) {
        long waited = System.nanoTime() - waitingSinceNanos;
        if (waitingForClient) {
          client += waited;
        } else {
          gateway += waited;
        }
      }
      return client > gateway;
    }

    /**
     * The body has ended: whole, unless it is shorter than its {@code Content-Length}. The
     * container fails the read of a client's body that stops short, so a short one was read before
     * ApiLink; sent on, the gateway would wait for the rest until a time limit ran out. But over
     * HTTP/2 Jetty (12.1.14) ends a body whose stream ended with its HEADERS, {@code
     * content-length} or not: unless a form's parameters show that a filter read it, such a body is
     * the client's malformed request (RFC 9113 8.1.1), a 400, not the site's 500 (found by review:
     * a WARNING blamed a filter that did not exist).
     */
    private Action finished() throws IOException {
      long declared = content.getLength();
      if (declared >= 0 && receivedBytes < declared) {
        if (!http1 && !formReadBefore()) {
          IOException shortBody =
              new IOException(
                  "the HTTP/2 stream ended after "
                      + receivedBytes
                      + " of the "
                      + declared
                      + " bytes its content-length announces");
          bodyFailed(shortBody);
          throw shortBody;
        }
        throw new RequestBodyAlreadyRead(receivedBytes, declared);
      }
      whole = true;
      return Action.SUCCEEDED;
    }

    @Override
    protected void onCompleteSuccess() {
      if (!content.isClosed()) {
        content.close(); // a body of unknown length ends here; a sized one with its last bytes
      }
    }

    @Override
    protected void onCompleteFailure(Throwable failure) {
      // Not the client's failure unless reading failed (process() says so): the gateway request
      // fails its content too when the gateway cannot be reached or breaks off, and that was
      // answered as the client's unreadable body, a 400, to most requests with a body.
      abortProxyRequest(failure); // first, so that the exchange fails with this cause
      content.fail(failure);
    }

    @Override
    public void onDataAvailable() {
      iterate();
    }

    @Override
    public void onAllDataRead() {
      iterate();
    }

    @Override
    public void onError(Throwable failure) {
      bodyFailed(failure);
      content.fail(failure);
      clientFailedOnContainerThread(failure);
    }

    /** The body as the gateway request reads it: the client's length, and no content type. */
    final class BodyContent extends AsyncRequestContent {
      private final long length;

      BodyContent(long length) {
        this.length = length;
      }

      @Override
      public long getLength() {
        return length;
      }

      @Override
      public String getContentType() {
        return null; // the client's Content-Type header is forwarded as it was
      }
    }
  }

  /**
   * The gateway's response body, written to the client without blocking. The pump runs either on a
   * gateway thread (more content arrived) or on a container thread (the client can take more),
   * never on both: it waits for exactly one of the two before it stops.
   */
  private final class ResponseBody implements WriteListener, Runnable {
    private final Response gatewayResponse;
    private final Content.Source source;
    private ServletOutputStream out;
    private Content.Chunk writing;
    private List<Headers.Field> toClient; // the gateway's header fields the client gets
    private long writtenBytes; // of the gateway's response body
    private boolean headersSent;
    private boolean unflushed;
    private boolean completeWhenWritten;
    // The pump stopped until the client takes what was written: onWritePossible() resumes it.
    private boolean waitingForTheClient;
    // The container's async timeout is set to end a stall (see waitForTheClient()).
    private boolean stallLimited;

    ResponseBody(Response gatewayResponse, Content.Source source) {
      this.gatewayResponse = gatewayResponse;
      this.source = source;
    }

    @Override
    public void onWritePossible() {
      OutsideParsing.run(this::pump);
    }

    /**
     * Called when the gateway has more content: on a gateway thread, maybe inside Jetty's parsing
     * of the response, where the pump must not read (see {@link OutsideParsing}).
     */
    @Override
    public void run() {
      OutsideParsing.later(this::pump);
    }

    private void pump() {
      clientLock.lock(); // this may be a gateway thread (see clientLock)
      try {
        if (clientClosed) {
          return;
        }
        if (out == null) {
          out = clientResponse.getOutputStream();
        }
        if (!headersSent && gatewayResponse.getStatus() == 101) {
          // ApiLink never asks for an upgrade (Upgrade is hop-by-hop): a 101 is no answer, and
          // passing it on left the client waiting on a connection nobody would speak on.
          IOException unasked = new IOException("the gateway switched protocols unasked (101)");
          abortProxyRequest(unasked);
          fail(unasked, true);
          return;
        }
        if (!headersSent && toClient == null) {
          toClient = headersToClient(gatewayResponse);
          ResponseHeadersTooLarge tooLarge =
              ProxyHeaders.tooLargeForContainer(toClient, link.backend().maxResponseHeaderBytes());
          if (tooLarge != null) {
            abortProxyRequest(tooLarge); // its body is not wanted
            fail(tooLarge, true);
            return;
          }
        }
        waitingForTheClient = false;
        if (stallLimited) {
          stallLimited = false;
          setAsyncTimeout(0); // the client took some: no limit again
        }
        if (writing != null) {
          writing.release(); // the client has taken it
          writing = null;
        }
        if (completeWhenWritten) {
          finishWhole();
          return;
        }
        while (true) {
          Content.Chunk chunk = source.read();
          if (chunk == null) {
            // Nothing more yet: push what was written (SSE events must not wait), then wait.
            sendHeadersOnce();
            if (unflushed || !clientResponse.isCommitted()) {
              unflushed = false;
              out.flush();
              if (!clientOutput.ready(out)) {
                waitForTheClient();
                return; // onWritePossible() resumes, then waits for content
              }
            }
            source.demand(this);
            return;
          }
          if (Content.Chunk.isFailure(chunk)) {
            gatewayFailed(chunk.getFailure());
            return;
          }
          sendHeadersOnce();
          ByteBuffer bytes = chunk.getByteBuffer();
          if (bytes.hasRemaining()) {
            writtenBytes += bytes.remaining();
            write(bytes);
            unflushed = true;
          }
          boolean last = chunk.isLast();
          if (!clientOutput.ready(out)) {
            writing = chunk;
            completeWhenWritten = last;
            waitForTheClient();
            return;
          }
          chunk.release();
          if (last) {
            finishWhole();
            return;
          }
        }
      } catch (Throwable failure) {
        if (failure instanceof IOException || clientFailed || failedByTheContainer) {
          // The client's connection failed (it left), or the container had said so already.
          if (!clientFailed) {
            clientFailed(failure);
          }
          if (!clientClosed) {
            closeClient();
          }
        } else {
          notPassedOn(failure);
        }
      } finally {
        clientLock.unlock();
      }
    }

    /**
     * The pump stops until the client takes what was written. With no {@code timeoutSeconds}, an
     * HTTP/2 client that takes nothing more was never ended: Tomcat (10.1.59) applies its stream
     * write timeout to blocking writes only, and the stream, the exchange and its gateway
     * connection stayed for as long as the client kept its connection (over 100 s in review h39c;
     * over HTTP/1.1 the socket's write timeout ends it, and Jetty's stream idle timeout does). The
     * container's async timeout, otherwise off then, ends it after {@link
     * GatewayError#CLIENT_STALL_SECONDS}.
     */
    private void waitForTheClient() {
      waitingForTheClient = true;
      if (!http1 && !stallLimited && link.backend().timeoutSeconds() == 0) {
        // Tomcat counts the async timeout from the start of the async cycle.
        long sinceStart = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        stallLimited =
            setAsyncTimeout(
                sinceStart + TimeUnit.SECONDS.toMillis(GatewayError.CLIENT_STALL_SECONDS));
      }
    }

    /** Whether the exchange waits for a client that took nothing of it for a while. */
    boolean stalled() {
      return stallLimited && waitingForTheClient;
    }

    private void sendHeadersOnce() {
      if (!headersSent) {
        headersSent = true;
        copyStatusAndHeaders(gatewayResponse, toClient);
        if (closeWouldDelimitBody()) {
          // Jetty ends a body of unknown length by closing the connection when the client asked
          // for the close; a break-off would then look like the end of a whole body. Jetty
          // honours a chunked framing asked for, and its last chunk marks a whole body.
          clientResponse.setHeader("Transfer-Encoding", "chunked");
        }
        if (announcesTrailers()) {
          try {
            // Asked for when the client's exchange ends, after the gateway's last chunk.
            clientResponse.setTrailerFields(this::trailersToClient);
          } catch (IllegalStateException e) {
            // The client's protocol has no trailers (HTTP/1.0): they stay behind, as before.
            LOG.log(Level.FINE, "ApiLink: the client cannot take trailers", e);
          }
        }
      }
    }

    /**
     * Whether the gateway's head says that trailer fields follow its chunked body (RFC 9110 6.6.2:
     * {@code Trailer}); only then is the container given trailers to send, so that every other
     * response goes out as before.
     */
    private boolean announcesTrailers() {
      HttpFields fields = gatewayResponse.getHeaders();
      return fields.contains(HttpHeader.TRAILER)
          && fields.contains(HttpHeader.TRANSFER_ENCODING)
          && !head;
    }

    private Map<String, String> trailersToClient() {
      HttpFields trailers = gatewayResponse.getTrailers();
      if (trailers == null) {
        return Map.of();
      }
      List<Headers.Field> fields = new ArrayList<>(trailers.size());
      for (HttpField field : trailers) {
        fields.add(new Headers.Field(field.getName(), field.getValue()));
      }
      return ProxyHeaders.trailersToClient(Headers.owning(fields));
    }

    /**
     * Whether the container would delimit this body by closing the connection although the client
     * speaks HTTP/1.1: Jetty does, for a body without length to a client that sent {@code
     * Connection: close}. Tomcat chunks such bodies itself (and would repeat a header set for it);
     * an HTTP/1.0 client knows no other framing.
     */
    private boolean closeWouldDelimitBody() {
      int status = gatewayResponse.getStatus();
      return gatewayResponse.getHeaders().get(HttpHeader.CONTENT_LENGTH) == null
          && status >= 200
          && status != 204
          && status != 304
          && !head
          && clientRequest.getProtocol().equals("HTTP/1.1")
          && clientRequest
              .getServletContext()
              .getServerInfo()
              .regionMatches(true, 0, "jetty", 0, "jetty".length());
    }

    private void write(ByteBuffer bytes) throws IOException {
      if (bytes.hasArray()) {
        out.write(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining());
      } else {
        byte[] copy = new byte[bytes.remaining()];
        bytes.get(copy);
        out.write(copy);
      }
    }

    /**
     * The gateway's answer is whole in the client's response: the exchange ends. An early answer,
     * given before the client's body was whole (a policy that refuses an upload), is sent first, as
     * ApiLink's own answers are ({@link ClientOutput#sendNow}); the usual answer, to a whole body,
     * goes with the completion.
     */
    private void finishWhole() throws IOException {
      RequestBody body = requestBody;
      if (body != null && !body.whole) {
        clientOutput.sendNow(out);
      }
      finish();
    }

    /**
     * The gateway's response failed (Jetty's client aborted it at {@code timeoutSeconds}, say): the
     * pump reads that failure when it reads on, which it does once the client has taken what was
     * written. A client that has stopped reading never does, and its response went on past {@code
     * timeoutSeconds} until the container's async timeout, 5 s later, logged as an exchange lost on
     * the way (found by review h39b). Broken off now, unless the gateway's whole answer is in hand
     * already.
     */
    void failedWhileTheClientIsSlow(Throwable failure) {
      clientLock.lock(); // a gateway thread, or the client's timer thread
      try {
        if (!clientClosed && waitingForTheClient && !completeWhenWritten) {
          waitingForTheClient = false;
          abort(failure);
        }
        // Else the pump reads the failure itself, or the answer is whole.
      } finally {
        clientLock.unlock();
      }
    }

    private void gatewayFailed(Throwable failure) throws IOException {
      if (!headersSent) {
        fail(failure, true);
        return;
      }
      if (writtenBytes == gatewayResponse.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH)) {
        // The body is whole by its Content-Length: the failure came after it, typically a gateway
        // that answered before reading the request body (a refused upload) and reset the
        // connection. Its answer is the client's. Breaking it off instead gave a 500 with the
        // gateway's body on Tomcat, which had not sent the response it counted as committed.
        LOG.log(Level.FINE, "ApiLink: the gateway failed after its whole response", failure);
        finishWhole();
        return;
      }
      if (!clientResponse.isCommitted()) {
        out.flush(); // commit what the client already has, so that the abort shows as one
      }
      abort(failure);
    }

    @Override
    public void onError(Throwable failure) {
      clientExchangeFailedOnContainerThread(failure);
    }
  }
}
