package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.e2e.LinkedGateway.LinkedSite;
import dev.apilink.it.Await;
import dev.apilink.testkit.echo.EchoBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A linked site on Tomcat 11 reloaded and redeployed as operators do: {@code WEB-INF/web.xml}
 * touched (the context's watched resource, which reloads it) and the WAR replaced in {@code
 * webapps/} (autoDeploy's redeployment). After each, {@code /api} still passes the gateway's key
 * and token checks; in the end, one ApiLink bean, the threads of one gateway client, nothing
 * reported left behind, and no stopped application still in memory by the host's leak check (the
 * manager's "Find leaks").
 */
class RedeployOnTomcat11IT {

  static final Duration WAIT = Duration.ofSeconds(90);

  /** Tomcat's line once a reloaded context serves requests again. */
  private static final String RELOADED = "Reloading Context with name [/shop] is completed";

  /** Tomcat's line once a deployed WAR's context serves requests. */
  private static final String DEPLOYED = "/webapps/shop.war] has finished in";

  /** A descriptor that adds nothing: its change is what reloads the context. */
  private static final String WEB_XML =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>
      """;

  /** The distribution reloaded: Tomcat 11 here, 10.1 in {@link RedeployOnTomcat10IT}. */
  Distribution distribution() {
    return Distribution.TOMCAT_11;
  }

  @Test
  void aReloadedAndRedeployedSiteStillReachesTheGatewayAndLeavesNothingBehind() throws Exception {
    Distribution tomcat = distribution();
    Path run = E2eFiles.runDirectory(tomcat.id() + "-redeploy");
    int port = ContainerProcess.freePort();
    String origin = "http://127.0.0.1:" + port;
    try (EchoBackend backend = EchoBackend.start()) {
      ObjectNode config = siteConfig(run, origin);
      LinkedSite shop = shop(run, config);
      try (LinkedGateway gateway = LinkedGateway.start(backend.url(), List.of(shop))) {
        Path war =
            Wars.from(E2eFiles.sampleWar())
                .with("WEB-INF/apilink.json", config.toPrettyString())
                .with("WEB-INF/web.xml", WEB_XML)
                .writeTo(run.resolve("wars/shop.war"));
        String serverXml =
            tomcat.serverXml(port, Distribution.ENGINE, Distribution.ENGINE_CHECKING_EVERY_SECOND);
        ContainerProcess container =
            tomcat.start(
                run.resolve("base"),
                port,
                gateway.environment(shop),
                Map.of(),
                Map.of("shop.war", war),
                Map.of("conf/server.xml", serverXml));
        try {
          assertApiReachesTheBackend(container, backend, "first");
          Map<Long, String> first = apiLinkThreads(container);
          Path webXml = run.resolve("base/webapps/shop/WEB-INF/web.xml");
          try (Socket streaming = new Socket("127.0.0.1", port);
              Socket waiting = new Socket("127.0.0.1", port)) {
            streaming.setSoTimeout(30_000);
            waiting.setSoTimeout(30_000);
            send(
                streaming,
                "GET /shop/api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-sse: s\r\n\r\n");
            backend.sse("s").send("before");
            String begun = readUntil(streaming, "data: before");
            send(
                waiting,
                "GET /shop/api/held HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-hold: h\r\n"
                    + "Connection: close\r\n\r\n");
            backend.gate("h").awaitHeld(1, WAIT);

            reload(container, webXml);
            assertApiReachesTheBackend(container, backend, "reload-1");

            // Neither may end as if the gateway had answered whole.
            String streamed = begun + readToEnd(streaming);
            assertFalse(streamed.endsWith("0\r\n\r\n"), "ended as if whole: " + streamed);
            String answer = readToEnd(waiting);
            assertTrue(answer.startsWith("HTTP/1.1 503 "), answer);
          }
          for (int reload = 2; reload <= 3; reload++) {
            reload(container, webXml);
            assertApiReachesTheBackend(container, backend, "reload-" + reload);
          }

          // Tomcat maps the new context once its deployment has finished, after ApiLink's start.
          int deployed = lines(container, DEPLOYED);
          Path webapps = run.resolve("base/webapps");
          Files.copy(war, webapps.resolve("shop.war.tmp"));
          Files.move(
              webapps.resolve("shop.war.tmp"),
              webapps.resolve("shop.war"),
              StandardCopyOption.REPLACE_EXISTING,
              StandardCopyOption.ATOMIC_MOVE);
          awaitLines(container, DEPLOYED, deployed + 1);
          assertApiReachesTheBackend(container, backend, "redeployed");

          Map<String, Map<String, Object>> beans = JmxReader.apiLinkBeans(container.pid());
          assertEquals(1, beans.size(), beans.keySet().toString());
          // The first application's threads, its gateway client's among them, have all ended.
          assertEnded(container, first);
          List<String> leaking = new ArrayList<>();
          Await.until(
              "no stopped application of /shop left in memory",
              Duration.ofSeconds(30),
              () -> {
                try {
                  leaking.clear();
                  leaking.addAll(
                      Arrays.asList(
                          (String[])
                              JmxReader.invoke(
                                  container.pid(),
                                  "Catalina:type=Host,host=localhost",
                                  "findReloadedContextMemoryLeaks")));
                  return leaking.isEmpty();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              () -> leaking);
        } finally {
          container.close();
        }
        Pattern report =
            Pattern.compile("checkThreadLocalMapForLeaks|appears to have started a thread|leak");
        List<String> leftBehind =
            container.log().lines().stream().filter(line -> report.matcher(line).find()).toList();
        assertEquals(List.of(), leftBehind);
      }
    }
  }

  /**
   * The site's configuration: the gateway and its key from the environment, and a key file, so that
   * each start signs with the key the gateway already read.
   */
  static ObjectNode siteConfig(Path run, String origin) throws Exception {
    Path signingKeys =
        DistributionContract.keygen(
            Files.createDirectories(run.resolve("keys")).resolve("signing-keys.jwk.json"));
    return DistributionContract.siteConfig(
        origin, "${env:APIM_GATEWAY_URL}", "${env:APIM_SUBSCRIPTION_KEY}", signingKeys);
  }

  /** The site {@code /shop} with {@code config}, as the gateway links it. */
  static LinkedSite shop(Path run, ObjectNode config) throws Exception {
    return new LinkedSite(
        DistributionContract.writeJson(run.resolve("shop-apilink.json"), config),
        "/shop",
        Map.of());
  }

  static void assertApiReachesTheBackend(
      ContainerProcess container, EchoBackend backend, String name) throws Exception {
    HttpResponse<String> response =
        DistributionContract.send(
            HttpRequest.newBuilder(container.url().resolve("/shop/api/" + name)).GET());
    // Through the gateway: its key and token checks passed, or it would have answered 401.
    assertEquals(200, response.statusCode(), name + ": " + response.body());
    assertTrue(backend.hasArrived("/api/" + name), name);
  }

  /** The site's threads ({@code apilink-<host>/shop-…}) alive now, their names by id. */
  static Map<Long, String> apiLinkThreads(ContainerProcess container) throws Exception {
    Map<Long, String> threads = new TreeMap<>(JmxReader.threads(container.pid()));
    threads.values().removeIf(name -> !name.startsWith("apilink-") || !name.contains("/shop-"));
    assertFalse(threads.isEmpty(), "no apilink-<host>/shop- thread");
    return threads;
  }

  /** Fails if a thread of {@code before} is still alive (its id reused for another name aside). */
  static void assertEnded(ContainerProcess container, Map<Long, String> before) throws Exception {
    Map<Long, String> alive = new TreeMap<>(JmxReader.threads(container.pid()));
    alive.entrySet().removeIf(thread -> !thread.getValue().equals(before.get(thread.getKey())));
    assertEquals(Map.of(), alive, "threads of a stopped application still alive");
  }

  /**
   * Touches {@code webXml}, a watched resource, and waits until the context serves requests again.
   */
  private static void reload(ContainerProcess container, Path webXml) throws Exception {
    int reloaded = lines(container, RELOADED);
    Files.setLastModifiedTime(webXml, FileTime.from(Instant.now()));
    awaitLines(container, RELOADED, reloaded + 1);
  }

  static void send(Socket socket, String request) throws IOException {
    socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  /** What {@code socket} receives until {@code wanted} has come. */
  static String readUntil(Socket socket, String wanted) throws IOException {
    StringBuilder received = new StringBuilder();
    InputStream in = socket.getInputStream();
    while (received.indexOf(wanted) < 0) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed before " + wanted + ": " + received);
      }
      received.append((char) b);
    }
    return received.toString();
  }

  /**
   * What {@code socket} receives until the container closes it, or resets it; fails if it stays
   * open 30 s, neither ended nor broken off.
   */
  static String readToEnd(Socket socket) throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    try {
      socket.getInputStream().transferTo(received);
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "neither ended nor broken off: " + received.toString(StandardCharsets.ISO_8859_1), e);
    } catch (SocketException e) {
      // reset: broken off
    }
    return received.toString(StandardCharsets.ISO_8859_1);
  }

  /** How many lines of the container's log so far contain {@code text}. */
  static int lines(ContainerProcess container, String text) {
    return (int) container.log().lines().stream().filter(line -> line.contains(text)).count();
  }

  /** Waits until {@code count} lines of the container's log contain {@code text}. */
  static void awaitLines(ContainerProcess container, String text, int count)
      throws InterruptedException {
    int[] seen = {0};
    container.log().await(line -> line.contains(text) && ++seen[0] == count, WAIT);
  }
}
