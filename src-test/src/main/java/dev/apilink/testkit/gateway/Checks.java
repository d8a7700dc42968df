package dev.apilink.testkit.gateway;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.regex.Pattern;

/**
 * The rules that names, URL suffixes, service URLs and keys follow, shared by the records (which
 * throw) and the file loaders (which collect problems by JSON path). Each method returns null when
 * the value is fine, else what is wrong with it.
 */
final class Checks {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9._~-]+");
  private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");
  private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]+");

  /** A header name: an RFC 9110 token. */
  static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  private Checks() {}

  /** An API name, product id or subscription id: what APIM accepts in a resource name. */
  static String id(String value) {
    if (value == null || value.isEmpty()) {
      return "must not be empty";
    }
    if (!ID.matcher(value).matches()) {
      return "may hold only letters, digits and . _ ~ - (was " + quote(value) + ")";
    }
    return null;
  }

  /** An API URL suffix such as {@code api} or {@code api/v2}; empty matches every path. */
  static String path(String value) {
    if (value == null) {
      return "must not be null";
    }
    if (value.startsWith("/") || value.endsWith("/")) {
      return "must not start or end with '/' (was " + quote(value) + ")";
    }
    if (value.contains("//") || !PATH.matcher(value).matches()) {
      return "is not a URL path suffix such as \"api\" (was " + quote(value) + ")";
    }
    return null;
  }

  /** A backend URL: absolute http(s), with a host, no user info, query or fragment. */
  static String serviceUrl(String value) {
    if (value == null || value.isEmpty()) {
      return "must not be empty";
    }
    try {
      URI uri = new URI(value);
      boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
      if (web
          && uri.getHost() != null
          && uri.getRawUserInfo() == null
          && uri.getRawQuery() == null
          && uri.getRawFragment() == null) {
        return null;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    return "must be an absolute http(s) URL without query or fragment (was " + quote(value) + ")";
  }

  /** A header name (an RFC 9110 token), such as {@code Ocp-Apim-Subscription-Key}. */
  static String headerName(String value) {
    if (value == null || value.isEmpty()) {
      return "must not be empty";
    }
    if (!HEADER_NAME.matcher(value).matches()) {
      return "is not a valid header name (was " + quote(value) + ")";
    }
    return null;
  }

  /** A subscription key as a client can send it in a header or a query parameter. */
  static String key(String value) {
    if (value == null || value.isEmpty()) {
      return "must not be empty";
    }
    if (value.length() > 256 || !KEY.matcher(value).matches()) {
      return "must be 1 to 256 visible ASCII characters without spaces";
    }
    return null;
  }

  static String quote(String value) {
    StringBuilder quoted = new StringBuilder("\"");
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        default -> {
          if (c < 0x20) {
            quoted.append(String.format("\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }

  static void require(String what, String problem) {
    if (problem != null) {
      throw new IllegalArgumentException(what + " " + problem);
    }
  }
}
