package dev.apilink.testkit.gateway;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.apilink.testkit.gateway.OpenIdConfigurations.Keys;
import dev.apilink.testkit.gateway.ValidateJwt.RequiredClaim;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpFields;

/**
 * Runs a {@link ValidateJwt} policy against one request: finds the token, checks its signature with
 * Nimbus JOSE+JWT against the {@code issuer-signing-keys} and the {@code openid-config} key sets,
 * then its times, audience, issuer and required claims. Any doubt means "invalid": a token that
 * cannot be parsed, an algorithm without a matching key, a key set that cannot be fetched.
 */
final class JwtValidator {

  private final OpenIdConfigurations openIdConfigurations;
  private final Clock clock;

  JwtValidator(OpenIdConfigurations openIdConfigurations, Clock clock) {
    this.openIdConfigurations = openIdConfigurations;
    this.clock = clock;
  }

  /**
   * Completes with null if the request carries a token that {@code policy} accepts, else with why
   * not, for the gateway's log (never for the client: APIM answers only the policy's message).
   */
  CompletableFuture<String> refusal(ValidateJwt policy, HttpFields headers, String rawQuery) {
    String token = token(policy, headers, rawQuery);
    if (token == null) {
      return CompletableFuture.completedFuture("no token where the policy looks for one");
    }
    JWT jwt;
    JWTClaimsSet claims;
    try {
      jwt = JWTParser.parse(token);
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      return CompletableFuture.completedFuture("the token is not a JWT");
    }
    if (jwt instanceof PlainJWT) {
      if (policy.requireSignedTokens()) {
        return CompletableFuture.completedFuture("the token is not signed");
      }
    } else if (!(jwt instanceof SignedJWT)) {
      return CompletableFuture.completedFuture("the token is encrypted, which is not supported");
    }
    if (policy.openIdConfigs().isEmpty()) {
      boolean signed = jwt instanceof PlainJWT || verify((SignedJWT) jwt, policy, List.of());
      return CompletableFuture.completedFuture(
          signed ? claimsRefusal(policy, claims, List.of()) : unverified(jwt));
    }
    return keys(policy, OpenIdConfigurations::current)
        .thenCompose(
            keys -> {
              if (jwt instanceof PlainJWT || verify((SignedJWT) jwt, policy, keys)) {
                return CompletableFuture.completedFuture(claimsRefusal(policy, claims, keys));
              }
              String keyId = ((SignedJWT) jwt).getHeader().getKeyID();
              if (keyId == null
                  || keys.stream().anyMatch(k -> k.keySet().getKeyByKeyId(keyId) != null)) {
                return CompletableFuture.completedFuture(unverified(jwt));
              }
              // A key id that no cached set has: the issuer may have rotated its keys.
              return keys(policy, OpenIdConfigurations::afterUnknownKeyId)
                  .thenApply(
                      fresh ->
                          verify((SignedJWT) jwt, policy, fresh)
                              ? claimsRefusal(policy, claims, fresh)
                              : unverified(jwt));
            })
        .exceptionally(failure -> "the signing keys could not be fetched: " + why(failure));
  }

