package dev.apilink.proxy;

import java.net.URI;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpConversation;
import org.eclipse.jetty.client.transport.HttpRequest;

/**
 * A request to the gateway whose path and query are sent byte for byte as given. Jetty's own
 * request parses them as a {@link URI} and decodes the query into parameters, which would refuse
 * (or, for a path with {@code #}, cut) some targets that a container accepts.
 */
final class GatewayRequest extends HttpRequest {

  private final String origin;
  private final String rawPath;
  private final String rawQuery;

  GatewayRequest(HttpClient client, URI origin, String rawPath, String rawQuery) {
    super(client, new HttpConversation(), origin);
    this.origin = origin.toString();
    this.rawPath = rawPath;
    this.rawQuery = rawQuery;
  }

  /**
   * The path, in absolute form when an HTTP proxy is sent the request itself (an http gateway; an
   * https one is reached through a tunnel, in origin form). Jetty marks such a request with its
   * proxy, and asks for the absolute form by setting a path that this class does not send.
   */
  @Override
  public String getPath() {
    return getHttpProxy() == null ? rawPath : origin + rawPath;
  }

  @Override
  public String getQuery() {
    return rawQuery;
  }
}
