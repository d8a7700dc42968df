package dev.apilink.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A gateway seen at the byte level: it records every byte ApiLink writes on each connection and how
 * the connection ended, and answers {@code 200 ok} to each request once the request is complete by
 * its own framing ({@code Content-Length} or the last chunk), never before. A request the gateway
 * holds as complete is one it would have processed.
 */
final class RecordingGateway implements AutoCloseable {

  /** One gateway connection: the bytes received and, once it ended, how. */
  static final class Connection {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private volatile String ending; // null while open; "closed" or "reset"

    synchronized byte[] bytes() {
      return bytes.toByteArray();
    }

    synchronized void add(byte[] buffer, int length) {
      bytes.write(buffer, 0, length);
    }

    String ending() {
      return ending;
    }

    boolean ended() {
      return ending != null;
    }

    /** How many bytes came after the first request's head, chunk framing included. */
    int bytesAfterTheFirstHead() {
      String text = new String(bytes(), StandardCharsets.ISO_8859_1);
      int headEnd = text.indexOf("\r\n\r\n");
      return headEnd < 0 ? 0 : text.length() - headEnd - 4;
    }

    /** The requests on this connection that are complete by their own framing. */
    List<String> completeRequests() {
      return complete(bytes());
    }

    @Override
    public String toString() {
      String text = new String(bytes(), StandardCharsets.ISO_8859_1);
      return (ending == null ? "open" : ending)
          + " after "
          + text.length()
          + " bytes: "
          + (text.length() > 600 ? "..." + text.substring(text.length() - 600) : text)
              .replace("\r", "\\r")
              .replace("\n", "\\n")
          + ", complete requests: "
          + completeRequests().size();
    }
  }

  private final ServerSocket server;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private RecordingGateway(ServerSocket server) {
    this.server = server;
  }

  static RecordingGateway start() throws IOException {
    RecordingGateway gateway =
        new RecordingGateway(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    Thread acceptor = new Thread(gateway::accept, "recording-gateway");
    acceptor.setDaemon(true);
    acceptor.start();
    return gateway;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + server.getLocalPort());
  }

  List<Connection> connections() {
    return List.copyOf(connections);
  }

  private void accept() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        return;
      }
      sockets.add(socket);
      Connection connection = new Connection();
      connections.add(connection);
      Thread reader = new Thread(() -> read(socket, connection), "recording-gateway-connection");
      reader.setDaemon(true);
      reader.start();
    }
  }

  private static void read(Socket socket, Connection connection) {
    String ending = "closed";
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      byte[] buffer = new byte[8192];
      int answered = 0;
      int n;
      while ((n = in.read(buffer)) >= 0) {
        connection.add(buffer, n);
        int complete = connection.completeRequests().size();
        for (; answered < complete; answered++) {
          out.write(
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
                  .getBytes(StandardCharsets.ISO_8859_1));
          out.flush();
        }
      }
    } catch (SocketException e) {
      ending = "reset";
    } catch (IOException e) {
      ending = "failed: " + e;
    }
    connection.ending = ending;
  }

  /**
   * The requests in {@code bytes} that are complete by their framing, each as its head and body; an
   * incomplete last one is left out.
   */
  static List<String> complete(byte[] bytes) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    List<String> requests = new ArrayList<>();
    int at = 0;
    while (true) {
      int headEnd = text.indexOf("\r\n\r\n", at);
      if (headEnd < 0) {
        return requests;
      }
      String head = text.substring(at, headEnd + 4);
      int bodyStart = headEnd + 4;
      int end;
      String lower = head.toLowerCase(Locale.ROOT);
      if (lower.contains("\r\ntransfer-encoding: chunked\r\n")) {
        end = chunkedEnd(text, bodyStart);
      } else {
        int length = 0;
        int field = lower.indexOf("\r\ncontent-length: ");
        if (field >= 0) {
          int valueStart = field + "\r\ncontent-length: ".length();
          length = Integer.parseInt(lower.substring(valueStart, lower.indexOf("\r\n", valueStart)));
        }
        end = bodyStart + length <= text.length() ? bodyStart + length : -1;
      }
      if (end < 0) {
        return requests;
      }
      requests.add(text.substring(at, end));
      at = end;
    }
  }

  /** Where a chunked body starting at {@code at} ends, its last chunk and trailers included. */
  private static int chunkedEnd(String text, int at) {
    while (true) {
      int lineEnd = text.indexOf("\r\n", at);
      if (lineEnd < 0) {
        return -1;
      }
      String sizeText = text.substring(at, lineEnd);
      int semicolon = sizeText.indexOf(';');
      int size =
          Integer.parseInt(
              (semicolon < 0 ? sizeText : sizeText.substring(0, semicolon)).trim(), 16);
      if (size == 0) {
        int trailersEnd = text.indexOf("\r\n", lineEnd + 2);
        while (trailersEnd >= 0 && trailersEnd != lineEnd + 2) {
          lineEnd = trailersEnd;
          trailersEnd = text.indexOf("\r\n", lineEnd + 2);
        }
        return trailersEnd < 0 ? -1 : trailersEnd + 2;
      }
      int dataEnd = lineEnd + 2 + size;
      if (dataEnd + 2 > text.length()) {
        return -1;
      }
      at = dataEnd + 2;
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
  }
}
