package dev.apilink.demo;

import dev.apilink.e2e.ContainerProcess;
import dev.apilink.e2e.Distribution;
import dev.apilink.e2e.E2eFiles;
import dev.apilink.e2e.LinkedGateway;
import dev.apilink.e2e.LinkedGateway.LinkedSite;
import dev.apilink.e2e.Wars;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The one-command demo ({@code mvn -B -q verify -DskipTests -Pdemo}): the sample API, the gateway
 * set up as linking sets it up, and the sample site in the Tomcat 11 distribution started with
 * {@code catalina.sh run}. Prints where to look, then runs until Ctrl-C, which stops them all.
 */
public final class Demo {

  /** The port the demo asks for; another free one is used when it is taken. */
  static final int PREFERRED_PORT = Integer.getInteger("apilink.demo.port", 8080);

  /**
   * The gateway's and the sample API's Jetty, kept to warnings: their start-up lines would bury the
   * demo's banner. Held here so that the level stays.
   */
  private static final java.util.logging.Logger JETTY =
      java.util.logging.Logger.getLogger("org.eclipse.jetty");

  private final Deque<AutoCloseable> started = new ArrayDeque<>();

  public static void main(String[] args) throws Exception {
    JETTY.setLevel(java.util.logging.Level.WARNING);
    Demo demo = new Demo();
    Runtime.getRuntime().addShutdownHook(new Thread(demo::stop, "apilink-demo-stop"));
    try {
      demo.start();
    } catch (Exception e) {
      demo.stop();
      throw e;
    }
    new CountDownLatch(1).await(); // until Ctrl-C
  }

  private void start() throws Exception {
    Distribution tomcat = Distribution.TOMCAT_11;
    Path run = E2eFiles.runDirectory(tomcat.id());
    Path sampleWar = E2eFiles.sampleWar();

    SampleApi api = started(SampleApi.start());
    int port = portFor();
    String origin = "http://localhost:" + port;
    Path config =
        Files.write(run.resolve("apilink.json"), Wars.read(sampleWar, "WEB-INF/apilink.json"));
    LinkedSite site = new LinkedSite(config, "", Map.of("APILINK_SITE_ORIGIN", origin));
    LinkedGateway gateway = started(LinkedGateway.start(api.url(), List.of(site)));

    ContainerProcess container =
        started(
            tomcat.start(
                run.resolve("base"),
                port,
                Map.of(
                    "APILINK_SITE_ORIGIN", origin,
                    "APIM_GATEWAY_URL", gateway.url().toString(),
                    "APIM_SUBSCRIPTION_KEY", gateway.subscriptionKey(site)),
                Map.of("ROOT.war", sampleWar)));

    String product = gateway.gateway().product(gateway.link(site).productId()).displayName();
    System.out.printf(
        """

        ApiLink demo
          open     %s/
          or run   curl -s %s/api/products
                   curl -s %s/api/request-info

          site     the sample WAR at / in %s, started with bin/catalina.sh run
                   log %s
          gateway  %s  APIM-compatible (testkit), set up from the link command's ARM
                   template: product "%s", the API added to it
          API      %s  GET /api/products, GET /api/request-info

        Ctrl-C stops everything.
        %n""",
        origin,
        origin,
        origin,
        tomcat.home(),
        container.log().file(),
        gateway.url(),
        product,
        api.url());
  }

  private <T extends AutoCloseable> T started(T thing) {
    synchronized (started) {
      started.push(thing);
    }
    return thing;
  }

  /** Stops what was started, the container first, last started first. */
  private void stop() {
    while (true) {
      AutoCloseable thing;
      synchronized (started) {
        thing = started.poll();
      }
      if (thing == null) {
        return;
      }
      try {
        thing.close();
      } catch (Exception e) {
        System.err.println("apilink demo: stopping " + thing + " failed: " + e);
      }
    }
  }

  private static int portFor() throws IOException {
    try (ServerSocket socket =
        new ServerSocket(PREFERRED_PORT, 1, InetAddress.getLoopbackAddress())) {
      return PREFERRED_PORT;
    } catch (IOException taken) {
      return ContainerProcess.freePort();
    }
  }
}
