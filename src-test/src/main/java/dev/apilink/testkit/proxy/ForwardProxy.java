package dev.apilink.testkit.proxy;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ConnectHandler;
import org.eclipse.jetty.util.Callback;

/**
 * A corporate forward proxy: it opens {@code CONNECT} tunnels (what an HTTP client asks of an HTTP
 * proxy for an https server) and serves nothing else. It resolves every host name in the {@code
 * .test} domain (reserved by RFC 2606, so never in DNS) to {@code 127.0.0.1}: a client that reaches
 * such a host shows it went through the proxy. It records each tunnel it was asked for, with the
 * header names of its {@code CONNECT}.
 *
 * <p>A proxy that asks for credentials answers {@code 407 Proxy Authentication Required}, with a
 * {@code Proxy-Authenticate} challenge, to a {@code CONNECT} without the right Basic {@code
 * Proxy-Authorization}, and to every other request (those of a client that would send an http
 * server's requests through it).
 */
public final class ForwardProxy implements AutoCloseable {

  /** One {@code CONNECT}: its target ({@code host:port}) and the names of its header fields. */
  public record Tunnel(String target, List<String> headerNames) {}

  private final Server server;
  private final List<Tunnel> tunnels;

  private ForwardProxy(Server server, List<Tunnel> tunnels) {
    this.server = server;
    this.tunnels = tunnels;
  }

  /** Starts on a free loopback port. */
  public static ForwardProxy start() throws Exception {
    return start(null);
  }

  /**
   * Starts on a free loopback port, refusing every tunnel with {@code 407 Proxy Authentication
   * Required}, as a proxy that wants credentials the client does not send.
   */
  public static ForwardProxy startAskingForCredentials() throws Exception {
    return start(NO_CREDENTIALS_ACCEPTED);
  }

  /**
   * Starts on a free loopback port, opening a tunnel only for a {@code CONNECT} that carries {@code
   * userAndPassword} ({@code user:password}) as Basic {@code Proxy-Authorization}.
   */
  public static ForwardProxy startAskingForCredentials(String userAndPassword) throws Exception {
    return start(
        "Basic "
            + Base64.getEncoder().encodeToString(userAndPassword.getBytes(StandardCharsets.UTF_8)));
  }

  /** No {@code Proxy-Authorization} equals it. */
  private static final String NO_CREDENTIALS_ACCEPTED = "";

  /**
   * @param authorization the {@code Proxy-Authorization} a request must carry; null for none
   */
  private static ForwardProxy start(String authorization) throws Exception {
    List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    Tunnels handler = new Tunnels(authorization, tunnels);
    handler.setHandler(new PlainRequests(authorization));
    server.setHandler(handler);
    server.start();
    return new ForwardProxy(server, tunnels);
  }

  public int port() {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  /** The tunnels asked for so far, in order. */
  public List<Tunnel> tunnels() {
    return List.copyOf(tunnels);
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  private static boolean authorized(Request request, String authorization) {
    if (authorization == null) {
      return true;
    }
    return authorization.equals(request.getHeaders().get(HttpHeader.PROXY_AUTHORIZATION));
  }

  private static final String CHALLENGE = "Basic realm=\"corporate proxy\"";

  private static final class Tunnels extends ConnectHandler {
    private final String authorization;
    private final List<Tunnel> tunnels;

    Tunnels(String authorization, List<Tunnel> tunnels) {
      this.authorization = authorization;
      this.tunnels = tunnels;
    }

    @Override
    protected boolean handleAuthentication(Request request, Response response, String address) {
      boolean authorized = authorized(request, authorization);
      if (!authorized) {
        response.getHeaders().put(HttpHeader.PROXY_AUTHENTICATE, CHALLENGE);
      }
      return authorized;
    }

    @Override
    protected void handleConnect(
        Request request, Response response, Callback callback, String serverAddress) {
      tunnels.add(
          new Tunnel(serverAddress, List.copyOf(request.getHeaders().getFieldNamesCollection())));
      super.handleConnect(request, response, callback, serverAddress);
    }

    @Override
    protected InetSocketAddress newConnectAddress(String host, int port) {
      return host.endsWith(".test")
          ? new InetSocketAddress("127.0.0.1", port)
          : super.newConnectAddress(host, port);
    }
  }

  /**
   * Every request but a {@code CONNECT}: a proxy that asks for credentials answers {@code 407}
   * without them; this one forwards nothing, so with them it answers {@code 501}.
   */
  private static final class PlainRequests extends Handler.Abstract {
    private final String authorization;

    PlainRequests(String authorization) {
      this.authorization = authorization;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      if (authorized(request, authorization)) {
        Response.writeError(request, response, callback, HttpStatus.NOT_IMPLEMENTED_501);
      } else {
        response.getHeaders().put(HttpHeader.PROXY_AUTHENTICATE, CHALLENGE);
        Response.writeError(
            request, response, callback, HttpStatus.PROXY_AUTHENTICATION_REQUIRED_407);
      }
      return true;
    }
  }
}
