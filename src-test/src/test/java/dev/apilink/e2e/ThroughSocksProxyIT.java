package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.echo.EchoBackend.Received;
import dev.apilink.testkit.proxy.SocksProxy;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A container whose host reaches the gateway only through a SOCKS proxy, told of it the Java way
 * ({@code -DsocksProxyHost}, {@code -DsocksProxyPort}), with the proxy's user name and password in
 * a file that the site's configuration reads: the drop-in JAR's relocated Jetty client, as the
 * containers run it. The gateway's host name resolves only at the proxy.
 */
class ThroughSocksProxyIT {

  @ParameterizedTest
  @EnumSource(Distribution.class)
  void anApiCallReachesTheGatewayThroughTheSocksProxyTheJvmIsToldOf(Distribution distribution)
      throws Exception {
    Path run = E2eFiles.runDirectory(distribution.id() + "-socks");
    int port = ContainerProcess.freePort();
    String user = "apilink-e2e";
    String password = UUID.randomUUID().toString();
    try (EchoBackend gateway = EchoBackend.start();
        SocksProxy proxy = SocksProxy.startAskingForCredentials(user + ":" + password)) {
      String gatewayHost = "apim.socks.test:" + gateway.port();
      ObjectNode config =
          DistributionContract.siteConfig(
              "http://127.0.0.1:" + port, "http://" + gatewayHost, "socks-e2e-key", run);
      config.remove("token"); // a key generated at start-up will do
      Path credentials =
          Files.writeString(run.resolve("proxy-credentials"), user + ":" + password + "\n");
      DistributionContract.backendOf(config).put("proxyCredentials", "${file:" + credentials + "}");
      Path war =
          Wars.from(E2eFiles.sampleWar())
              .with("WEB-INF/apilink.json", config.toPrettyString())
              .writeTo(run.resolve("wars/shop.war"));

      ContainerProcess container =
          distribution.start(
              run.resolve("base"),
              port,
              Map.of(),
              Map.of("socksProxyHost", "127.0.0.1", "socksProxyPort", String.valueOf(proxy.port())),
              Map.of("shop.war", war));
      try {
        HttpResponse<String> response =
            DistributionContract.send(
                HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + "/shop/api/orders/7?x=1")));

        assertEquals(200, response.statusCode(), response.body());
        List<Received> received = gateway.received();
        assertEquals(1, received.size(), received.toString());
        assertEquals("/api/orders/7", received.get(0).rawPath());
        assertEquals(List.of("socks-e2e-key"), received.get(0).header("Ocp-Apim-Subscription-Key"));
        assertTrue(
            received.get(0).header("Authorization").get(0).startsWith("Bearer "),
            received.get(0).toString());
        assertEquals(List.of(new SocksProxy.Connect(5, gatewayHost, user)), proxy.connects());
        String startedLine =
            container.startUpLog().stream()
                .filter(line -> line.contains("ApiLink started:"))
                .findFirst()
                .orElseThrow();
        assertTrue(
            startedLine.contains(
                "is linked to http://"
                    + gatewayHost
                    + " through the SOCKS proxy 127.0.0.1:"
                    + proxy.port()),
            startedLine);
        for (Path log : DistributionContract.logFiles(container)) {
          String text = Files.readString(log, StandardCharsets.UTF_8);
          assertFalse(text.contains(password), log + " holds the proxy's password");
        }
      } finally {
        container.close();
      }
    }
  }
}