  /**
   * A failed fetch in words: the document and what was wrong with it, or the exception that the
   * fetch failed with; never the future's wrapper, whose message starts with a class name.
   */
  static String why(Throwable failure) {
    Throwable cause = failure;
    while (cause instanceof CompletionException && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause instanceof OpenIdConfigurations.OpenIdConfigException
        ? cause.getMessage()
        : cause.getClass().getSimpleName() + ": " + cause.getMessage();
  }

  private static String unverified(JWT jwt) {
    return "no key the policy trusts verifies the signature (kid "
        + ((SignedJWT) jwt).getHeader().getKeyID()
        + ", "
        + ((SignedJWT) jwt).getHeader().getAlgorithm()
        + ")";
  }

  private CompletableFuture<List<Keys>> keys(
      ValidateJwt policy, BiFunction<OpenIdConfigurations, URI, CompletableFuture<Keys>> lookup) {
    List<CompletableFuture<Keys>> futures = new ArrayList<>();
    for (URI url : policy.openIdConfigs()) {
      futures.add(lookup.apply(openIdConfigurations, url));
    }
    return OpenIdConfigurations.all(futures);
  }

  /**
   * The token as {@code header-name}, {@code query-parameter-name} or {@code token-value} give it,
   * or null. In the {@code Authorization} header a scheme is stripped, and with {@code
   * require-scheme} it must be that scheme; APIM ignores {@code require-scheme} on other headers.
   */
  static String token(ValidateJwt policy, HttpFields headers, String rawQuery) {
    String token = null;
    if (policy.tokenSource() instanceof ValidateJwt.Literal literal) {
      token = literal.token();
    } else if (policy.tokenSource() instanceof ValidateJwt.FromQueryParameter query) {
      token = QueryString.first(rawQuery, query.name());
    } else if (policy.tokenSource() instanceof ValidateJwt.FromHeader header) {
      token = fromHeader(policy, header.name(), headers.get(header.name()));
    }
    return token == null || token.isBlank() ? null : token;
  }

  private static String fromHeader(ValidateJwt policy, String name, String value) {
    if (value == null) {
      return null;
    }
    value = value.strip();
    int space = value.indexOf(' ');
    String scheme = space < 0 ? null : value.substring(0, space);
    String credentials = space < 0 ? value : value.substring(space + 1).strip();
    if (name.equalsIgnoreCase("Authorization")) {
      if (policy.requireScheme() != null && !policy.requireScheme().equalsIgnoreCase(scheme)) {
        return null;
      }
      return credentials;
    }
    return "bearer".equalsIgnoreCase(scheme) ? credentials : value;
  }

  // ---- signature ----

  private static boolean verify(SignedJWT jwt, ValidateJwt policy, List<Keys> openIdKeys) {
    JWSAlgorithm algorithm = jwt.getHeader().getAlgorithm();
    String keyId = jwt.getHeader().getKeyID();
    List<JWK> candidates = new ArrayList<>();
    for (JWK key : policy.issuerSigningKeys()) {
      // A key with an id matches only a token naming that kid; one without matches any token.
      if (keyId == null || key.getKeyID() == null || keyId.equals(key.getKeyID())) {
        candidates.add(key);
      }
    }
    for (Keys keys : openIdKeys) {
      for (JWK key : keys.keySet().getKeys()) {
        if (keyId == null || keyId.equals(key.getKeyID())) {
          candidates.add(key);
        }
      }
    }
    for (JWK key : candidates) {
      JWSVerifier verifier = verifier(algorithm, key);
      try {
        if (verifier != null && jwt.verify(verifier)) {
          return true;
        }
      } catch (JOSEException e) {
        // this key does not fit; try the next
      }
    }
    return false;
  }

  /** A verifier of {@code key} for {@code algorithm}, or null if they do not go together. */
  private static JWSVerifier verifier(JWSAlgorithm algorithm, JWK key) {
    if (KeyUse.ENCRYPTION.equals(key.getKeyUse())
        || key.getAlgorithm() != null && !key.getAlgorithm().equals(algorithm)) {
      return null;
    }
    try {
      if (JWSAlgorithm.Family.RSA.contains(algorithm) && key instanceof RSAKey rsa) {
        return new RSASSAVerifier(rsa);
      }
      if (JWSAlgorithm.Family.EC.contains(algorithm) && key instanceof ECKey ec) {
        return new ECDSAVerifier(ec);
      }
      if (JWSAlgorithm.Family.HMAC_SHA.contains(algorithm) && key instanceof OctetSequenceKey oct) {
        return new MACVerifier(oct);
      }
    } catch (JOSEException e) {
      return null; // say, an HMAC secret too short for HS512
    }
    return null;
  }

  // ---- claims ----

  /** Null if the claims satisfy {@code policy}, else which one does not. */
  private String claimsRefusal(ValidateJwt policy, JWTClaimsSet claims, List<Keys> openIdKeys) {
    try {
      Instant now = clock.instant();
      Date expiration = claims.getExpirationTime();
      if (expiration == null) {
        if (policy.requireExpirationTime()) {
          return "the token has no exp";
        }
      } else if (!now.isBefore(expiration.toInstant().plus(policy.clockSkew()))) {
        return "the token expired at " + expiration.toInstant();
      }
      Date notBefore = claims.getNotBeforeTime();
      if (notBefore != null && now.plus(policy.clockSkew()).isBefore(notBefore.toInstant())) {
        return "the token is not valid before " + notBefore.toInstant();
      }
      if (!policy.audiences().isEmpty()
          && Collections.disjoint(policy.audiences(), claims.getAudience())) {
        return "aud " + claims.getAudience() + " is none of " + policy.audiences();
      }
      // Without <issuers>, the issuer that the discovery document declares is required.
      List<String> issuers =
          !policy.issuers().isEmpty()
              ? policy.issuers()
              : openIdKeys.stream().map(Keys::issuer).toList();
      if (!issuers.isEmpty() && !issuers.contains(claims.getIssuer())) {
        return "iss " + claims.getIssuer() + " is none of " + issuers;
      }
      for (RequiredClaim required : policy.requiredClaims()) {
        if (!holds(claims, required)) {
          return "the required claim " + required.name() + " does not hold";
        }
      }
      return null;
    } catch (RuntimeException e) {
      return "a claim has the wrong type"; // as Nimbus reads it
    }
  }

  private static boolean holds(JWTClaimsSet claims, RequiredClaim required) {
    Object value = claims.getClaim(required.name());
    if (value == null) {
      return false;
    }
    List<String> actual = new ArrayList<>();
    Collection<?> items = value instanceof Collection<?> list ? list : List.of(value);
    for (Object item : items) {
      String text = String.valueOf(item);
      if (required.separator() != null) {
        actual.addAll(List.of(text.split(Pattern.quote(required.separator()), -1)));
      } else {
        actual.add(text);
      }
    }
    if (required.values().isEmpty()) {
      return true;
    }
    return required.matchAll()
        ? actual.containsAll(required.values())
        : required.values().stream().anyMatch(actual::contains);
  }
}
