package dev.apilink.testkit.faults;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * A gateway whose host is up but whose connections never open: a loopback listening socket that
 * never accepts, its accept queue filled before it is handed out. On Linux a SYN that arrives at a
 * full accept queue is dropped without an answer, so a client's connect hangs until its own connect
 * timeout, as it does towards a host behind a firewall that drops packets.
 *
 * <p>The queue is filled by connecting until a connect does not complete at once: on loopback an
 * answered SYN completes in microseconds, so a connect still pending after {@link
 * #FILL_WAIT_MILLIS} is one whose SYN was dropped. Other systems (macOS, Windows) may refuse
 * instead of dropping; {@link #start()} fails there rather than pretend.
 */
public final class UnacceptingServer implements AutoCloseable {

  static final long FILL_WAIT_MILLIS = 500;
  private static final int MAX_FILLERS = 64;

  private final ServerSocket socket;
  private final List<SocketChannel> fillers = new ArrayList<>();

  private UnacceptingServer(ServerSocket socket) {
    this.socket = socket;
  }

  /** Starts on a free loopback port with its accept queue full. */
  public static UnacceptingServer start() throws IOException {
    UnacceptingServer server = around(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
    try {
      server.fill();
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /**
   * A listening socket (loopback, backlog 1) that accepts as its owner likes until {@link #fill()}
   * makes it take no more: a gateway that served some connections and then stopped accepting.
   * Closing this closes the fillers and {@code socket}.
   */
  public static UnacceptingServer around(ServerSocket socket) {
    return new UnacceptingServer(socket);
  }

  /** Fills the accept queue: from now on a connect hangs. */
  public void fill() throws IOException {
    InetSocketAddress address =
        new InetSocketAddress(socket.getInetAddress(), socket.getLocalPort());
    try (Selector selector = Selector.open()) {
      while (fillers.size() < MAX_FILLERS) {
        SocketChannel channel = SocketChannel.open();
        fillers.add(channel);
        channel.configureBlocking(false);
        if (channel.connect(address)) {
          continue;
        }
        SelectionKey key = channel.register(selector, SelectionKey.OP_CONNECT);
        selector.select(FILL_WAIT_MILLIS);
        if (!key.isConnectable()) {
          key.cancel();
          return; // this SYN was dropped: the queue is full
        }
        key.cancel();
        selector.selectNow();
        if (!channel.finishConnect()) {
          return;
        }
      }
    }
    throw new IOException(
        "the accept queue of a listening socket never filled: this system does not drop SYNs at a"
            + " full queue");
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  @Override
  public void close() throws IOException {
    for (SocketChannel filler : fillers) {
      filler.close();
    }
    socket.close();
  }
}
