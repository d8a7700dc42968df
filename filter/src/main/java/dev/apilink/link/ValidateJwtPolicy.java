package dev.apilink.link;

import dev.apilink.config.BackendConfig;
import dev.apilink.config.SiteConfig;
import dev.apilink.token.WellKnown;

/**
 * The linked product's policy: an inbound {@code validate-jwt} that accepts exactly the access
 * tokens the filter mints for this site, and nothing else.
 *
 * @param tokenHeader the header that carries the token
 * @param bearerScheme whether the token comes as {@code Bearer <token>} (only in {@code
 *     Authorization}: APIM ignores {@code require-scheme} with any other header)
 * @param openidConfigurationUrl where the gateway reads the issuer's signing keys
 * @param audience the tokens' {@code aud}
 * @param issuer the tokens' {@code iss}
 */
record ValidateJwtPolicy(
    String tokenHeader,
    boolean bearerScheme,
    String openidConfigurationUrl,
    String audience,
    String issuer) {

  static final String FAILED_VALIDATION_MESSAGE =
      "Unauthorized. Access token is missing or invalid.";

  /**
   * The clocks of the site and the gateway may differ by seconds: a token is not valid before the
   * site's now ({@code nbf}), which validate-jwt's default clock-skew of 0 s refuses while it is in
   * the gateway's future.
   */
  static final int CLOCK_SKEW_SECONDS = 60;

  /** The policy for the site's linked backend, its web application at {@code contextPath}. */
  static ValidateJwtPolicy of(SiteConfig site, BackendConfig backend, String contextPath) {
    String origin = site.origin().toString();
    return new ValidateJwtPolicy(
        site.token().header(),
        site.token().bearer(),
        WellKnown.openidConfigurationUrl(origin, contextPath),
        backend.audience(),
        WellKnown.issuer(origin, contextPath));
  }

  /** The whole policy document, as the portal's policy editor shows one. */
  String xml() {
    StringBuilder xml = new StringBuilder();
    xml.append("<policies>\n");
    xml.append("  <inbound>\n");
    xml.append("    <base />\n");
    xml.append("    <validate-jwt header-name=\"").append(escape(tokenHeader)).append('"');
    xml.append(" failed-validation-httpcode=\"401\"");
    xml.append(" failed-validation-error-message=\"")
        .append(escape(FAILED_VALIDATION_MESSAGE))
        .append('"');
    xml.append(" require-expiration-time=\"true\"");
    if (bearerScheme) {
      xml.append(" require-scheme=\"Bearer\"");
    }
    xml.append(" require-signed-tokens=\"true\"");
    xml.append(" clock-skew=\"").append(CLOCK_SKEW_SECONDS).append("\">\n");
    xml.append("      <openid-config url=\"")
        .append(escape(openidConfigurationUrl))
        .append("\" />\n");
    xml.append("      <audiences>\n");
    xml.append("        <audience>").append(escape(audience)).append("</audience>\n");
    xml.append("      </audiences>\n");
    xml.append("      <issuers>\n");
    xml.append("        <issuer>").append(escape(issuer)).append("</issuer>\n");
    xml.append("      </issuers>\n");
    xml.append("    </validate-jwt>\n");
    xml.append("  </inbound>\n");
    for (String section : new String[] {"backend", "outbound", "on-error"}) {
      xml.append("  <").append(section).append(">\n");
      xml.append("    <base />\n");
      xml.append("  </").append(section).append(">\n");
    }
    xml.append("</policies>");
    return xml.toString();
  }

  /** Escapes for both text and double- or single-quoted attributes. */
  static String escape(String value) {
    StringBuilder escaped = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '&' -> escaped.append("&amp;");
        case '<' -> escaped.append("&lt;");
        case '>' -> escaped.append("&gt;");
        case '"' -> escaped.append("&quot;");
        case '\'' -> escaped.append("&apos;");
        default -> escaped.append(c);
      }
    }
    return escaped.toString();
  }
}
