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

  private final String rawPath;
  private final String rawQuery;

  GatewayRequest(HttpClient client, URI origin, String rawPath, String rawQuery) {
    super(client, new HttpConversation(), origin);
    this.rawPath = rawPath;
    this.rawQuery = rawQuery;
  }

  @Override
  public String getPath() {
    return rawPath;
  }

  @Override
  public String getQuery() {
    return rawQuery;
  }
}
