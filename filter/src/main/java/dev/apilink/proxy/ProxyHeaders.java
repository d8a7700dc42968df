package dev.apilink.proxy;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The header steps of the proxy, as pure functions: what the gateway receives from what the client
 * sent, and what the client receives from what the gateway answered.
 */
public final class ProxyHeaders {

  /** Hop-by-hop fields (RFC 9110 7.6.1), which apply to one connection and are never forwarded. */
  static final Set<String> HOP_BY_HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "proxy-authenticate",
          "proxy-authorization",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade");

  /**
   * Fields the proxy sets itself towards the gateway: framing ({@code Host}, {@code
   * Content-Length}, {@code Expect} are the HTTP client's to write) and what ApiLink vouches for.
   */
  static final Set<String> SET_BY_PROXY =
      Set.of(
          "host",
          "content-length",
          "expect",
          "x-ms-client-principal",
          "x-ms-original-url",
          "x-forwarded-host",
          "x-forwarded-proto");

  public static final String CLIENT_PRINCIPAL = "x-ms-client-principal";
  public static final String ORIGINAL_URL = "x-ms-original-url";
  static final String SUBSCRIPTION_KEY_DEFAULT = "ocp-apim-subscription-key";

  private ProxyHeaders() {}

  /** What ApiLink adds to every request it forwards. */
  public record Added(
      String subscriptionKeyHeader,
      String subscriptionKey,
      String tokenHeader,
      String tokenValue,
      String clientPrincipal,
      String originalUrl,
      String clientAddress,
      String clientScheme,
      String clientHost,
      String via) {

    @Override
    public String toString() {
      return "Added["
          + subscriptionKeyHeader
          + ", "
          + tokenHeader
          + ", principal="
          + (clientPrincipal != null)
          + "]";
    }
  }

  /**
   * The headers sent to the gateway: the client's end-to-end fields, without hop-by-hop fields and
   * without any client copy of the key, the token or the principal, then ApiLink's own.
   */
  public static Headers toGateway(Headers client, Added added) {
    Set<String> removed = new HashSet<>(HOP_BY_HOP);
    removed.addAll(client.connectionOptions());
    removed.addAll(SET_BY_PROXY);
    // A client must not choose the key, the token or the principal that the gateway trusts.
    removed.add(SUBSCRIPTION_KEY_DEFAULT);
    removed.add(added.subscriptionKeyHeader().toLowerCase(Locale.ROOT));
    removed.add(added.tokenHeader().toLowerCase(Locale.ROOT));

    Headers headers =
        client
            .without(removed)
            // "X_MS_Client_Principal" reaches a CGI, WSGI or Rack backend behind the gateway as
            // the same variable as "x-ms-client-principal": it must not get there either.
            .withoutUnderscoreSpellingsOf(removed)
            .with(added.subscriptionKeyHeader(), added.subscriptionKey())
            .with(added.tokenHeader(), added.tokenValue())
            .with(ORIGINAL_URL, added.originalUrl())
            .appending("X-Forwarded-For", added.clientAddress())
            .with("X-Forwarded-Proto", added.clientScheme())
            .appending("Via", added.via());
    if (added.clientHost() != null) {
      headers = headers.with("X-Forwarded-Host", added.clientHost());
    }
    if (added.clientPrincipal() != null) {
      headers = headers.with(CLIENT_PRINCIPAL, added.clientPrincipal());
    }
    return headers;
  }

  /** The headers sent to the client: the gateway's end-to-end fields. */
  public static Headers toClient(Headers gateway) {
    Set<String> connectionOptions = gateway.connectionOptions();
    if (connectionOptions.isEmpty()) {
      return gateway.without(HOP_BY_HOP);
    }
    Set<String> removed = new HashSet<>(HOP_BY_HOP);
    removed.addAll(connectionOptions);
    return gateway.without(removed);
  }
}
