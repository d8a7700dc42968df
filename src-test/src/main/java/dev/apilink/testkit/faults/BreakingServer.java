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
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A gateway that starts to answer and then breaks off. For each connection it reads one request
 * (its head, and a body of the declared {@code Content-Length}), sends the bytes it was given, then
 * ends as told: it closes the connection ({@link Ending#CLOSE}), resets it ({@link Ending#RESET},
 * an RST as a crashed process or a load balancer sends) or stalls with the connection open ({@link
 * Ending#STALL}) until the other side gives up.
 *
 * <p>It reports how each connection ended, so a test can show that the proxy did not keep it.
 */
public final class BreakingServer implements AutoCloseable {

  /** How the server breaks off after sending what it was given. */
  public enum Ending {
    /** Close with SO_LINGER 0: the peer sees a reset. */
    RESET,
    /** Close the connection normally: the peer reads the end of the stream. */
    CLOSE,
    /** Send nothing more and keep the connection open until the peer closes it. */
    STALL
  }

  private final ServerSocket socket;
  private final byte[] answer;
  private final Ending ending;
  private final boolean readsBody;
  private final List<Socket> connections = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> ended = new LinkedBlockingQueue<>();
  private volatile boolean closed;

  private BreakingServer(ServerSocket socket, byte[] answer, Ending ending, boolean readsBody) {
    this.socket = socket;
    this.answer = answer;
    this.ending = ending;
    this.readsBody = readsBody;
  }

  /**
   * Starts on a free loopback port.
   *
   * @param answer the bytes sent after each request, before breaking off (may be empty)
   * @param ending what happens then
   */
  public static BreakingServer start(byte[] answer, Ending ending) throws IOException {
    return start(answer, ending, true);
  }

  /**
   * As {@link #start}, but sends {@code answer} as soon as it has the request head, without reading
   * the body: as a gateway policy that refuses an upload early does.
   */
  public static BreakingServer startAnsweringBeforeTheBody(byte[] answer, Ending ending)
      throws IOException {
    return start(answer, ending, false);
  }

  private static BreakingServer start(byte[] answer, Ending ending, boolean readsBody)
      throws IOException {
    BreakingServer server =
        new BreakingServer(
            new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
            answer.clone(),
            ending,
            readsBody);
    Acceptor.start(server.socket, server.connections, "breaking-server", server::handle);
    return server;
  }

  /**
   * A response head and the first {@code sentBytes} of a body of {@code declaredBytes}: with a
   * {@code Content-Length} when {@code sized}, else as one chunk of a chunked body that never ends.
   */
  public static byte[] partialResponse(long declaredBytes, int sentBytes, boolean sized) {
    return partialResponse("200 OK", declaredBytes, sentBytes, sized);
  }

  /** As {@link #partialResponse(long, int, boolean)}, with {@code status} ("404 Not Found"). */
  public static byte[] partialResponse(
      String status, long declaredBytes, int sentBytes, boolean sized) {
    StringBuilder head =
        new StringBuilder("HTTP/1.1 ").append(status).append("\r\nContent-Type: text/plain\r\n");
    if (sized) {
      head.append("Content-Length: ").append(declaredBytes).append("\r\n\r\n");
    } else {
      head.append("Transfer-Encoding: chunked\r\n\r\n")
          .append(Integer.toHexString(sentBytes))
          .append("\r\n");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(head.toString().getBytes(StandardCharsets.US_ASCII));
    for (int i = 0; i < sentBytes; i++) {
      bytes.write('a' + i % 26);
    }
    if (!sized) {
      bytes.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    return bytes.toByteArray();
  }

  public int port() {
    return socket.getLocalPort();
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Waits until a connection has ended and returns how: {@code "reset by the server"} or {@code
   * "closed by the client"}; null after {@code timeout}.
   */
  public String awaitConnectionEnded(Duration timeout) throws InterruptedException {
    return ended.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Connections accepted and not yet ended. */
  public long openConnections() {
    return connections.stream().filter(c -> !c.isClosed()).count();
  }

  private void handle(Socket connection) {
    String how;
    try {
      InputStream in = connection.getInputStream();
      long bodyBytes = readHead(in);
      if (readsBody) {
        in.skipNBytes(bodyBytes);
      }
      OutputStream out = connection.getOutputStream();
      out.write(answer);
      out.flush();
      if (ending == Ending.RESET) {
        connection.setSoLinger(true, 0);
        connection.close();
        how = "reset by the server";
      } else if (ending == Ending.CLOSE) {
        connection.close();
        how = "closed by the server";
      } else {
        while (in.read() >= 0) {
          // the client sends nothing more; the end of the stream means it gave up
        }
        how = "closed by the client";
      }
    } catch (IOException e) {
      how = "closed by the client";
    }
    try {
      connection.close();
    } catch (IOException e) {
      // closing
    }
    if (!closed) {
      ended.add(how);
    }
  }

  /**
   * Reads a request head and returns its Content-Length (0 without one); fails if the connection
   * ends first. Shared by the fault servers that read requests, and by tests that play a gateway on
   * a bare socket.
   */
  public static long readHead(InputStream in) throws IOException {
    return contentLength(readHeadText(in));
  }

  /** Reads a request head and returns it whole; fails if the connection ends first. */
  public static String readHeadText(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the request head broke off");
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** The Content-Length that a request head names, 0 without one. */
  public static long contentLength(String head) {
    long length = 0;
    for (String line : head.split("\r\n")) {
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
