package dev.apilink.proxy;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * What an answer given without reading the client's request body must say about the connection.
 *
 * <p>The container deals with an unread body after the response: Tomcat reads and discards it,
 * Jetty closes the connection when the body has not all arrived yet, after a response that did not
 * say so. A client that sent its next request on that connection meanwhile gets no answer at all
 * (seen in the route-rule tests as "header parser received no bytes"). {@code Connection: close}
 * (RFC 9112 9.6) tells the client not to reuse it.
 */
public final class UnreadBody {

  private UnreadBody() {}

  /** Whether the request announces a body: any Transfer-Encoding, or a Content-Length above 0. */
  private static boolean announced(HttpServletRequest clientRequest) {
    return clientRequest.getHeader("Transfer-Encoding") != null
        || clientRequest.getContentLengthLong() > 0;
  }

  /**
   * Asks the client to close the connection after this answer, if the request has a body. Only on
   * HTTP/1.x: HTTP/2 has no such field (RFC 9113 8.2.2), and ends the one stream on its own.
   */
  public static void closeAfterAnswer(
      HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    if (announced(clientRequest) && clientRequest.getProtocol().startsWith("HTTP/1.")) {
      clientResponse.setHeader("Connection", "close");
    }
  }
}
