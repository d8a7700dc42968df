package dev.apilink.testkit.gateway;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpFields;

/**
 * The tests' HTTP client: Jetty's, sending paths and queries byte for byte, decoding nothing,
 * following no redirects.
 */
final class TestClient implements AutoCloseable {

  /** One answer, body read whole (tests keep bodies small, except where they stream). */
  record Reply(int status, HttpFields headers, byte[] content) {
    String header(String name) {
      return headers.get(name);
    }

    String body() {
      return new String(content, StandardCharsets.UTF_8);
    }
  }

  private final HttpClient http = new HttpClient();

  TestClient() {
    http.setFollowRedirects(false);
    http.setHttpCookieStore(new HttpCookieStore.Empty());
    try {
      http.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    http.getContentDecoderFactories().clear();
    // A 401 is an answer to look at, not a challenge to answer.
    http.getProtocolHandlers().clear();
  }

  HttpClient http() {
    return http;
  }

  /** A request for {@code rawPath} and {@code rawQuery} exactly as given. */
  Request request(URI origin, String rawPath, String rawQuery) {
    return new BackendRequest(http, origin, rawPath, rawQuery).timeout(20, TimeUnit.SECONDS);
  }

  Reply get(URI origin, String rawPath) {
    return send(request(origin, rawPath, null));
  }

  Reply get(URI origin, String rawPath, Consumer<HttpFields.Mutable> headers) {
    return send(request(origin, rawPath, null).headers(headers));
  }

  Reply send(Request request) {
    try {
      ContentResponse response = request.send();
      return new Reply(response.getStatus(), response.getHeaders(), response.getContent());
    } catch (Exception e) {
      throw new AssertionError("the request failed: " + e, e);
    }
  }

  @Override
  public void close() {
    try {
      http.stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
