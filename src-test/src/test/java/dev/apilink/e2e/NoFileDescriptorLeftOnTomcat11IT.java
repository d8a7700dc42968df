package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.apilink.it.Await;
import dev.apilink.testkit.echo.EchoBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A container that has used up its file descriptors (its soft {@code RLIMIT_NOFILE} lowered with
 * util-linux's {@code prlimit} to its lowest free descriptor, as a reviewer did by hand): a request
 * that needs a new gateway connection cannot open one, and must still be answered, 502, and end.
 * The reviewer's requests got no answer at all, not even a 504 at {@code timeoutSeconds}, and
 * stayed in {@code ExchangesInFlight} for ever: Tomcat could not read the classes of that failure
 * from ApiLink's JAR, closed since it was last read. A request with a body was lost the same way,
 * in Jetty's failing of its body. The test's follows a successful one: the site's first (an empty
 * 503 before), should a descriptor come free for its gateway connection, would need the classes
 * that send a body, which nothing loads ahead. Linux only ({@code /proc}, {@code prlimit}).
 *
 * <p>Not in the default run: on a loaded machine it failed 2 of 6 runs (the pooled gateway
 * connection still open after 30 s, or a request unanswered), races between the limit and the
 * descriptors the container opens and closes by itself that the test does not control. Run it with
 * {@code -Dapilink.e2e.descriptors=true}.
 */
