package dev.apilink.routes;

import dev.apilink.proxy.GatewayError;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * What the route rules decide for one {@code /api} request: proxy it, or answer it here with a
 * redirect or a JSON error. Built once per rule when the rules are loaded, never per request.
 */
public sealed interface Decision {

  /** Send the request to the gateway. */
  Decision PROXY = new Proxy();

  /** Whether the request goes to the gateway. */
  default boolean proxies() {
    return this == PROXY;
  }

  /**
   * Answers the client. A redirect that starts with {@code /} is a path in the web application, as
   * on Static Web Apps where it is relative to the site's root: the context path goes in front.
   */
  void send(HttpServletResponse clientResponse, String contextPath) throws IOException;

  /** The request goes to the gateway; nothing to send here. */
  final class Proxy implements Decision {
    private Proxy() {}

    @Override
    public void send(HttpServletResponse clientResponse, String contextPath) {
      throw new IllegalStateException("a proxied request is answered by the gateway");
    }

    @Override
    public String toString() {
      return "proxy";
    }
  }

  /** A redirect: 301, 302, 307 or 308 to {@code location}. */
  record Redirect(int status, String location) implements Decision {
    @Override
    public void send(HttpServletResponse clientResponse, String contextPath) {
      clientResponse.setStatus(status);
      clientResponse.setHeader(
          "Location", location.startsWith("/") ? contextPath + location : location);
      clientResponse.setContentLength(0);
    }
  }

  /**
   * An answer in the JSON shape of the filter's other errors, {@code {"statusCode", "message"}}.
   */
  record Answer(int status, String message) implements Decision {
    @Override
    public void send(HttpServletResponse clientResponse, String contextPath) throws IOException {
      new GatewayError(status, message).send(clientResponse);
    }
  }
}
