package dev.apilink.testkit.faults;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
  private final List<String> answeredHeads = new CopyOnWriteArrayList<>();
  private final CountDownLatch unanswered = new CountDownLatch(1);
  private final CountDownLatch drop;

  private ForgetfulServer(ServerSocket socket, CountDownLatch drop) {
    this.socket = socket;
    this.drop = drop;
  }

  /** Starts on a free loopback port. */
  public static ForgetfulServer start() throws IOException {
    return start(new CountDownLatch(0));
  }

  /**
   * As {@link #start}, but a second request is held unanswered, its connection open, until {@link
   * #drop}: so that the client learns of the close on a thread of its own, not on the one that sent
   * the request (where the send can meet it).
   */
  public static ForgetfulServer startDroppingWhenTold() throws IOException {
    return start(new CountDownLatch(1));
  }

  private static ForgetfulServer start(CountDownLatch drop) throws IOException {
    ForgetfulServer server =
        new ForgetfulServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), drop);
    Acceptor.start(server.socket, server.connections, "forgetful-server", server::handle);
    return server;
  }

  /** Waits until a second request has arrived on a connection; fails after {@code timeout}. */
  public void awaitUnanswered(Duration timeout) throws InterruptedException {
    if (!unanswered.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("no second request on a connection within " + timeout);
    }
  }

  /** Closes the connections whose second request is held (see {@link #startDroppingWhenTold}). */
  public void drop() {
    drop.countDown();
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + socket.getLocalPort());
  }

  /** Requests answered (one per connection at most). */
  public int answered() {
    return answered.get();
  }

  /** The heads of the requests answered, in the order they came. */
  public List<String> answeredHeads() {
    return List.copyOf(answeredHeads);
  }

  /** Requests whose connection was closed instead of answering them. */
  public int dropped() {
    return dropped.get();
  }

  private void handle(Socket connection) {
    try (connection) {
      InputStream in = connection.getInputStream();
      String head = BreakingServer.readHeadText(in);
      in.skipNBytes(BreakingServer.contentLength(head));
      OutputStream out = connection.getOutputStream();
      answeredHeads.add(head);
      answered.incrementAndGet(); // counted first: the client may act on the answer at once
      out.write(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BreakingServer.readHead(in);
      unanswered.countDown();
      drop.await();
      dropped.incrementAndGet(); // counted first, as the connection is closed unanswered below
    } catch (IOException e) {
      // the client closed the connection first
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // closing
    }
  }

  @Override
  public void close() throws IOException {
    drop.countDown();
    socket.close();
    for (Socket connection : connections) {
      connection.close();
    }
  }
}
