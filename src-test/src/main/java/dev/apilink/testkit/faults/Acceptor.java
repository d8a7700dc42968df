package dev.apilink.testkit.faults;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.function.Consumer;

/**
 * The accepting side of the fault servers that serve connections at once: each connection is
 * recorded and handled on a daemon thread of its own, until the server socket is closed.
 */
public final class Acceptor {

  private Acceptor() {}

  /**
   * Starts accepting on {@code socket} on a daemon thread named {@code name}.
   *
   * @param connections where each accepted connection is added, for the server to close
   * @param handler what each connection gets, on its own thread
   */
  public static void start(
      ServerSocket socket, List<Socket> connections, String name, Consumer<Socket> handler) {
    Thread acceptor =
        new Thread(
            () -> {
              while (true) {
                Socket connection;
                try {
                  connection = socket.accept();
                } catch (IOException e) {
                  return; // closed
                }
                connections.add(connection);
                Thread thread = new Thread(() -> handler.accept(connection), name + "-connection");
                thread.setDaemon(true);
                thread.start();
              }
            },
            name);
    acceptor.setDaemon(true);
    acceptor.start();
  }
}
