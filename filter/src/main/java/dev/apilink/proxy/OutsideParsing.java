package dev.apilink.proxy;

import dev.apilink.config.Loggers;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.client.transport.internal.HttpConnectionOverHTTP;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;

/**
 * Keeps the response pump out of Jetty's HTTP/1 response parsing, on the thread that parses.
 *
 * <p>Jetty 12.1's {@code HttpReceiverOverHTTP.parse()} keeps the network buffer it parses in a
 * local variable while it calls the application (response headers, content available). If the
 * application reads more content in that call, the receiver may return that buffer to the pool and
 * take another; if the exchange is then aborted before the call returns, {@code parse()} clears the
 * buffer it still holds, which by then may belong to another connection. That other connection
 * loses the bytes it had not parsed yet and reads body bytes as a response head: one gateway
 * response garbled ("HTTP protocol violation: bad response ... Illegal character") and, in the same
 * runs, {@code BufferOverflowException} and {@code AssertionError} from the receiver's fill. Seen
 * about once per thousand broken-off downloads (SECURITY.md, "Garbled gateway responses").
 *
 * <p>So Jetty's parsing of what a gateway connection received ({@code onFillable()}), every run of
 * the pump and every abort are {@linkplain #run bracketed}: work that Jetty calls back inside a
 * bracket is {@linkplain #later deferred} until the outermost bracket on that thread returns, when
 * no parse is under way on it. Same thread, no hand-over. Not bracketed: parsing that Jetty starts
 * on a thread of its own outside these (after its own timeout aborts an exchange, say), where the
 * pump still runs inside the callback as before.
 */
final class OutsideParsing {

  private static final Logger LOG = Loggers.named("dev.apilink.proxy");

  /**
   * Set only while a bracket is open, and removed when the outermost one closes: a value of a class
   * that the web application loaded, left in a container's thread, would keep the application in
   * memory after it is stopped (Tomcat reports it as a probable leak).
   */
  private static final ThreadLocal<OutsideParsing> ON_THIS_THREAD = new ThreadLocal<>();

  private ArrayDeque<Runnable> deferred; // made when first needed: most brackets defer nothing

  private OutsideParsing() {}

  /** Runs {@code work} now, inside a bracket; then whatever was deferred meanwhile. */
  static void run(Runnable work) {
    if (ON_THIS_THREAD.get() != null) {
      work.run(); // a bracket is open already: its end runs what this defers
      return;
    }
    OutsideParsing here = new OutsideParsing();
    ON_THIS_THREAD.set(here);
    try {
      work.run();
    } finally {
      try {
        here.runDeferred();
      } finally {
        ON_THIS_THREAD.remove();
      }
    }
  }

  /** Runs {@code work} now if no bracket is open on this thread, else once the outermost closes. */
  static void later(Runnable work) {
    OutsideParsing here = ON_THIS_THREAD.get();
    if (here == null) {
      run(work);
      return;
    }
    if (here.deferred == null) {
      here.deferred = new ArrayDeque<>();
    }
    here.deferred.add(work);
  }

  /** Runs what was deferred, and what that defers in turn, still inside the outermost bracket. */
  private void runDeferred() {
    if (deferred == null) {
      return;
    }
    for (Runnable next = deferred.poll(); next != null; next = deferred.poll()) {
      try {
        next.run();
      } catch (RuntimeException | Error e) {
        // One exchange's failure must not drop the others' deferred work, an Error's neither (a
        // class the container could not load, memory). The pump handles its own failures, so
        // this is a programming error or this server failing.
        LOG.log(Level.SEVERE, "ApiLink: deferred work failed", e);
      }
    }
  }

  /** The HTTP/1.1 transport whose connections parse responses inside a bracket. */
  static final class Transport extends HttpClientTransportOverHTTP {
    Transport() {
      super(new HandshakeLimitedConnector());
    }

    @Override
    public Connection newConnection(EndPoint endPoint, Map<String, Object> context) {
      // What Jetty's HttpClientConnectionFactory does, with the bracketing connection.
      HttpConnectionOverHTTP connection = new BracketedConnection(endPoint, context);
      connection.setInitialize(isInitializeConnections());
      connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
      return customize(connection, context);
    }
  }

  static final class BracketedConnection extends HttpConnectionOverHTTP {
    BracketedConnection(EndPoint endPoint, Map<String, Object> context) {
      super(endPoint, context);
    }

    /**
     * Closes this connection, failing its exchange with {@code cause} first: closing the end point
     * alone left the exchange to fail with whatever its next write met (a {@code
     * ClosedChannelException}, seen in one run of the suite), not with the cause.
     */
    void giveUp(Throwable cause) {
      OutsideParsing.run(() -> close(cause));
    }

    @Override
    public void onFillable() {
      OutsideParsing.run(super::onFillable);
    }
  }
}
