package dev.apilink.proxy;

import dev.apilink.config.BackendConfig;
import dev.apilink.proxy.GatewayError.RequestBodyTooLarge;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.client.AsyncRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.io.Content;
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

  private static final Logger LOG = Logger.getLogger("dev.apilink.proxy");
  private static final int BUFFER_BYTES = 16 * 1024;

  private final Link link;
  private final HttpServletRequest clientRequest;
  private final HttpServletResponse clientResponse;
  private final AtomicBoolean finished = new AtomicBoolean();
  private AsyncContext async;
  private Request proxyRequest;
  private volatile ResponseBody responseBody;
  private volatile boolean clientFailed;

  ProxyExchange(Link link, HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    this.link = link;
    this.clientRequest = clientRequest;
    this.clientResponse = clientResponse;
  }

  void start() {
    BackendConfig backend = link.backend();
    // A body framed by Transfer-Encoding has no length, whatever Content-Length claims (RFC 9112
    // 6.3): forwarding both, or the claimed length, is how requests get smuggled.
    boolean transferCoded = clientRequest.getHeader("Transfer-Encoding") != null;
    long declaredLength = transferCoded ? -1 : clientRequest.getContentLengthLong();
    long maxBody = backend.maxRequestBodyBytes();
    if (maxBody > 0 && declaredLength > maxBody) {
      // Refused before anything is read; the unread body makes the connection unusable.
      clientResponse.setHeader("Connection", "close");
      sendErrorBlocking(GatewayError.of(new RequestBodyTooLarge(maxBody), 0, 0));
      link.exchangeEnded();
      return;
    }
    boolean hasBody = declaredLength > 0 || transferCoded;

    try {
      async = clientRequest.startAsync();
    } catch (RuntimeException e) {
      link.exchangeEnded();
      throw e;
    }
    async.setTimeout(0); // the gateway timeouts apply, not the container's default
    async.addListener(this); // onComplete() ends the exchange for the link

    proxyRequest = newProxyRequest(backend);
    RequestBody requestBody = null;
    if (hasBody) {
      requestBody = new RequestBody(declaredLength, maxBody);
      proxyRequest.body(requestBody.content);
    }
    proxyRequest.onResponseContentSource(this::onGatewayContent).send(this::onGatewayComplete);
    if (requestBody != null) {
      try {
        clientRequest.getInputStream().setReadListener(requestBody);
      } catch (IOException | RuntimeException e) {
        proxyRequest.abort(e);
      }
    }
  }

  private Request newProxyRequest(BackendConfig backend) {
    String rawPath = link.pathPrefix() + rawPathInContext();
    String rawQuery = GatewayTarget.withoutSubscriptionKey(clientRequest.getQueryString());
    Request request =
        new GatewayRequest(link.client().http(), link.gatewayOrigin(), rawPath, rawQuery);
    request.method(clientRequest.getMethod());
    if (backend.timeoutSeconds() > 0) {
      request.timeout(backend.timeoutSeconds(), TimeUnit.SECONDS);
    }
    Headers headers = ProxyHeaders.toGateway(clientHeaders(), added());
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
    return clientRequest.getRequestURI().substring(clientRequest.getContextPath().length());
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

  private ProxyHeaders.Added added() {
    StringBuffer originalUrl = clientRequest.getRequestURL();
    if (clientRequest.getQueryString() != null) {
      originalUrl.append('?').append(clientRequest.getQueryString());
    }
    String protocol = clientRequest.getProtocol();
    String via = (protocol.startsWith("HTTP/") ? protocol.substring(5) : protocol) + " apilink";
    return new ProxyHeaders.Added(
        link.backend().subscriptionKeyHeader(),
        link.backend().subscriptionKey(),
        link.tokenHeader(),
        link.tokenValue(),
        ClientPrincipal.of(clientRequest, link.identityProvider(), link.customRoles()),
        originalUrl.toString(),
        clientRequest.getRemoteAddr(),
        clientRequest.getScheme(),
        clientRequest.getHeader("Host"),
        via);
  }

  // ---- gateway side ----

  private void onGatewayContent(Response gatewayResponse, Content.Source source) {
    ResponseBody body = new ResponseBody(gatewayResponse, source);
    responseBody = body;
    try {
      clientResponse.getOutputStream().setWriteListener(body);
    } catch (IOException | RuntimeException e) {
      source.fail(e);
      clientFailed(e);
    }
  }

  private void onGatewayComplete(Result result) {
    if (responseBody != null) {
      // The response body pump owns the rest of the exchange, its failures included.
      return;
    }
    if (result.isSucceeded()) {
      copyStatusAndHeaders(result.getResponse());
      finish();
    } else {
      fail(result.getFailure());
    }
  }

  private void copyStatusAndHeaders(Response gatewayResponse) {
    clientResponse.setStatus(gatewayResponse.getStatus());
    List<Headers.Field> fields = new ArrayList<>(gatewayResponse.getHeaders().size());
    for (HttpField field : gatewayResponse.getHeaders()) {
      fields.add(new Headers.Field(field.getName(), field.getValue()));
    }
    List<Headers.Field> toClient = ProxyHeaders.toClient(Headers.owning(fields)).asList();
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
    }
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

  private void finish() {
    if (finished.compareAndSet(false, true)) {
      complete();
    }
  }

  /** A failure before anything reached the client: answer with the JSON error. */
  private void fail(Throwable failure) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    if (clientFailed) {
      complete();
      return;
    }
    GatewayError error =
        GatewayError.of(
            failure, link.backend().connectTimeoutSeconds(), link.backend().timeoutSeconds());
    log(error.status(), failure);
    if (error.status() == 413) {
      clientResponse.setHeader("Connection", "close"); // the rest of the body stays unread
    }
    try {
      writeError(error);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.FINE, "ApiLink: could not send the error to the client", e);
    }
    complete();
  }

  /** A failure after the client's response began: break it off rather than end it cleanly. */
  private void abort(Throwable failure) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    if (clientFailed) {
      complete();
      return;
    }
    log(-1, failure);
    // Servlet has no abort call; an exception thrown from a dispatch after the response is
    // committed makes Tomcat and Jetty close the connection without ending the response.
    clientRequest.setAttribute(ABORT_ATTRIBUTE, failure);
    try {
      async.dispatch();
    } catch (RuntimeException e) {
      complete();
    }
  }

  private void clientFailed(Throwable failure) {
    clientFailed = true;
    LOG.log(Level.FINE, "ApiLink: the client went away", failure);
    if (proxyRequest != null) {
      proxyRequest.abort(failure);
    }
  }

  private void complete() {
    try {
      async.complete();
    } catch (IllegalStateException e) {
      // already completed by the container after a client error
    }
  }

  private void writeError(GatewayError error) throws IOException {
    byte[] body = error.body();
    clientResponse.setStatus(error.status());
    clientResponse.setContentType("application/json; charset=utf-8");
    clientResponse.setContentLength(body.length);
    clientResponse.getOutputStream().write(body);
  }

  private void sendErrorBlocking(GatewayError error) {
    try {
      writeError(error);
    } catch (IOException e) {
      LOG.log(Level.FINE, "ApiLink: could not send the error to the client", e);
    }
  }

  private void log(int status, Throwable failure) {
    if (LOG.isLoggable(Level.WARNING)) {
      String answer = status > 0 ? "answered " + status : "response broken off";
      LOG.log(
          Level.WARNING,
          "ApiLink: {0} {1} -> {2}: {3}",
          new Object[] {
            clientRequest.getMethod(), clientRequest.getRequestURI(), answer, describe(failure)
          });
    }
  }

  /** The cause chain in one line; Jetty's messages can be whole connection dumps, so cut them. */
  static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (text.length() > 0) {
        text.append(" <- ");
      }
      text.append(t.getClass().getSimpleName());
      String message = t.getMessage();
      if (message != null) {
        text.append(": ")
            .append(message.length() > 120 ? message.substring(0, 120) + "…" : message);
      }
    }
    return text.toString();
  }

  // ---- client side, seen by the container ----

  @Override
  public void onError(AsyncEvent event) {
    clientFailed(event.getThrowable());
    if (finished.compareAndSet(false, true)) {
      complete();
    }
  }

  @Override
  public void onTimeout(AsyncEvent event) {
    // The container's async timeout is off (0); the gateway's limits end the exchange.
  }

  @Override
  public void onComplete(AsyncEvent event) {
    link.exchangeEnded();
  }

  @Override
  public void onStartAsync(AsyncEvent event) {}

  /**
   * The client's request body, read without blocking and handed to the gateway request one buffer
   * at a time: the next read waits until the gateway connection has taken the previous buffer.
   */
  private final class RequestBody extends IteratingCallback implements ReadListener {
    final BodyContent content;
    private final long limitBytes;
    private final byte[] buffer;
    private long receivedBytes;

    RequestBody(long declaredLength, long limitBytes) {
      this.content = new BodyContent(declaredLength);
      this.limitBytes = limitBytes;
      this.buffer =
          new byte
              [(int) Math.min(BUFFER_BYTES, declaredLength > 0 ? declaredLength : BUFFER_BYTES)];
    }

    @Override
    protected Action process() throws Throwable {
      ServletInputStream in = clientRequest.getInputStream();
      if (in.isFinished()) {
        return Action.SUCCEEDED;
      }
      if (!in.isReady()) {
        return Action.IDLE; // onDataAvailable() resumes
      }
      int read = in.read(buffer);
      if (read < 0) {
        return Action.SUCCEEDED;
      }
      receivedBytes += read;
      if (limitBytes > 0 && receivedBytes > limitBytes) {
        throw new RequestBodyTooLarge(limitBytes);
      }
      content.write(ByteBuffer.wrap(buffer, 0, read), this);
      return Action.SCHEDULED;
    }

    @Override
    protected void onCompleteSuccess() {
      content.close();
    }

    @Override
    protected void onCompleteFailure(Throwable failure) {
      proxyRequest.abort(failure); // first, so that the exchange fails with this cause
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
      clientFailed(failure);
      content.fail(failure);
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
    private boolean headersSent;
    private boolean unflushed;
    private boolean completeWhenWritten;

    ResponseBody(Response gatewayResponse, Content.Source source) {
      this.gatewayResponse = gatewayResponse;
      this.source = source;
    }

    @Override
    public void onWritePossible() {
      pump();
    }

    /** Called when the gateway has more content. */
    @Override
    public void run() {
      pump();
    }

    private void pump() {
      try {
        if (out == null) {
          out = clientResponse.getOutputStream();
        }
        if (writing != null) {
          writing.release(); // the client has taken it
          writing = null;
        }
        if (completeWhenWritten) {
          finish();
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
              if (!out.isReady()) {
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
            write(bytes);
            unflushed = true;
          }
          boolean last = chunk.isLast();
          if (!out.isReady()) {
            writing = chunk;
            completeWhenWritten = last;
            return;
          }
          chunk.release();
          if (last) {
            finish();
            return;
          }
        }
      } catch (Throwable failure) {
        if (!clientFailed) {
          clientFailed(failure);
        }
        finish();
      }
    }

    private void sendHeadersOnce() {
      if (!headersSent) {
        headersSent = true;
        copyStatusAndHeaders(gatewayResponse);
      }
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

    private void gatewayFailed(Throwable failure) throws IOException {
      if (!headersSent) {
        fail(failure);
        return;
      }
      if (!clientResponse.isCommitted()) {
        out.flush(); // commit what the client already has, so that the abort shows as one
      }
      abort(failure);
    }

    @Override
    public void onError(Throwable failure) {
      clientFailed(failure);
      finish();
    }
  }
}
