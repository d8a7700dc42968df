package dev.apilink.config;

import java.util.Arrays;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * The header names that ApiLink's proxy handles itself, in one place for the proxy, which acts on
 * them, and for the configuration, which must not let the key or the token travel in one of them
 * (they would be dropped, doubled or sent where they get logged). Compared without case.
 */
public final class ProxyHeaderNames {

  private ProxyHeaderNames() {}

  /** Hop-by-hop fields (RFC 9110 7.6.1), which apply to one connection and are never forwarded. */
  public static final Set<String> HOP_BY_HOP =
      caseInsensitive(
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
   * RFC 7239 {@code Forwarded} says what {@code X-Forwarded-*} say, and {@code X-Forwarded-Port},
   * {@code X-Forwarded-Prefix} and {@code X-Real-IP} complete them for the frameworks that read
   * them (Spring's forwarded-header support, nginx setups): a client's copy would let it choose the
   * address, or the URL, that a backend reading those fields sees.
   */
  public static final Set<String> SET_BY_PROXY =
      caseInsensitive(
          "host",
          "content-length",
          "expect",
          "x-ms-client-principal",
          "x-ms-original-url",
          "x-forwarded-host",
          "x-forwarded-proto",
          "x-forwarded-port",
          "x-forwarded-prefix",
          "x-real-ip",
          "forwarded");

  /**
   * Fields in which servers behind a proxy read the URL the client asked for ({@code
   * X-Original-URL} and {@code X-Rewrite-URL}: IIS URL Rewrite, and frameworks that route on them;
   * {@code X-Forwarded-Uri}, {@code X-Original-Uri}, Envoy's {@code X-Envoy-Original-Path}; the
   * prefix a server strips from the path, {@code X-Script-Name} of the widely copied Flask recipe,
   * which sets {@code SCRIPT_NAME} from it, and Kong's {@code X-Forwarded-Path}), its host ({@code
   * X-Original-Host}, {@code X-Host}, {@code X-Forwarded-Server}), its scheme (Rack reads {@code
   * X-Forwarded-Ssl} and {@code X-Forwarded-Scheme} before {@code X-Forwarded-Proto}; {@code
   * X-Url-Scheme}, {@code Front-End-Https}) or its address ({@code True-Client-IP}, {@code
   * X-Client-IP}, {@code Client-IP}, {@code X-Cluster-Client-IP}, {@code CF-Connecting-IP}, {@code
   * Fastly-Client-IP}: CDNs and load balancers set them), and {@code Proxy}, which would choose the
   * outgoing proxy of a CGI program behind the gateway. ApiLink sets none of them and vouches for
   * none: a client's copy would lead such a backend past the route rules ({@code GET /api/public/x}
   * with {@code X-Original-URL: /api/admin/users}), or choose the scheme, host or address it sees.
   * Dropped (the address ApiLink vouches for is the last of {@code X-Forwarded-For}).
   */
  public static final Set<String> URL_OR_ADDRESS_CLAIMS =
      caseInsensitive(
          "x-original-url",
          "x-rewrite-url",
          "x-forwarded-uri",
          "x-original-uri",
          "x-envoy-original-path",
          "x-script-name",
          "x-forwarded-path",
          "x-original-host",
          "x-host",
          "x-forwarded-server",
          "x-forwarded-ssl",
          "x-forwarded-scheme",
          "x-url-scheme",
          "front-end-https",
          "true-client-ip",
          "x-client-ip",
          "client-ip",
          "x-cluster-client-ip",
          "cf-connecting-ip",
          "fastly-client-ip",
          // Not a claim but a setting: a CGI server puts it in HTTP_PROXY, which its programs take
          // for their outgoing proxy (httpoxy, CVE-2016-5385; found by review A).
          "proxy");

  /**
   * Fields in which authenticating proxies tell the servers behind them who the user is:
   * oauth2-proxy ({@code X-Forwarded-User}, {@code -Email}, {@code -Preferred-Username}, {@code
   * -Groups}, and the same as {@code X-Auth-Request-*}), Kubernetes-style request-header
   * authentication ({@code X-Remote-User}, {@code X-Remote-Group}), Apache's {@code Remote-User}
   * and Grafana's {@code X-WEBAUTH-USER}. ApiLink tells the gateway who the user is in {@code
   * x-ms-client-principal} alone and vouches for none of these: a client's copy would name any user
   * it likes to an API that trusts them (found by a reviewer: they reached the gateway as sent).
   * Dropped.
   */
  public static final Set<String> USER_CLAIMS =
      caseInsensitive(
          "x-forwarded-user",
          "x-forwarded-email",
          "x-forwarded-preferred-username",
          "x-forwarded-groups",
          "x-auth-request-user",
          "x-auth-request-email",
          "x-auth-request-preferred-username",
          "x-auth-request-groups",
          "x-remote-user",
          "x-remote-group",
          "remote-user",
          "x-webauth-user");

  /**
   * Fields in which a TLS-terminating proxy tells the servers behind it which certificate the
   * client presented, and whether it verified: App Service's {@code X-ARR-ClientCert}, which
   * Functions and App Service APIs behind API Management read for client certificate
   * authentication; RFC 9440's {@code Client-Cert} and {@code Client-Cert-Chain}; Envoy's and
   * Istio's {@code X-Forwarded-Client-Cert}; Traefik's {@code X-Forwarded-Tls-Client-Cert} and
   * {@code -Info}; the {@code X-Client-Cert}, {@code X-SSL-Client-Cert}, {@code
   * X-SSL-Client-Verify} and {@code X-SSL-Client-S-DN} of nginx setups; and Tomcat's {@code
   * SSLValve} {@code ssl_client_cert} (matched with {@code _} for {@code -}). ApiLink presents no
   * client's certificate and vouches for none: a certificate is public, so a client's copy would
   * have such a backend take it for a client holding the private key (found by a reviewer: they
   * reached the gateway as sent). Dropped.
   */
  public static final Set<String> CLIENT_CERTIFICATE_CLAIMS =
      caseInsensitive(
          "x-arr-clientcert",
          "client-cert",
          "client-cert-chain",
          "x-forwarded-client-cert",
          "x-forwarded-tls-client-cert",
          "x-forwarded-tls-client-cert-info",
          "x-client-cert",
          "x-ssl-client-cert",
          "x-ssl-client-verify",
          "x-ssl-client-s-dn",
          "ssl-client-cert");

  /**
   * Whether a field is one of those in which App Service authentication, in front of the APIs that
   * Static Web Apps and API Management serve, tells an API who the user is: {@code
   * x-ms-client-principal} and its {@code -name}, {@code -id}, {@code -idp} companions, and the
   * user's tokens ({@code x-ms-token-aad-id-token} and the like). A client's copy would name any
   * user it likes to an API that reads them; ApiLink sends only {@code x-ms-client-principal}.
   */
  public static boolean isIdentityField(String name) {
    return startsWithIgnoringCase(name, "x-ms-client-principal")
        || startsWithIgnoringCase(name, "x-ms-token-");
  }

  private static boolean startsWithIgnoringCase(String name, String prefix) {
    return name.regionMatches(true, 0, prefix, 0, prefix.length());
  }

  /** Fields the proxy appends to: the client's value is kept, ApiLink's added after it. */
  public static final Set<String> APPENDED_BY_PROXY = caseInsensitive("x-forwarded-for", "via");

  /**
   * Whether the proxy never forwards the client's field of this name: hop-by-hop, set by the proxy,
   * a URL, address, user or client certificate claim, or an identity field. (The key and token
   * headers, which the configuration names, and the fields named in {@code Connection} come on
   * top.)
   */
  public static boolean isDroppedFromClient(String name) {
    return HOP_BY_HOP.contains(name)
        || SET_BY_PROXY.contains(name)
        || URL_OR_ADDRESS_CLAIMS.contains(name)
        || USER_CLAIMS.contains(name)
        || CLIENT_CERTIFICATE_CLAIMS.contains(name)
        || isIdentityField(name);
  }

  /**
   * Whether the proxy sets, appends to or removes a field of this name itself, also spelt with
   * {@code _} for {@code -}: the proxy drops a client's {@code X_Forwarded_Host} as it drops {@code
   * X-Forwarded-Host}, since CGI, WSGI and Rack servers read both as one variable, and the key or
   * the token carried in it would reach such a backend as the forwarded host, beside ApiLink's own
   * (found by a reviewer: the start-up check let it through).
   */
  public static boolean isHandledByProxy(String name) {
    return isHandledByProxyAsSpelt(name)
        || (name.indexOf('_') >= 0 && isHandledByProxyAsSpelt(name.replace('_', '-')));
  }

  private static boolean isHandledByProxyAsSpelt(String name) {
    return isDroppedFromClient(name) || APPENDED_BY_PROXY.contains(name);
  }

  /** An unmodifiable set of names that compares them without case. */
  public static Set<String> caseInsensitive(String... names) {
    Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
    set.addAll(Arrays.asList(names));
    return Collections.unmodifiableSet(set);
  }
}
