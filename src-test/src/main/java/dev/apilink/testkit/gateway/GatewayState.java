package dev.apilink.testkit.gateway;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Everything the gateway knows at one instant: APIs, products with their parsed policies, and
 * subscriptions with their keys. Immutable: every change made while the gateway runs builds a new
 * state, which the next request sees whole.
 */
final class GatewayState {

  /** A product and its parsed policy document. */
  record ProductEntry(Product product, Policy policy) {}

  /** Where a request goes: its API, and the rest of the raw path after the API URL suffix. */
  record Route(Api api, String rawRestPath) {}

  /** Whether a request may call an API, and through which product. */
  sealed interface Access {}

  /**
   * @param subscriptionId the subscription whose key was sent; null for a product that requires
   *     none
   */
  record Granted(ProductEntry product, String subscriptionId) implements Access {}

  /**
   * A refused call: the error the caller gets, and, for the log, why when the error alone does not
   * say (null when it does).
   */
  record Denied(GatewayError error, String why) implements Access {}

  private final Map<String, Api> apis;
  private final Map<String, ProductEntry> products;
  private final Map<String, Subscription> subscriptions;
  private final Map<String, String> subscriptionIdsByKey;

  private GatewayState(
      Map<String, Api> apis,
      Map<String, ProductEntry> products,
      Map<String, Subscription> subscriptions) {
    this.apis = Collections.unmodifiableMap(new LinkedHashMap<>(apis));
    this.products = Collections.unmodifiableMap(new LinkedHashMap<>(products));
    this.subscriptions = Collections.unmodifiableMap(new LinkedHashMap<>(subscriptions));
    Map<String, String> byKey = new LinkedHashMap<>();
    for (Subscription subscription : subscriptions.values()) {
      byKey.put(subscription.primaryKey(), subscription.id());
      byKey.put(subscription.secondaryKey(), subscription.id());
    }
    this.subscriptionIdsByKey = Collections.unmodifiableMap(byKey);
  }

  /**
   * Checks that every reference resolves and every key is unique, and generates the missing keys.
   *
   * @param productApis more (product id, API name) pairs to add
   * @param policies policy documents by product id, replacing the products' own
   * @throws GatewayConfigException listing every problem
   */
  static GatewayState of(
      List<Api> apiList,
      List<Product> productList,
      List<Map.Entry<String, String>> productApis,
      Map<String, String> policies,
      List<Subscription> subscriptionList,
      Supplier<String> newKey) {
    List<String> problems = new ArrayList<>();
    Map<String, Api> apis = new LinkedHashMap<>();
    // "Relative URL uniquely identifying this API" (Microsoft's REST reference for an API's path):
    // API Management refuses a second API at a path, where route() would never reach it.
    Map<String, String> apiNamesByPath = new LinkedHashMap<>();
    for (Api api : apiList) {
      if (apis.putIfAbsent(api.name(), api) != null) {
        problems.add("API \"" + api.name() + "\" is defined twice");
        continue;
      }
      String first = apiNamesByPath.putIfAbsent(api.path(), api.name());
      if (first != null) {
        problems.add(
            "API \""
                + api.name()
                + "\": its path \""
                + api.path()
                + "\" is already the path of API \""
                + first
                + "\"; an API's path identifies it");
      }
    }
    Map<String, Product> productsById = new LinkedHashMap<>();
    for (Product product : productList) {
      if (productsById.putIfAbsent(product.id(), product) != null) {
        problems.add("product \"" + product.id() + "\" is defined twice");
      }
    }
    for (Map.Entry<String, String> link : productApis) {
      Product product = productsById.get(link.getKey());
      if (product == null) {
        problems.add(
            "API \""
                + link.getValue()
                + "\" added to product \""
                + link.getKey()
                + "\": no such product");
      } else {
        productsById.put(product.id(), product.withApi(link.getValue()));
      }
    }
    for (Map.Entry<String, String> policy : policies.entrySet()) {
      Product product = productsById.get(policy.getKey());
      if (product == null) {
        problems.add(PolicyParser.documentName(policy.getKey()) + ": no such product");
      } else {
        productsById.put(product.id(), product.withPolicyXml(policy.getValue()));
      }
    }
    Map<String, ProductEntry> products = new LinkedHashMap<>();
    for (Product product : productsById.values()) {
      for (String api : product.apis()) {
        if (!apis.containsKey(api)) {
          problems.add("product \"" + product.id() + "\": no API \"" + api + "\"");
        }
      }
      try {
        products.put(product.id(), new ProductEntry(product, parse(product)));
      } catch (GatewayConfigException e) {
        problems.add(e.getMessage());
      }
    }
    problems.addAll(openProductConflicts(productsById.values()));
    Map<String, Subscription> subscriptions = new LinkedHashMap<>();
    Map<String, String> owners = new LinkedHashMap<>();
    for (Subscription subscription : subscriptionList) {
      String id = subscription.id();
      if (subscriptions.containsKey(id)) {
        problems.add("subscription \"" + id + "\" is defined twice");
        continue;
      }
      if (!productsById.containsKey(subscription.productId())) {
        problems.add(
            "subscription \""
                + id
                + "\": no product \""
                + subscription.productId()
                + "\" for its scope "
                + subscription.scope());
      }
      if (subscription.primaryKey() == null) {
        subscription = subscription.withPrimaryKey(newKey.get());
      }
      if (subscription.secondaryKey() == null) {
        subscription = subscription.withSecondaryKey(newKey.get());
      }
      checkUnique(subscription.primaryKey(), "primary", id, owners, problems);
      checkUnique(subscription.secondaryKey(), "secondary", id, owners, problems);
      subscriptions.put(id, subscription);
    }
    if (!problems.isEmpty()) {
      throw new GatewayConfigException("gateway configuration", problems);
    }
    return new GatewayState(apis, products, subscriptions);
  }

