package dev.apilink.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

class TokenIssuerTest {

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    Instant now = Instant.parse("2026-11-26T10:00:00.250Z");

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  final SigningKeys keys = SigningKeys.generate();
  final ManualClock clock = new ManualClock();
  final TokenIssuer issuer =
      new TokenIssuer(
          keys, "https://site.example/.auth", "https://gw.example", "site.example", 300, clock);

  @Test
  void aTokenCarriesTheClaimsTheGatewayChecks() throws Exception {
    SignedJWT jwt = SignedJWT.parse(issuer.token());

    assertTrue(jwt.verify(new RSASSAVerifier((RSAKey) keys.current().toPublicJWK())));
    assertEquals(keys.current().getKeyID(), jwt.getHeader().getKeyID());
    assertEquals("JWT", jwt.getHeader().getType().getType());
    assertEquals("https://site.example/.auth", jwt.getJWTClaimsSet().getIssuer());
    assertEquals(List.of("https://gw.example"), jwt.getJWTClaimsSet().getAudience());
    assertEquals("site.example", jwt.getJWTClaimsSet().getSubject());
    Instant issued = Instant.parse("2026-11-26T10:00:00Z");
    assertEquals(issued, jwt.getJWTClaimsSet().getIssueTime().toInstant());
    assertEquals(issued, jwt.getJWTClaimsSet().getNotBeforeTime().toInstant());
    assertEquals(issued.plusSeconds(300), jwt.getJWTClaimsSet().getExpirationTime().toInstant());
    assertTrue(jwt.getJWTClaimsSet().getJWTID().length() >= 32);
  }

  @Test
  void theSameTokenServesUntilFourFifthsOfItsLifetimeHavePassed() {
    String first = issuer.token();
    clock.now = clock.now.plus(Duration.ofSeconds(239));
    for (int i = 0; i < 1000; i++) {
      assertEquals(first, issuer.token());
    }
    assertEquals(1, issuer.signatures());

    clock.now = clock.now.plus(Duration.ofSeconds(1));
    String second = issuer.token();

    assertNotEquals(first, second);
    assertEquals(2, issuer.signatures());
  }

  @Test
  void concurrentRequestsShareOneSignature() throws Exception {
    Thread[] threads = new Thread[8];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  issuer.token();
                }
              });
      threads[t].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }

    assertEquals(1, issuer.signatures());
  }

  @Test
  void toStringShowsNoKeyOrToken() {
    String token = issuer.token();

    assertEquals(
        "TokenIssuer[iss=https://site.example/.auth, aud=https://gw.example, kid="
            + keys.current().getKeyID()
            + "]",
        issuer.toString());
    assertTrue(!issuer.toString().contains(token));
  }

  @Test
  void theDiscoveryMapperKeepsNothingInTheContainersThreads() throws Exception {
    dev.apilink.config.JsonFactoriesTest.assertNoThreadLocalBuffers(WellKnown.JSON, "WellKnown");
    dev.apilink.config.JsonFactoriesTest.assertLeavesNoBuffersInItsThread(
        () -> WellKnown.of("https://site.example/.auth", keys));
  }
}
