package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.apilink.proxy.GatewayTarget;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.echo.EchoBackend.Received;
import dev.apilink.testkit.faults.TrapServer;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random requests, from a seed printed at the start (repeat a run with {@code
 * -Dapilink.fuzz.seed=N}): paths from an alphabet of separators, dots and their encodings, NUL,
 * parameters, backslashes, non-ASCII and invalid UTF-8; spoofed keys, tokens, principals and hosts;
 * random bodies, sized or chunked. Whatever each one does, the invariants hold: the gateway gets
 * only /api paths that stay under /api, each with ApiLink's key and a token that verifies, never a
 * client's principal; what it gets whole arrives byte for byte and is answered; no response carries
 * a secret or a protected file; the trap is never reached; the container stays healthy. Run once
 * per container by {@link FuzzOnJettyTest} and {@link FuzzOnTomcatTest}.
 */
abstract class FuzzContract {

  @RegisterExtension static final SecretWatch SECRETS = new SecretWatch();

  static final int REQUESTS = 400;

  static final String[] SEGMENTS = {
    "x",
    "items",
    "7",
    "..",
    ".",
    "%2e",
    "%2E%2e",
    "%2e%2e",
    ".%2e",
    "%2f",
    "%2F",
    "..%2f",
    "%00",
    ";",
    ";x=y",
    "..;",
    "\\",
    "%5c",
    "..%5c",
    "\u00c3\u00a9",
    "%C3%A9",
    "%ff",
    "%c0%ae",
    "%e0%80%ae",
    "WEB-INF",
    "web.xml",
    "secret.txt",
    "META-INF",
    "MANIFEST.MF",
    "api",
    "%25",
    "%",
    "+",
    "~",
    "%20",
    "%u002e",
    ""
  };
  static final String[] PLAIN_SEGMENTS = {"x", "items", "7", "a%2Fb", "%C3%A9", "~", "a+b", ""};
  static final String[] PREFIXES = {
    "/api", "/api", "/api", "/api", "/api/", "/api;x=y", "//api", "/%61pi", "/apix", "/", "/WEB-INF"
  };
  static final String[] QUERIES = {
    "subscription-key=stolen",
    "a=1",
    "Subscription-Key=x",
    "subscription%2Dkey=y",
    "x=%ff",
    "q=%00",
    "SUBSCRIPTION-KEY",
    "%73ubscription-key=z",
    "b=%2F..%2F"
  };

  @TempDir Path dir;
  EchoBackend gateway;
  TrapServer trap;
  Site site;

  abstract ServletContainer.Kind kind();

  @BeforeEach
  void start() throws Exception {
    gateway = EchoBackend.startDiscreet();
    trap = TrapServer.start();
    site = Site.create(kind(), dir, "");
    site.deployLinkedTo(gateway.url(), Battery.prepare(site, dir));
  }

  @AfterEach
  void stop() throws Exception {
    site.close();
    gateway.close();
    trap.close();
  }

  /**
   * {@code target} (one char per byte) with each byte above 0x7E as {@code %XX}: what ApiLink
   * forwards for raw UTF-8 in a path (GatewayTarget.asciiOnly). Tomcat refuses such paths itself.
   */
  static String nonAsciiEncoded(String target) {
    StringBuilder encoded = new StringBuilder();
    for (char c : target.toCharArray()) {
      encoded.append(c < 0x7F ? String.valueOf(c) : String.format("%%%02X", (int) c));
    }
    return encoded.toString();
  }

  /** What the fuzzer sent, by the id in its X-Fuzz-Id header. */
  record Sent(String head, String target, String user, String bodySha256, int bodyBytes) {}

