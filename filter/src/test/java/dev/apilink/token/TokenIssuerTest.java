package dev.apilink.token;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenIssuerTest {

  /** A clock the test moves by hand. */
  static class ManualClock extends Clock {
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

  /** The monotonic clock ({@code System.nanoTime()} in production), moved by hand. */
  long nanoTime = 123_456_789L;

  final TokenIssuer issuer =
      new TokenIssuer(
          keys,
          "https://site.example/.auth",
          "https://gw.example",
          "site.example",
          300,
          clock,
          () -> nanoTime);

  /** Time passes: both clocks move on by {@code elapsed}. */
  private void pass(Duration elapsed) {
    clock.now = clock.now.plus(elapsed);
    nanoTime += elapsed.toNanos();
  }

  private Instant issueTime(String token) throws Exception {
    return SignedJWT.parse(token).getJWTClaimsSet().getIssueTime().toInstant();
  }

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
  void afterTheWallClockStepsBackTheNextRequestGetsATokenIssuedByTheCorrectedClock()
      throws Exception {
    // NTP corrects a clock that ran an hour ahead: the gateway, on the right time, took the cached
    // token as not valid before 11:00 and refused it; it was sent on until the clock reached 11:04.
    clock.now = Instant.parse("2026-11-26T11:00:00Z");
    issuer.token();
    clock.now = Instant.parse("2026-11-26T10:00:01Z");
    nanoTime += Duration.ofSeconds(1).toNanos();

    String second = issuer.token();

    assertEquals(Instant.parse("2026-11-26T10:00:01Z"), issueTime(second));
    assertEquals(second, issuer.token());
    assertEquals(2, issuer.signatures());
  }

  @Test
  void aTokenIsRenewedFourFifthsOfItsLifetimeOnEvenIfTheWallClockWasSetBackMeanwhile()
      throws Exception {
    String first = issuer.token();
    // 240 s pass, and the wall clock is set back 239 s meanwhile: it says one second has passed.
    nanoTime += Duration.ofSeconds(239).toNanos();
    assertEquals(first, issuer.token());
    nanoTime += Duration.ofSeconds(1).toNanos();
    clock.now = clock.now.plus(Duration.ofSeconds(1));

    assertEquals(Instant.parse("2026-11-26T10:00:01Z"), issueTime(issuer.token()));
  }

  @Test
  void afterTheWallClockJumpsForwardAsOnResumingFromSuspendTheNextRequestGetsANewToken()
      throws Exception {
    issuer.token();
    // Suspended for two hours: Linux's monotonic clock (System.nanoTime) stands still meanwhile.
    clock.now = clock.now.plus(Duration.ofHours(2));

    assertEquals(Instant.parse("2026-11-26T12:00:00Z"), issueTime(issuer.token()));
  }

  @Test
  void whileBothClocksAgreeTheTokenIsRenewedExactlyOnceEveryFourFifthsOfItsLifetime() {
    String first = issuer.token();
    pass(Duration.ofMillis(239_749));
    assertEquals(first, issuer.token());
    pass(Duration.ofMillis(1));
    String second = issuer.token();
    assertNotEquals(first, second);
    pass(Duration.ofMillis(239_999));
    assertEquals(second, issuer.token());
    assertEquals(2, issuer.signatures());
  }

  /** A manual clock that holds one thread at its n-th reading of the time, until released. */
  static final class HoldingClock extends ManualClock {
    final CountDownLatch held = new CountDownLatch(1);
    final CountDownLatch released = new CountDownLatch(1);
    private volatile Thread watched;
    private int readingToHoldAt;
    private int readings;

    void hold(Thread thread, int reading) {
      readingToHoldAt = reading;
      watched = thread;
    }

    @Override
    public Instant instant() {
      if (Thread.currentThread() == watched && ++readings == readingToHoldAt) {
        held.countDown();
        try {
          released.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return now;
    }
  }

  /** An issuer of 300 s tokens for site.example, signed with the test's keys, on {@code clock}. */
  private TokenIssuer issuerOn(HoldingClock clock) {
    return new TokenIssuer(
        keys, "https://site.example/.auth", "https://gw.example", "site.example", 300, clock);
  }

  /**
   * A thread that asks {@code issuer} for a token and is held inside the lock, until {@code
   * holding} releases it. Its readings of the clock: whether the token is due (1), whether the old
   * one is still valid (2), and, holding the lock, whether another thread renewed it meanwhile (3).
   */
  private static FutureTask<String> renewalHeldInsideTheLock(
      TokenIssuer issuer, HoldingClock holding) throws InterruptedException {
    FutureTask<String> renewal = new FutureTask<>(issuer::token);
    Thread signer = new Thread(renewal);
    holding.hold(signer, 3);
    signer.start();
    holding.held.await();
    return renewal;
  }

  @Test
  void theRenewalIsDueFourFifthsOfTheLifetimeAfterTheWholeSecondOfIssue() {
    // Issued at 10:00:00.250, the token says iat 10:00:00: renewal is due at 10:04:00 exactly.
    String first = issuer.token();
    clock.now = Instant.parse("2026-11-26T10:03:59.999Z");
    assertEquals(first, issuer.token());

    clock.now = Instant.parse("2026-11-26T10:04:00Z");
    assertNotEquals(first, issuer.token());
    assertEquals(2, issuer.signatures());
  }

  @Test
  void whileOneThreadSignsTheOthersKeepTheTokenThatIsStillValid() throws Exception {
    HoldingClock holding = new HoldingClock();
    TokenIssuer issuer = issuerOn(holding);
    String first = issuer.token();
    holding.now = Instant.parse("2026-11-26T10:04:00.500Z"); // due for renewal half a second ago
    FutureTask<String> renewal = renewalHeldInsideTheLock(issuer, holding);
    try {
      assertEquals(
          first,
          assertTimeoutPreemptively(
              Duration.ofSeconds(10), issuer::token, "waited for the thread that signs"));
    } finally {
      holding.released.countDown();
    }
    assertNotEquals(first, renewal.get());
    assertEquals(2, issuer.signatures());
  }

  @Test
  void onceTheTokenHasExpiredTheOthersWaitForTheThreadThatSigns() throws Exception {
    // Its exp: no longer valid (RFC 7519 4.1.4).
    assertOthersWaitForTheThreadThatSigns(Instant.parse("2026-11-26T10:05:00Z"));
  }

  @Test
  void aTokenCloseToItsExpiryIsNotLentWhileAnotherThreadSignsItsSuccessor() throws Exception {
    // No request in the last fifth of its lifetime, then two at once, 100 ms before its exp: the
    // one that did not sign got the old token, which reached a gateway whose clock is a little
    // ahead, or whose policy has validate-jwt's default clock-skew of 0 s, expired.
    assertOthersWaitForTheThreadThatSigns(Instant.parse("2026-11-26T10:04:59.900Z"));
  }

  @Test
  void aTokenIsLentNoLongerThanASecondAfterItsRenewalFellDue() throws Exception {
    assertOthersWaitForTheThreadThatSigns(Instant.parse("2026-11-26T10:04:01Z"));
  }

  /**
   * At {@code now}, while one thread signs the successor of the token issued at 10:00:00, another
   * waits for it rather than taking the old token.
   */
  private void assertOthersWaitForTheThreadThatSigns(Instant now) throws Exception {
    HoldingClock holding = new HoldingClock();
    TokenIssuer issuer = issuerOn(holding);
    String first = issuer.token();
    holding.now = now;
    FutureTask<String> renewal = renewalHeldInsideTheLock(issuer, holding);
    FutureTask<String> other = new FutureTask<>(issuer::token);
    Thread otherThread = new Thread(other);
    try {
      otherThread.start();
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (otherThread.getState() != Thread.State.WAITING
          && !other.isDone()
          && System.nanoTime() < deadline) {
        Thread.onSpinWait(); // until it waits for the lock, or has answered without waiting
      }
      assertFalse(
          other.isDone() && first.equals(other.get()),
          "handed out the token that expires at 10:05:00, at " + now + ", while it was renewed");
      assertFalse(other.isDone(), "answered while the token was being renewed");
    } finally {
      holding.released.countDown();
    }
    String renewed = renewal.get();
    assertNotEquals(first, renewed);
    assertEquals(renewed, other.get());
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
  void manyThreadsAskingOnceTheOldTokenIsNoLongerLentShareOneRenewal() throws Exception {
    String first = issuer.token();
    clock.now = Instant.parse("2026-11-26T10:04:30Z"); // due 30 s ago: every thread takes the lock
    CountDownLatch start = new CountDownLatch(1);
    List<FutureTask<Set<String>>> askers = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      FutureTask<Set<String>> asker =
          new FutureTask<>(
              () -> {
                Set<String> seen = new HashSet<>();
                start.await();
                for (int i = 0; i < 1_000; i++) {
                  seen.add(issuer.token());
                }
                return seen;
              });
      askers.add(asker);
      new Thread(asker).start();
    }
    start.countDown();
    Set<String> seen = new HashSet<>();
    for (FutureTask<Set<String>> asker : askers) {
      seen.addAll(asker.get(30, TimeUnit.SECONDS));
    }

    assertEquals(2, issuer.signatures());
    assertEquals(1, seen.size());
    assertFalse(seen.contains(first));
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
