package dev.apilink.link;

import java.util.Locale;

/**
 * The product and subscription that Static Web Apps' linking creates in API Management, both named
 * after the site's hostname. Environments that share a hostname share them. A site under a context
 * path ({@code /shop}) is another site, with its own issuer and so its own policy: its product and
 * subscription are named after the hostname and the context path (Static Web Apps has no context
 * path; at the root the names are its own). A reviewer's two contexts on one host got the same
 * product id, and the second one's policy would have replaced the first's.
 *
 * @param hostname the site's host name, with its port if any
 * @param contextPath the web application's context path, empty at the root
 */
record LinkedProduct(String hostname, String contextPath) {

  /** The site as the names give it: {@code www.contoso.com}, {@code www.contoso.com/shop}. */
  String site() {
    return hostname + contextPath;
  }

  /**
   * The product's id, which is also the subscription's: APIM ids allow letters, digits and hyphens,
   * so every other character of the hostname and context path (dots, a port's colon, slashes)
   * becomes a hyphen.
   */
  String id() {
    return "swa-" + site().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
  }

  String displayName() {
    return "Azure Static Web Apps - " + site() + " (Linked)";
  }

  String description() {
    return "Created for the static site "
        + site()
        + " as Static Web Apps linking does, applied with ApiLink. Only the APIs added to this"
        + " product are reachable from the site's /api.";
  }

  String subscriptionDisplayName() {
    return "Generated for Static Web Apps resource with default hostname: " + site();
  }

  /** The subscription's scope as the APIM REST API writes it. */
  String subscriptionScope() {
    return "/products/" + id();
  }
}
