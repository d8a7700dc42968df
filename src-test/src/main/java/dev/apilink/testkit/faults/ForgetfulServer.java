package dev.apilink.testkit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

  private ForgetfulServer(ServerSocket socket) {
    this.socket = socket;
  }

  /** Starts on a free loopback port. */
  public static ForgetfulServer start() throws IOException {
    ForgetfulServer server =
        new ForgetfulServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Acceptor.start(server.socket, server.connections, "forgetful-server", server::handle);
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

  private void handle(Socket connection) {
    try (connection) {
      InputStream in = connection.getInputStream();
      in.skipNBytes(BreakingServer.readHead(in));
      OutputStream out = connection.getOutputStream();
      answered.incrementAndGet(); // counted first: the client may act on the answer at once
      out.write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BreakingServer.readHead(in);
      dropped.incrementAndGet(); // counted first, as the connection is closed unanswered below
    } catch (IOException e) {
      // the client closed the connection first
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
    for (Socket connection : connections) {
      connection.close();
    }
  }
}
