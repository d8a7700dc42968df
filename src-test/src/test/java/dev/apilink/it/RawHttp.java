package dev.apilink.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** HTTP/1.1 over a plain socket, for requests that well-behaved clients refuse to send. */
final class RawHttp {

  private RawHttp() {}

  /** Sends {@code request} as is and returns everything the server sends until it closes. */
  static String exchange(int port, String request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      socket.getInputStream().transferTo(response);
      return response.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** Sends {@code request}, reads {@code bytes} of the answer, then closes the connection. */
  static void readSomeThenClose(int port, String request, int bytes) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      int total = 0;
      while (total < bytes) {
        int n = in.read(buffer);
        if (n < 0) {
          throw new IOException("the server closed after " + total + " bytes");
        }
        total += n;
      }
      socket.setSoLinger(true, 0); // reset, as a client that goes away does
    }
  }
}
