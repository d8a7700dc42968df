package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.apilink.Main;
import dev.apilink.e2e.LinkedGateway.LinkedSite;
import dev.apilink.e2e.app.BufferingFilter;
import dev.apilink.e2e.app.OwnAnnotatedApiServlet;
import dev.apilink.e2e.app.OwnApiServlet;
import dev.apilink.e2e.app.VersionsServlet;
import dev.apilink.it.Certificates;
import dev.apilink.it.RefusingPorts;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.echo.EchoBackend.Received;
import dev.apilink.testkit.faults.SilentServer;
import dev.apilink.testkit.proxy.ForwardProxy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ApiLink in a real container distribution, started as operators start it, with the sample WAR and
 * more web applications deployed side by side:
 *
 * <ul>
 *   <li>{@code /shop}: the sample site as built, configured by environment variables only;
 *   <li>{@code /} (ROOT): the sample site plus a servlet and its own Jackson 2.9, Jetty 12.0 client
 *       and SLF4J in {@code WEB-INF/lib}, next to the drop-in JAR, with a signing key file;
 *   <li>{@code /limits}: linked to a gateway that never answers, with a 1 s timeout and a 1000-byte
 *       body limit;
 *   <li>{@code /down}: linked to a port where nothing listens, and {@code /jarrules}, the same with
 *       route rules in a resource JAR's {@code META-INF/resources/};
 *   <li>{@code /own} and {@code /annotated}: not linked, with an {@code /api/*} servlet of their
 *       own, mapped in {@code web.xml} and by {@code @WebServlet} alone;
 *   <li>{@code /tls} and {@code /wronghost}: linked over https to a gateway with a private CA's
 *       certificate, by the host name it names and by an address it does not;
 *   <li>{@code /proxied}: linked over https to the same gateway by a host name that only a forward
 *       proxy can resolve, which the container's JVM is told of by {@code https.proxyHost};
 *   <li>{@code /login}: the sample site whose users the container signs in, by BASIC login against
 *       its own user store ({@code conf/tomcat-users.xml}; a Jetty {@code HashLoginService}), with
 *       route rules that need roles;
 *   <li>{@code /my shop}: the sample site at a context path with a space, which Tomcat reports
 *       decoded and Jetty in URL form ({@code /my%20shop}), linked with {@code link --context-path
 *       "/my shop"}.
 * </ul>
 *
 * The container starts once per class; its console output and logs stay in {@code
 * target/e2e/<container>/} for inspection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class DistributionContract {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient CLIENT =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  /** A gateway host name that only the forward proxy resolves (see {@link ForwardProxy}). */
  static final String PROXIED_GATEWAY_HOST = "apim.proxied.test";

  EchoBackend backend;
  SilentServer silentGateway;

  /** The down gateway's port, refusing connections while the container runs. */
  final RefusingPorts refusing = new RefusingPorts();

  LinkedGateway gateway;
  LinkedGateway tlsGateway;
  ForwardProxy forwardProxy;

  /** {@code user:password} that {@link #forwardProxy} asks for; the site reads it from a file. */
  String proxyCredentials;

  ContainerProcess container;
  String origin;
  LinkedSite shop;
  LinkedSite app;
  LinkedSite tls;
  LinkedSite proxied;
  LinkedSite login;
  LinkedSite spaced;
  int tlsPort;
  Path sampleWar;
  Path appLibraries;

  abstract Distribution distribution();

  @BeforeAll
  void startContainer() throws Exception {
    Path run = E2eFiles.runDirectory(distribution().id());
    sampleWar = E2eFiles.sampleWar();
    appLibraries = E2eFiles.appLibraries();
    backend = EchoBackend.start();
    silentGateway = SilentServer.start();
    int port = ContainerProcess.freePort();
    origin = "http://127.0.0.1:" + port;

    Path signingKeys = keygen(run.resolve("signing-keys.jwk.json"));
    Path shopConfig =
        Files.write(run.resolve("shop-apilink.json"), Wars.read(sampleWar, "WEB-INF/apilink.json"));
    // The application at the root is another site for the gateway: its own origin (same server,
    // another host name), its own subscription and key.
    Path appConfig =
        writeJson(
            run.resolve("app-apilink.json"),
            siteConfig(
                "http://localhost:" + port,
                "${env:APIM_GATEWAY_URL}",
                "${env:APP_SUBSCRIPTION_KEY}",
                signingKeys));
    shop = new LinkedSite(shopConfig, "/shop", Map.of("APILINK_SITE_ORIGIN", origin));
    app = new LinkedSite(appConfig, "", Map.of());
    ObjectNode loginConfig =
        siteConfig(origin, "${env:APIM_GATEWAY_URL}", "${env:LOGIN_SUBSCRIPTION_KEY}", signingKeys);
    login =
        new LinkedSite(
            writeJson(run.resolve("login-apilink.json"), loginConfig), "/login", Map.of());
    ObjectNode spacedConfig =
        siteConfig(
            origin, "${env:APIM_GATEWAY_URL}", "${env:SPACED_SUBSCRIPTION_KEY}", signingKeys);
    spaced =
        new LinkedSite(
            writeJson(run.resolve("spaced-apilink.json"), spacedConfig), "/my shop", Map.of());
    gateway = LinkedGateway.start(backend.url(), List.of(shop, app, login, spaced));

    ObjectNode limits =
        siteConfig(origin, silentGateway.url().toString(), "limits-key-unused", signingKeys);
    backendOf(limits).put("timeoutSeconds", 1).put("maxRequestBodyBytes", 1000);
    ObjectNode down =
        siteConfig(origin, "http://127.0.0.1:" + refusing.next(), "down-key-unused", signingKeys);

    Map<String, Path> wars = new LinkedHashMap<>();
    wars.put("shop.war", sampleWar);
    wars.put("ROOT.war", appWar(run.resolve("wars/ROOT.war"), appConfig));
    wars.put(
        "limits.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", limits.toPrettyString())
            .writeTo(run.resolve("wars/limits.war")));
    ObjectNode unlinked = siteConfig(origin, "http://unused.invalid", "unused", signingKeys);
    unlinked.putObject("environments").putObject("production");
    wars.put("own.war", ownApiWar(run.resolve("wars/own.war"), unlinked));
    wars.put("buffered.war", bufferedWar(run.resolve("wars/buffered.war"), unlinked));
    wars.put(
        "annotated.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", unlinked.toPrettyString())
            .withClass(OwnAnnotatedApiServlet.class)
            .writeTo(run.resolve("wars/annotated.war")));
    wars.put(
        "down.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", down.toPrettyString())
            .writeTo(run.resolve("wars/down.war")));
    // The same, with route rules served from a resource JAR rather than from the site's directory.
    wars.put(
        "jarrules.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", down.toPrettyString())
            .with(
                "WEB-INF/lib/site-rules.jar",
                jarWith("META-INF/resources/staticwebapp.config.json", LOGIN_RULES))
            .writeTo(run.resolve("wars/jarrules.war")));

    // A gateway with a certificate from a private CA, reached over https by its host name, which
    // the container trusts through the trust store that docs/operations.md tells operators to make
    // (a copy of the JDK's cacerts with the CA imported, given as javax.net.ssl.trustStore).
    Path certificates = Files.createDirectories(run.resolve("tls"));
    Path gatewayKeyStore =
        Certificates.selfSigned(
            certificates, "private-gateway", "dns:localhost,dns:" + PROXIED_GATEWAY_HOST);
    Path trustStore = Certificates.trustStoreWith(certificates, gatewayKeyStore, "private-gateway");
    tlsPort = ContainerProcess.freePort();
    ObjectNode tlsConfig =
        siteConfig(
            origin, "https://localhost:" + tlsPort, "${env:TLS_SUBSCRIPTION_KEY}", signingKeys);
    tls = new LinkedSite(writeJson(run.resolve("tls-apilink.json"), tlsConfig), "/tls", Map.of());
    // The same gateway by a name that only the forward proxy resolves: reached through the proxy
    // that the JVM's https.proxyHost names, or not at all. The JDK's default http.nonProxyHosts
    // (localhost, 127.*) keeps the other gateways direct. The proxy wants credentials, which the
    // site's configuration reads from a file.
    proxyCredentials = "apilink-e2e:" + UUID.randomUUID();
    forwardProxy = ForwardProxy.startAskingForCredentials(proxyCredentials);
    ObjectNode proxiedConfig =
        siteConfig(
            origin,
            "https://" + PROXIED_GATEWAY_HOST + ":" + tlsPort,
            "${env:PROXIED_SUBSCRIPTION_KEY}",
            signingKeys);
    backendOf(proxiedConfig)
        .put(
            "proxyCredentials",
            "${file:"
                + Files.writeString(run.resolve("proxy-credentials"), proxyCredentials + "\n")
                + "}");
    proxied =
        new LinkedSite(
            writeJson(run.resolve("proxied-apilink.json"), proxiedConfig), "/proxied", Map.of());
    tlsGateway =
        LinkedGateway.start(
            backend.url(),
            List.of(tls, proxied),
            options -> options.port(tlsPort).tls(gatewayKeyStore, Certificates.PASSWORD));
    wars.put(
        "tls.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", tlsConfig.toPrettyString())
            .writeTo(run.resolve("wars/tls.war")));
    wars.put(
        "proxied.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", proxiedConfig.toPrettyString())
            .writeTo(run.resolve("wars/proxied.war")));
    // The same gateway by its address, which its certificate does not name.
    ObjectNode wrongHost =
        siteConfig(origin, "https://127.0.0.1:" + tlsPort, "wrong-host-key-unused", signingKeys);
    wars.put(
        "wronghost.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", wrongHost.toPrettyString())
            .writeTo(run.resolve("wars/wronghost.war")));
    wars.put(
        "login.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", loginConfig.toPrettyString())
            .with("WEB-INF/web.xml", LOGIN_WEB_XML)
            // As route-rules.md asks: Tomcat checks credentials on every path, /api included.
            .with("META-INF/context.xml", "<Context preemptiveAuthentication=\"true\"/>\n")
            .with("staticwebapp.config.json", LOGIN_RULES)
            .writeTo(run.resolve("wars/login.war")));

    wars.put(
        "my shop.war",
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", spacedConfig.toPrettyString())
            .writeTo(run.resolve("wars/my shop.war")));

    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("APILINK_SITE_ORIGIN", origin);
    environment.put("APIM_GATEWAY_URL", gateway.url().toString());
    environment.put("APIM_SUBSCRIPTION_KEY", gateway.subscriptionKey(shop));
    environment.put("APP_SUBSCRIPTION_KEY", gateway.subscriptionKey(app));
    environment.put("TLS_SUBSCRIPTION_KEY", tlsGateway.subscriptionKey(tls));
    environment.put("PROXIED_SUBSCRIPTION_KEY", tlsGateway.subscriptionKey(proxied));
    environment.put("LOGIN_SUBSCRIPTION_KEY", gateway.subscriptionKey(login));
    environment.put("SPACED_SUBSCRIPTION_KEY", gateway.subscriptionKey(spaced));
    container =
        distribution()
            .start(
                run.resolve("base"),
                port,
                environment,
                Map.of(
                    "javax.net.ssl.trustStore",
                    trustStore.toString(),
                    "javax.net.ssl.trustStorePassword",
                    Certificates.PASSWORD,
                    "https.proxyHost",
                    "127.0.0.1",
                    "https.proxyPort",
                    String.valueOf(forwardProxy.port())),
                wars,
                distribution().isTomcat()
                    ? TOMCAT_USERS
                    : jettyLogin(distribution().jettyEnvironment()));
  }

  /**
   * Stops the container, and with it the web applications: none may leave anything behind. Tomcat
   * reports what a stopped application left in its threads (a {@code ThreadLocal} value whose class
   * the application loaded keeps the whole application in memory until the thread ends; seen once,
   * from ApiLink's {@code OutsideParsing}) and the threads it started and did not stop.
   */
  @AfterAll
  void stopContainer() throws Exception {
    List<String> leftBehind = new ArrayList<>();
    try {
      if (container != null) {
        container.close();
        Pattern report =
            Pattern.compile("checkThreadLocalMapForLeaks|appears to have started a thread|leak");
        container.log().lines().stream()
            .filter(line -> report.matcher(line).find())
            .forEach(leftBehind::add);
      }
    } finally {
      if (gateway != null) {
        gateway.close();
      }
      if (tlsGateway != null) {
        tlsGateway.close();
      }
      if (forwardProxy != null) {
        forwardProxy.close();
      }
      if (silentGateway != null) {
        silentGateway.close();
      }
      refusing.close();
      if (backend != null) {
        backend.close();
      }
    }
    assertTrue(
        leftBehind.isEmpty(),
        () ->
            leftBehind.size()
                + " report(s) of what the stopped web applications left behind; the first: "
                + leftBehind.get(0));
  }

  @BeforeEach
  void forgetEarlierRequests() {
    backend.clear();
  }

  // ---- the sample site ----

  @Test
  void staticFilesAreServedByTheContainer() throws Exception {
    for (String[] file :
        new String[][] {
          {"/shop/", "index.html", "text/html"},
          {"/shop/style.css", "style.css", "text/css"},
          {"/shop/app.js", "app.js", "javascript"},
          {"/shop/images/logo.svg", "images/logo.svg", "image/svg+xml"}
        }) {
      HttpResponse<byte[]> response = send(get(file[0]), BodyHandlers.ofByteArray());
      assertEquals(200, response.statusCode(), file[0]);
      assertArrayEquals(Wars.read(sampleWar, file[1]), response.body(), file[0]);
      assertTrue(
          response.headers().firstValue("Content-Type").orElse("").contains(file[2]),
          file[0] + ": " + response.headers().firstValue("Content-Type"));
    }
    assertTrue(backend.received().isEmpty(), "static files never reach the gateway");
  }

  @Test
  void apiRequestsPassTheGatewaysKeyAndTokenChecksAndReachTheBackend() throws Exception {
    HttpResponse<String> response = send(get("/shop/api/products?page=2"));

    // The gateway let it through: the product's key, and a token that its validate-jwt policy
    // checked against the keys it fetched from this container's discovery document.
    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/products", received.rawPath());
    assertEquals("page=2", received.rawQuery());
    assertEquals(
        List.of(origin + "/shop/api/products?page=2"), received.header("x-ms-original-url"));
    assertTokenVerifies(received, "/shop", origin + "/shop/.auth");
  }

  /**
   * Linked as docs/gateway.md says, with the context path decoded: until review h40f, Jetty's
   * tokens said {@code /my%20shop} and its published {@code jwks_uri} {@code /my%2520shop}, and the
   * gateway refused every request.
   */
  @Test
  void aSiteWhoseContextPathHasASpaceIsLinkedWithThePathDecoded() throws Exception {
    HttpResponse<String> response = send(get("/my%20shop/api/products"));

    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/products", received.rawPath());
    assertTokenVerifies(received, "/my%20shop", origin + "/my shop/.auth");
  }

  @Test
  void encodedSlashesAndPercentSignsInApiPathsArriveAsSent() throws Exception {
    HttpResponse<String> response = send(get("/shop/api/a%2Fb/c%25d/%C3%A9?q=%2F%20x"));

    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/a%2Fb/c%25d/%C3%A9", received.rawPath());
    assertEquals("q=%2F%20x", received.rawQuery());
  }

  @Test
  void clientCopiesOfTheKeyTheTokenAndThePrincipalNeverReachTheGateway() throws Exception {
    HttpResponse<String> response =
        send(
            get("/shop/api/me")
                .header("Ocp-Apim-Subscription-Key", "stolen-key")
                .header("Authorization", "Bearer forged")
                .header("x-ms-client-principal", "eyJ1c2VySWQiOiJmb3JnZWQifQ=="));

    // With the client's key or token, the gateway would have refused (401).
    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals(1, received.header("Authorization").size());
    assertFalse(received.header("Authorization").get(0).contains("forged"));
    assertTrue(received.header("x-ms-client-principal").isEmpty(), "anonymous: no principal");
    assertFalse(
        received.headers().toString().contains("stolen-key"), received.headers().toString());
  }

  @Test
  void eachHeaderOfTheGatewaysAnswerArrivesOnceEvenWhereTheContainerSetsItsOwn() throws Exception {
    HttpResponse<String> response =
        send(
            get("/shop/api/headers")
                .header("x-echo-response-header", "Server: echo-gateway")
                .header("x-echo-response-header", "X-Custom: custom"));

    assertEquals(200, response.statusCode(), response.body());
    assertEquals(
        1, response.headers().allValues("Date").size(), response.headers().map().toString());
    assertEquals(List.of("echo-gateway"), response.headers().allValues("Server"));
    assertEquals(List.of("custom"), response.headers().allValues("X-Custom"));
  }

  /**
   * Each event reaches the client before the next is sent, through the container's own defaults
   * (its compression on) and the drop-in JAR's relocated client: out of the box, a proxy servlet
   * held them until the stream ended (DESIGN.md, "Known ground").
   */
  @Test
  void serverSentEventsReachTheClientOneByOne() throws Exception {
    String stream = distribution().id() + "-events";
    assertTimeoutPreemptively(
        Duration.ofSeconds(60),
        () -> {
          HttpResponse<Stream<String>> response =
              send(get("/shop/api/events").header("x-echo-sse", stream), BodyHandlers.ofLines());
          assertEquals(200, response.statusCode());
          assertEquals(
              "text/event-stream", response.headers().firstValue("Content-Type").orElse(""));
          Iterator<String> lines = response.body().iterator();
          EchoBackend.SseStream events = backend.sse(stream);
          for (int i = 1; i <= 3; i++) {
            // The next event is only sent once this one has arrived: nothing may be held back.
            events.send("event " + i);
            assertEquals("data: event " + i, lines.next());
            assertEquals("", lines.next());
          }
          events.end();
          assertFalse(lines.hasNext());
        });
  }

  /**
   * A browser revalidates what it cached with the validator it was given, which is the gateway's
   * ETag or, where the container compressed the answer, the container's rewrite of it (Jetty's
   * compression module makes {@code "v1"} into {@code "v1--gzip"}). Sent back as {@code
   * If-None-Match}, it must reach the gateway as the gateway's own, or the API never answers 304;
   * and the 304 must reach the browser. The headers are Chromium 156's (review 29).
   */
  @Test
  void aBrowsersRevalidationReachesTheGatewayWithTheGatewaysValidatorAndGetsItsNotModified()
      throws Exception {
    String chromiumAcceptEncoding = "gzip, deflate, br, zstd";
    String lastModified = "Wed, 01 Jan 2025 00:00:00 GMT";
    HttpResponse<Void> first =
        send(
            get("/shop/api/report")
                .header("Accept-Encoding", chromiumAcceptEncoding)
                .header("x-echo-response-header", "ETag: \"v1\"")
                .header("x-echo-response-header", "Last-Modified: " + lastModified)
                .header("x-echo-response-header", "Cache-Control: no-cache"),
            BodyHandlers.discarding());
    assertEquals(200, first.statusCode());
    String etag = first.headers().firstValue("ETag").orElseThrow();
    backend.clear();

    HttpResponse<byte[]> revalidated =
        send(
            get("/shop/api/report")
                .header("Accept-Encoding", chromiumAcceptEncoding)
                .header("If-None-Match", etag)
                .header("If-Modified-Since", lastModified)
                .header("x-echo-status", "304")
                .header("x-echo-response-header", "ETag: \"v1\""),
            BodyHandlers.ofByteArray());

    assertEquals(List.of("\"v1\""), onlyReceived().header("If-None-Match"), "sent: " + etag);
    assertEquals(List.of(lastModified), onlyReceived().header("If-Modified-Since"));
    assertEquals(304, revalidated.statusCode());
    assertEquals(0, revalidated.body().length);
    assertEquals(List.of(etag), revalidated.headers().allValues("ETag"));
  }

  @Test
  void largeBodiesStreamBothWaysIntact() throws Exception {
    long upload = 25L * 1024 * 1024; // under the default 30 MB limit, as on Static Web Apps
    long download = 50L * 1024 * 1024;

    HttpResponse<String> uploaded =
        send(
            request("/shop/api/upload")
                .POST(
                    BodyPublishers.fromPublisher(
                        BodyPublishers.ofInputStream(() -> EchoBackend.pattern(upload)), upload)));
    HttpResponse<InputStream> downloaded =
        send(
            get("/shop/api/download").header("x-echo-download", String.valueOf(download)),
            BodyHandlers.ofInputStream());

    assertEquals(200, uploaded.statusCode(), uploaded.body());
    JsonNode echoed = JSON.readTree(uploaded.body());
    assertEquals(upload, echoed.get("bodyBytes").asLong());
    assertEquals(
        EchoBackend.sha256(EchoBackend.pattern(upload)), echoed.get("bodySha256").asText());
    assertEquals(200, downloaded.statusCode());
    assertEquals(
        String.valueOf(download), downloaded.headers().firstValue("Content-Length").orElse(""));
    try (InputStream body = downloaded.body()) {
      assertEquals(EchoBackend.sha256(EchoBackend.pattern(download)), EchoBackend.sha256(body));
    }
  }

  @Test
  void aGzipEncodedUploadReachesTheGatewayWhole() throws Exception {
    byte[] json = EchoBackend.pattern(100_000).readAllBytes();
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
      gzip.write(json);
    }
    byte[] sent = compressed.toByteArray();

    HttpResponse<String> response =
        send(
            request("/shop/api/upload")
                .header("Content-Type", "application/json")
                .header("Content-Encoding", "gzip")
                .POST(BodyPublishers.ofByteArray(sent)));

    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    if (distribution().decodesGzipRequestBodies()) {
      // Jetty 12.1's compression module decodes it and renames Content-Encoding and
      // Content-Length.
      assertEquals(List.of("gzip"), received.header("X-Content-Encoding"));
      assertEquals(json.length, received.bodyBytes());
      assertEquals(EchoBackend.sha256(new ByteArrayInputStream(json)), received.bodySha256());
    } else {
      // Tomcat, and Jetty 12.0's gzip module, leave request bodies as they are.
      assertEquals(List.of("gzip"), received.header("Content-Encoding"));
      assertEquals(sent.length, received.bodyBytes());
      assertEquals(EchoBackend.sha256(new ByteArrayInputStream(sent)), received.bodySha256());
    }
  }

  // ---- failures ----

  @Test
  void aGatewayWithAPrivateCaIsReachedOverHttpsThroughTheTrustStoreTheDocsDescribe()
      throws Exception {
    HttpResponse<String> response = send(get("/tls/api/orders/7?x=1"));

    // The gateway checked the key and the token, as over http.
    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/orders/7", received.rawPath());
    assertEquals("x=1", received.rawQuery());
    assertTokenVerifies(received, "/tls", origin + "/tls/.auth", "https://localhost:" + tlsPort);
  }

  /**
   * A container that reaches the internet only through a corporate proxy, told of it the Java way:
   * {@code -Dhttps.proxyHost} and {@code -Dhttps.proxyPort}. The gateway's host name resolves only
   * at the proxy; without the proxy, the request was a 502 ({@code UnknownHostException}).
   */
  @Test
  void aGatewayIsReachedThroughTheProxyTheJvmsHttpsProxyHostNames() throws Exception {
    // The same gateway as localhost, which the JDK's default http.nonProxyHosts names: direct,
    // no tunnel for it below.
    assertEquals(200, send(get("/tls/api/direct")).statusCode());
    backend.clear();

    HttpResponse<String> response = send(get("/proxied/api/orders/7?x=1"));

    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/orders/7", received.rawPath());
    String gatewayUrl = "https://" + PROXIED_GATEWAY_HOST + ":" + tlsPort;
    assertTokenVerifies(received, "/proxied", origin + "/proxied/.auth", gatewayUrl);
    // The proxy's credentials are for the proxy: not sent inside the tunnel.
    assertEquals(List.of(), received.header("Proxy-Authorization"));
    // Through a tunnel, opened with the configured credentials (the proxy refuses it without
    // them): the proxy saw where to, not the key or the token.
    List<ForwardProxy.Tunnel> tunnels = forwardProxy.tunnels();
    assertFalse(tunnels.isEmpty(), "no CONNECT reached the proxy");
    for (ForwardProxy.Tunnel tunnel : tunnels) {
      assertEquals(PROXIED_GATEWAY_HOST + ":" + tlsPort, tunnel.target());
      assertTrue(
          tunnel.headerNames().contains("Proxy-Authorization"), tunnel.headerNames()::toString);
      assertTrue(
          tunnel.headerNames().stream()
              .noneMatch(
                  name ->
                      name.equalsIgnoreCase("Ocp-Apim-Subscription-Key")
                          || name.equalsIgnoreCase("Authorization")),
          tunnel.headerNames()::toString);
    }
    // The log's start-up line tells the operator which way the gateway is reached.
    container
        .log()
        .await(
            line -> line.contains("linked to " + gatewayUrl + " through the HTTP proxy 127.0.0.1:"),
            Duration.ofSeconds(20));
  }

  @Test
  void aGatewayWhoseCertificateNamesAnotherHostIsA502AndTheLogSaysWhy() throws Exception {
    assertCouldNotBeReached(send(get("/wronghost/api/orders")));
    // The line names the request and the TLS problem (on Jetty the message is the record's second
    // console line).
    String logged =
        container
            .log()
            .await(
                line -> line.contains("No subject alternative names matching IP address 127.0.0.1"),
                Duration.ofSeconds(20))
            .stream()
            .reduce((first, last) -> last)
            .orElseThrow();
    assertTrue(logged.contains("/wronghost/api/orders -> answered 502"), logged);
  }

  @Test
  void anUnreachableGatewayIsA502WithAJsonBody() throws Exception {
    assertCouldNotBeReached(send(get("/down/api/products")));
  }

  static void assertCouldNotBeReached(HttpResponse<String> response) {
    assertEquals(502, response.statusCode());
    assertEquals(
        "{\"statusCode\": 502, \"message\": \"Bad gateway: the API gateway could not be reached.\"}",
        response.body());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
  }

  @Test
  void aSlowGatewayIsA504AfterTheConfiguredTimeoutAndItsRequestIsAborted() throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> response = send(get("/limits/api/slow"));
    long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

    assertEquals(504, response.statusCode());
    assertEquals(
        "{\"statusCode\": 504, \"message\": \"Gateway timeout: the API gateway did not answer"
            + " within 1 second.\"}",
        response.body());
    assertTrue(elapsedMillis >= 1000, "took " + elapsedMillis + " ms");
    awaitGivenUp("GET /api/slow HTTP/1.1");
  }

  @Test
  void aBodyOverTheLimitIsA413WhetherSizedOrChunked() throws Exception {
    String expected =
        "{\"statusCode\": 413, \"message\": \"Request entity too large: the request body is over"
            + " the limit of 1000 bytes.\"}";

    HttpResponse<String> sized =
        send(request("/limits/api/upload").POST(BodyPublishers.ofByteArray(new byte[2000])));
    HttpResponse<String> chunked =
        send(
            request("/limits/api/upload")
                .POST(
                    BodyPublishers.ofInputStream(
                        () -> new ByteArrayInputStream(new byte[64_000]))));

    assertEquals(413, sized.statusCode());
    assertEquals(expected, sized.body());
    assertEquals(413, chunked.statusCode());
    assertEquals(expected, chunked.body());
  }

  /**
   * A malformed chunk in the client's body is never answered as a success, and the gateway never
   * takes the body as whole. Jetty leaves the answer to ApiLink. Tomcat (10.1.59 and 11.0.24) takes
   * the response over when its own read fails: it answers its 400 page, or, when the read failed in
   * a non-blocking read callback on its thread, closes the connection at once without any answer
   * (its access log says 500); ApiLink cannot write to that response any more.
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "5\r\nhello\r\nnot-a-chunk-size\r\n\r\n", // a later chunk-size line is malformed
        "zz\r\nhello\r\n0\r\n\r\n" // the first
      })
  void aRequestBodyThatCannotBeReadIsNeverASuccess(String chunkedBody) throws Exception {
    assertEquals(200, send(get("/shop/api/warm-up")).statusCode()); // a pooled gateway connection
    backend.clear();

    String answer =
        rawExchange(
            "POST /shop/api/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked"
                + "\r\n\r\n"
                + chunkedBody);

    if (distribution().isTomcat()) {
      assertTrue(
          answer.isEmpty() || answer.startsWith("HTTP/1.1 400 "), "answer: [" + answer + "]");
    } else {
      assertTrue(answer.startsWith("HTTP/1.1 400 "), "answer: [" + answer + "]");
      assertTrue(
          answer.endsWith(
              "{\"statusCode\": 400, \"message\": \"Bad request: the request body could not be"
                  + " read.\"}"),
          answer);
    }
    assertTrue(answer.isEmpty() || answer.contains("\r\nConnection: close\r\n"), answer);
    for (Received received : backend.received()) {
      assertFalse(received.bodyComplete(), "the body reached the backend as whole: " + received);
    }
    // The container goes on serving.
    assertEquals(200, send(get("/shop/api/after")).statusCode());
  }

  // ---- monitoring ----

  /**
   * Each site's bean, read over JMX as an operator's tools read it: the shop's counts its exchanges
   * and the API's 503 passed on, the site whose gateway is down its 502s.
   */
  @Test
  void eachSiteReportsItsLinkAndItsFailuresOverJmx() throws Exception {
    assertEquals(200, send(get("/shop/api/monitored")).statusCode());
    assertEquals(503, send(get("/shop/api/monitored").header("x-echo-status", "503")).statusCode());
    assertEquals(502, send(get("/down/api/monitored")).statusCode());

    Map<String, Map<String, Object>> beans = JmxReader.apiLinkBeans(container.pid());

    Map<String, Object> shop = beanOf(beans, "/shop");
    assertEquals(true, shop.get("Linked"), shop::toString);
    assertEquals(gateway.url().toString(), shop.get("GatewayUrl"));
    assertEquals("production", shop.get("Environment"));
    assertTrue((Long) shop.get("ExchangesStarted") >= 2, shop::toString);
    assertTrue((Long) shop.get("GatewayAnsweredServerErrors") >= 1, shop::toString);
    Map<String, Object> down = beanOf(beans, "/down");
    assertTrue((Long) down.get("AnsweredBadGateway") >= 1, down::toString);
    assertEquals(down.get("ExchangesStarted"), down.get("AnsweredBadGateway"), down::toString);
    assertEquals(0L, down.get("GatewayAnsweredServerErrors"), down::toString);
  }

  /** The one bean of the site at {@code contextPath}. */
  static Map<String, Object> beanOf(Map<String, Map<String, Object>> beans, String contextPath) {
    List<String> names =
        beans.keySet().stream()
            .filter(name -> name.contains(",context=\"" + contextPath + "\""))
            .toList();
    assertEquals(1, names.size(), () -> contextPath + " in " + beans.keySet());
    return beans.get(names.get(0));
  }

  // ---- logs ----

  @Test
  void theStartUpLogNamesTheEnvironmentAndTheGatewayOnce() {
    String expected =
        "ApiLink started: environment \"production\" of "
            + origin
            + " is linked to "
            + gateway.url()
            + "; /shop/api is proxied there (tokens of the issuer "
            + origin
            + "/shop/.auth, signed with the key whose kid is \"";
    List<String> lines =
        container.startUpLog().stream().filter(line -> line.contains(expected)).toList();

    assertEquals(1, lines.size(), "start-up lines for /shop:\n" + startUpLog());
    // The file to change while the site runs: on Jetty a copy extracted under a random name.
    String line = lines.get(0);
    Path config = Path.of(line.substring(line.indexOf("; configuration: ") + 17).trim());
    assertTrue(config.endsWith(Path.of("WEB-INF", "apilink.json")), line);
    assertTrue(Files.isRegularFile(config), line);
  }

  @Test
  void theStartUpLogHasNoSlf4jWarningNoStackTraceAndNoOtherWarning() {
    Pattern stackTrace = Pattern.compile("^\\s+at [\\w$.]+\\(|^Caused by: |Exception");
    Pattern warning = Pattern.compile("WARN|SEVERE|ERROR");

    for (String line : container.startUpLog()) {
      assertFalse(line.contains("SLF4J"), "SLF4J complains at start-up:\n" + startUpLog());
      assertFalse(stackTrace.matcher(line).find(), "a stack trace at start-up:\n" + startUpLog());
      if (warning.matcher(line).find()) {
        // The warnings expected: the sample site has no signing key file of its own; Jetty's
        // start.jar says what it made of the -D options after it (the trust store, the proxy),
        // as it does for any system property (docs/operations.md).
        boolean jettysSystemProperties =
            !distribution().isTomcat()
                && (line.equals(
                        "WARN  : Unknown Arguments detected.  Consider using --dry-run or --exec")
                    || line.startsWith("WARN  :   Argument: -D")
                        && line.endsWith(
                            "(interpreted as a System property, from <command-line>)"));
        assertTrue(
            line.contains("ApiLink: no token.signingKeyFile configured") || jettysSystemProperties,
            "a warning at start-up:\n" + startUpLog());
      }
    }
  }

  @Test
  void theSubscriptionKeyNeverAppearsInTheLogs() throws Exception {
    assertEquals(200, send(get("/shop/api/logged")).statusCode());
    assertEquals(502, send(get("/down/api/logged")).statusCode());
    assertEquals(200, send(get("/api/logged")).statusCode());
    assertEquals(200, send(get("/proxied/api/logged")).statusCode());

    List<Path> logs = logFiles();
    String proxyPassword = proxyCredentials.substring(proxyCredentials.indexOf(':') + 1);
    for (Path log : logs) {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      assertFalse(text.contains(gateway.subscriptionKey(shop)), log + " holds the key");
      assertFalse(text.contains(gateway.subscriptionKey(app)), log + " holds the key");
      assertFalse(text.contains(proxyPassword), log + " holds the proxy's password");
    }
    assertTrue(logs.contains(container.log().file()));
  }

  // ---- an application with its own libraries ----

  @Test
  void anApplicationsOwnApiServletServesApiWhileItIsNotLinked() throws Exception {
    HttpResponse<String> response = send(get("/own/api/orders/7"));

    // Jetty let the web-fragment's ApiLinkServlet take /api/* from the application's own servlet:
    // a reviewer's unlinked application answered 404 there.
    assertEquals(200, response.statusCode(), response.body());
    assertEquals("own api /api/orders/7", response.body());
    assertEquals(200, send(get("/own/style.css")).statusCode());
  }

  /**
   * A filter that writes the response once its chain returns, here for a file under {@code /api}
   * that {@code ApiLinkServlet} hands to the container's default servlet by a forward: Tomcat 11
   * suspended the response under the filter's wrapper after that forward, and the client got the
   * file's length and no byte of it (a reviewer saw Spring Boot's filters lose their output the
   * same way).
   */
  @Test
  void whatAFilterWritesAfterItsChainReachesTheClientForApiWhileItIsNotLinked() throws Exception {
    HttpResponse<String> response = send(get("/buffered/api/notes.txt"));

    assertEquals(200, response.statusCode(), response.body());
    assertEquals("static notes", response.body());
  }

  @Test
  void anApplicationsOwnApiServletMappedByItsAnnotationAloneServesApiWhileItIsNotLinked()
      throws Exception {
    HttpResponse<String> response = send(get("/annotated/api/orders/7"));

    assertEquals(200, response.statusCode(), response.body());
    assertEquals("own annotated api /annotated/api/orders/7", response.body());
  }

  @Test
  void anApplicationsOwnJacksonAndJettyClientWorkNextToTheDropInJar() throws Exception {
    HttpResponse<String> response = send(get("/app/versions"));

    assertEquals(200, response.statusCode(), response.body());
    JsonNode versions = JSON.readTree(response.body());
    String jackson = appLibraryVersion("jackson-databind-");
    String jetty = appLibraryVersion("jetty-client-");
    assertEquals(jackson, versions.get("jackson").asText(), response.body());
    assertTrue(versions.get("jacksonSays").asText().startsWith("2.9."), response.body());
    assertEquals("jackson-databind-" + jackson + ".jar", versions.get("jacksonJar").asText());
    assertEquals(jetty, versions.get("jettyClient").asText(), response.body());
    assertEquals("jetty-client-" + jetty + ".jar", versions.get("jettyClientJar").asText());
    assertEquals(200, versions.get("apiStatus").asInt(), response.body());
    assertEquals("/api/called-by-the-app", versions.get("api").get("rawPath").asText());
  }

  @Test
  void anApplicationAtTheRootIsLinkedWithItsOwnProductKeyAndIssuer() throws Exception {
    HttpResponse<String> response = send(get("/api/products"));

    // Its own product's key and issuer: the other site's would be refused.
    assertEquals(200, response.statusCode(), response.body());
    Received received = onlyReceived();
    assertEquals("/api/products", received.rawPath());
    assertTokenVerifies(received, "", "http://localhost:" + container.port() + "/.auth");
  }

  // ---- a site whose users the container signs in ----

  static final String LOGIN_REALM = "ApiLink e2e";

  static final String LOGIN_WEB_XML =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
        <login-config>
          <auth-method>BASIC</auth-method>
          <realm-name>%s</realm-name>
        </login-config>
        <security-role><role-name>admin</role-name></security-role>
        <security-role><role-name>reader</role-name></security-role>
      </web-app>
      """
          .formatted(LOGIN_REALM);

  static final String LOGIN_RULES =
      """
      {"routes": [{"route": "/api/admin/*", "allowedRoles": ["admin"]}]}
      """;

  /** The users, in Tomcat's stock user store, which its stock {@code server.xml} reads. */
  static final Map<String, String> TOMCAT_USERS =
      Map.of(
          "conf/tomcat-users.xml",
          """
          <?xml version="1.0" encoding="UTF-8"?>
          <tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">
            <role rolename="admin"/>
            <role rolename="reader"/>
            <user username="alice" password="alice-e2e-secret" roles="admin,reader"/>
            <user username="bob" password="bob-e2e-secret" roles="reader"/>
          </tomcat-users>
          """);

  /**
   * The same users in a Jetty realm file, and the context file that gives {@code login.war} a
   * {@code HashLoginService} reading it (a context file next to the WAR is deployed instead of it),
   * for the Jetty {@code environment} ({@code ee10}, {@code ee11}).
   */
  static Map<String, String> jettyLogin(String environment) {
    return Map.of(
        "etc/realm.properties",
        "alice: alice-e2e-secret,admin,reader\nbob: bob-e2e-secret,reader\n",
        "webapps/login.xml",
        """
          <?xml version="1.0"?>
          <!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "https://jetty.org/configure_10_0.dtd">
          <Configure class="org.eclipse.jetty.%s.webapp.WebAppContext">
            <Set name="contextPath">/login</Set>
            <Set name="war"><Property name="jetty.webapps" default="."/>/login.war</Set>
            <Call class="org.eclipse.jetty.util.resource.ResourceFactory" name="of">
              <Arg><Ref refid="Server"/></Arg>
              <Call id="realm" name="newResource">
                <Arg><Property name="jetty.base"/>/etc/realm.properties</Arg>
              </Call>
            </Call>
            <Get name="securityHandler">
              <Set name="loginService">
                <New class="org.eclipse.jetty.security.HashLoginService">
                  <Set name="name">%s</Set>
                  <Set name="config"><Ref refid="realm"/></Set>
                </New>
              </Set>
            </Get>
          </Configure>
          """
            .formatted(environment, LOGIN_REALM));
  }

  /** A JAR holding one entry. */
  static byte[] jarWith(String name, String content) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (java.util.zip.ZipOutputStream jar = new java.util.zip.ZipOutputStream(bytes)) {
      jar.putNextEntry(new java.util.zip.ZipEntry(name));
      jar.write(content.getBytes(StandardCharsets.UTF_8));
      jar.closeEntry();
    }
    return bytes.toByteArray();
  }

  static String basic(String name, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((name + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void aUserTheContainerSignsInReachesTheGatewayAsThePrincipalWithTheirRoles() throws Exception {
    HttpResponse<String> alice =
        send(
            get("/login/api/admin/users")
                .header("Authorization", basic("alice", "alice-e2e-secret")));
    HttpResponse<String> bob =
        send(get("/login/api/admin/users").header("Authorization", basic("bob", "bob-e2e-secret")));
    HttpResponse<String> anonymous = send(get("/login/api/admin/users"));

    assertEquals(200, alice.statusCode(), alice.body());
    assertEquals(403, bob.statusCode(), bob.body());
    assertEquals(401, anonymous.statusCode(), anonymous.body());
    Received received = onlyReceived();
    assertEquals("/api/admin/users", received.rawPath());
    List<String> principal = received.header("x-ms-client-principal");
    assertEquals(1, principal.size());
    JsonNode user = JSON.readTree(Base64.getDecoder().decode(principal.get(0)));
    assertEquals("alice", user.get("userDetails").asText());
    assertEquals("container", user.get("identityProvider").asText());
    List<String> roles = new ArrayList<>();
    user.get("userRoles").forEach(role -> roles.add(role.asText()));
    assertEquals(List.of("anonymous", "authenticated", "admin"), roles);
    // The one Authorization is ApiLink's token, which the gateway checked: not alice's password.
    assertTokenVerifies(received, "/login", origin + "/login/.auth");
    assertFalse(received.headers().toString().contains("alice-e2e-secret"));
  }

  /**
   * Review A's generated paths, which the distribution's own settings let through: each names a
   * path under {@code /api/admin/} to a server behind the gateway (RFC 3986 keeps the empty
   * segment, a router on the raw path keeps {@code %2e%2e} as a name, Windows drops {@code ...}),
   * while the container reads {@code /api/}, {@code /api/public} and {@code /api/.../admin/users}.
   * Before the fix each was proxied to anyone on embedded Tomcat 10.1.59.
   */
  @Test
  void pathsAServerBehindTheGatewayTakesForProtectedOnesAreNotProxied() throws Exception {
    List<String> proxied = new ArrayList<>();
    for (String path :
        List.of(
            "/login/api/admin//..",
            "/login/api/admin/%2e%2e/public",
            "/login/api/.../admin/users")) {
      HttpResponse<String> response = send(get(path));
      if (response.statusCode() == 200) {
        proxied.add(path);
      }
    }

    assertEquals(List.of(), proxied);
    assertEquals(List.of(), backend.received());
  }

  /**
   * A resource JAR's {@code META-INF/resources/staticwebapp.config.json}, as Spring Boot serves
   * {@code static/} from an executable JAR: found by a reviewer in Boot, it was served to browsers
   * while its rules were not applied, and every {@code /api} request was proxied.
   */
  @Test
  void routeRulesTheSiteServesFromAJarApply() throws Exception {
    HttpResponse<String> served = send(get("/jarrules/staticwebapp.config.json"));
    HttpResponse<String> admin = send(get("/jarrules/api/admin/users"));

    assertEquals(200, served.statusCode(), "the container serves the rules from the JAR");
    assertEquals(401, admin.statusCode(), admin.body());
    assertEquals(
        "{\"statusCode\": 401, \"message\": \"Unauthorized: sign in to use this route.\"}",
        admin.body());
    // Other routes are proxied, to a gateway that is down.
    assertCouldNotBeReached(send(get("/jarrules/api/products")));
  }

  @Test
  void aWrongPasswordSignsNoOneIn() throws Exception {
    HttpResponse<String> wrong =
        send(get("/login/api/admin/users").header("Authorization", basic("alice", "guess")));

    assertEquals(401, wrong.statusCode(), wrong.body());
    assertEquals(List.of(), backend.received());
  }

  // ---- helpers ----

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(origin + path)).timeout(REQUEST_TIMEOUT);
  }

  HttpRequest.Builder get(String path) {
    return request(path).GET();
  }

  static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return send(request, BodyHandlers.ofString());
  }

  static <T> HttpResponse<T> send(HttpRequest.Builder request, HttpResponse.BodyHandler<T> body)
      throws Exception {
    return CLIENT.send(request.build(), body);
  }

  Received onlyReceived() {
    List<Received> received = backend.received();
    assertEquals(1, received.size(), "requests that reached the backend: " + received);
    return received.get(0);
  }

  /**
   * Checks the token that reached the backend against the keys that the site at {@code context}
   * publishes, as the gateway's validate-jwt policy does.
   */
  void assertTokenVerifies(Received received, String context, String issuer) throws Exception {
    assertTokenVerifies(received, context, issuer, gateway.url().toString());
  }

  /** As above, for a token whose audience is {@code audience}, a gateway's URL. */
  void assertTokenVerifies(Received received, String context, String issuer, String audience)
      throws Exception {
    List<String> authorization = received.header("Authorization");
    assertEquals(1, authorization.size());
    assertTrue(authorization.get(0).startsWith("Bearer "), authorization.get(0));
    SignedJWT token = SignedJWT.parse(authorization.get(0).substring("Bearer ".length()));

    HttpResponse<String> discovery = send(get(context + "/.auth/.well-known/openid-configuration"));
    assertEquals(200, discovery.statusCode());
    JsonNode document = JSON.readTree(discovery.body());
    assertEquals(issuer, document.get("issuer").asText());
    HttpResponse<String> jwks =
        send(HttpRequest.newBuilder(URI.create(document.get("jwks_uri").asText())));
    assertEquals(200, jwks.statusCode());
    RSAKey key = (RSAKey) JWKSet.parse(jwks.body()).getKeyByKeyId(token.getHeader().getKeyID());
    assertNotNull(key, "the token's kid is published");
    assertFalse(key.isPrivate());
    assertTrue(token.verify(new RSASSAVerifier(key)), "signature");
    assertEquals(issuer, token.getJWTClaimsSet().getIssuer());
    assertEquals(List.of(audience), token.getJWTClaimsSet().getAudience());
  }

  /** Waits until the silent gateway sees the request {@code firstLine} given up by ApiLink. */
  void awaitGivenUp(String firstLine) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      String givenUp = silentGateway.awaitRequestGivenUp(Duration.ofSeconds(1));
      if (firstLine.equals(givenUp)) {
        return;
      }
    }
    throw new AssertionError("the gateway request \"" + firstLine + "\" was not aborted");
  }

  /** The container's console output and every log file it wrote. */
  List<Path> logFiles() throws IOException {
    return logFiles(container);
  }

  /** {@code container}'s console output and every log file it wrote. */
  static List<Path> logFiles(ContainerProcess container) throws IOException {
    try (Stream<Path> files = Files.walk(container.base())) {
      return files
          .filter(Files::isRegularFile)
          .filter(
              f ->
                  f.equals(container.log().file())
                      || f.startsWith(container.base().resolve("logs")))
          .toList();
    }
  }

  String startUpLog() {
    return String.join("\n", container.startUpLog());
  }

  String appLibraryVersion(String prefix) throws IOException {
    try (Stream<Path> files = Files.list(appLibraries)) {
      String jar =
          files
              .map(f -> f.getFileName().toString())
              .filter(name -> name.startsWith(prefix))
              .findFirst()
              .orElseThrow();
      return jar.substring(prefix.length(), jar.length() - ".jar".length());
    }
  }

  /** The sample site with the application's servlet, its libraries and {@code config}. */
  Path appWar(Path target, Path config) throws IOException {
    Wars war =
        Wars.from(sampleWar)
            .with("WEB-INF/apilink.json", Files.readString(config))
            .with(
                "WEB-INF/web.xml",
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <!-- Not metadata-complete: ApiLink's web-fragment registers the filter. -->
                <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
                  <servlet>
                    <servlet-name>versions</servlet-name>
                    <servlet-class>%s</servlet-class>
                  </servlet>
                  <servlet-mapping>
                    <servlet-name>versions</servlet-name>
                    <url-pattern>/app/versions</url-pattern>
                  </servlet-mapping>
                </web-app>
                """
                    .formatted(VersionsServlet.class.getName()))
            .withClass(VersionsServlet.class);
    try (Stream<Path> jars = Files.list(appLibraries)) {
      for (Path jar : jars.toList()) {
        war.with("WEB-INF/lib/" + jar.getFileName(), jar);
      }
    }
    return war.writeTo(target);
  }

  /** The sample site with its own {@code /api/*} servlet and {@code config}. */
  Path ownApiWar(Path target, ObjectNode config) throws IOException {
    return Wars.from(sampleWar)
        .with("WEB-INF/apilink.json", config.toPrettyString())
        .with(
            "WEB-INF/web.xml",
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
              <servlet>
                <servlet-name>own-api</servlet-name>
                <servlet-class>%s</servlet-class>
              </servlet>
              <servlet-mapping>
                <servlet-name>own-api</servlet-name>
                <url-pattern>/api/*</url-pattern>
              </servlet-mapping>
            </web-app>
            """
                .formatted(OwnApiServlet.class.getName()))
        .withClass(OwnApiServlet.class)
        .writeTo(target);
  }

  /**
   * The sample site, not linked, with a file under {@code /api} and a {@link BufferingFilter} on
   * {@code /*}, which its {@code web.xml} maps before the fragment's filter.
   */
  Path bufferedWar(Path target, ObjectNode config) throws IOException {
    return Wars.from(sampleWar)
        .with("WEB-INF/apilink.json", config.toPrettyString())
        .with("api/notes.txt", "static notes")
        .with(
            "WEB-INF/web.xml",
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
              <filter>
                <filter-name>buffering</filter-name>
                <filter-class>%s</filter-class>
              </filter>
              <filter-mapping>
                <filter-name>buffering</filter-name>
                <url-pattern>/*</url-pattern>
              </filter-mapping>
            </web-app>
            """
                .formatted(BufferingFilter.class.getName()))
        .withClass(BufferingFilter.class)
        .writeTo(target);
  }

  static ObjectNode siteConfig(String hostname, String gatewayUrl, String key, Path signingKeys) {
    ObjectNode config = JSON.createObjectNode();
    config.put("hostname", hostname);
    config
        .putObject("environments")
        .putObject("production")
        .putObject("backend")
        .put("resourceType", "apiManagement")
        .put("url", gatewayUrl)
        .put("subscriptionKey", key);
    config.putObject("token").put("signingKeyFile", signingKeys.toString());
    return config;
  }

  static ObjectNode backendOf(ObjectNode config) {
    return (ObjectNode) config.get("environments").get("production").get("backend");
  }

  static Path writeJson(Path file, ObjectNode json) throws IOException {
    return Files.writeString(file, json.toPrettyString(), StandardCharsets.UTF_8);
  }

  /** A signing key file made by the drop-in JAR's own {@code keygen}. */
  static Path keygen(Path file) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Main.run(
            new String[] {"keygen"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            System::getenv);
    if (status != 0) {
      throw new IllegalStateException("keygen: " + err.toString(StandardCharsets.UTF_8));
    }
    Files.write(file, out.toByteArray());
    // Readable by its owner only, as the README makes it, in a directory only its owner writes
    // (whatever the umask): ApiLink warns about a looser one.
    Files.setPosixFilePermissions(file.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
    return Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
  }

  /** Sends {@code request} as is and reads what comes back until the container closes. */
  String rawExchange(String request) throws IOException {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", container.port())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      try {
        socket.getInputStream().transferTo(received);
      } catch (java.net.SocketException e) {
        received.write(("<" + e + ">").getBytes(StandardCharsets.ISO_8859_1));
      }
      return received.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
