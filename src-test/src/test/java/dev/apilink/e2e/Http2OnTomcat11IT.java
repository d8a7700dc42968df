package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.e2e.LinkedGateway.LinkedSite;
import dev.apilink.testkit.echo.EchoBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.junit.jupiter.api.Test;

/**
 * Tomcat 11 with HTTP/2 on its connector, as an operator turns it on ({@code <UpgradeProtocol
 * className="org.apache.coyote.http2.Http2Protocol"/>}), here without TLS ({@code h2c}) and the
 * client speaking HTTP/2 from its first byte. The embedded Tomcat of the contract tests is 10.1,
 * which answered where this one did not.
 */
class Http2OnTomcat11IT {

  static final String SERVER_XML =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <Server port="-1" shutdown="SHUTDOWN">
        <Service name="Catalina">
          <Connector port="%d" address="127.0.0.1" protocol="HTTP/1.1">
            <UpgradeProtocol className="org.apache.coyote.http2.Http2Protocol"/>
          </Connector>
          <Engine name="Catalina" defaultHost="localhost">
            <Host name="localhost" appBase="webapps"/>
          </Engine>
        </Service>
      </Server>
      """;

  /**
   * A HEAD over HTTP/2 is answered with the gateway's head, and the connection serves the next
   * request. Completed with its head unsent, Tomcat 11.0.24 ended the HEAD's stream with a DATA
   * frame before any HEADERS: this client never had an answer (curl and nghttp closed the whole
   * connection, over TLS as over h2c; found by review).
   */
  @Test
  void aHeadOverHttp2IsAnsweredWithTheGatewaysHeadAndTheConnectionServesTheNextRequest()
      throws Exception {
    Distribution tomcat = Distribution.TOMCAT_11;
    Path run = E2eFiles.runDirectory(tomcat.id() + "-http2");
    Path sampleWar = E2eFiles.sampleWar();
    int port = ContainerProcess.freePort();
    String origin = "http://127.0.0.1:" + port;
    Path config =
        DistributionContract.writeJson(
            run.resolve("shop-apilink.json"),
            DistributionContract.siteConfig(
                origin,
                "${env:APIM_GATEWAY_URL}",
                "${env:APIM_SUBSCRIPTION_KEY}",
                DistributionContract.keygen(run.resolve("signing-keys.jwk.json"))));
    LinkedSite shop = new LinkedSite(config, "/shop", Map.of());

    try (EchoBackend backend = EchoBackend.start();
        LinkedGateway gateway = LinkedGateway.start(backend.url(), List.of(shop))) {
      Path war =
          Wars.from(sampleWar)
              .with("WEB-INF/apilink.json", Files.readAllBytes(config))
              .writeTo(run.resolve("wars/shop.war"));
      ContainerProcess container =
          tomcat.start(
              run.resolve("base"),
              port,
              gateway.environment(shop),
              Map.of(),
              Map.of("shop.war", war),
              Map.of("conf/server.xml", SERVER_XML.formatted(port)));
      HttpClient h2 = new HttpClient(new HttpClientTransportOverHTTP2(new HTTP2Client()));
      h2.start();
      try {
        ContentResponse head =
            h2.newRequest(origin + "/shop/api/x")
                .method("HEAD")
                .headers(h -> h.add("x-echo-download", "1000"))
                .timeout(10, TimeUnit.SECONDS)
                .send();
        ContentResponse get =
            h2.newRequest(origin + "/shop/api/y").timeout(10, TimeUnit.SECONDS).send();

        assertEquals(HttpVersion.HTTP_2, head.getVersion());
        assertEquals(200, head.getStatus());
        assertEquals("1000", head.getHeaders().get(HttpHeader.CONTENT_LENGTH));
        assertEquals(0, head.getContent().length);
        assertEquals(HttpVersion.HTTP_2, get.getVersion());
        assertEquals(200, get.getStatus(), get.getContentAsString());
        assertEquals(
            List.of("HEAD", "GET"),
            backend.received().stream().map(EchoBackend.Received::method).toList());
      } finally {
        h2.stop();
        container.close();
      }
    }
  }
}
