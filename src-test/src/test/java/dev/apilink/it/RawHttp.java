package dev.apilink.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/** HTTP/1.1 over a plain socket, for requests that well-behaved clients refuse to send. */
final class RawHttp {

  /**
   * Called with each request's first line and everything read back for it, by every exchange here
   * that reads until the server closes or answers: {@link SecretWatch} checks them all, not only
   * the responses a test remembers to hand it. Null when nothing watches.
   */
  private static volatile BiConsumer<String, String> watcher;

  private RawHttp() {}

  /** Has {@code watcher} see every exchange's answer from now on; null to stop. */
  static void watch(BiConsumer<String, String> watcher) {
    RawHttp.watcher = watcher;
  }

  private static void watched(byte[] request, byte[] answer) {
    BiConsumer<String, String> current = watcher;
    if (current != null) {
      String head = new String(request, StandardCharsets.ISO_8859_1);
      int lineEnd = head.indexOf('\r');
      current.accept(
          lineEnd < 0 ? head : head.substring(0, lineEnd),
          new String(answer, StandardCharsets.ISO_8859_1));
    }
  }

  /** Sends {@code request} as is and returns everything the server sends until it closes. */
  static String exchange(int port, String request) throws IOException {
    return new String(
        exchangeBytes(port, request.getBytes(StandardCharsets.ISO_8859_1)).bytes,
        StandardCharsets.ISO_8859_1);
  }

  /** Writes {@code request} as is on {@code socket}. */
  static void send(Socket socket, String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  /** Sends {@code request}, reads {@code bytes} of the answer, then closes the connection. */
  static void readSomeThenClose(int port, String request, int bytes) throws IOException {
    try (Socket socket = open(port)) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      readAtLeast(socket.getInputStream(), bytes);
      socket.setSoLinger(true, 0); // reset, as a client that goes away does
    }
  }

  /** A connected socket with a read timeout that turns a hang into a failure. */
  static Socket open(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(30_000);
    return socket;
  }

  /** Reads at least {@code bytes} from {@code in}; fails, with what arrived, if it ends first. */
  static void readAtLeast(InputStream in, int bytes) throws IOException {
    byte[] buffer = new byte[8192];
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    while (received.size() < bytes) {
      received.write(buffer, 0, readSome(in, buffer, received));
    }
  }