class NoFileDescriptorLeftOnTomcat11IT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private static final String POST =
      "POST /shop/api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello";

  /**
   * The limit of an exchange in the test's configuration: the held exchange must outlast the wait
   * for the JAR to close and the requests after it (with 5, a slow machine could end it first, its
   * gateway connection closed, and a descriptor free). The answers awaited come at once.
   */
  private static final int TIMEOUT_SECONDS = 60;

  @Test
  void aRequestThatCannotOpenAGatewayConnectionIsAnsweredAndEnds() throws Exception {
    assumeTrue(
        Boolean.getBoolean("apilink.e2e.descriptors"), "opt-in: -Dapilink.e2e.descriptors=true");
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux's /proc");
    Distribution tomcat = Distribution.TOMCAT_11;
    Path run = E2eFiles.runDirectory(tomcat.id() + "-no-descriptor-left");
    int port = ContainerProcess.freePort();
    // Tomcat closes a web application's JARs once unused, at its background check: every second
    // here rather than every 10 s, so that the test need not wait long for ApiLink's JAR to close.
    String serverXml =
        tomcat.serverXml(port, Distribution.ENGINE, Distribution.ENGINE_CHECKING_EVERY_SECOND);
    try (EchoBackend gateway = EchoBackend.start()) {
      Path config = run.resolve("apilink.json");
      Files.writeString(
          config,
          """
          {
            "hostname": "http://127.0.0.1:%d",
            "environments": {
              "production": {
                "backend": {
                  "resourceType": "apiManagement",
                  "url": "%s",
                  "subscriptionKey": "no-descriptor-key",
                  "timeoutSeconds": %d,
                  "keepAliveSeconds": 1
                }
              }
            }
          }
          """
              .formatted(port, gateway.url(), TIMEOUT_SECONDS));
      Map<String, String> environment =
          new HashMap<>(E2eFiles.sampleSiteEnvironment(port, gateway.url().toString(), "unused"));
      environment.put("APILINK_CONFIG", config.toString());
      ContainerProcess container =
          tomcat.start(
              run.resolve("base"),
              port,
              environment,
              Map.of(),
              Map.of("shop.war", E2eFiles.sampleWar()),
              Map.of("conf/server.xml", serverXml));
      Limit limit = new Limit(container.pid());
      try (Socket client = connect(port);
          Socket holding = connect(port);
          Socket uploading = connect(port)) {
        // Requests that succeed, as on any site that has been up for a while.
        send(client, "GET /shop/api/first HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertTrue(readResponse(client).startsWith("HTTP/1.1 200 "));
        send(client, POST);
        assertTrue(readResponse(client).startsWith("HTTP/1.1 200 "));
        // The gateway connection it used is kept busy, so that the next request needs a new one.
        send(
            holding,
            "GET /shop/api/held HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-hold: held\r\n"
                + "Connection: close\r\n\r\n");
        gateway.gate("held").awaitHeld(1, WAIT);
        awaitClosed(container.pid(), "apilink-filter-");

        String answerToGet =
            answerWithNoDescriptor(
                limit, gateway, client, "GET /shop/api/second HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        // Last, as the connection of its answer is closed, which frees a descriptor.
        String answerToPost = answerWithNoDescriptor(limit, gateway, uploading, POST);
        limit.restore();
        for (String each : List.of(answerToGet, answerToPost)) {
          assertTrue(each.startsWith("HTTP/1.1 502 "), each);
          assertTrue(
              each.endsWith(
                  "{\"statusCode\": 502, \"message\": \"Bad gateway: the API gateway could not be"
                      + " reached.\"}"),
              each);
        }

        gateway.gate("held").open();
        assertTrue(ContainerProcess.readUntilClosed(holding).startsWith("HTTP/1.1 200 "));
        awaitNoExchangeInFlight(container.pid());
      } finally {
        limit.restore();
        container.close();
      }
    }
  }

  /**
   * Waits until the site's bean counts no exchange in flight: the exchange ends as its response
   * completes, which the client can see closed a moment before.
   */
  private static void awaitNoExchangeInFlight(long pid) throws Exception {
    Await.until(
        "no exchange in flight",
        WAIT,
        () -> Integer.valueOf(0).equals(site(pid).get("ExchangesInFlight")),
        () -> site(pid));
  }

  private static Map<String, Object> site(long pid) {
    try {
      return DistributionContract.beanOf(JmxReader.apiLinkBeans(pid), "/shop");
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The answer to {@code request} sent with the limit at the lowest free descriptor. A descriptor
   * that the container closes just after the limit is set (its configuration watcher reads the file
   * every 2 s; a test run once found one free in three) lets the gateway connection open: the
   * answer is then the gateway's 200, and the request is sent again once that connection has
   * closed, idle for {@code keepAliveSeconds}.
   */
  private static String answerWithNoDescriptor(
      Limit limit, EchoBackend gateway, Socket socket, String request) throws Exception {
    String answer = null;
    for (int tries = 0; tries < 3; tries++) {
      limit.toLowestFree();
      send(socket, request);
      answer = readResponse(socket);
      if (!answer.startsWith("HTTP/1.1 200 ")) {
        return answer;
      }
      awaitGatewayConnections(gateway, 1); // the held one
    }
    return answer;
  }

  private static void awaitGatewayConnections(EchoBackend gateway, int count) throws Exception {
    Await.until(
        count + " gateway connections",
        WAIT,
        () -> gateway.openConnections() == count,
        gateway::openConnections);
  }

  private static Socket connect(int port) throws IOException {
    Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout((int) WAIT.toMillis());
    return socket;
  }

  private static void send(Socket socket, String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  /** One response with a {@code Content-Length}, read from a connection kept open after it. */
  private static String readResponse(Socket socket) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed after " + head.toString(StandardCharsets.ISO_8859_1));
      }
      head.write(b);
    }
    String text = head.toString(StandardCharsets.ISO_8859_1);
    int length = -1;
    for (String line : text.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    assertTrue(length >= 0, text);
    return text + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
  }

  /**
   * Waits until no descriptor of process {@code pid} is open on a file whose name has {@code part}.
   */
  private static void awaitClosed(long pid, String part) throws Exception {
    Await.until(
        part + "* closed",
        WAIT,
        () -> openFiles(pid).stream().noneMatch(file -> file.contains(part)),
        () -> openFiles(pid));
  }

  private static List<String> openFiles(long pid) {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return fds.map(
              fd -> {
                try {
                  return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                  return ""; // closed meanwhile
                }
              })
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The soft {@code RLIMIT_NOFILE} of a process, set with util-linux's {@code prlimit}. */
  private static final class Limit {
    private final long pid;
    private final String original;
    private boolean lowered;

    Limit(long pid) throws Exception {
      this.pid = pid;
      this.original = prlimit("--nofile", "--raw", "--noheadings", "--output=SOFT").trim();
    }

    /**
     * Lowers it to the lowest descriptor number not in use: no further one can be opened. Again, if
     * a descriptor below it was closed meanwhile (a file the container had open for a moment),
     * until none is free below the limit as it is set.
     */
    void toLowestFree() throws Exception {
      int limit = lowestFree();
      for (int tries = 0; tries < 100; tries++) {
        prlimit("--nofile=" + limit + ":");
        lowered = true;
        int now = lowestFree();
        if (now >= limit) {
          return;
        }
        limit = now;
      }
      throw new AssertionError("descriptors of " + pid + " keep coming free below " + limit);
    }

    private int lowestFree() throws IOException {
      Set<Integer> used = new TreeSet<>();
      try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
        fds.forEach(fd -> used.add(Integer.parseInt(fd.getFileName().toString())));
      }
      int lowestFree = 0;
      while (used.contains(lowestFree)) {
        lowestFree++;
      }
      return lowestFree;
    }

    void restore() throws Exception {
      if (lowered) {
        prlimit("--nofile=" + original + ":");
        lowered = false;
      }
    }

    private String prlimit(String... arguments) throws Exception {
      List<String> command =
          Stream.concat(Stream.of("prlimit", "--pid", Long.toString(pid)), Stream.of(arguments))
              .toList();
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (process.waitFor() != 0) {
        throw new IllegalStateException(command + " failed: " + output);
      }
      return output;
    }
  }
}
