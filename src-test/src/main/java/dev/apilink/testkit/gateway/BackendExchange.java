package dev.apilink.testkit.gateway;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Sends an accepted request on to its API's backend and streams the answer back. Bodies are never
 * held whole: the client's body is read chunk by chunk as the backend connection takes it, and the
 * backend's body is written to the client as it arrives, with back-pressure both ways.
 *
 * <p>Variable names say which leg they belong to: {@code clientRequest} and {@code clientResponse}
 * face the gateway's client, {@code backendRequest} and {@code backendResponse} face the backend.
 */
final class BackendExchange {

  private final HttpClient http;
  private final Duration timeout;

  /**
   * @param timeout the longest the backend's status and headers may take to arrive, as APIM's
   *     {@code forward-request timeout}; zero for none
   */
  BackendExchange(HttpClient http, Duration timeout) {
    this.http = http;
    this.timeout = timeout;
  }

  /**
   * Forwards {@code clientRequest} to {@code route}: the API's service URL followed by the rest of
   * the path, and {@code rawQuery}, byte for byte; {@code Host} becomes the backend's.
   *
   * @param headers the end-to-end headers to send, policies applied
   */
  void forward(
      GatewayState.Route route,
      HttpFields headers,
      String rawQuery,
      boolean hasBody,
      Request clientRequest,
      Response clientResponse,
      Callback callback) {
    URI service = route.api().serviceUrl();
    String basePath = service.getRawPath() == null ? "" : service.getRawPath();
    if (basePath.endsWith("/")) {
      basePath = basePath.substring(0, basePath.length() - 1);
    }
    String rawPath = basePath + route.rawRestPath();
    URI origin = URI.create(service.getScheme() + "://" + service.getRawAuthority());
    BackendRequest backendRequest =
        new BackendRequest(http, origin, rawPath.isEmpty() ? "/" : rawPath, rawQuery);
    backendRequest.method(clientRequest.getMethod());
    // The forward-request timeout alone limits the wait, as on APIM: without this, the client's
    // 30-second idle timeout ended an API that was silent for longer (found by a reviewer).
    backendRequest.idleTimeout(0, TimeUnit.MILLISECONDS);
    if (!timeout.isZero()) {
      limitTheWaitForHeaders(backendRequest);
    }
    backendRequest.headers(fields -> fields.add(headers));
    if (hasBody) {
      backendRequest.body(new ClientRequestContent(clientRequest));
      if (clientRequest.getLength() < 0) {
        // Jetty's client frames a body of unknown length as chunked only for POST and PUT, or with
        // a Content-Type: otherwise it announces no body, then writes the body anyway, where the
        // backend reads it as the next request. Asked for explicitly, chunked applies to any
        // method.
        backendRequest.headers(fields -> fields.put(HttpHeader.TRANSFER_ENCODING, "chunked"));
      }
    }

    AtomicBoolean streaming = new AtomicBoolean();
    backendRequest.onResponseContentSource(
        (backendResponse, backendBody) -> {
          streaming.set(true);
          copyStatusAndHeaders(backendResponse, clientResponse);
          // The status and headers go out at once, before any body: a client of an event stream
          // learns that the stream is open as soon as the backend says so.
          clientResponse.write(
              false,
              BufferUtil.EMPTY_BUFFER,
              Callback.from(
                  // A failure on either side fails the other: the client's response is broken
                  // off, never ended as if whole.
                  () -> Content.copy(backendBody, clientResponse, callback),
                  failure -> {
                    backendBody.fail(failure);
                    callback.failed(failure);
                  }));
        });
    backendRequest.send(
        result -> {
          if (streaming.get()) {
            return; // the copy above ends the exchange
          }
          if (result.isSucceeded()) {
            copyStatusAndHeaders(result.getResponse(), clientResponse);
            callback.succeeded();
          } else if (clientResponse.isCommitted()) {
            callback.failed(result.getFailure());
          } else {
            // Said in the log: the client's bare "Bad Gateway" did not tell a developer that the
            // API behind the gateway was down (found by review).
            GatewayError error = GatewayError.backendFailure(result.getFailure());
            GatewayHandler.log(
                clientRequest,
                error.status()
                    + ": the API \""
                    + route.api().name()
                    + "\" at "
                    + origin
                    + " did not answer: "
                    + result.getFailure());
            error.write(clientResponse, callback);
          }
        });
  }

  /**
   * Aborts {@code backendRequest} with a {@link TimeoutException} (a 504) unless the backend's
   * status and headers arrive within the timeout. Only those: Microsoft's forward-request reference
   * defines {@code timeout} as "the amount of time in seconds to wait for the HTTP response headers
   * to be returned by the backend service", so a body, an event stream say, goes on past it.
   * Jetty's own request timeout would end the whole exchange.
   */
  private void limitTheWaitForHeaders(BackendRequest backendRequest) {
    AtomicBoolean headersArrived = new AtomicBoolean();
    Scheduler.Task headersTimeout =
        http.getScheduler()
            .schedule(
                () -> {
                  if (!headersArrived.get()) {
                    backendRequest.abort(
                        new TimeoutException(
                            "no response headers within " + timeout.toMillis() + " ms"));
                  }
                },
                timeout.toMillis(),
                TimeUnit.MILLISECONDS);
    backendRequest.onResponseHeaders(
        backendResponse -> {
          headersArrived.set(true);
          headersTimeout.cancel();
        });
    backendRequest.onComplete(result -> headersTimeout.cancel());
  }

  private static void copyStatusAndHeaders(
      org.eclipse.jetty.client.Response backendResponse, Response clientResponse) {
    clientResponse.setStatus(backendResponse.getStatus());
    HttpFields backendHeaders = HopByHop.endToEnd(backendResponse.getHeaders());
    if (backendHeaders.contains(HttpHeader.DATE)) {
      clientResponse.getHeaders().remove(HttpHeader.DATE);
    }
    clientResponse.getHeaders().add(backendHeaders);
  }

  /** The client's request body as the backend request reads it, chunk by chunk. */
  private record ClientRequestContent(Request clientRequest)
      implements org.eclipse.jetty.client.Request.Content {

    @Override
    public long getLength() {
      return clientRequest.getLength();
    }

    @Override
    public Content.Chunk read() {
      return clientRequest.read();
    }

    @Override
    public void demand(Runnable demandCallback) {
      clientRequest.demand(demandCallback);
    }

    @Override
    public void fail(Throwable failure) {
      clientRequest.fail(failure);
    }

    /** None: the client's {@code Content-Type} header is forwarded as it is. */
    @Override
    public String getContentType() {
      return null;
    }
  }
}
