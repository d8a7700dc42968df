package dev.apilink.link;

import java.util.Locale;

/**
 * The product and subscription that Static Web Apps' linking creates in API Management, both named
 * after the site's hostname. Environments that share a hostname share them.
 *
 * @param hostname the site's host name, with its port if any
 */
record LinkedProduct(String hostname) {

  /**
   * The product's id, which is also the subscription's: APIM ids allow letters, digits and hyphens,
   * so every other character of the hostname (dots, a port's colon) becomes a hyphen.
   */
  String id() {
    return "swa-" + hostname.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
  }

  String displayName() {
    return "Azure Static Web Apps - " + hostname + " (Linked)";
  }

  String description() {
    return "Created for the static site "
        + hostname
        + " as Static Web Apps linking does, applied with ApiLink. Only the APIs added to this"
        + " product are reachable from the site's /api.";
  }

  String subscriptionDisplayName() {
    return "Generated for Static Web Apps resource with default hostname: " + hostname;
  }

  /** The subscription's scope as the APIM REST API writes it. */
  String subscriptionScope() {
    return "/products/" + id();
  }
}
