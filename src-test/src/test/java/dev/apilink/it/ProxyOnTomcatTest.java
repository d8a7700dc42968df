package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import dev.apilink.ApiLinkFilter;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.echo.EchoBackend.Received;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link ProxyContract} in Tomcat 10.1, and what it checks in one container only. */
class ProxyOnTomcatTest extends ProxyContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }

  /**
   * A request that waits for one of the {@code maxConnections} gateway connections (here the only
   * one, held by a slow answer) waits as long as {@code timeoutSeconds} allows. The token it
   * carries is the one current when it goes out, not when it started to wait: a 30 s token taken
   * before a 33 s wait reached the gateway past its {@code exp}, which the gateway's validate-jwt
   * refuses.
   *
   * <p>Run in one container: the token is taken by ApiLink's gateway client as the request goes
   * out, the same code in either, and the wait is the point (33 s).
   */
  @Test
  void aRequestThatWaitedForAGatewayConnectionCarriesATokenThatHasNotExpired() throws Exception {
    site.deployLinkedTo(
        backend.url(),
        c -> {
          Battery.backend(c).put("maxConnections", 1).put("timeoutSeconds", 120);
          c.putObject("token").put("lifetimeSeconds", 30);
        });
    EchoBackend.Gate gate = backend.gate("token-wait");
    CompletableFuture<HttpResponse<String>> first =
        CLIENT.sendAsync(
            HttpRequest.newBuilder(site.uri("/api/first"))
                .header("x-echo-hold", "token-wait")
                .build(),
            BodyHandlers.ofString());
    gate.awaitHeld(1, Duration.ofSeconds(20));
    CompletableFuture<HttpResponse<String>> waiting =
        CLIENT.sendAsync(
            HttpRequest.newBuilder(site.uri("/api/waiting")).build(), BodyHandlers.ofString());
    ApiLinkFilter apiLink = site.container().apiLinkFilter();
    Await.until(
        "the second request waiting for the gateway's only connection",
        Duration.ofSeconds(20),
        () -> apiLink.exchangesInFlight() == 2,
        () -> apiLink.exchangesInFlight() + " in flight, " + apiLink.gatewayConnections());
    Instant waitingSince = Instant.now();
    // Not a synchronisation: the wait is the point, longer than the token's whole lifetime.
    Await.until(
        "33 s, a token's lifetime and some, passed",
        Duration.ofSeconds(60),
        () -> Instant.now().isAfter(waitingSince.plusSeconds(33)),
        () -> Instant.now());
    Instant connectionFree = Instant.now();
    gate.open();

    assertEquals(200, first.get(20, TimeUnit.SECONDS).statusCode());
    assertEquals(200, waiting.get(20, TimeUnit.SECONDS).statusCode());
    Received received =
        backend.received().stream()
            .filter(r -> r.rawPath().equals("/api/waiting"))
            .findFirst()
            .orElseThrow();
    String token = received.header("Authorization").get(0).substring("Bearer ".length());
    Instant expiry = SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().toInstant();
    // Sent once the connection was free: its token must outlive that moment, and does so by the
    // token's last fifth (6 s) when taken then, however slowly the machine answers afterwards.
    assertTrue(
        expiry.isAfter(connectionFree),
        "the waiting request's token expired at "
            + expiry
            + ", before the connection it waited for was free at "
            + connectionFree);
  }
}
