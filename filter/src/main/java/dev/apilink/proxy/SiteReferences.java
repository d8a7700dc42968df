package dev.apilink.proxy;

import java.net.URI;
import java.util.Locale;

/**
 * The gateway's answer names the gateway's own paths: a redirect to {@code /api/orders/7}, a cookie
 * with {@code Path=/api}. The client knows them under the site's {@code /api}, which differs under
 * a context path ({@code /shop/api}) or with a gateway URL that has a path ({@code /v1/api}); and
 * the client should never be sent to the gateway's host, where it has no key and no token.
 *
 * <p>So, as Apache's {@code ProxyPassReverse} and {@code ProxyPassReverseCookiePath} do: a {@code
 * Location} or {@code Content-Location} that names the gateway's {@code /api}, root-relative or
 * absolute with the gateway's origin, becomes a root-relative reference to the site's {@code /api};
 * a cookie's {@code Path} under the gateway's {@code /api} moves under the site's, and a cookie's
 * {@code Domain} that is the gateway's host is dropped (the browser would refuse the cookie, which
 * then belongs to the site's host). Every other value passes unchanged.
 */
final class SiteReferences {

  private final String gatewayScheme;
  private final String gatewayHost;
  private final int gatewayPort;
  private final String gatewayApi;

  /**
   * @param gatewayUrl the gateway's URL (scheme, host, port; its path is ignored)
   * @param pathPrefix the path of the gateway URL, before {@code /api} ({@code ""} usually)
   */
  SiteReferences(URI gatewayUrl, String pathPrefix) {
    this.gatewayScheme = gatewayUrl.getScheme().toLowerCase(Locale.ROOT);
    this.gatewayHost = gatewayUrl.getHost();
    this.gatewayPort = portOf(gatewayScheme, gatewayUrl.getPort());
    this.gatewayApi = pathPrefix + "/api";
  }

  /** Whether a field of this name may name the gateway's paths or host. */
  static boolean mayRefer(String name) {
    return name.equalsIgnoreCase("Location")
        || name.equalsIgnoreCase("Set-Cookie")
        || name.equalsIgnoreCase("Content-Location");
  }

  /**
   * {@code field} as the client should get it.
   *
   * @param siteApi the site's {@code /api} as the client spelled it ({@code /shop/api})
   */
  Headers.Field toClient(Headers.Field field, String siteApi) {
    String value =
        field.name().equalsIgnoreCase("Set-Cookie")
            ? cookie(field.value(), siteApi)
            : location(field.value(), siteApi);
    return value.equals(field.value()) ? field : new Headers.Field(field.name(), value);
  }

  String location(String value, String siteApi) {
    String path;
    if (value.startsWith("/") && !value.startsWith("//")) {
      path = value;
    } else {
      path = pathOnGateway(value);
      if (path == null) {
        return value;
      }
    }
    if (!under(path, gatewayApi, "/?#")) {
      return value;
    }
    return siteApi + path.substring(gatewayApi.length());
  }

  /**
   * The path, query and fragment of an absolute URL on the gateway's origin, or of a network-path
   * reference to the gateway's host and port ({@code ""} for none); null for any other reference.
   */
  private String pathOnGateway(String value) {
    String scheme;
    int authorityStart;
    if (value.startsWith("//")) {
      // A network-path reference (RFC 3986 4.2) keeps the site's scheme and leaves for this host:
      // "//contoso.azure-api.net/api/x" sent the browser to the gateway, without key or token.
      scheme = gatewayScheme;
      authorityStart = 2;
    } else {
      int colon = value.indexOf(':');
      if (colon <= 0 || !value.startsWith("//", colon + 1)) {
        return null;
      }
      scheme = value.substring(0, colon).toLowerCase(Locale.ROOT);
      authorityStart = colon + 3;
    }
    int authorityEnd = authorityStart;
    while (authorityEnd < value.length() && "/?#".indexOf(value.charAt(authorityEnd)) < 0) {
      authorityEnd++;
    }
    String authority = value.substring(authorityStart, authorityEnd);
    if (!scheme.equals(gatewayScheme) || authority.indexOf('@') >= 0) {
      return null;
    }
    int portColon = authority.lastIndexOf(':');
    String host = authority;
    int port = portOf(scheme, -1);
    if (portColon >= 0 && authority.indexOf(']', portColon) < 0) {
      host = authority.substring(0, portColon);
      try {
        port =
            portColon + 1 == authority.length()
                ? port
                : Integer.parseInt(authority.substring(portColon + 1));
      } catch (NumberFormatException e) {
        return null;
      }
    }
    if (!host.equalsIgnoreCase(gatewayHost) || port != gatewayPort) {
      return null;
    }
    return value.substring(authorityEnd);
  }

  String cookie(String value, String siteApi) {
    String[] parts = value.split(";", -1);
    StringBuilder rewritten = new StringBuilder(parts[0]);
    boolean changed = false;
    for (int i = 1; i < parts.length; i++) {
      String part = parts[i];
      int equals = part.indexOf('=');
      String name = (equals < 0 ? part : part.substring(0, equals)).trim();
      String attribute = equals < 0 ? "" : part.substring(equals + 1).trim();
      if (name.equalsIgnoreCase("Path") && under(attribute, gatewayApi, "/")) {
        String path = siteApi + attribute.substring(gatewayApi.length());
        changed |= !path.equals(attribute);
        rewritten.append("; Path=").append(path);
      } else if (name.equalsIgnoreCase("Domain")
          && (attribute.startsWith(".") ? attribute.substring(1) : attribute)
              .equalsIgnoreCase(gatewayHost)) {
        changed = true;
      } else {
        rewritten.append(';').append(part);
      }
    }
    return changed ? rewritten.toString() : value;
  }

  /** Whether {@code path} is {@code prefix} or continues it after one of {@code boundaries}. */
  private static boolean under(String path, String prefix, String boundaries) {
    return path.startsWith(prefix)
        && (path.length() == prefix.length()
            || boundaries.indexOf(path.charAt(prefix.length())) >= 0);
  }

  private static int portOf(String scheme, int port) {
    return port >= 0 ? port : GatewayTarget.defaultPort(scheme);
  }
}
