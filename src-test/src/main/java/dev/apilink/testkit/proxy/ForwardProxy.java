package dev.apilink.testkit.proxy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
    return start(false);
  }

  /**
   * Starts on a free loopback port, refusing every tunnel with {@code 407 Proxy Authentication
   * Required}, as a proxy that wants credentials the client does not send.
   */
  public static ForwardProxy startAskingForCredentials() throws Exception {
    return start(true);
  }

  private static ForwardProxy start(boolean askForCredentials) throws Exception {
    List<Tunnel> tunnels = new CopyOnWriteArrayList<>();
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(new Tunnels(askForCredentials, tunnels));
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

  private static final class Tunnels extends ConnectHandler {
    private final boolean askForCredentials;
    private final List<Tunnel> tunnels;

    Tunnels(boolean askForCredentials, List<Tunnel> tunnels) {
      this.askForCredentials = askForCredentials;
      this.tunnels = tunnels;
    }

    @Override
    protected boolean handleAuthentication(Request request, Response response, String address) {
      return !askForCredentials;
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
}
