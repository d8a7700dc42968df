package dev.apilink.testkit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A gateway that accepts connections and reads requests but never answers. It tells when the other
 * side gives up: each connection closed by its client is reported, so a test can show that a proxy
 * aborted its request instead of leaving it hanging.
 */
public final class SilentServer implements AutoCloseable {

  private final ServerSocket socket;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> requestsGivenUp = new LinkedBlockingQueue<>();
  private volatile boolean closed;

  private SilentServer(ServerSocket socket) {
    this.socket = socket;
  }

  /** Starts on a free loopback port. */
  public static SilentServer start() throws IOException {
    SilentServer server =
        new SilentServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Acceptor.start(server.socket, server.connections, "silent-server", server::drain);
    return server;
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Waits until a client closes a connection on which it had sent a request; returns the first line
   * of that request, or null after {@code timeout}.
   */
  public String awaitRequestGivenUp(Duration timeout) throws InterruptedException {
    return requestsGivenUp.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads everything the client sends; the end of the stream means it gave up. */
  private void drain(Socket connection) {
    StringBuilder firstLine = new StringBuilder();
    try (InputStream in = connection.getInputStream()) {
      byte[] buffer = new byte[8192];
      boolean lineDone = false;
      for (int n; (n = in.read(buffer)) >= 0; ) {
        for (int i = 0; i < n && !lineDone; i++) {
          if (buffer[i] == '\r' || buffer[i] == '\n') {
            lineDone = true;
          } else {
            firstLine.append((char) buffer[i]);
          }
        }
      }
    } catch (IOException e) {
      // reset by the client: given up as well
    }
    if (!closed && firstLine.length() > 0) {
      requestsGivenUp.add(firstLine.toString());
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    socket.close();
    for (Socket connection : connections) {
      connection.close();
    }
  }
}
