package dev.apilink.testkit.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWKSet;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The OpenID Connect discovery documents named by {@code <openid-config url="..."/>} and the key
 * sets they point to, fetched with Jetty's client and cached per URL, as APIM does: re-fetched
 * about hourly, and at once when a token names a key id ({@code kid}) that the cached set lacks, so
 * that a key rotation needs no restart. Fetches for one URL are never closer than {@link
 * #MIN_REFETCH_INTERVAL}, so that a flood of tokens with made-up key ids cannot hammer the issuer;
 * a failed fetch is tried again after as long, and meanwhile the keys of the last good fetch stay
 * in use (without one, validation fails). Both intervals are Microsoft's (validate-jwt reference,
 * {@code openid-config}: pulled "every 1 hour", and on a missing {@code kid} or after a failed
 * retrieval "at most once per 5 min").
 */
final class OpenIdConfigurations {

  static final Duration REFRESH_INTERVAL = Duration.ofHours(1);
  static final Duration MIN_REFETCH_INTERVAL = Duration.ofMinutes(5);
  private static final int MAX_DOCUMENT_BYTES = 1024 * 1024;
  private static final long FETCH_TIMEOUT_SECONDS = 10;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What one {@code openid-config} yields: the issuer it declares and its current keys. */
  record Keys(String issuer, JWKSet keySet) {}

  private final HttpClient http;
  private final Clock clock;
  private final Map<URI, Entry> entries = new ConcurrentHashMap<>();

  OpenIdConfigurations(HttpClient http, Clock clock) {
    this.http = http;
    this.clock = clock;
  }

  /** The cached keys of {@code url}, fetched first if they are missing or about an hour old. */
  CompletableFuture<Keys> current(URI url) {
    return entry(url).get(false);
  }

  /** As {@link #current}, but re-fetched unless the last fetch is very recent. */
  CompletableFuture<Keys> afterUnknownKeyId(URI url) {
    return entry(url).get(true);
  }

  private Entry entry(URI url) {
    return entries.computeIfAbsent(url, Entry::new);
  }

  /** One URL: the outcome of its last fetch, and the fetch under way if any. */
  private final class Entry {
    private final URI url;
    private Instant fetchedAt;
    private Keys keys;
    private Throwable failure;
    private CompletableFuture<Keys> inFlight;

    Entry(URI url) {
      this.url = url;
    }

    synchronized CompletableFuture<Keys> get(boolean unknownKeyId) {
      if (inFlight != null) {
        return inFlight;
      }
      if (fetchedAt != null) {
        Duration age = Duration.between(fetchedAt, clock.instant());
        boolean mayRefetch = age.compareTo(MIN_REFETCH_INTERVAL) >= 0;
        boolean due =
            failure != null
                ? mayRefetch
                : age.compareTo(REFRESH_INTERVAL) >= 0 || unknownKeyId && mayRefetch;
        if (!due) {
          return keys != null
              ? CompletableFuture.completedFuture(keys)
              : CompletableFuture.failedFuture(failure);
        }
      }
      CompletableFuture<Keys> result = new CompletableFuture<>();
      inFlight = result;
      CompletableFuture<Keys> fetch;
      try {
        fetch = fetch(url);
      } catch (RuntimeException e) {
        fetch = CompletableFuture.failedFuture(e);
      }
      fetch.whenComplete(
          (fetched, fetchFailure) -> {
            Keys usable;
            synchronized (this) {
              fetchedAt = clock.instant();
              // A failed re-fetch keeps the keys of the last good one, as the configuration
              // manager of Microsoft.IdentityModel (whose 5-minute retry APIM documents) does:
              // an issuer down at the hour must not cost every token until the next attempt.
              if (fetched != null) {
                keys = fetched;
              }
              failure = fetchFailure;
              inFlight = null;
              usable = keys;
            }
            if (usable != null) {
              if (fetchFailure != null) {
                GatewayHandler.LOG.log(
                    Level.FINE,
                    "{0} could not be fetched again ({1}); the keys fetched before stay in use",
                    new Object[] {url, JwtValidator.why(fetchFailure)});
              }
              result.complete(usable);
            } else {
              result.completeExceptionally(fetchFailure);
            }
          });
      return result;
    }
  }

  private CompletableFuture<Keys> fetch(URI url) {
    return get(url)
        .thenCompose(
            text -> {
              JsonNode discovery;
              try {
                discovery = JSON.readTree(text);
              } catch (IOException e) {
                throw new OpenIdConfigException(url + ": not JSON (" + e.getMessage() + ")");
              }
              String issuer = textField(discovery, "issuer", url);
              URI jwksUri = url.resolve(textField(discovery, "jwks_uri", url));
              return get(jwksUri)
                  .thenApply(keySet -> new Keys(issuer, parseKeySet(jwksUri, keySet)));
            });
  }

  private CompletableFuture<String> get(URI uri) {
    Request request =
        http.newRequest(uri)
            .timeout(FETCH_TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .headers(headers -> headers.put(HttpHeader.ACCEPT, "application/json"));
    return new CompletableResponseListener(request, MAX_DOCUMENT_BYTES)
        .send()
        .thenApply(
            response -> {
              if (response.getStatus() != 200) {
                throw new OpenIdConfigException(uri + " answered " + response.getStatus());
              }
              return response.getContentAsString();
            });
  }

  private static String textField(JsonNode document, String name, URI url) {
    JsonNode value = document == null ? null : document.get(name);
    if (value == null || !value.isTextual() || value.asText().isEmpty()) {
      throw new OpenIdConfigException(url + ": no \"" + name + "\" in the discovery document");
    }
    return value.asText();
  }

  private static JWKSet parseKeySet(URI uri, String text) {
    try {
      return JWKSet.parse(text);
    } catch (java.text.ParseException e) {
      throw new OpenIdConfigException(uri + ": not a JWK set (" + e.getMessage() + ")");
    }
  }

  /** A discovery document or key set that cannot be used. */
  static final class OpenIdConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    OpenIdConfigException(String message) {
      super(message, null, false, false);
    }
  }

  /** Every URL's keys, in order; fails if any fetch fails. */
  static CompletableFuture<List<Keys>> all(List<CompletableFuture<Keys>> futures) {
    return CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
        .thenApply(done -> futures.stream().map(CompletableFuture::join).toList());
  }
}
