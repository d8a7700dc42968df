package dev.apilink.testkit.gateway;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * A token issuer's discovery endpoint for tests: {@code /.well-known/openid-configuration} and the
 * key set it points to, whose keys the test can rotate. Counts the fetches.
 */
final class OpenIdServer implements AutoCloseable {

  static final String ISSUER = "https://red-sea-123.azurestaticapps.net/.auth";

  private final Server server = new Server();
  private final ServerConnector connector = new ServerConnector(server);
  private final AtomicReference<JWKSet> keys = new AtomicReference<>(new JWKSet());
  private final AtomicInteger discoveryFetches = new AtomicInteger();
  private final AtomicInteger keySetFetches = new AtomicInteger();
  private final AtomicBoolean unavailable = new AtomicBoolean();

  private OpenIdServer() {
    connector.setHost("127.0.0.1");
    server.addConnector(connector);
    server.setHandler(
        new Handler.Abstract.NonBlocking() {
          @Override
          public boolean handle(Request request, Response response, Callback callback) {
            String path = Request.getPathInContext(request);
            if (unavailable.get()) {
              Response.writeError(request, response, callback, 503);
              return true;
            }
            String body;
            if (path.equals("/.well-known/openid-configuration")) {
              discoveryFetches.incrementAndGet();
              body =
                  "{\"issuer\": \""
                      + ISSUER
                      + "\", \"jwks_uri\": \""
                      + base()
                      + "/.well-known/jwks.json\"}";
            } else if (path.equals("/.well-known/jwks.json")) {
              keySetFetches.incrementAndGet();
              body = keys.get().toString(true);
            } else {
              return false;
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
          }
        });
  }

  static OpenIdServer start(JWK... keys) throws Exception {
    OpenIdServer server = new OpenIdServer();
    server.publish(keys);
    server.server.start();
    return server;
  }

  /** Publishes exactly {@code keys} (their public parts) from now on. */
  void publish(JWK... keys) {
    this.keys.set(new JWKSet(List.of(keys)).toPublicJWKSet());
  }

  /** Whether both documents are answered 503, as by an issuer that is down. */
  void unavailable(boolean down) {
    unavailable.set(down);
  }

  String base() {
    return "http://127.0.0.1:" + connector.getLocalPort();
  }

  /** The discovery document's URL, for {@code <openid-config url="..."/>}. */
  URI discoveryUrl() {
    return URI.create(base() + "/.well-known/openid-configuration");
  }

  int discoveryFetches() {
    return discoveryFetches.get();
  }

  int keySetFetches() {
    return keySetFetches.get();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
