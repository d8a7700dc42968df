package dev.apilink.testkit.gateway;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Subscription scopes as APIM writes them: {@code /products/<id>}, maybe as a full resource id. */
final class Scopes {

  private static final Pattern PRODUCT_SCOPE =
      Pattern.compile(
          "(?:/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\\.ApiManagement/service/[^/]+)?/products/([^/]+)");

  private Scopes() {}

  /** The product id of {@code scope}, or null if it is not a product scope. */
  static String productId(String scope) {
    Matcher matcher = PRODUCT_SCOPE.matcher(scope);
    if (!matcher.matches() || Checks.id(matcher.group(1)) != null) {
      return null;
    }
    return matcher.group(1);
  }
}
