package dev.apilink.proxy;

import jakarta.servlet.ServletContext;
import jakarta.servlet.SessionCookieConfig;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.Locale;
import java.util.StringJoiner;

/** Which requests go to the gateway, and where exactly. */
public final class GatewayTarget {

  private static final String SUBSCRIPTION_KEY_PARAMETER = "subscription-key";
  private static final String SESSION_ID_PARAMETER = "jsessionid"; // Servlet 6.0, 7.1.3

  private GatewayTarget() {}

  /** The port {@code scheme} implies: 443 for https, else 80. */
  static int defaultPort(String scheme) {
    return "https".equalsIgnoreCase(scheme) ? 443 : 80;
  }

  /** {@code host}, with {@code :port} unless the port is none (below 1) or the scheme's default. */
  static String authority(String scheme, String host, int port) {
    return port <= 0 || port == defaultPort(scheme) ? host : host + ":" + port;
  }

  /**
   * The path inside the web application as the client sent it. Tomcat gives the context path as the
   * client spelled it; Jetty gives its own form ({@code /café} for {@code /caf%C3%A9}, {@code
   * /shop} for {@code /shop;jsessionid=...}), and then the context path's segments are skipped in
   * the raw URI instead (found by a reviewer: such requests were refused as not plain).
   */
  public static String rawPathInContext(String requestUri, String contextPath) {
    if (requestUri.startsWith(contextPath)
        && (requestUri.length() == contextPath.length()
            || requestUri.charAt(contextPath.length()) == '/')) {
      return requestUri.substring(contextPath.length());
    }
    int at = 0;
    for (int i = 0; i < contextPath.length(); i++) {
      if (contextPath.charAt(i) == '/') {
        at = requestUri.indexOf('/', at + 1);
        if (at < 0) {
          return "";
        }
      }
    }
    return requestUri.substring(at);
  }

  /**
   * Whether a path inside the web application is an API path: {@code /api} itself or below it
   * (Static Web Apps' fixed route prefix). Case matters, as it does for the gateway.
   */
  public static boolean isApiPath(String path) {
    return path.startsWith("/api") && (path.length() == 4 || path.charAt(4) == '/');
  }

  /**
   * Whether requests of this method are never forwarded: TRACE, whose answer echoes the request
   * (with the key and the token that ApiLink adds), and CONNECT, which asks for a tunnel. In any
   * case: the gateway client sends every method upper case, and Tomcat and Jetty refuse only the
   * upper-case spellings themselves (found by a reviewer: {@code trace} reached the gateway as
   * TRACE).
   */
  public static boolean isNeverForwarded(String method) {
    return method.equalsIgnoreCase("TRACE") || method.equalsIgnoreCase("CONNECT");
  }

  /**
   * Whether {@code method} is HEAD spelled otherwise than upper case ({@code head}, {@code Head}).
   * The gateway client sends it as HEAD, and the gateway answers without a body; the container
   * takes it for a method of its own (methods are case-sensitive, RFC 9110 9.1), whose answer has
   * the body its {@code Content-Length} announces. Passed on, that answer went out on Tomcat
   * without the body it announced, and the client read the next answer on the connection as that
   * body; Jetty answered 500 (found by review h38k).
   */
  public static boolean isHeadNotUpperCase(String method) {
    return !method.equals("HEAD") && method.equalsIgnoreCase("HEAD");
  }

  /**
   * Whether a raw path (percent-encoded, as the client sent it) still names {@code /api} or a path
   * below it once decoded the way a lenient server does before resolving it: percent-decoded once,
   * with {@code %2F} and {@code \} (or {@code %5C}) taken as separators, path parameters ({@code
   * ;...}) and trailing spaces cut from each segment, then {@code .} and {@code ..} resolved (RFC
   * 3986 5.2.4) with empty segments kept and with them merged, and again with the path ended at a
   * decoded {@code ?} or {@code #}. The container resolves dot-segments before decoding {@code
   * %2F}; a gateway that does it after would be led from {@code /api/..%2Fother} to {@code /other}.
   *
   * @param rawPath a path that {@link #isApiPath} accepts, so absolute
   */
  public static boolean staysUnderApi(String rawPath) {
    if (isPlain(rawPath)) {
      return isApiPath(rawPath); // nothing to decode or resolve: the path is what it names
    }
    String decoded = decodePath(rawPath);
    // As the route rules read a path (RawPaths): a server that reads the decoded path as a URL
    // again ends it at "?" or "#" (/api/..%3F/other is /api/..), and one may merge empty segments
    // (/api//..%3B/other is /other to it); found by review A.
    String asUrl = decoded.split("[?#]", 2)[0];
    return resolvesUnderApi(decoded, false)
        && resolvesUnderApi(decoded, true)
        && resolvesUnderApi(asUrl, false)
        && resolvesUnderApi(asUrl, true);
  }

