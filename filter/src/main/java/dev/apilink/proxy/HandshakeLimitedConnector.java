package dev.apilink.proxy;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.ClientConnectionFactory;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * Jetty's client connector, with the TLS handshake counted as part of opening a connection: a
 * gateway that takes the connection and never finishes the handshake is given up at {@code
 * connectTimeoutSeconds}, as one that never takes it is. Jetty's connect limit ends with the TCP
 * connection, and a request waits on a pending handshake as on a gateway that does not answer: a
 * reviewer's such request got 504 only at {@code timeoutSeconds}, and with no total limit never,
 * holding its exchange and gateway connection until the web application stopped.
 */
final class HandshakeLimitedConnector extends ClientConnector {

  /** A handshake that did not finish within the connect limit. */
  static final class HandshakeTimeout extends SocketTimeoutException {
    private static final long serialVersionUID = 1L;

    HandshakeTimeout(Duration limit) {
      super("the TLS handshake did not finish within " + limit.toMillis() + " ms");
    }
  }

  /**
   * Every TLS connection, whether opened straight to the gateway or inside an HTTP proxy's {@code
   * CONNECT} tunnel (which Jetty opens without this connector's {@code newConnection}: such a
   * handshake that never finished was waited for until {@code timeoutSeconds}, or for ever).
   */
  @Override
  public ClientConnectionFactory newSslClientConnectionFactory(
      SslContextFactory.Client sslContextFactory, ClientConnectionFactory connectionFactory) {
    ClientConnectionFactory tls =
        super.newSslClientConnectionFactory(sslContextFactory, connectionFactory);
    return (endPoint, context) -> limitHandshake(tls.newConnection(endPoint, context), endPoint);
  }

  private Connection limitHandshake(Connection connection, EndPoint endPoint) {
    Duration limit = getConnectTimeout();
    if (connection instanceof SslConnection tls && limit != null && limit.toMillis() > 0) {
      Scheduler.Task giveUp =
          getScheduler()
              .schedule(
                  () -> giveUp(tls, endPoint, new HandshakeTimeout(limit)),
                  limit.toMillis(),
                  TimeUnit.MILLISECONDS);
      tls.addHandshakeListener(
          new SslHandshakeListener() {
            @Override
            public void handshakeSucceeded(Event event) {
              giveUp.cancel();
            }

            @Override
            public void handshakeFailed(Event event, Throwable failure) {
              giveUp.cancel();
            }
          });
    }
    return connection;
  }

  private static void giveUp(SslConnection tls, EndPoint endPoint, HandshakeTimeout cause) {
    if (tls.getSslEndPoint().getConnection() instanceof OutsideParsing.BracketedConnection http) {
      http.giveUp(cause);
    } else {
      endPoint.close(cause);
    }
  }
}
