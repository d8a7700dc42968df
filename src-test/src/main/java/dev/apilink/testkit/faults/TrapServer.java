package dev.apilink.testkit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A server that no request should ever reach: a test names it in a request target, a {@code Host}
 * or an {@code X-Forwarded-Host} and then shows that it saw no connection. Anything that does
 * connect is recorded and answered with {@link #BODY}, so that a response carrying it also tells.
 */
public final class TrapServer implements AutoCloseable {

  /** What the trap answers, should anything reach it. */
  public static final String BODY = "the trap server was reached";

  private final ServerSocket socket;
  private final List<String> connections = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private TrapServer(ServerSocket socket) {
    this.socket = socket;
  }

  /** Starts on a free loopback port. */
  public static TrapServer start() throws IOException {
    TrapServer trap = new TrapServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Thread acceptor = new Thread(trap::accept, "trap-server");
    acceptor.setDaemon(true);
    acceptor.start();
    return trap;
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code 127.0.0.1:<port>} */
  public String authority() {
    return "127.0.0.1:" + port();
  }

  /** The first bytes received on each connection so far (empty if none came). */
  public List<String> connections() {
    return List.copyOf(connections);
  }

  private void accept() {
    while (!closed) {
      try (Socket connection = socket.accept()) {
        connection.setSoTimeout(2000);
        byte[] first = new byte[256];
        int n;
        try {
          InputStream in = connection.getInputStream();
          n = Math.max(0, in.read(first));
        } catch (IOException e) {
          n = 0;
        }
        connections.add(new String(first, 0, n, StandardCharsets.ISO_8859_1));
        byte[] body = BODY.getBytes(StandardCharsets.US_ASCII);
        OutputStream out = connection.getOutputStream();
        out.write(
            ("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body);
      } catch (IOException e) {
        if (closed) {
          return;
        }
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    socket.close();
  }
}
