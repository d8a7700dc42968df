package dev.apilink.testkit.gateway;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;

/** Headers that concern one connection only, which a gateway must not pass on. */
final class HopByHop {

  /**
   * RFC 9110 section 7.6.1 and RFC 9112, plus the obsolete {@code Proxy-Connection} and {@code
   * Keep-Alive}.
   */
  static final Set<String> HEADERS =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-authenticate",
          "proxy-authorization",
          "proxy-connection",
          "te",
          "trailer",
          "transfer-encoding",
          "upgrade");

  private HopByHop() {}

  /** The fields of {@code headers} that are end-to-end: not hop-by-hop, not named by Connection. */
  static HttpFields.Mutable endToEnd(HttpFields headers) {
    Set<String> named = new HashSet<>();
    for (String value : headers.getValuesList(HttpHeader.CONNECTION)) {
      for (String name : value.split(",")) {
        named.add(name.strip().toLowerCase(Locale.ROOT));
      }
    }
    HttpFields.Mutable endToEnd = HttpFields.build(headers.size());
    for (HttpField field : headers) {
      String name = field.getLowerCaseName();
      if (!HEADERS.contains(name) && !named.contains(name)) {
        endToEnd.add(field);
      }
    }
    return endToEnd;
  }
}
