package dev.apilink.testkit.gateway;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * An answer the gateway gives itself, in APIM's shape: {@code {"statusCode": N, "message": "..."}}
 * with {@code Content-Type: application/json}. Every status the gateway produces is mapped here.
 */
record GatewayError(int status, String message, long retryAfterSeconds) {

  /** An error without {@code Retry-After}. */
  GatewayError(int status, String message) {
    this(status, message, 0);
  }

  /** APIM's answer to a call over a {@code rate-limit}: 429 with {@code Retry-After}. */
  static GatewayError rateLimited(long retryAfterSeconds) {
    return new GatewayError(
        429,
        "Rate limit is exceeded. Try again in " + retryAfterSeconds + " seconds.",
        retryAfterSeconds);
  }

  static final GatewayError MISSING_KEY =
      new GatewayError(
          401,
          "Access denied due to missing subscription key. Make sure to include subscription key"
              + " when making requests to an API.");
  static final GatewayError INVALID_KEY =
      new GatewayError(
          401,
          "Access denied due to invalid subscription key. Make sure to provide a valid key for an"
              + " active subscription.");
  static final GatewayError NOT_FOUND = new GatewayError(404, "Resource not found");
  static final GatewayError INTERNAL = new GatewayError(500, "Internal server error");

  /**
   * The backend could not be reached or did not answer. APIM's own wording is not documented; these
   * follow Jetty's proxy: a timeout is 504, anything else 502.
   */
  static GatewayError backendFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof TimeoutException) {
        return new GatewayError(504, "Gateway Timeout");
      }
    }
    return new GatewayError(502, "Bad Gateway");
  }

  /** The JSON body, spaced as APIM writes it. */
  String body() {
    return "{\"statusCode\": " + status + ", \"message\": " + jsonString(message) + "}";
  }

  void write(Response response, Callback callback) {
    byte[] bytes = body().getBytes(StandardCharsets.UTF_8);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
    if (retryAfterSeconds > 0) {
      response.getHeaders().put(HttpHeader.RETRY_AFTER, retryAfterSeconds);
    }
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  private static String jsonString(String text) {
    StringBuilder json = new StringBuilder("\"");
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    return json.append('"').toString();
  }
}
