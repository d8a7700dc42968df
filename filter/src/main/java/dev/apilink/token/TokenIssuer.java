package dev.apilink.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.util.Date;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Mints the access tokens that the gateway's {@code validate-jwt} policy checks, and keeps the
 * current one: a request takes the cached token, so there is no signature on the request path in
 * steady state. A new token is minted once four fifths of the lifetime have passed, leaving the
 * last fifth as a margin for tokens still in flight and for a gateway whose clock is ahead: no
 * token goes out later than {@link #LENDING_MILLIS} past that, even while its successor is being
 * signed.
 *
 * <p>Passed by both clocks: the wall clock, which signs the token's times, and the monotonic one,
 * which no one sets. Judged by the wall clock alone, a step back (NTP correcting a clock that ran
 * ahead, an operator setting the date) kept the cached token in use for as long as the step: after
 * NTP set back a clock an hour ahead, a gateway on the right time refused it as not yet valid for
 * most of that hour. And the monotonic clock alone will not do: it stands still while the machine
 * is suspended, and a token minted before would outlive its {@code exp}.
 */
public final class TokenIssuer {

  /**
   * How long after its renewal fell due a token still goes out while another thread signs its
   * successor: a signature takes milliseconds, so under load no request waits for it.
   */
  static final long LENDING_MILLIS = 1000;

  private final JWSSigner signer;
  private final JWSHeader header;
  private final String issuer;
  private final String audience;
  private final String subject;
  private final long lifetimeMillis;
  private final long refreshAfterMillis;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final ReentrantLock minting = new ReentrantLock();
  private final AtomicLong signatures = new AtomicLong();
  private volatile Minted minted;

  /**
   * @param keys the signing keys; the current one signs
   * @param issuer the {@code iss} claim
   * @param audience the {@code aud} claim
   * @param subject the {@code sub} claim
   * @param lifetimeSeconds the time from {@code iat} to {@code exp}
   * @param clock the time source
   * @throws IllegalArgumentException if the current key cannot sign
   */
  public TokenIssuer(
      SigningKeys keys,
      String issuer,
      String audience,
      String subject,
      int lifetimeSeconds,
      Clock clock) {
    this(keys, issuer, audience, subject, lifetimeSeconds, clock, System::nanoTime);
  }

  TokenIssuer(
      SigningKeys keys,
      String issuer,
      String audience,
      String subject,
      int lifetimeSeconds,
      Clock clock,
      LongSupplier nanoTime) {
    JWK key = keys.current();
    try {
      this.signer =
          key instanceof RSAKey rsa ? new RSASSASigner(rsa) : new ECDSASigner((ECKey) key);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("key \"" + key.getKeyID() + "\" cannot sign", e);
    }
    this.header =
        new JWSHeader.Builder(keys.algorithm())
            .keyID(key.getKeyID())
            .type(JOSEObjectType.JWT)
            .build();
    this.issuer = issuer;
    this.audience = audience;
    this.subject = subject;
    this.lifetimeMillis = lifetimeSeconds * 1000L;
    this.refreshAfterMillis = lifetimeMillis * 4 / 5;
    this.clock = clock;
    this.nanoTime = nanoTime;
  }

  /** A valid token, minted now only if the cached one is due for renewal. */
  public String token() {
    Minted current = minted;
    if (current != null && sendable(current, current.refreshAt)) {
      return current.value;
    }
    return renew(current);
  }

  private String renew(Minted seen) {
    // Only one thread signs; meanwhile the others keep using the old token, but only just after
    // its renewal fell due. Lent until its exp, the token of a site with no request in the last
    // fifth of its lifetime went out with milliseconds left: less than the margin that the
    // request's way to the gateway and a gateway clock ahead of this one need.
    if (seen != null && sendable(seen, seen.lentUntil)) {
      if (!minting.tryLock()) {
        return seen.value;
      }
    } else {
      minting.lock();
    }
    try {
      Minted current = minted;
      if (current == null || !sendable(current, current.refreshAt)) {
        current = mint(clock.millis(), nanoTime.getAsLong());
        minted = current;
      }
      return current.value;
    } finally {
      minting.unlock();
    }
  }

  /** The {@code kid} of the key that signs. */
  public String keyId() {
    return header.getKeyID();
  }

  /** The {@code iss} claim of its tokens, which the gateway's {@code validate-jwt} expects. */
  public String issuer() {
    return issuer;
  }

  /** How many tokens this issuer has signed. */
  public long signatures() {
    return signatures.get();
  }

  private Minted mint(long now, long nowNanos) {
    // JWT times are whole seconds (RFC 7519 NumericDate).
    long issuedAt = now / 1000 * 1000;
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(audience)
            .subject(subject)
            .issueTime(new Date(issuedAt))
            .notBeforeTime(new Date(issuedAt))
            .expirationTime(new Date(issuedAt + lifetimeMillis))
            .jwtID(UUID.randomUUID().toString())
            .build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing the access token failed", e);
    }
    signatures.incrementAndGet();
    return new Minted(
        jwt.serialize(),
        issuedAt,
        issuedAt + refreshAfterMillis,
        issuedAt + refreshAfterMillis + LENDING_MILLIS,
        now,
        nowNanos);
  }

  /**
   * A token, its times by the wall clock ({@code issuedAt}, {@code refreshAt}, {@code lentUntil},
   * in milliseconds), and when it was minted by both clocks.
   */
  private record Minted(
      String value,
      long issuedAt,
      long refreshAt,
      long lentUntil,
      long mintedAt,
      long mintedNanos) {}

  /**
   * Whether {@code token} may still be sent, now, to a gateway that stops taking it at {@code
   * until} (its {@code refreshAt} or {@code lentUntil}): by the wall clock, it is no longer before
   * its issue time nor yet at {@code until}; and by the monotonic clock, less time has passed since
   * it was minted than the wall clock then gave it.
   */
  private boolean sendable(Minted token, long until) {
    long now = clock.millis();
    return now >= token.issuedAt
        && now < until
        && nanoTime.getAsLong() - token.mintedNanos
            < TimeUnit.MILLISECONDS.toNanos(until - token.mintedAt);
  }

  @Override
  public String toString() {
    return "TokenIssuer[iss=" + issuer + ", aud=" + audience + ", kid=" + header.getKeyID() + "]";
  }
}
