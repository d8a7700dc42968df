import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.Executors;

/**
 * The upload end of the streaming benchmark: answers every request with the SHA-256 and the length
 * of the body it received, read in 64 KiB pieces (never held whole). Run with {@code java
 * HashSink.java <port>}; listens on 127.0.0.1 only.
 */
public class HashSink {
  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext(
        "/",
        exchange -> {
          try (exchange) {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long bytes = 0;
            byte[] buffer = new byte[64 * 1024];
            try (InputStream in = exchange.getRequestBody()) {
              for (int n; (n = in.read(buffer)) > 0; ) {
                sha256.update(buffer, 0, n);
                bytes += n;
              }
            }
            byte[] answer =
                (HexFormat.of().formatHex(sha256.digest()) + " " + bytes + "\n")
                    .getBytes(StandardCharsets.US_ASCII);
            exchange.getResponseHeaders().set("Content-Type", "text/plain");
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(answer);
            }
          } catch (Exception e) {
            System.err.println("HashSink: " + e);
          }
        });
    server.start();
    System.out.println("HashSink listening on 127.0.0.1:" + port);
  }
}
