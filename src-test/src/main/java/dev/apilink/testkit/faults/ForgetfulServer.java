package dev.apilink.testkit.faults;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A gateway whose keep-alive is a promise it breaks: it answers the first request on each
 * connection with {@code 200 ok}, without {@code Connection: close}, and closes the connection when
 * a second request arrives on it, unanswered. That is the race of a pooled connection that the
 * server closes (an idle limit, an early answer) just as the client sends on it, made certain.
 */
public final class ForgetfulServer implements AutoCloseable {

  private final ServerSocket socket;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private volatile boolean closed;

  private ForgetfulServer(ServerSocket socket) {
    this.socket = socket;
  }

  /** Starts on a free loopback port. */
  public static ForgetfulServer start() throws IOException {
    ForgetfulServer server =
        new ForgetfulServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Thread acceptor = new Thread(server::accept, "forgetful-server");
    acceptor.setDaemon(true);
    acceptor.start();
    return server;
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + socket.getLocalPort());
  }

  /** Requests answered (one per connection at most). */
  public int answered() {
    return answered.get();
  }

  /** Requests whose connection was closed instead of answering them. */
  public int dropped() {
    return dropped.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket connection = socket.accept();
        connections.add(connection);
        Thread handler = new Thread(() -> handle(connection), "forgetful-server-connection");
        handler.setDaemon(true);
        handler.start();
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void handle(Socket connection) {
    try (connection) {
      InputStream in = connection.getInputStream();
      in.skipNBytes(readHead(in));
      OutputStream out = connection.getOutputStream();
      answered.incrementAndGet(); // counted first: the client may act on the answer at once
      out.write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      readHead(in);
      dropped.incrementAndGet(); // counted first, as the connection is closed unanswered below
    } catch (IOException e) {
      // the client closed the connection first
    }
  }

  /** Reads a request head and returns its Content-Length (0 without one). */
  private static long readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection ended");
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    long length = 0;
    for (String line : head.toString(StandardCharsets.ISO_8859_1).split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0
          && line.substring(0, colon).trim().toLowerCase(Locale.ROOT).equals("content-length")) {
        length = Long.parseLong(line.substring(colon + 1).trim());
      }
    }
    return length;
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
