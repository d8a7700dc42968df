package dev.apilink.testkit.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.http.HttpFields;

/**
 * The inbound {@code <set-header name="..." exists-action="...">} policy with literal values:
 * several {@code <value>}s become one comma-separated line, as in APIM (separate lines for the
 * headers Microsoft lists).
 */
record SetHeader(String name, ExistsAction existsAction, List<String> values)
    implements Policy.InboundStep {

  SetHeader {
    values = List.copyOf(values);
  }

  /** What to do when the request already has the header. */
  enum ExistsAction {
    /** Replace every value (the default). */
    OVERRIDE,
    /** Leave the request's values, set ours only if there are none. */
    SKIP,
    /** Add ours after the request's values. */
    APPEND,
    /** Remove the header. */
    DELETE
  }

  /**
   * The headers whose values API Management never joins into one line (Microsoft's set-header
   * reference, usage notes): they may contain commas or dates.
   */
  static final Set<String> SEPARATE_LINES =
      Set.of(
          "user-agent",
          "www-authenticate",
          "proxy-authenticate",
          "cookie",
          "set-cookie",
          "warning",
          "date",
          "expires",
          "if-modified-since",
          "if-unmodified-since",
          "last-modified",
          "retry-after");

  void apply(HttpFields.Mutable headers) {
    switch (existsAction) {
      case DELETE -> headers.remove(name);
      case OVERRIDE -> set(headers, values);
      case SKIP -> {
        if (!headers.contains(name)) {
          set(headers, values);
        }
      }
      case APPEND -> {
        List<String> all = new ArrayList<>(headers.getValuesList(name));
        all.addAll(values);
        set(headers, all);
      }
    }
  }

  /**
   * Sets the header to {@code values}: "Multiple values of a header are concatenated to a CSV
   * string" (Microsoft's set-header reference), except for {@link #SEPARATE_LINES}.
   */
  private void set(HttpFields.Mutable headers, List<String> values) {
    headers.remove(name);
    if (SEPARATE_LINES.contains(name.toLowerCase(Locale.ROOT))) {
      values.forEach(value -> headers.add(name, value));
    } else if (!values.isEmpty()) {
      headers.add(name, String.join(",", values));
    }
  }
}
