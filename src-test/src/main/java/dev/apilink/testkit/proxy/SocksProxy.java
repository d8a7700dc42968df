package dev.apilink.testkit.proxy;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A SOCKS proxy (RFC 1928 version 5, with the user name and password of RFC 1929 when asked for
 * them; and version 4 with 4a's host names) that connects to the host a client names and relays
 * bytes both ways. Like {@link ForwardProxy}, it resolves every host name in the {@code .test}
 * domain to {@code 127.0.0.1}, so a client that reaches such a host shows it went through the
 * proxy; and it records each connection it was asked for.
 */
public final class SocksProxy implements AutoCloseable {

  /**
   * One request to connect: the SOCKS version, its target ({@code host:port}, the host as the
   * client named it), and the user name it authenticated with (null for none).
   */
  public record Connect(int version, String target, String user) {}

  private final ServerSocket listener;
  private final String userAndPassword;
  private final boolean repliesToFailures;
  private final List<Connect> connects = new CopyOnWriteArrayList<>();
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  private SocksProxy(String userAndPassword, boolean repliesToFailures) throws IOException {
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.userAndPassword = userAndPassword;
    this.repliesToFailures = repliesToFailures;
    Thread acceptor = new Thread(this::accept, "socks-proxy-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Starts on a free loopback port, asking for no credentials. */
  public static SocksProxy start() throws IOException {
    return new SocksProxy(null, true);
  }

  /**
   * Starts on a free loopback port, asking for no credentials, and closing the client's connection
   * without a reply when it cannot connect to the target, as OpenSSH's dynamic forwarding ({@code
   * ssh -D}, OpenSSH 9.2) does for a target that refuses it or a host name it cannot resolve.
   */
  public static SocksProxy startClosingWithoutReplyOnFailure() throws IOException {
    return new SocksProxy(null, false);
  }

  /**
   * Starts on a free loopback port, connecting only a SOCKS 5 client that gives {@code
   * userAndPassword} ({@code user:password}) as its user name and password.
   */
  public static SocksProxy startAskingForCredentials(String userAndPassword) throws IOException {
    return new SocksProxy(userAndPassword, true);
  }

  public int port() {
    return listener.getLocalPort();
  }

  /** The connections asked for so far, in order, refused ones included. */
  public List<Connect> connects() {
    return List.copyOf(connects);
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket socket : open) {
      socket.close();
    }
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        open.add(client);
        Thread serving = new Thread(() -> serve(client), "socks-proxy-client");
        serving.setDaemon(true);
        serving.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket client) {
    try (client) {
      DataInputStream in = new DataInputStream(client.getInputStream());
      OutputStream out = client.getOutputStream();
      int version = in.readUnsignedByte();
      if (version == 5) {
        serve5(client, in, out);
      } else if (version == 4) {
        serve4(client, in, out);
      }
    } catch (IOException ended) {
      // the client or the target closed: nothing to relay any more
    }
  }

  private void serve5(Socket client, DataInputStream in, OutputStream out) throws IOException {
    byte[] methods = new byte[in.readUnsignedByte()];
    in.readFully(methods);
    int wanted = userAndPassword == null ? 0x00 : 0x02;
    boolean offered = false;
    for (byte method : methods) {
      offered |= method == wanted;
    }
    if (!offered) {
      out.write(new byte[] {5, (byte) 0xFF}); // no acceptable method
      out.flush();
      return;
    }
    out.write(new byte[] {5, (byte) wanted});
    out.flush();
    String user = null;
    if (userAndPassword != null) {
      in.readUnsignedByte(); // the sub-negotiation's version, 1
      user = readString(in, in.readUnsignedByte());
      String password = readString(in, in.readUnsignedByte());
      boolean accepted = userAndPassword.equals(user + ":" + password);
      out.write(new byte[] {1, (byte) (accepted ? 0 : 1)});
      out.flush();
      if (!accepted) {
        return;
      }
    }
    in.readUnsignedByte(); // version
    int command = in.readUnsignedByte();
    in.readUnsignedByte(); // reserved
    String host =
        switch (in.readUnsignedByte()) {
          case 1 -> {
            byte[] address = new byte[4];
            in.readFully(address);
            yield InetAddress.getByAddress(address).getHostAddress();
          }
          case 3 -> readString(in, in.readUnsignedByte());
          default -> throw new IOException("unsupported address type");
        };
    int port = in.readUnsignedShort();
    connects.add(new Connect(5, host + ":" + port, user));
    Socket target = command == 1 ? connect(host, port) : null;
    if (target == null && !repliesToFailures) {
      return;
    }
    // Succeeded, or 5: connection refused (7 for a command other than CONNECT).
    int reply = target != null ? 0 : command == 1 ? 5 : 7;
    out.write(new byte[] {5, (byte) reply, 0, 1, 0, 0, 0, 0, 0, 0});
    out.flush();
    if (target != null) {
      relay(client, target);
    }
  }

  private void serve4(Socket client, DataInputStream in, OutputStream out) throws IOException {
    int command = in.readUnsignedByte();
    int port = in.readUnsignedShort();
    byte[] address = new byte[4];
    in.readFully(address);
    String user = readNulTerminated(in);
    // SOCKS 4a: an address of 0.0.0.x (x not 0) means a host name follows the user id.
    boolean named = address[0] == 0 && address[1] == 0 && address[2] == 0 && address[3] != 0;
    String host =
        named ? readNulTerminated(in) : InetAddress.getByAddress(address).getHostAddress();
    connects.add(new Connect(4, host + ":" + port, user.isEmpty() ? null : user));
    Socket target = command == 1 ? connect(host, port) : null;
    if (target == null && !repliesToFailures) {
      return;
    }
    out.write(new byte[] {0, (byte) (target != null ? 90 : 91), 0, 0, 0, 0, 0, 0});
    out.flush();
    if (target != null) {
      relay(client, target);
    }
  }

  /** A connection to {@code host}, {@code .test} names being this host; null if refused. */
  private Socket connect(String host, int port) {
    try {
      Socket target = new Socket();
      target.connect(
          new InetSocketAddress(host.endsWith(".test") ? "127.0.0.1" : host, port), 5000);
      open.add(target);
      return target;
    } catch (IOException refused) {
      return null;
    }
  }

  private static void relay(Socket client, Socket target) throws IOException {
    try (target) {
      Thread up =
          new Thread(
              () -> {
                try {
                  client.getInputStream().transferTo(target.getOutputStream());
                  target.shutdownOutput();
                } catch (IOException ended) {
                  // either side closed
                }
              },
              "socks-proxy-relay");
      up.setDaemon(true);
      up.start();
      target.getInputStream().transferTo(client.getOutputStream());
      client.shutdownOutput();
    }
  }

  private static String readString(DataInputStream in, int length) throws IOException {
    byte[] bytes = new byte[length];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static String readNulTerminated(InputStream in) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int b = in.read(); b > 0; b = in.read()) {
      text.append((char) b);
    }
    return text.toString();
  }
}
