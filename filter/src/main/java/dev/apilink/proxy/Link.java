package dev.apilink.proxy;

import dev.apilink.config.BackendConfig;
import dev.apilink.token.TokenIssuer;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;

/**
 * A live link from this site to one gateway: the gateway's address and limits, its HTTP client and
 * the token issuer. Immutable; a changed configuration makes a new link.
 */
public final class Link implements AutoCloseable {

  private final BackendConfig backend;
  private final GatewayClient client;
  private final TokenIssuer tokens;
  private final String identityProvider;
  private final List<String> customRoles;
  private final String gatewayOrigin;
  private final String tokenHeader;
  private final boolean bearer;

  /**
   * @param backend the gateway and its limits
   * @param client the HTTP client for that gateway; closed with this link
   * @param tokens the access-token issuer
   * @param tokenHeader the header that carries the token; {@code Authorization} gets {@code Bearer}
   * @param identityProvider the {@code identityProvider} of {@code x-ms-client-principal}
   * @param customRoles the roles to report in {@code x-ms-client-principal} beyond the built-in
   *     ones
   */
  public Link(
      BackendConfig backend,
      GatewayClient client,
      TokenIssuer tokens,
      String tokenHeader,
      String identityProvider,
      List<String> customRoles) {
    this.backend = backend;
    this.client = client;
    this.tokens = tokens;
    this.identityProvider = identityProvider;
    this.customRoles = List.copyOf(customRoles);
    URI url = backend.url();
    this.gatewayOrigin = url.getScheme() + "://" + url.getRawAuthority() + backend.pathPrefix();
    this.tokenHeader = tokenHeader;
    this.bearer = tokenHeader.equalsIgnoreCase("Authorization");
  }

  /** Proxies one {@code /api} request; returns once the exchange has been started. */
  public void proxy(HttpServletRequest clientRequest, HttpServletResponse clientResponse) {
    new ProxyExchange(this, clientRequest, clientResponse).start();
  }

  /**
   * Throws if the proxy has asked to break off the client's response of {@code request}: the filter
   * calls this on every async dispatch, and the exception, thrown after the response was committed,
   * makes the container close the connection instead of ending the response cleanly.
   */
  public static void breakOffIfRequested(HttpServletRequest request) throws IOException {
    if (request.getDispatcherType() != DispatcherType.ASYNC) {
      return;
    }
    Object failure = request.getAttribute(ProxyExchange.ABORT_ATTRIBUTE);
    if (failure != null) {
      request.removeAttribute(ProxyExchange.ABORT_ATTRIBUTE);
      throw new BrokenOff(ProxyExchange.describe((Throwable) failure));
    }
  }

  /** The gateway's response broke off after the client's had begun. */
  static final class BrokenOff extends IOException {
    private static final long serialVersionUID = 1L;

    BrokenOff(String cause) {
      super(
          "ApiLink: the gateway's response broke off ("
              + cause
              + "); closing the client's connection");
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this; // an expected event, logged by the container: the message says it all
    }
  }

  BackendConfig backend() {
    return backend;
  }

  GatewayClient client() {
    return client;
  }

  String identityProvider() {
    return identityProvider;
  }

  List<String> customRoles() {
    return customRoles;
  }

  /** The gateway's scheme, authority and path prefix: the forwarded path is appended to it. */
  String gatewayOrigin() {
    return gatewayOrigin;
  }

  String tokenHeader() {
    return tokenHeader;
  }

  String tokenValue() {
    String token = tokens.token();
    return bearer ? "Bearer " + token : token;
  }

  /** The issuer, for tests and benchmarks that count signatures. */
  public TokenIssuer tokens() {
    return tokens;
  }

  @Override
  public void close() throws Exception {
    client.close();
  }

  @Override
  public String toString() {
    return "Link[" + backend.url() + "]";
  }
}
