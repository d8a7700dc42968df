package dev.apilink.proxy;

import dev.apilink.config.ProxyHeaderNames;
import dev.apilink.proxy.GatewayError.ResponseHeadersTooLarge;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The header steps of the proxy, as pure functions: what the gateway receives from what the client
 * sent, and what the client receives from what the gateway answered.
 */
public final class ProxyHeaders {

  /** Hop-by-hop fields, never forwarded ({@link ProxyHeaderNames#HOP_BY_HOP}). */
  static final Set<String> HOP_BY_HOP = ProxyHeaderNames.HOP_BY_HOP;

  /** Fields the proxy sets itself towards the gateway ({@link ProxyHeaderNames#SET_BY_PROXY}). */
  static final Set<String> SET_BY_PROXY = ProxyHeaderNames.SET_BY_PROXY;

  public static final String CLIENT_PRINCIPAL = "x-ms-client-principal";
  public static final String ORIGINAL_URL = "x-ms-original-url";
  static final String SUBSCRIPTION_KEY_DEFAULT = "ocp-apim-subscription-key";
  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String VIA = "Via";
  private static final String COOKIE = "Cookie";
  private static final String AUTHORIZATION = "Authorization";
  private static final String WWW_AUTHENTICATE = "WWW-Authenticate";
  private static final List<String> ORIGIN_CREDENTIAL_SCHEMES =
      List.of("Basic", "Digest", "Negotiate", "NTLM");

  /**
   * The cookie of Tomcat's {@code SingleSignOn} valve (under its default {@code cookieName}): it
   * signs its holder in to every application of the host, as the session cookie does to one, so it
   * is the container's credential too (found by a reviewer: it reached the gateway, and an API
   * could set it). The Servlet API does not tell ApiLink another name given to the valve.
   */
  static final String SINGLE_SIGN_ON_COOKIE = "JSESSIONIDSSO";

