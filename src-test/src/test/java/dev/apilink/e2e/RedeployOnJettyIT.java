package dev.apilink.e2e;

import static dev.apilink.e2e.RedeployOnTomcat11IT.WAIT;
import static dev.apilink.e2e.RedeployOnTomcat11IT.apiLinkThreads;
import static dev.apilink.e2e.RedeployOnTomcat11IT.assertApiReachesTheBackend;
import static dev.apilink.e2e.RedeployOnTomcat11IT.assertEnded;
import static dev.apilink.e2e.RedeployOnTomcat11IT.awaitLines;
import static dev.apilink.e2e.RedeployOnTomcat11IT.lines;
import static dev.apilink.e2e.RedeployOnTomcat11IT.readToEnd;
import static dev.apilink.e2e.RedeployOnTomcat11IT.readUntil;
import static dev.apilink.e2e.RedeployOnTomcat11IT.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.e2e.LinkedGateway.LinkedSite;
import dev.apilink.testkit.echo.EchoBackend;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A linked site on Jetty 12.1 (ee10) with the {@code graceful} module, redeployed by its deployer's
 * scan as operators do: its context XML in {@code webapps/} replaced. Jetty 12.1 starts the new
 * context before it stops the old one. After each redeployment {@code /api} still passes the
 * gateway's key and token checks, exchanges in flight on the old context end without a false
 * success, and one ApiLink bean and one gateway client's timer thread are left.
 */
class RedeployOnJettyIT {

  @Test
  void aRedeployedSiteStillReachesTheGatewayAndLeavesOneLinkBehind() throws Exception {
    Distribution jetty = Distribution.JETTY_12_EE10;
    Path run = E2eFiles.runDirectory(jetty.id() + "-redeploy");
    int port = ContainerProcess.freePort();
    String origin = "http://127.0.0.1:" + port;
    try (EchoBackend backend = EchoBackend.start()) {
      ObjectNode config = RedeployOnTomcat11IT.siteConfig(run, origin);
      LinkedSite shop = RedeployOnTomcat11IT.shop(run, config);
      try (LinkedGateway gateway = LinkedGateway.start(backend.url(), List.of(shop))) {
        Path war =
            Wars.from(E2eFiles.sampleWar())
                .with("WEB-INF/apilink.json", config.toPrettyString())
                .writeTo(run.resolve("wars/shop.war"));
        ContainerProcess container =
            jetty.start(
                run.resolve("base"),
                port,
                gateway.environment(shop),
                Map.of(),
                Map.of(),
                Map.of(
                    "start.d/redeploy.ini",
                    "--module=graceful\njetty.deploy.scanInterval=1\n",
                    "webapps/shop.xml",
                    contextXml(jetty, war, run.resolve("extracted-1"))));
        try {
          assertApiReachesTheBackend(container, backend, "first");
          Map<Long, String> first = apiLinkThreads(container);
          for (int redeployment = 2; redeployment <= 3; redeployment++) {
            try (Socket streaming = new Socket("127.0.0.1", port);
                Socket waiting = new Socket("127.0.0.1", port)) {
              streaming.setSoTimeout(30_000);
              waiting.setSoTimeout(30_000);
              String stream = "s" + redeployment;
              send(
                  streaming,
                  "GET /shop/api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-sse: "
                      + stream
                      + "\r\n\r\n");
              backend.sse(stream).send("before");
              String begun = readUntil(streaming, "data: before");
              String gate = "h" + redeployment;
              send(
                  waiting,
                  "GET /shop/api/held HTTP/1.1\r\nHost: 127.0.0.1\r\nx-echo-hold: "
                      + gate
                      + "\r\nConnection: close\r\n\r\n");
              backend.gate(gate).awaitHeld(1, WAIT);

              int started = lines(container, "ApiLink started");
              int stopped = lines(container, "ApiLink stopped");
              // The deployer sees a changed context XML (its extraction directory a new one: Jetty
              // 12.1 deletes the old context's as it stops it, after the new one has started).
              Path next = run.resolve("shop.xml.tmp");
              Files.writeString(
                  next, contextXml(jetty, war, run.resolve("extracted-" + redeployment)));
              Files.move(
                  next,
                  run.resolve("base/webapps/shop.xml"),
                  StandardCopyOption.REPLACE_EXISTING,
                  StandardCopyOption.ATOMIC_MOVE);
              awaitLines(container, "ApiLink started", started + 1);
              awaitLines(container, "ApiLink stopped", stopped + 1);
              assertApiReachesTheBackend(container, backend, "redeployed-" + redeployment);

              String streamed = begun + readToEnd(streaming);
              assertFalse(streamed.endsWith("0\r\n\r\n"), "ended as if whole: " + streamed);
              String answer = readToEnd(waiting);
              assertFalse(answer.startsWith("HTTP/1.1 200 "), answer);
            }
          }

          Map<String, Map<String, Object>> beans = JmxReader.apiLinkBeans(container.pid());
          assertEquals(1, beans.size(), beans.keySet().toString());
          // The first application's threads, its gateway client's among them, have all ended.
          assertEnded(container, first);
        } finally {
          container.close();
        }
        // The gateway broke off nothing: Jetty's WARN for each stream that the stops broke off
        // said it had.
        assertEquals(
            List.of(),
            container.log().lines().stream()
                .filter(line -> line.contains("gateway's response broke off"))
                .toList());
      }
    }
  }

  /** {@code webapps/shop.xml}: the WAR at {@code /shop}, extracted into {@code extracted}. */
  private static String contextXml(Distribution jetty, Path war, Path extracted) {
    return """
        <?xml version="1.0"?>
        <!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "https://jetty.org/configure_10_0.dtd">
        <Configure class="org.eclipse.jetty.%s.webapp.WebAppContext">
          <Set name="contextPath">/shop</Set>
          <Set name="war">%s</Set>
          <Set name="tempDirectory">%s</Set>
        </Configure>
        """
        .formatted(jetty.jettyEnvironment(), war, extracted);
  }
}