  @Test
  void randomPathsHeadersAndBodiesNeverBreakTheInvariants() throws Exception {
    long seed = Long.getLong("apilink.fuzz.seed", System.nanoTime());
    System.out.printf(
        "%s fuzz: seed %d (repeat with -Dapilink.fuzz.seed=%d)%n", kind(), seed, seed);
    Random random = new Random(seed);
    Map<String, Sent> sent = new HashMap<>();
    Map<String, Integer> statusById = new HashMap<>();

    for (int n = 0; n < REQUESTS; n++) {
      String id = String.valueOf(n);
      String target = target(random);
      String method = pick(random, "GET", "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");
      StringBuilder head =
          new StringBuilder(method + " " + target + " HTTP/1.1\r\n")
              .append("Host: ")
              .append(random.nextInt(8) == 0 ? trap.authority() : "127.0.0.1")
              .append("\r\nX-Fuzz-Id: ")
              .append(id)
              .append("\r\nConnection: close\r\n");
      String user = null;
      if (random.nextInt(6) == 0) {
        user = "user" + random.nextInt(100);
        head.append("X-Test-User: ").append(user).append("\r\n");
      }
      for (String spoof :
          new String[] {
            "Ocp-Apim-Subscription-Key: stolen-" + n,
            "ocp-apim-subscription-key: stolen-too",
            "Ocp_Apim_Subscription_Key: stolen-underscore",
            "Authorization: Bearer forged-" + n,
            "x-ms-client-principal: Zm9yZ2Vk",
            "X_MS_Client_Principal: Zm9yZ2Vk",
            "X-Forwarded-Host: " + trap.authority(),
            "x-ms-original-url: http://" + trap.authority() + "/",
            "Connection: Ocp-Apim-Subscription-Key, Authorization, X-Forwarded-Host",
          }) {
        if (random.nextInt(3) == 0) {
          head.append(spoof).append("\r\n");
        }
      }
      byte[] body = new byte[0];
      String framed = "";
      if (!method.equals("GET") && !method.equals("DELETE") && random.nextBoolean()) {
        body = new byte[random.nextInt(4096) + 1];
        random.nextBytes(body);
        if (random.nextBoolean()) {
          head.append("Content-Length: ").append(body.length).append("\r\n");
          framed = new String(body, StandardCharsets.ISO_8859_1);
        } else {
          head.append("Transfer-Encoding: chunked\r\n");
          framed = chunked(body, random);
        }
      }
      sent.put(
          id,
          new Sent(
              head.toString(),
              target,
              user,
              EchoBackend.sha256(new ByteArrayInputStream(body)),
              body.length));
      List<RawHttp.Response> responses =
          RawHttp.exchange(site.container().port(), head + "\r\n" + framed, 1);
      for (RawHttp.Response response : responses) {
        SECRETS.inspect(method + " " + target, response.raw());
        assertFalse(response.bodyText().contains(TrapServer.BODY), "the trap answered");
      }
      statusById.put(id, responses.isEmpty() ? 0 : responses.get(0).status());
    }

    JWKSet keys =
        JWKSet.parse(
            RawHttp.exchangeOne(
                    site.container().port(),
                    "GET /.auth/.well-known/jwks.json HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + "Connection: close\r\n\r\n")
                .bodyText());
    String issuer = site.container().url() + "/.auth";
    Set<String> verified = new HashSet<>();
    Set<String> seen = new HashSet<>();
    for (Received received : gateway.received()) {
      String id = received.header("X-Fuzz-Id").get(0);
      assertTrue(seen.add(id), "request " + id + " reached the gateway twice");
      Sent request = sent.get(id);
      assertNotNull(request, "a request the fuzzer never sent: " + received.rawPath());
      String path = received.rawPath();
      assertTrue(GatewayTarget.isApiPath(path) && GatewayTarget.staysUnderApi(path), path);
      assertEquals(
          nonAsciiEncoded(request.target().split("\\?", 2)[0]),
          path,
          "forwarded byte for byte, a raw non-ASCII byte percent-encoded");
      if (received.rawQuery() != null) {
        assertEquals(
            received.rawQuery(),
            GatewayTarget.withoutSubscriptionKey(received.rawQuery()),
            "a subscription-key parameter reached the gateway");
      }
      assertEquals(List.of(Site.KEY), received.header("Ocp-Apim-Subscription-Key"));
      assertEquals(List.of(), received.header("Ocp_Apim_Subscription_Key"));
      assertEquals(List.of(), received.header("X_MS_Client_Principal"));
      assertEquals(1, received.header("Authorization").size());
      String token = received.header("Authorization").get(0).substring("Bearer ".length());
      if (verified.add(token)) {
        SignedJWT jwt = SignedJWT.parse(token);
        RSAKey key = (RSAKey) keys.getKeyByKeyId(jwt.getHeader().getKeyID());
        assertNotNull(key, "the token's key is published");
        assertTrue(jwt.verify(new RSASSAVerifier(key)), "the token verifies");
        assertEquals(issuer, jwt.getJWTClaimsSet().getIssuer());
      }
      List<String> principal = received.header("x-ms-client-principal");
      if (request.user() == null) {
        assertEquals(List.of(), principal, "a client's principal reached the gateway");
      } else {
        assertEquals(1, principal.size());
        JsonNode decoded = Site.JSON.readTree(Base64.getDecoder().decode(principal.get(0)));
        assertEquals(request.user(), decoded.get("userDetails").asText());
      }
      assertEquals(List.of("127.0.0.1:" + gateway.port()), received.header("Host"));
      if (received.bodyComplete()) {
        assertEquals(request.bodyBytes(), received.bodyBytes(), "body of " + request.head());
        assertEquals(request.bodySha256(), received.bodySha256(), "body of " + id);
        assertEquals(200, statusById.get(id), "the gateway's answer to " + id);
      }
    }
    assertEquals(List.of(), trap.connections(), "the trap server was reached");

    ServletContainer container = site.container();
    assertEquals(
        200,
        RawHttp.exchangeOne(
                container.port(),
                "GET /style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .status());
    assertEquals(
        200,
        RawHttp.exchangeOne(
                container.port(),
                "GET /api/after HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .status());
    Await.until(
        "back to idle",
        Duration.ofSeconds(20),
        () -> container.busyThreads() == 0 && container.apiLinkFilter().exchangesInFlight() == 0,
        () -> container.busyThreads() + " busy, " + container.apiLinkFilter().exchangesInFlight());
    System.out.printf(
        "%s fuzz: %d requests, %d reached the gateway, %d distinct statuses %s%n",
        kind(),
        REQUESTS,
        gateway.received().size(),
        new HashSet<>(statusById.values()).size(),
        new java.util.TreeSet<>(statusById.values()));
  }

  static String target(Random random) {
    boolean plain = random.nextBoolean(); // half of them likely to reach the gateway
    StringBuilder path = new StringBuilder(plain ? "/api" : pick(random, PREFIXES));
    String[] alphabet = plain ? PLAIN_SEGMENTS : SEGMENTS;
    int segments = random.nextInt(6);
    for (int i = 0; i < segments; i++) {
      if (path.charAt(path.length() - 1) != '/' || random.nextInt(4) == 0) {
        path.append(random.nextInt(5) == 0 ? "" : "/");
      }
      path.append(pick(random, alphabet));
    }
    if (random.nextInt(3) == 0) {
      path.append('?').append(pick(random, QUERIES));
      if (random.nextBoolean()) {
        path.append('&').append(pick(random, QUERIES));
      }
    }
    return path.toString();
  }

  static String chunked(byte[] body, Random random) {
    StringBuilder framed = new StringBuilder();
    int at = 0;
    while (at < body.length) {
      int size = Math.min(body.length - at, 1 + random.nextInt(1024));
      framed
          .append(Integer.toHexString(size))
          .append("\r\n")
          .append(new String(body, at, size, StandardCharsets.ISO_8859_1))
          .append("\r\n");
      at += size;
    }
    return framed.append("0\r\n\r\n").toString();
  }

  @SafeVarargs
  static <T> T pick(Random random, T... choices) {
    return choices[random.nextInt(choices.length)];
  }
}