  /**
   * Fields that only a head may carry (RFC 9110 6.5.1: framing, routing, authentication, cookies,
   * response control and the content's own description): a gateway's trailer of such a name is not
   * passed on, for a client or a cache to take for the head's.
   */
  private static final Set<String> HEAD_ONLY =
      ProxyHeaderNames.caseInsensitive(
          "age",
          "authorization",
          "cache-control",
          "content-encoding",
          "content-length",
          "content-location",
          "content-range",
          "content-type",
          "cookie",
          "date",
          "etag",
          "expires",
          "host",
          "last-modified",
          "location",
          "max-forwards",
          "proxy-authenticate",
          "retry-after",
          "set-cookie",
          "vary",
          "www-authenticate");

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
      String via,
      boolean containersCredentials,
      String sessionCookie) {

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
   * The headers sent to the gateway: the client's end-to-end fields, without hop-by-hop fields,
   * without any client copy of the key, the token or the principal and without the container's own
   * credentials (the {@code Authorization} it signed the user in with, its session cookie and
   * Tomcat's single sign-on cookie), then ApiLink's own.
   *
   * <p>{@code added.containersCredentials()}: the container signed the user in with the client's
   * {@code Authorization} (BASIC or DIGEST), which then holds the user's password or its digest.
   * {@code added.sessionCookie()}: the name of the container's session cookie, or null.
   */
  public static Headers toGateway(Headers client, Added added) {
    // One pass over the client's fields (this runs for every request): names are compared without
    // case (RFC 9110 5.1) rather than lower-cased, and the list is built once.
    Set<String> connectionOptions = client.connectionOptions();
    String keyHeader = added.subscriptionKeyHeader();
    String tokenHeader = added.tokenHeader();
    List<Headers.Field> fields = new ArrayList<>(client.size() + 8);
    String forwardedFor = null;
    String via = null;
    int cookie = -1; // where the first Cookie field is in fields
    for (Headers.Field field : client) {
      String name = field.name();
      if (isRemoved(name, keyHeader, tokenHeader, connectionOptions)
          // "X_MS_Client_Principal" reaches a CGI, WSGI or Rack backend behind the gateway as the
          // same variable as "x-ms-client-principal": it must not get there either, nor an
          // "X_Forwarded_For" beside ApiLink's own list.
          || (name.indexOf('_') >= 0
              && isRemovedOrAppended(name.replace('_', '-'), added, connectionOptions))) {
        continue;
      }
      if (name.equalsIgnoreCase(AUTHORIZATION)
          && (added.containersCredentials() || isOriginCredentials(field.value()))) {
        continue;
      }
      if (name.equalsIgnoreCase(COOKIE)) {
        String others = withoutCookie(field.value(), added.sessionCookie());
        if (others == null) {
          continue;
        }
        if (!others.equals(field.value())) {
          field = new Headers.Field(name, others);
        }
      }
      // List-valued fields that ApiLink appends to (RFC 9110 5.3): earlier values are kept, joined
      // with commas into one field, in the place of ApiLink's own.
      if (name.equalsIgnoreCase(X_FORWARDED_FOR)) {
        forwardedFor = joined(forwardedFor, listed(field.value()));
      } else if (name.equalsIgnoreCase(VIA)) {
        via = joined(via, listed(field.value()));
      } else if (name.equalsIgnoreCase(COOKIE) && cookie >= 0) {
        // One Cookie field (RFC 6265 5.4): HTTP/2 clients send each cookie as a field of its own,
        // which must be joined for HTTP/1.1 (RFC 9113 8.2.3); Jetty passed them on as they came.
        Headers.Field first = fields.get(cookie);
        fields.set(cookie, new Headers.Field(first.name(), first.value() + "; " + field.value()));
      } else {
        if (name.equalsIgnoreCase(COOKIE)) {
          cookie = fields.size();
        }
        fields.add(field);
      }
    }
    fields.add(new Headers.Field(keyHeader, added.subscriptionKey()));
    fields.add(new Headers.Field(tokenHeader, added.tokenValue()));
    fields.add(new Headers.Field(ORIGINAL_URL, added.originalUrl()));
    fields.add(new Headers.Field(X_FORWARDED_FOR, joined(forwardedFor, added.clientAddress())));
    fields.add(new Headers.Field("X-Forwarded-Proto", added.clientScheme()));
    fields.add(new Headers.Field(VIA, joined(via, added.via())));
    if (added.clientHost() != null) {
      fields.add(new Headers.Field("X-Forwarded-Host", added.clientHost()));
    }
    if (added.clientPrincipal() != null) {
      fields.add(new Headers.Field(CLIENT_PRINCIPAL, added.clientPrincipal()));
    }
    return Headers.owning(fields);
  }

  /**
   * The headers sent to the client: the gateway's end-to-end fields, but no {@code Set-Cookie} for
   * the container's session cookie {@code sessionCookie} (if not null), in any case: an API's own
   * session cookie of that name would replace the site's and sign the user out, and Jetty reads the
   * name in any case ({@code jsessionid} is its session too; a browser holding both spellings gets
   * 400 {@code Duplicate sessions}, found by a reviewer); nor for Tomcat's single sign-on cookie;
   * nor a {@code WWW-Authenticate} challenge for credentials that ApiLink never forwards ({@link
   * #withoutOriginChallenges}).
   */
  public static Headers toClient(Headers gateway, String sessionCookie) {
    Set<String> connectionOptions = gateway.connectionOptions();
    List<Headers.Field> kept = new ArrayList<>(gateway.size());
    boolean changed = false;
    for (Headers.Field field : gateway) {
      if (HOP_BY_HOP.contains(field.name())
          || isConnectionOption(field.name(), connectionOptions)
          || (field.name().equalsIgnoreCase("Set-Cookie")
              && isContainersCookie(sentName(field.value()), sessionCookie))) {
        changed = true;
        continue;
      }
      if (field.name().equalsIgnoreCase(WWW_AUTHENTICATE)) {
        String challenges = withoutOriginChallenges(field.value());
        if (!challenges.equals(field.value())) {
          changed = true;
          if (challenges.isEmpty()) {
            continue;
          }
          field = new Headers.Field(field.name(), challenges);
        }
      }
      kept.add(field);
    }
    return changed ? Headers.owning(kept) : gateway;
  }

  /**
   * A {@code WWW-Authenticate} value without its challenges for credentials of the site's origin
   * ({@link #isOriginCredentials}: Basic, Digest, Negotiate, NTLM); {@code ""} if none is left. A
   * browser answers such a challenge with a password prompt (or a Kerberos ticket) for the site,
   * sends what it gets to every path of the site, and ApiLink never forwards those credentials: an
   * API's {@code Basic realm="orders"} prompted the user again after every answer, and the password
   * typed stayed with the site. Other challenges (API Management's {@code AzureApiManagementKey},
   * {@code Bearer}) pass unchanged.
   */
  static String withoutOriginChallenges(String value) {
    // RFC 9110 11.6.1: challenges and their auth-params are one comma-separated list; an element
    // that starts with a token followed by "=" is an auth-param of the challenge before it.
    List<String> elements = listElements(value);
    StringBuilder kept = new StringBuilder(value.length());
    boolean keeping = true;
    boolean removed = false;
    for (String element : elements) {
      if (!isAuthParam(element)) {
        keeping = !isOriginCredentials(element);
      }
      if (!keeping) {
        removed = true;
        continue;
      }
      if (kept.length() > 0) {
        kept.append(", ");
      }
      kept.append(element);
    }
    return removed ? kept.toString() : value;
  }

  /** The non-empty elements of a comma-separated list, split outside quoted strings, stripped. */
  private static List<String> listElements(String value) {
    List<String> elements = new ArrayList<>();
    boolean quoted = false;
    int start = 0;
    for (int i = 0; i <= value.length(); i++) {
      char c = i < value.length() ? value.charAt(i) : ',';
      if (quoted && c == '\\') {
        i++; // a quoted-pair
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && (!quoted || i == value.length())) {
        String element = value.substring(start, Math.min(i, value.length())).strip();
        if (!element.isEmpty()) {
          elements.add(element);
        }
        start = i + 1;
      }
    }
    return elements;
  }

  /** Whether a challenge list's element is an auth-param ({@code name=value}), not a challenge. */
  private static boolean isAuthParam(String element) {
    int i = 0;
    while (i < element.length()
        && element.charAt(i) != ' '
        && element.charAt(i) != '\t'
        && element.charAt(i) != '=') {
      i++;
    }
    while (i < element.length() && (element.charAt(i) == ' ' || element.charAt(i) == '\t')) {
      i++;
    }
    return i < element.length() && element.charAt(i) == '=';
  }

  /** A response's status line with its reason phrase, and the empty line that ends the head. */
  private static final int STATUS_LINE_BYTES = "HTTP/1.1 200 OK\r\n\r\n".length();

  /**
   * Room left in the container's limit for the fields it adds to a response head itself: Server,
   * Transfer-Encoding, Connection, Keep-Alive, or a longer reason phrase.
   */
  static final int CONTAINER_FIELD_BYTES = 256;

  /**
   * The failure to answer with if the client's response head would not fit the container's limit
   * {@code maxResponseHeaderBytes}, else null. Past that limit the container fails on its own, too
   * late for ApiLink to answer: Tomcat closed the connection without any response, Jetty sent its
   * HTML 500 page.
   */
  static ResponseHeadersTooLarge tooLargeForContainer(
      List<Headers.Field> toClient, int maxResponseHeaderBytes) {
    int bytes = STATUS_LINE_BYTES;
    for (int i = 0; i < toClient.size(); i++) {
      Headers.Field field = toClient.get(i);
      bytes += field.name().length() + field.value().length() + 4; // ": " and CRLF
    }
    return bytes + CONTAINER_FIELD_BYTES > maxResponseHeaderBytes
        ? new ResponseHeadersTooLarge(bytes, CONTAINER_FIELD_BYTES, maxResponseHeaderBytes)
        : null;
  }

  /**
   * The trailer fields sent to the client, as the Servlet API's {@code setTrailerFields} takes them
   * (one value a name, repeated fields joined by commas): the gateway's, but hop-by-hop fields and
   * those that only a head may carry.
   */
  public static Map<String, String> trailersToClient(Headers gateway) {
    Map<String, String> kept = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    for (Headers.Field field : gateway) {
      if (!HOP_BY_HOP.contains(field.name()) && !HEAD_ONLY.contains(field.name())) {
        kept.merge(field.name(), field.value(), (before, value) -> before + ", " + value);
      }
    }
    return kept;
  }

  /**
   * One {@code Vary} value (RFC 9110 12.5.5) for the container's and the gateway's fields: every
   * field name either lists, once (compared without case), the container's first; {@code *} alone
   * if either varies with anything.
   */
  static String joinedVary(List<String> container, List<String> gateway) {
    List<String> names = new ArrayList<>();
    for (List<String> fields : List.of(container, gateway)) {
      for (String field : fields) {
        for (String member : field.split(",")) {
          String name = member.strip();
          if (name.equals("*")) {
            return "*";
          }
          if (!name.isEmpty() && names.stream().noneMatch(name::equalsIgnoreCase)) {
            names.add(name);
          }
        }
      }
    }
    return String.join(", ", names);
  }

  /**
   * Whether a cookie of this name is the container's credential: its session cookie {@code
   * sessionCookie} (if not null) or Tomcat's single sign-on cookie, in any case.
   */
  private static boolean isContainersCookie(String name, String sessionCookie) {
    return name.equalsIgnoreCase(SINGLE_SIGN_ON_COOKIE)
        || sessionCookie != null && name.equalsIgnoreCase(sessionCookie);
  }

  /**
   * A {@code Cookie} field's value without the cookies named {@code name} (none if null) and
   * without Tomcat's single sign-on cookie (RFC 6265 4.2.1: {@code name=value} pairs separated by
   * {@code ;}): {@code value} itself if it has none, null if nothing else is left.
   */
  static String withoutCookie(String value, String name) {
    if ((name == null || !value.contains(name)) && !value.contains(SINGLE_SIGN_ON_COOKIE)) {
      return value;
    }
    StringBuilder others = new StringBuilder(value.length());
    boolean removed = false;
    for (String pair : value.split(";")) {
      String cookie = pair.strip();
      if (cookie.isEmpty()) {
        continue;
      }
      String cookieName = cookieName(cookie);
      if (cookieName.equals(name) || cookieName.equals(SINGLE_SIGN_ON_COOKIE)) {
        removed = true;
        continue;
      }
      if (others.length() > 0) {
        others.append("; ");
      }
      others.append(cookie);
    }
    if (!removed) {
      return value;
    }
    return others.length() == 0 ? null : others.toString();
  }

  /**
   * The name under which a browser sends the cookie of a {@code Set-Cookie} value back: its name,
   * or for a nameless cookie ({@code =JSESSIONID=x}), which a browser sends back as its value alone
   * ({@code JSESSIONID=x}, RFC 6265bis), the name in its value (found by a reviewer: such a cookie
   * got past the check for the session cookie).
   */
  private static String sentName(String setCookie) {
    String value = setCookie;
    String name = cookieName(value);
    while (name.isEmpty() && value.indexOf('=') >= 0) {
      value = value.substring(value.indexOf('=') + 1);
      name = cookieName(value);
    }
    return name;
  }

  /** The name of a {@code name=value} cookie pair or {@code Set-Cookie} value, blanks stripped. */
  private static String cookieName(String cookie) {
    int equals = cookie.indexOf('=');
    return (equals < 0 ? cookie : cookie.substring(0, equals)).strip();
  }

  /**
   * Whether an {@code Authorization} value is credentials for the site's origin, which a browser
   * sends to every path of the site: BASIC or DIGEST (a password, or its digest), or SPNEGO's
   * {@code Negotiate} and {@code NTLM} (a Kerberos ticket for the site's service, which may carry a
   * delegated ticket-granting ticket; a reviewer saw them reach the gateway with a custom token
   * header). Never the gateway's, whether or not the container checked them on this request: Jetty
   * checks them only when asked for the user and carries on anonymous when they fail, and Tomcat
   * without {@code preemptiveAuthentication} never checks them on {@code /api} (found by a
   * reviewer: the password reached the gateway).
   */
  static boolean isOriginCredentials(String value) {
    String credentials = value.stripLeading();
    for (String scheme : ORIGIN_CREDENTIAL_SCHEMES) {
      if (credentials.regionMatches(true, 0, scheme, 0, scheme.length())
          && (credentials.length() == scheme.length()
              || credentials.charAt(scheme.length()) == ' '
              || credentials.charAt(scheme.length()) == '\t')) {
        return true;
      }
    }
    return false;
  }

  private static boolean isRemovedOrAppended(
      String name, Added added, Set<String> connectionOptions) {
    return isRemoved(name, added.subscriptionKeyHeader(), added.tokenHeader(), connectionOptions)
        || ProxyHeaderNames.APPENDED_BY_PROXY.contains(name);
  }

  private static boolean isRemoved(
      String name, String keyHeader, String tokenHeader, Set<String> connectionOptions) {
    return ProxyHeaderNames.isDroppedFromClient(name)
        // A client must not choose the key, the token or the principal that the gateway trusts.
        || name.equalsIgnoreCase(SUBSCRIPTION_KEY_DEFAULT)
        || name.equalsIgnoreCase(keyHeader)
        || name.equalsIgnoreCase(tokenHeader)
        || isConnectionOption(name, connectionOptions);
  }

  private static boolean isConnectionOption(String name, Set<String> connectionOptions) {
    return !connectionOptions.isEmpty() && connectionOptions.contains(name);
  }

  private static String joined(String earlier, String value) {
    if (value == null) {
      return earlier;
    }
    return earlier == null ? value : earlier + ", " + value;
  }

  /**
   * A list field's value as sent, but without empty elements at its ends, or null if it has no
   * other: a sender must not generate empty list elements (RFC 9110 5.6.1.1), and a client's empty
   * {@code X-Forwarded-For} made ApiLink's {@code , <address>}, whose first element, the one a
   * backend takes for the client, is empty.
   */
  private static String listed(String value) {
    int start = 0;
    int end = value.length();
    while (start < end && isBlankOrComma(value.charAt(start))) {
      start++;
    }
    while (end > start && isBlankOrComma(value.charAt(end - 1))) {
      end--;
    }
    if (start == end) {
      return null;
    }
    int firstComma = value.indexOf(',');
    boolean emptyAtAnEnd = firstComma >= 0 && (firstComma < start || value.lastIndexOf(',') >= end);
    return emptyAtAnEnd ? value.substring(start, end) : value;
  }

  private static boolean isBlankOrComma(char c) {
    return c == ',' || c == ' ' || c == '\t';
  }
}
