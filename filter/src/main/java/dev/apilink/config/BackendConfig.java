package dev.apilink.config;

import java.net.URI;
import java.util.Optional;

/**
 * The API Management gateway that an environment is linked to.
 *
 * @param url the gateway's base URL; requests go to the same path under it
 * @param subscriptionKey the subscription's primary key (a secret: never logged or shown)
 * @param subscriptionKeyHeader the header that carries the key to the gateway
 * @param audience the {@code aud} claim of the access tokens
 * @param connectTimeoutSeconds the limit for opening a connection to the gateway
 * @param timeoutSeconds the limit for a whole exchange with the gateway; 0 for none
 * @param maxRequestBodyBytes the largest request body forwarded; 0 for no limit
 * @param maxConnections the most connections opened to the gateway at once
 * @param maxRequestsPerClientConnection the most {@code /api} requests in flight on one client
 *     connection that carries several at once (HTTP/2)
 * @param keepAliveSeconds how long a connection to the gateway stays open while no exchange uses it
 * @param maxConnectionAgeSeconds how long a connection to the gateway is used for new exchanges
 *     after it was opened; 0 for no limit
 * @param maxResponseHeaderBytes the largest response head the container sends
 * @param proxyCredentials {@code user:password} for the proxy that the JVM's settings choose for
 *     the gateway: Basic {@code Proxy-Authorization} for an HTTP proxy, a SOCKS 5 proxy's user name
 *     and password; null for none (a secret: never logged or shown)
 */
public record BackendConfig(
    URI url,
    String subscriptionKey,
    String subscriptionKeyHeader,
    String audience,
    int connectTimeoutSeconds,
    int timeoutSeconds,
    long maxRequestBodyBytes,
    int maxConnections,
    int maxRequestsPerClientConnection,
    int keepAliveSeconds,
    int maxConnectionAgeSeconds,
    int maxResponseHeaderBytes,
    String proxyCredentials) {

  public static final String DEFAULT_SUBSCRIPTION_KEY_HEADER = "Ocp-Apim-Subscription-Key";
  public static final int DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

  /** Static Web Apps ends an API request after 45 seconds. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 45;

  /** Static Web Apps refuses request bodies over 30 MB. */
  public static final long DEFAULT_MAX_REQUEST_BODY_BYTES = 30L * 1024 * 1024;

  public static final int DEFAULT_MAX_CONNECTIONS = 1024;

  /**
   * Twice the most streams at once that Jetty 12 (128) and Tomcat (100) let a client open on one
   * HTTP/2 connection by default: a client that keeps within the container's limit never reaches
   * it, even while the container has let a stream go and ApiLink has yet to hear that its exchange
   * is complete: 1,000 requests at once on one connection to embedded Jetty 12.1.14 counted up to
   * 174 under CPU load.
   */
  public static final int DEFAULT_MAX_REQUESTS_PER_CLIENT_CONNECTION = 256;

  /**
   * Shorter than the idle limits of the usual load balancers in front of a gateway (Azure's: 4
   * minutes), so that ApiLink closes a pooled connection before the other end drops it silently.
   */
  public static final int DEFAULT_KEEP_ALIVE_SECONDS = 30;

  /**
   * Long enough that opening connections costs nothing worth measuring, short enough that a change
   * of the gateway's address (a DNS change, a migration to new infrastructure) is followed within
   * minutes by a busy site, whose pooled connections are never idle for {@code keepAliveSeconds}.
   */
  public static final int DEFAULT_MAX_CONNECTION_AGE_SECONDS = 300;

  /**
   * The default limit of Tomcat's {@code maxHttpResponseHeaderSize} and Jetty's {@code
   * responseHeaderSize}.
   */
  public static final int DEFAULT_MAX_RESPONSE_HEADER_BYTES = 8192;

  /** The most the gateway client reads; the limit cannot be set higher. */
  public static final int MAX_RESPONSE_HEADER_BYTES = 64 * 1024;

  /** The user name of {@code proxyCredentials}: up to its first colon. */
  public String proxyUser() {
    return proxyCredentials.substring(0, proxyCredentials.indexOf(':'));
  }

  /** The password of {@code proxyCredentials}: after its first colon. */
  public String proxyPassword() {
    return proxyCredentials.substring(proxyCredentials.indexOf(':') + 1);
  }

  /**
   * The idle limit of Azure's load balancers, in front of API Management: a pooled connection kept
   * longer may have been dropped by then.
   */
  public static final int AZURE_LOAD_BALANCER_IDLE_SECONDS = 240;

  /**
   * A warning for a {@code keepAliveSeconds} that reaches the idle limit of Azure's load balancers,
   * if it does.
   */
  public Optional<String> keepAliveWarning() {
    if (keepAliveSeconds < AZURE_LOAD_BALANCER_IDLE_SECONDS) {
      return Optional.empty();
    }
    return Optional.of(
        "ApiLink: keepAliveSeconds is "
            + keepAliveSeconds
            + " s, not under the 4-minute idle limit of Azure's load balancers in front of API"
            + " Management: a request sent on a pooled connection that a balancer or the gateway has"
            + " dropped meanwhile can fail. Keep it under the idle limit of everything between"
            + " ApiLink and "
            + url
            + " (the default is "
            + DEFAULT_KEEP_ALIVE_SECONDS
            + " s).");
  }

  /** The gateway URL's path without a trailing slash: the prefix of every forwarded path. */
  public String pathPrefix() {
    String path = url.getRawPath();
    if (path == null) {
      return "";
    }
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  @Override
  public String toString() {
    return "BackendConfig[url="
        + url
        + ", subscriptionKey=<redacted>, subscriptionKeyHeader="
        + subscriptionKeyHeader
        + ", audience="
        + audience
        + ", connectTimeoutSeconds="
        + connectTimeoutSeconds
        + ", timeoutSeconds="
        + timeoutSeconds
        + ", maxRequestBodyBytes="
        + maxRequestBodyBytes
        + ", maxConnections="
        + maxConnections
        + ", maxRequestsPerClientConnection="
        + maxRequestsPerClientConnection
        + ", keepAliveSeconds="
        + keepAliveSeconds
        + ", maxConnectionAgeSeconds="
        + maxConnectionAgeSeconds
        + ", maxResponseHeaderBytes="
        + maxResponseHeaderBytes
        + (proxyCredentials == null ? "" : ", proxyCredentials=<redacted>")
        + "]";
  }
}
