package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class GatewayErrorTest {

  static GatewayError of(Throwable failure) {
    return GatewayError.of(failure, 10, 45);
  }

  @Test
  void eachFailureHasItsStatusAndMessage() {
    assertEquals(
        new GatewayError(502, "Bad gateway: the API gateway could not be reached."),
        of(new ConnectException("Connection refused")));
    assertEquals(
        new GatewayError(502, "Bad gateway: the API gateway's host name does not resolve."),
        of(new IOException(new UnknownHostException("x.invalid"))));
    assertEquals(
        new GatewayError(504, "Gateway timeout: the API gateway did not answer within 45 seconds."),
        of(new ExecutionException(new TimeoutException("Total timeout 45000 ms elapsed"))));
    assertEquals(
        new GatewayError(
            504, "Gateway timeout: no connection to the API gateway within 10 seconds."),
        of(new SocketTimeoutException("Connect Timeout")));
    assertEquals(
        new GatewayError(
            413, "Request entity too large: the request body is over the limit of 100 bytes."),
        of(new IOException(new GatewayError.RequestBodyTooLarge(100))));
  }

  @Test
  void aResponseThatFailsAfterTheRequestWentOutIsABrokenResponseUnlessItWasTooSlow() {
    assertEquals(
        new GatewayError(502, "Bad gateway: the API gateway's response broke off."),
        GatewayError.ofResponse(new java.io.EOFException("reset"), 10, 45));
    assertEquals(
        new GatewayError(504, "Gateway timeout: the API gateway did not answer within 45 seconds."),
        GatewayError.ofResponse(new TimeoutException("Total timeout 45000 ms elapsed"), 10, 45));
    // The gateway had the head of a chunked body when it went over the limit.
    assertEquals(
        new GatewayError(
            413, "Request entity too large: the request body is over the limit of 100 bytes."),
        GatewayError.ofResponse(
            new IOException(new GatewayError.RequestBodyTooLarge(100)), 10, 45));
    assertEquals(
        new GatewayError(502, "Bad gateway: the API gateway's response headers are too large."),
        GatewayError.ofResponse(new GatewayError.ResponseHeadersTooLarge(9000, 256, 8192), 10, 45));
    assertEquals(
        new GatewayError(502, "Bad gateway: the API gateway's response was not valid HTTP."),
        GatewayError.ofResponse(
            new org.eclipse.jetty.client.HttpResponseException(
                "HTTP protocol violation: bad response", null),
            10,
            45));
    // A request sent again after its pooled connection failed, whose new connection never opened.
    assertEquals(
        new GatewayError(
            504, "Gateway timeout: no connection to the API gateway within 10 seconds."),
        GatewayError.ofResponse(new java.net.SocketTimeoutException("Connect Timeout"), 10, 45));
  }

  /**
   * Jetty's parser reports a connection that closed inside the response head ("HTTP/1.1 20") as an
   * early EOF; bytes of a response came back, so the gateway was reached even when the request's
   * commit had not been notified yet (a suite run under load answered "could not be reached").
   */
  @Test
  void aResponseHeadCutOffIsABrokenResponseEvenBeforeTheRequestWasSeenToGoOut() {
    assertEquals(
        new GatewayError(502, "Bad gateway: the API gateway's response broke off."),
        of(
            new org.eclipse.jetty.client.HttpResponseException(
                "HTTP protocol violation: bad response",
                null,
                new RuntimeException("20: Early EOF"))));
  }

  @Test
  void theBodyHasApimsShape() {
    assertEquals(
        "{\"statusCode\": 502, \"message\": \"a \\\"quoted\\\" \\\\ word\"}",
        new String(new GatewayError(502, "a \"quoted\" \\ word").body(), StandardCharsets.UTF_8));
  }

  @Test
  void aTimeoutAnywhereInTheCauseChainIsTheExchangesTimeout() {
    assertTrue(GatewayError.timedOut(new IOException("x", new TimeoutException("Total timeout"))));
    assertFalse(GatewayError.timedOut(new EOFException()));
  }
}
