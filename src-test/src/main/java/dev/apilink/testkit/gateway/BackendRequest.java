package dev.apilink.testkit.gateway;

import java.net.URI;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.transport.HttpConversation;
import org.eclipse.jetty.client.transport.HttpRequest;

/**
 * A request to a backend whose path and query are sent byte for byte as given. Jetty's own request
 * parses them as a {@link URI}, which would normalise or refuse some targets that the gateway
 * accepted from its client.
 */
final class BackendRequest extends HttpRequest {

  private final String rawPath;
  private final String rawQuery;

  BackendRequest(HttpClient client, URI origin, String rawPath, String rawQuery) {
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