  /**
   * "An API can be associated with at most one open product" (Microsoft's "How API Management
   * handles requests with or without subscription keys"): one problem per API in a second one.
   */
  private static List<String> openProductConflicts(Iterable<Product> products) {
    List<String> problems = new ArrayList<>();
    Map<String, String> openProductByApi = new LinkedHashMap<>();
    for (Product product : products) {
      if (product.subscriptionRequired()) {
        continue;
      }
      for (String api : product.apis()) {
        String first = openProductByApi.putIfAbsent(api, product.id());
        if (first != null) {
          problems.add(
              "API \""
                  + api
                  + "\" is in two products that require no subscription, \""
                  + first
                  + "\" and \""
                  + product.id()
                  + "\"; API Management allows one");
        }
      }
    }
    return problems;
  }

  private static void checkUnique(
      String key, String which, String id, Map<String, String> owners, List<String> problems) {
    String owner = owners.putIfAbsent(key, id);
    if (id.equals(owner)) {
      problems.add(
          "subscription \"" + id + "\": its " + which + " key is its primary key; give it another");
    } else if (owner != null) {
      problems.add(
          "subscription \""
              + id
              + "\": its "
              + which
              + " key is already a key of subscription \""
              + owner
              + "\"");
    }
  }

  static Policy parse(Product product) {
    return product.policyXml() == null
        ? Policy.NONE
        : PolicyParser.parse(product.policyXml(), PolicyParser.documentName(product.id()));
  }

  // ---- requests ----

  /**
   * The API whose URL suffix is the longest one that {@code rawPath} starts with, on a segment
   * boundary: suffix {@code api} takes {@code /api} and {@code /api/...}, not {@code /apiary}.
   */
  Route route(String rawPath) {
    Route best = null;
    for (Api api : apis.values()) {
      String prefix = api.path().isEmpty() ? "" : "/" + api.path();
      boolean matches =
          rawPath.equals(prefix)
              || rawPath.startsWith(prefix)
                  && rawPath.length() > prefix.length()
                  && rawPath.charAt(prefix.length()) == '/';
      if (matches && (best == null || api.path().length() > best.api().path().length())) {
        best = new Route(api, rawPath.substring(prefix.length()));
      }
    }
    return best;
  }

  /**
   * Whether a call to {@code api} with {@code key} (null when none was sent) may go on, as APIM
   * decides for product subscriptions: a key that was sent must belong to an active subscription
   * whose product holds the API; without a key, only a product that requires no subscription lets
   * the call through.
   */
  Access authorize(Api api, String key) {
    if (key == null) {
      for (ProductEntry entry : products.values()) {
        if (!entry.product().subscriptionRequired()
            && entry.product().apis().contains(api.name())) {
          return new Granted(entry, null);
        }
      }
      return new Denied(GatewayError.MISSING_KEY, null);
    }
    String id = subscriptionIdsByKey.get(key);
    Subscription subscription = id == null ? null : subscriptions.get(id);
    if (subscription == null) {
      return new Denied(GatewayError.INVALID_KEY, "no subscription has this key");
    }
    if (subscription.state() != SubscriptionState.ACTIVE) {
      return new Denied(
          GatewayError.INVALID_KEY, "the key's subscription " + id + " is not active");
    }
    ProductEntry entry = products.get(subscription.productId());
    if (entry == null || !entry.product().apis().contains(api.name())) {
      // Several sites share a gateway, each with its product: say whose key it was.
      return new Denied(
          GatewayError.INVALID_KEY,
          "the key's subscription "
              + id
              + " is for the product "
              + subscription.productId()
              + ", which does not hold the API \""
              + api.name()
              + "\"");
    }
    return new Granted(entry, id);
  }

  // ---- reading ----

  Map<String, Api> apis() {
    return apis;
  }

  Map<String, ProductEntry> products() {
    return products;
  }

  Map<String, Subscription> subscriptions() {
    return subscriptions;
  }

  Product product(String id) {
    ProductEntry entry = products.get(id);
    if (entry == null) {
      throw new IllegalArgumentException("no product \"" + id + "\"");
    }
    return entry.product();
  }

  Subscription subscription(String id) {
    Subscription subscription = subscriptions.get(id);
    if (subscription == null) {
      throw new IllegalArgumentException("no subscription \"" + id + "\"");
    }
    return subscription;
  }

  // ---- changes ----

  /** This state with {@code product} in place of the product of the same id. */
  GatewayState withProduct(Product product, Policy policy) {
    product(product.id());
    for (String api : product.apis()) {
      if (!apis.containsKey(api)) {
        throw new IllegalArgumentException("no API \"" + api + "\"");
      }
    }
    Map<String, ProductEntry> changed = new LinkedHashMap<>(products);
    changed.put(product.id(), new ProductEntry(product, policy));
    List<String> conflicts =
        openProductConflicts(changed.values().stream().map(ProductEntry::product).toList());
    if (!conflicts.isEmpty()) {
      throw new IllegalArgumentException(conflicts.get(0));
    }
    return new GatewayState(apis, changed, subscriptions);
  }

  /**
   * This state with {@code subscription} in place of the one of the same id. Its keys are its own
   * or freshly generated ({@link ApimGateway#newKey}, 128 random bits): no other subscription has
   * them.
   */
  GatewayState withSubscription(Subscription subscription) {
    subscription(subscription.id()); // an unknown id is refused
    Map<String, Subscription> changed = new LinkedHashMap<>(subscriptions);
    changed.put(subscription.id(), subscription);
    return new GatewayState(apis, products, changed);
  }
}