  private static boolean resolvesUnderApi(String decoded, boolean mergeSlashes) {
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : decoded.split("[/\\\\]", -1)) {
      int semicolon = segment.indexOf(';');
      String name = semicolon < 0 ? segment : segment.substring(0, semicolon);
      // ".. " is ".." to Windows and IIS, which drop a name's trailing spaces (found by review A).
      if (name.stripTrailing().equals("..")) {
        if (segments.size() > 1) {
          // Never the root, the first (empty) segment: "/.." is "/" (RFC 3986 5.2.4). Popped, an
          // empty segment after it took its place, and /api/..%2F..%2F/api/x, which reads
          // //api/x, passed as /api/x.
          segments.pollLast();
        }
      } else if (!name.equals(".")
          && !(mergeSlashes && isEmptyToWindows(name) && !segments.isEmpty())) {
        segments.addLast(name);
      }
    }
    if (!segments.isEmpty() && segments.peekFirst().isEmpty()) {
      segments.pollFirst(); // the root
    }
    return isApiPath("/" + String.join("/", segments));
  }

  /**
   * Whether a segment is nothing to Windows, which drops a name's trailing dots and spaces: empty,
   * or only dots and white space ({@code /api/.../..} is {@code /api/..} there; found by review A).
   * The route rules' readings ask the same.
   */
  public static boolean isEmptyToWindows(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) != '.' && !Character.isWhitespace(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether decoding and resolving would leave {@code rawPath} as it is: absolute, with no percent
   * escape, backslash, path parameter or segment that starts with a dot. Most paths are; they skip
   * the work (it ran on every request).
   */
  private static boolean isPlain(String rawPath) {
    return rawPath.startsWith("/")
        && rawPath.indexOf('%') < 0
        && rawPath.indexOf('\\') < 0
        && rawPath.indexOf(';') < 0
        && !rawPath.contains("/.");
  }

  /**
   * {@code raw} with every character outside printable US-ASCII percent-encoded as UTF-8 (RFC 3986
   * 2.1: a URI has no others). Jetty hands the application a path whose raw bytes were UTF-8 as
   * decoded characters (seen for {@code é} in a path parameter, {@code /api/a;x=é}), and its client
   * writes the request line one byte per character: the gateway got {@code E9}, not the client's
   * {@code C3 A9}. Encoded, it gets {@code %C3%A9}, the same name.
   */
  public static String asciiOnly(String raw) {
    if (raw == null) {
      return null;
    }
    int first = 0;
    while (first < raw.length() && raw.charAt(first) < 0x7F) {
      first++;
    }
    if (first == raw.length()) {
      return raw; // nearly always
    }
    StringBuilder encoded = new StringBuilder(raw.length() + 16).append(raw, 0, first);
    for (int i = first; i < raw.length(); ) {
      int codePoint = raw.codePointAt(i);
      i += Character.charCount(codePoint);
      if (codePoint < 0x7F) {
        encoded.append((char) codePoint);
      } else {
        for (byte b : new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8)) {
          encoded.append('%').append(String.format("%02X", b & 0xFF));
        }
      }
    }
    return encoded.toString();
  }

  /** Percent-decoding of a path: what it cannot decode it keeps; '+' stays '+'. */
  private static String decodePath(String raw) {
    return raw.indexOf('%') < 0 ? raw : decode(raw.replace("+", "%2B"));
  }

  /**
   * The name of the container's session cookie ({@code JSESSIONID} unless {@code session-config}
   * names another): the site's session, never the gateway's to see or to set. Null for a context
   * without sessions (an embedded Jetty context may have none), which has no such cookie.
   */
  private static String sessionCookie(ServletContext context) {
    SessionCookieConfig config = context.getSessionCookieConfig();
    if (config == null) {
      return null;
    }
    String name = config.getName();
    return name == null || name.isBlank() ? "JSESSIONID" : name;
  }

  /**
   * The name of the container's session cookie as {@code request} shows it: the name that carried
   * the session id the container read, when that is not the configured one. Tomcat's {@code
   * <Context sessionCookieName="...">} in {@code context.xml} renames the cookie and the path
   * parameter without {@link ServletContext#getSessionCookieConfig()} reporting it, so the name is
   * found by the id's value: a cookie, or a path parameter, whose value is the requested session
   * id. Otherwise, and for a request without a session id, {@link #sessionCookie(ServletContext)}.
   */
  public static String sessionCookie(HttpServletRequest request) {
    String configured = sessionCookie(request.getServletContext());
    String id = request.getRequestedSessionId();
    if (configured == null || id == null || id.isEmpty()) {
      return configured;
    }
    String carrier = null;
    if (request.isRequestedSessionIdFromURL() && !request.isRequestedSessionIdFromCookie()) {
      carrier = pathParameterWithValue(request.getRequestURI(), id);
    } else {
      // Also when the container read no id from a cookie: Spring Session's request wrapper reports
      // the id it read from its own cookie (SESSION), where it is Base64-encoded by default.
      String encoded = Base64.getEncoder().encodeToString(id.getBytes(StandardCharsets.UTF_8));
      Cookie[] cookies = request.getCookies();
      for (Cookie cookie : cookies == null ? new Cookie[0] : cookies) {
        if (id.equals(cookie.getValue()) || encoded.equals(cookie.getValue())) {
          if (cookie.getName().equals(configured)) {
            return configured;
          }
          carrier = carrier == null ? cookie.getName() : carrier;
        }
      }
    }
    return carrier == null ? configured : carrier;
  }

  /**
   * The (decoded) name of the first path parameter of {@code rawPath} whose value is {@code value}.
   */
  private static String pathParameterWithValue(String rawPath, String value) {
    int semicolon = rawPath.indexOf(';');
    while (semicolon >= 0) {
      int end = parameterEnd(rawPath, semicolon);
      int equals = parameterEquals(rawPath, semicolon, end);
      if (end - equals - 1 == value.length() && rawPath.startsWith(value, equals + 1)) {
        return decode(rawPath.substring(semicolon + 1, equals));
      }
      semicolon = rawPath.indexOf(';', end);
    }
    return null;
  }

  /** Where the path parameter at {@code semicolon} ends: at the next {@code ;} or {@code /}. */
  private static int parameterEnd(String rawPath, int semicolon) {
    int end = semicolon + 1;
    while (end < rawPath.length() && rawPath.charAt(end) != ';' && rawPath.charAt(end) != '/') {
      end++;
    }
    return end;
  }

  /** Where its name ends: at its {@code =}, or at {@code end} for a parameter without a value. */
  private static int parameterEquals(String rawPath, int semicolon, int end) {
    int equals = rawPath.indexOf('=', semicolon);
    return equals < 0 || equals > end ? end : equals;
  }

  /**
   * {@code rawPath} without the container's session id: the path parameters named {@code
   * jsessionid} (the Servlet specification's name, Jetty's) or {@code sessionCookie} (Tomcat's name
   * when {@code session-config} names the cookie), in any case, wherever they are. URL rewriting
   * ({@code encodeURL}, for a client without cookies) puts the session there, {@code
   * /api/orders;jsessionid=...}; the gateway would see, and its logs keep, what signs anyone in as
   * the user. The rest is kept byte for byte. Nothing is removed when {@code sessionCookie} is null
   * (no sessions).
   */
  public static String withoutSessionId(String rawPath, String sessionCookie) {
    if (sessionCookie == null || rawPath.indexOf(';') < 0) {
      return rawPath;
    }
    StringBuilder kept = new StringBuilder(rawPath.length());
    int at = 0;
    while (at < rawPath.length()) {
      int semicolon = rawPath.indexOf(';', at);
      if (semicolon < 0) {
        kept.append(rawPath, at, rawPath.length());
        break;
      }
      kept.append(rawPath, at, semicolon);
      int end = parameterEnd(rawPath, semicolon);
      String name =
          decode(rawPath.substring(semicolon + 1, parameterEquals(rawPath, semicolon, end)));
      if (!name.equalsIgnoreCase(SESSION_ID_PARAMETER) && !name.equalsIgnoreCase(sessionCookie)) {
        kept.append(rawPath, semicolon, end);
      }
      at = end;
    }
    return kept.toString();
  }

  /**
   * The raw query without any {@code subscription-key} parameter, which APIM would read as a key
   * (apim.md): only the key that ApiLink sends may reach the gateway. Everything else is kept byte
   * for byte. Returns null when nothing is left.
   */
  public static String withoutSubscriptionKey(String rawQuery) {
    if (rawQuery == null
        || rawQuery.indexOf('%') < 0
            && !rawQuery.toLowerCase(Locale.ROOT).contains(SUBSCRIPTION_KEY_PARAMETER)) {
      return rawQuery;
    }
    StringJoiner kept = new StringJoiner("&");
    boolean removed = false;
    for (String parameter : rawQuery.split("&", -1)) {
      int equals = parameter.indexOf('=');
      String name = equals < 0 ? parameter : parameter.substring(0, equals);
      if (decode(name).equalsIgnoreCase(SUBSCRIPTION_KEY_PARAMETER)) {
        removed = true;
      } else {
        kept.add(parameter);
      }
    }
    if (!removed) {
      return rawQuery;
    }
    return kept.length() == 0 ? null : kept.toString();
  }

  /** Percent-decoding that keeps what it cannot decode, and reads '+' as a space (forms). */
  static String decode(String raw) {
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) {
      return raw;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%' && i + 2 < raw.length()) {
        int high = Character.digit(raw.charAt(i + 1), 16);
        int low = Character.digit(raw.charAt(i + 2), 16);
        if (high >= 0 && low >= 0) {
          bytes.write(high << 4 | low);
          i += 2;
          continue;
        }
      }
      if (c == '+') {
        bytes.write(' ');
      } else {
        byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(encoded, 0, encoded.length);
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
