package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.testkit.faults.BreakingServer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FaultsOnTomcatTest extends FaultContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }

  /**
   * An answer of ApiLink's own leaves as soon as it is written. Tomcat completes an exchange that
   * ApiLink ends off its request threads on one of them, and held a short answer in its buffer
   * until then: here every request thread is busy when the gateway's time runs out, and the 504
   * waited for one (the client's read timed out). The same wait, for a client still sending its
   * body, let Tomcat's read event race the completion, and Tomcat then closed the connection with
   * the answer unsent (seen twice in about 500 trickling uploads at timeoutSeconds, {@code
   * aClientStillTricklingItsUploadAtTheLimitIsA408EveryTime}).
   */
  @Test
  void anAnswerOfApiLinksOwnLeavesAtOnceWhileEveryRequestThreadIsBusy() throws Exception {
    // A gateway that takes the connection and never answers: a 504 after timeoutSeconds, 1 s.
    try (ServerSocket gateway = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      deployLinkedTo(URI.create("http://127.0.0.1:" + gateway.getLocalPort()), 1, 1);
      CountDownLatch release = new CountDownLatch(1);
      EmbeddedTomcat tomcat = withTwoRequestThreads(release);
      List<Socket> busy = new ArrayList<>();
      try (Socket api = RawHttp.open(tomcat.port())) {
        RawHttp.send(
            api, "GET /api/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        occupyEveryRequestThread(tomcat, busy);

        assertAnsweredWhileEveryThreadIsBusy("HTTP/1.1 504", api, tomcat);
      } finally {
        release.countDown();
        for (Socket socket : busy) {
          socket.close();
        }
      }
    }
  }

  /**
   * A gateway's early answer, given while the client's body is still arriving (a policy that
   * refuses an upload), leaves as soon as it is written, as ApiLink's own answers do: held in
   * Tomcat's buffer until a request thread completed the exchange, it waited while every one was
   * busy, and the client's next bytes could make Tomcat's read event race that completion (see the
   * test above) and close the connection with the answer unsent.
   */
  @Test
  void aGatewaysEarlyAnswerLeavesAtOnceWhileEveryRequestThreadIsBusy() throws Exception {
    try (ServerSocket gateway = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      deployLinkedTo(URI.create("http://127.0.0.1:" + gateway.getLocalPort()), 1, 30);
      CountDownLatch release = new CountDownLatch(1);
      EmbeddedTomcat tomcat = withTwoRequestThreads(release);
      gateway.setSoTimeout(10_000);
      List<Socket> busy = new ArrayList<>();
      try (Socket api = RawHttp.open(tomcat.port())) {
        RawHttp.send(
            api,
            "POST /api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n");
        try (Socket upstream = gateway.accept()) {
          upstream.setSoTimeout(10_000);
          // Answered once the request head is there: bytes before it are no answer to Jetty.
          BreakingServer.readHead(upstream.getInputStream());
          occupyEveryRequestThread(tomcat, busy);
          upstream
              .getOutputStream()
              .write(
                  ("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
                          + "Content-Length: 12\r\n\r\n{\"early\": 1}")
                      .getBytes(StandardCharsets.ISO_8859_1));

          assertAnsweredWhileEveryThreadIsBusy("HTTP/1.1 413", api, tomcat);
        }
      } finally {
        release.countDown();
        for (Socket socket : busy) {
          socket.close();
        }
      }
    }
  }

  /** The client reads {@code statusLine} within 10 s, while both request threads stay busy. */
  private static void assertAnsweredWhileEveryThreadIsBusy(
      String statusLine, Socket api, EmbeddedTomcat tomcat) throws IOException {
    api.setSoTimeout(10_000);
    assertEquals(
        statusLine, new String(api.getInputStream().readNBytes(12), StandardCharsets.ISO_8859_1));
    assertEquals(2, tomcat.busyThreads(), "every request thread still busy");
  }

  /** The site's Tomcat, its request threads capped at 2, with /busy holding one until released. */
  private EmbeddedTomcat withTwoRequestThreads(CountDownLatch release) {
    site.container().addServlet("busy", new BusyServlet(release), "/busy");
    EmbeddedTomcat tomcat = (EmbeddedTomcat) site.container();
    tomcat.maxRequestThreads(2);
    return tomcat;
  }

  /**
   * Once the one exchange under way has given its request thread back, holds both threads in /busy,
   * over connections added to {@code busy}.
   */
  private static void occupyEveryRequestThread(EmbeddedTomcat tomcat, List<Socket> busy)
      throws Exception {
    Await.until(
        "the exchange started, its request thread back in the pool",
        IDLE,
        () -> tomcat.apiLinkFilter().exchangesInFlight() == 1 && tomcat.busyThreads() == 0,
        tomcat::busyThreads);
    for (int i = 0; i < 2; i++) {
      busy.add(RawHttp.open(tomcat.port()));
      RawHttp.send(busy.get(i), "GET /busy HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }
    Await.until(
        "every request thread busy", IDLE, () -> tomcat.busyThreads() == 2, tomcat::busyThreads);
  }

  /** Holds its request thread until released. */
  private static final class BusyServlet extends HttpServlet {
    private final transient CountDownLatch release;

    BusyServlet(CountDownLatch release) {
      this.release = release;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      try {
        release.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      response.getWriter().write("released");
    }
  }
}