  /**
   * Reads at least {@code bytes} of a response expected to be long (a download), or, when the
   * server answers with a whole response shorter than that (an error), that response: returned as
   * text, where a long response returns null. Fails, with what arrived, on a timeout or a close.
   */
  static String readAtLeastOrShortAnswer(InputStream in, int bytes) throws IOException {
    byte[] buffer = new byte[8192];
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    while (received.size() < bytes) {
      received.write(buffer, 0, readSome(in, buffer, received));
      List<Response> whole = Response.parseAll(received.toByteArray(), false);
      if (!whole.isEmpty() && whole.get(0).status() > 0 && whole.get(0).complete()) {
        return received.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  /** One read into {@code buffer}: how many bytes; a timeout or a close fails with what came. */
  private static int readSome(InputStream in, byte[] buffer, ByteArrayOutputStream received)
      throws IOException {
    int n;
    try {
      n = in.read(buffer);
    } catch (SocketTimeoutException e) {
      // Still a timeout, for callers that tell one apart, but saying what had arrived.
      SocketTimeoutException timeout =
          new SocketTimeoutException("read timed out after " + soFar(received));
      timeout.initCause(e);
      throw timeout;
    }
    if (n < 0) {
      throw new IOException("the server closed after " + soFar(received));
    }
    return n;
  }

  private static String soFar(ByteArrayOutputStream received) {
    String text = received.toString(StandardCharsets.ISO_8859_1);
    return received.size() + " bytes: " + (text.length() > 400 ? text.substring(0, 400) : text);
  }

  /** What the server sent until it closed, and whether it closed with a reset. */
  record Received(byte[] bytes, boolean reset) {}

  static Received exchangeBytes(int port, byte[] request) throws IOException {
    try (Socket socket = open(port)) {
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      boolean reset = false;
      try {
        socket.getInputStream().transferTo(response);
      } catch (SocketException e) {
        reset = true; // "Connection reset": what came before is all there is
      }
      watched(request, response.toByteArray());
      return new Received(response.toByteArray(), reset);
    }
  }

  /**
   * As {@link #exchangeAll(int, byte[])}, but reads while a second thread writes: for a server that
   * answers and closes before it has read the whole request, where a client that only reads once it
   * has written everything fails its write (a broken pipe) and never sees the answer. A failed
   * write is not an error here; the answer, if it arrived, is what counts.
   */
  static List<Response> exchangeAllWhileSending(int port, byte[] request) throws IOException {
    try (Socket socket = open(port)) {
      sendInBackground(socket, request);
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      boolean reset = false;
      try {
        socket.getInputStream().transferTo(response);
      } catch (SocketException e) {
        reset = true; // what came before is all there is
      }
      watched(request, response.toByteArray());
      return Response.parseAll(response.toByteArray(), reset);
    }
  }

  /**
   * Writes {@code bytes} to {@code socket} on a thread of its own, as a browser sends a body while
   * it reads the answer: a server may answer and close before it has read them all, and the write
   * then fails (a broken pipe) while the answer is there to read. A failed write is not an error.
   */
  static void sendInBackground(Socket socket, byte[] bytes) {
    Thread writer =
        new Thread(
            () -> {
              try {
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
              } catch (IOException e) {
                // the server closed before it took them all
              }
            },
            "raw-http-writer");
    writer.setDaemon(true);
    writer.start();
  }

  /**
   * Sends {@code request} as is and parses every response the server sends until it closes the
   * connection (several when the bytes held several requests).
   */
  static List<Response> exchangeAll(int port, byte[] request) throws IOException {
    Received received = exchangeBytes(port, request);
    return Response.parseAll(received.bytes(), received.reset());
  }

  static List<Response> exchangeAll(int port, String request) throws IOException {
    return exchangeAll(port, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /**
   * Sends {@code request} as is and reads until {@code expected} whole responses have come or the
   * server closes, for a server that keeps the connection open after answering.
   */
  static List<Response> exchange(int port, String request, int expected) throws IOException {
    try (Socket socket = open(port)) {
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      boolean reset = false;
      while (true) {
        int n;
        try {
          n = socket.getInputStream().read(buffer);
        } catch (SocketException e) {
          reset = true;
          n = -1;
        }
        if (n < 0) {
          watched(request.getBytes(StandardCharsets.ISO_8859_1), received.toByteArray());
          return Response.parseAll(received.toByteArray(), reset);
        }
        received.write(buffer, 0, n);
        List<Response> responses = Response.parseAll(received.toByteArray(), false);
        if (responses.stream().filter(r -> r.status() > 0 && r.complete()).count() >= expected) {
          watched(request.getBytes(StandardCharsets.ISO_8859_1), received.toByteArray());
          return responses;
        }
      }
    }
  }

  /** The one response to {@code request}; fails if the server sent several. */
  static Response exchangeOne(int port, String request) throws IOException {
    List<Response> responses = exchangeAll(port, request);
    if (responses.size() != 1) {
      throw new AssertionError(responses.size() + " responses: " + responses);
    }
    return responses.get(0);
  }

  /**
   * One response as read off the wire.
   *
   * @param status 0 when the server sent no status line (nothing, or an HTTP/0.9 answer)
   * @param complete whether the body ended as its framing says (its {@code Content-Length}, the
   *     last chunk, or a clean close): false for a response that broke off
   * @param raw everything the response took on the wire, head included
   */
  record Response(
      int status,
      List<Map.Entry<String, String>> headers,
      byte[] body,
      boolean complete,
      String raw) {

    String header(String name) {
      return headers.stream()
          .filter(h -> h.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .findFirst()
          .orElse(null);
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
      return raw.length() > 600 ? raw.substring(0, 600) + "…" : raw;
    }

    static List<Response> parseAll(byte[] bytes, boolean reset) {
      List<Response> responses = new ArrayList<>();
      int[] at = {0};
      while (at[0] < bytes.length) {
        responses.add(parse(bytes, at, reset));
      }
      return responses;
    }

    private static Response parse(byte[] bytes, int[] at, boolean reset) {
      int start = at[0];
      int headEnd = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), start);
      if (!startsWith(bytes, start, "HTTP/") || headEnd < 0) {
        at[0] = bytes.length; // no (complete) head: take the rest as it is
        byte[] rest = java.util.Arrays.copyOfRange(bytes, start, bytes.length);
        return new Response(0, List.of(), rest, false, text(bytes, start, bytes.length));
      }
      String[] lines = text(bytes, start, headEnd).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.add(Map.entry(lines[i].substring(0, colon), lines[i].substring(colon + 1).trim()));
      }
      int bodyStart = headEnd + 4;
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      boolean complete;
      String transferEncoding = value(headers, "Transfer-Encoding");
      String contentLength = value(headers, "Content-Length");
      int end;
      if (status / 100 == 1 || status == 204 || status == 304) {
        complete = true;
        end = bodyStart;
      } else if (transferEncoding != null
          && transferEncoding.toLowerCase(Locale.ROOT).endsWith("chunked")) {
        int[] position = {bodyStart};
        complete = dechunk(bytes, position, body);
        end = position[0];
      } else if (contentLength != null) {
        long length = Long.parseLong(contentLength);
        int available = (int) Math.min(length, bytes.length - bodyStart);
        body.write(bytes, bodyStart, available);
        complete = available == length;
        end = bodyStart + available;
      } else {
        body.write(bytes, bodyStart, bytes.length - bodyStart);
        complete = !reset;
        end = bytes.length;
      }
      at[0] = end;
      return new Response(status, headers, body.toByteArray(), complete, text(bytes, start, end));
    }

    /** Decodes a chunked body from {@code position}; true if it ended with its last chunk. */
    private static boolean dechunk(byte[] bytes, int[] position, ByteArrayOutputStream body) {
      byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
      while (true) {
        int lineEnd = indexOf(bytes, crlf, position[0]);
        if (lineEnd < 0) {
          position[0] = bytes.length;
          return false;
        }
        String sizeLine = text(bytes, position[0], lineEnd);
        int semicolon = sizeLine.indexOf(';');
        int size =
            Integer.parseInt(
                (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        position[0] = lineEnd + 2;
        if (size == 0) {
          int trailerEnd = indexOf(bytes, crlf, position[0]); // no trailers expected
          if (trailerEnd < 0) {
            position[0] = bytes.length;
            return false;
          }
          position[0] = trailerEnd + 2;
          return true;
        }
        if (position[0] + size + 2 > bytes.length) {
          body.write(bytes, position[0], Math.min(size, bytes.length - position[0]));
          position[0] = bytes.length;
          return false;
        }
        body.write(bytes, position[0], size);
        position[0] += size + 2;
      }
    }

    private static String value(List<Map.Entry<String, String>> headers, String name) {
      return headers.stream()
          .filter(h -> h.getKey().equalsIgnoreCase(name))
          .map(Map.Entry::getValue)
          .findFirst()
          .orElse(null);
    }

    private static boolean startsWith(byte[] bytes, int at, String prefix) {
      return bytes.length - at >= prefix.length()
          && text(bytes, at, at + prefix.length()).equals(prefix);
    }

    private static String text(byte[] bytes, int from, int to) {
      return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
    }

    private static int indexOf(byte[] bytes, byte[] what, int from) {
      outer:
      for (int i = from; i <= bytes.length - what.length; i++) {
        for (int j = 0; j < what.length; j++) {
          if (bytes[i + j] != what[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }
  }
}
