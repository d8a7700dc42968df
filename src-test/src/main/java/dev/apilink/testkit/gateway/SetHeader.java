package dev.apilink.testkit.gateway;

import java.util.List;
import org.eclipse.jetty.http.HttpFields;

/**
 * The inbound {@code <set-header name="..." exists-action="...">} policy with literal values:
 * several {@code <value>}s become several header lines, as in APIM.
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

  void apply(HttpFields.Mutable headers) {
    switch (existsAction) {
      case DELETE -> headers.remove(name);
      case OVERRIDE -> {
        headers.remove(name);
        values.forEach(value -> headers.add(name, value));
      }
      case SKIP -> {
        if (!headers.contains(name)) {
          values.forEach(value -> headers.add(name, value));
        }
      }
      case APPEND -> values.forEach(value -> headers.add(name, value));
    }
  }
}
