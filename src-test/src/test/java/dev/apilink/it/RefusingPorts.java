package dev.apilink.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * Loopback ports where a connection is refused for as long as a test needs them: each is held by a
 * socket that is bound but never listens. A port found free and released at once could be taken
 * meanwhile by any server on port 0 or by an outgoing connection, and a test expecting "could not
 * be reached" would then see something else.
 */
public final class RefusingPorts implements AutoCloseable {

  private final List<Socket> held = new ArrayList<>();

  /** A new refusing port, held until {@link #close()}. */
  public synchronized int next() throws IOException {
    Socket socket = new Socket();
    try {
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    held.add(socket);
    return socket.getLocalPort();
  }

  /** Releases every port handed out. */
  @Override
  public synchronized void close() throws IOException {
    for (Socket socket : held) {
      socket.close();
    }
    held.clear();
  }
}
