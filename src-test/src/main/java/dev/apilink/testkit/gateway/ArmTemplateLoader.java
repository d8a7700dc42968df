package dev.apilink.testkit.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the subset of ARM templates that describes what Static Web Apps' linking creates in APIM
 * (and what the {@code link} command prints): products, subscriptions, product policies, APIs and
 * the APIs added to products. Resource names are {@code "service/id"} or {@code
 * [concat(parameters('p'), '/id')]}; scopes are {@code /products/id} or {@code
 * [resourceId('Microsoft.ApiManagement/service/products', parameters('p'), 'id')]}. Anything else
 * (other resource types, properties, template functions) is an error, never silently skipped.
 */
final class ArmTemplateLoader {

  static final String PRODUCT = "Microsoft.ApiManagement/service/products";
  static final String SUBSCRIPTION = "Microsoft.ApiManagement/service/subscriptions";
  static final String PRODUCT_POLICY = "Microsoft.ApiManagement/service/products/policies";
  static final String API = "Microsoft.ApiManagement/service/apis";
  static final String PRODUCT_API = "Microsoft.ApiManagement/service/products/apis";
  private static final List<String> TYPES =
      List.of(PRODUCT, SUBSCRIPTION, PRODUCT_POLICY, API, PRODUCT_API);

  private static final Set<String> TOP_KEYS =
      Set.of("$schema", "contentVersion", "parameters", "resources");
  private static final Set<String> PARAMETER_KEYS = Set.of("type", "defaultValue", "metadata");
  private static final Set<String> RESOURCE_KEYS =
      Set.of("type", "apiVersion", "name", "dependsOn", "properties");
  private static final Set<String> PRODUCT_KEYS =
      Set.of(
          "displayName",
          "description",
          "subscriptionRequired",
          "approvalRequired",
          "state",
          "subscriptionsLimit",
          "terms");
  private static final Set<String> SUBSCRIPTION_KEYS =
      Set.of(
          "displayName", "scope", "state", "primaryKey", "secondaryKey", "allowTracing", "ownerId");
  private static final Set<String> POLICY_KEYS = Set.of("format", "value");
  private static final Set<String> API_KEYS =
      Set.of(
          "path",
          "serviceUrl",
          "displayName",
          "protocols",
          "subscriptionKeyParameterNames",
          "subscriptionRequired");
  private static final Set<String> KEY_PARAMETER_NAMES_KEYS = Set.of("header", "query");

  private static final Pattern CONCAT =
      Pattern.compile(
          "\\[\\s*concat\\(\\s*parameters\\(\\s*'([^']*)'\\s*\\)\\s*,\\s*'([^']*)'\\s*\\)\\s*]");
  private static final Pattern RESOURCE_ID =
      Pattern.compile(
          "\\[\\s*resourceId\\(\\s*'Microsoft\\.ApiManagement/service/products'\\s*,"
              + "\\s*parameters\\(\\s*'([^']*)'\\s*\\)\\s*,\\s*'([^']*)'\\s*\\)\\s*]");

  private final StrictJson json = new StrictJson();
  private final Map<String, String> definedAt = new HashMap<>();
  private Set<String> parameters = Set.of();

  private final List<Api> apis = new ArrayList<>();
  private final List<Product> products = new ArrayList<>();
  private final List<Map.Entry<String, String>> productApis = new ArrayList<>();
  private final Map<String, String> policies = new LinkedHashMap<>();
  private final List<Subscription> subscriptions = new ArrayList<>();

  private ArmTemplateLoader() {}

  /**
   * @param source names the template in messages (its file name), or null
   * @throws GatewayConfigException listing every problem
   */
  static Setup load(String text, String source) {
    ArmTemplateLoader loader = new ArmTemplateLoader();
    loader.read(text);
    if (!loader.json.problems().isEmpty()) {
      throw new GatewayConfigException(
          "ARM template" + (source == null ? "" : " " + source), loader.json.problems());
    }
    return new Setup(
        loader.apis,
        loader.products,
        loader.productApis,
        loader.policies,
        loader.subscriptions,
        null);
  }

  private void read(String text) {
    JsonNode root = json.parse(text);
    ObjectNode top = root == null ? null : json.object(root, "", TOP_KEYS);
    if (top == null) {
      return;
    }
    json.text(top, "", "$schema", false);
    json.text(top, "", "contentVersion", false);
    readParameters(top);
    ArrayNode resources = json.array(top, "", "resources", true);
    if (resources == null) {
      return;
    }
    for (int i = 0; i < resources.size(); i++) {
      String path = StrictJson.item("resources", i);
      ObjectNode resource = json.object(resources.get(i), path, RESOURCE_KEYS);
      if (resource != null) {
        resource(resource, path);
      }
    }
  }

  private void readParameters(ObjectNode top) {
    JsonNode node = top.get("parameters");
    if (node == null) {
      return;
    }
    if (!node.isObject()) {
      json.problem("parameters", "must be an object " + StrictJson.was(node));
      return;
    }
    ObjectNode declared = (ObjectNode) node;
    parameters = Set.copyOf(iterable(node));
    for (String name : parameters) {
      String path = StrictJson.child("parameters", name);
      ObjectNode parameter = json.object(declared.get(name), path, PARAMETER_KEYS);
      if (parameter == null) {
        continue;
      }
      String type = json.text(parameter, path, "type", true);
      if (type != null && !type.equalsIgnoreCase("string")) {
        json.problem(
            StrictJson.child(path, "type"),
            "only string parameters are supported (was " + Checks.quote(type) + ")");
      }
      json.text(parameter, path, "defaultValue", false);
      JsonNode metadata = parameter.get("metadata");
      if (metadata != null && !metadata.isObject()) {
        json.problem(
            StrictJson.child(path, "metadata"), "must be an object " + StrictJson.was(metadata));
      }
    }
  }

  private static List<String> iterable(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  private void resource(ObjectNode resource, String path) {
    String type = json.text(resource, path, "type", true);
    json.text(resource, path, "apiVersion", true);
    json.texts(resource, path, "dependsOn"); // order does not matter here
    String name = json.text(resource, path, "name", true);
    if (type == null) {
      return;
    }
    if (!TYPES.contains(type)) {
      json.problem(
          StrictJson.child(path, "type"),
          "unsupported resource type "
              + Checks.quote(type)
              + " (supported: "
              + String.join(", ", TYPES)
              + ")");
      return;
    }
    int segments = type.equals(PRODUCT_POLICY) || type.equals(PRODUCT_API) ? 2 : 1;
    List<String> ids = name == null ? null : names(name, StrictJson.child(path, "name"), segments);
    if (ids != null) {
      String first = definedAt.putIfAbsent(type + " " + String.join("/", ids), path);
      if (first != null) {
        json.problem(StrictJson.child(path, "name"), "the same resource is defined at " + first);
        ids = null;
      }
    }
    String propertiesPath = StrictJson.child(path, "properties");
    JsonNode propertiesNode = resource.get("properties");
    if (type.equals(PRODUCT_API)) {
      if (propertiesNode != null && (!propertiesNode.isObject() || propertiesNode.size() > 0)) {
        json.problem(propertiesPath, "must be absent or empty for " + PRODUCT_API);
      }
      if (ids != null) {
        productApis.add(Map.entry(ids.get(0), ids.get(1)));
      }
      return;
    }
    if (propertiesNode == null) {
      json.problem(propertiesPath, "missing");
      return;
    }
    switch (type) {
      case PRODUCT -> {
        ObjectNode properties = json.object(propertiesNode, propertiesPath, PRODUCT_KEYS);
        if (properties != null) {
          product(properties, propertiesPath, ids);
        }
      }
      case SUBSCRIPTION -> {
        ObjectNode properties = json.object(propertiesNode, propertiesPath, SUBSCRIPTION_KEYS);
        if (properties != null) {
          subscription(properties, propertiesPath, ids);
        }
      }
      case PRODUCT_POLICY -> {
        ObjectNode properties = json.object(propertiesNode, propertiesPath, POLICY_KEYS);
        if (properties != null) {
          policy(properties, propertiesPath, ids, StrictJson.child(path, "name"));
        }
      }
      default -> {
        ObjectNode properties = json.object(propertiesNode, propertiesPath, API_KEYS);
        if (properties != null) {
          api(properties, propertiesPath, ids);
        }
      }
    }
  }

  /**
   * The ids after the service name in a resource name: {@code "svc/a"} or {@code
   * [concat(parameters('p'), '/a')]} give {@code [a]}.
   */
  private List<String> names(String name, String path, int expected) {
    String tail;
    Matcher concat = CONCAT.matcher(name);
    if (concat.matches()) {
      if (!parameters.contains(concat.group(1))) {
        json.problem(
            path, "parameter " + Checks.quote(concat.group(1)) + " is not declared in parameters");
        return null;
      }
      tail = concat.group(2);
      if (!tail.startsWith("/")) {
        json.problem(
            path, "the concatenated part must start with '/' (was " + Checks.quote(tail) + ")");
        return null;
      }
      tail = tail.substring(1);
    } else if (name.startsWith("[")) {
      json.problem(
          path,
          "unsupported expression "
              + Checks.quote(name)
              + " (use \"service/id\" or \"[concat(parameters('name'), '/id')]\")");
      return null;
    } else {
      int slash = name.indexOf('/');
      if (slash <= 0) {
        json.problem(path, "must be \"<service>/<id>\" (was " + Checks.quote(name) + ")");
        return null;
      }
      tail = name.substring(slash + 1);
    }
    List<String> ids = List.of(tail.split("/", -1));
    if (ids.size() != expected) {
      json.problem(
          path,
          "must name "
              + (expected == 1 ? "<service>/<id>" : "<service>/<product id>/<id>")
              + " (was "
              + Checks.quote(name)
              + ")");
      return null;
    }
    for (String id : ids) {
      if (Checks.id(id) != null) {
        json.problem(path, "a resource id " + Checks.id(id));
        return null;
      }
    }
    return ids;
  }

  private void product(ObjectNode properties, String path, List<String> ids) {
    String displayName = json.text(properties, path, "displayName", true);
    json.text(properties, path, "description", false);
    json.text(properties, path, "terms", false);
    Boolean subscriptionRequired = json.bool(properties, path, "subscriptionRequired");
    json.bool(properties, path, "approvalRequired");
    json.integer(properties, path, "subscriptionsLimit", 0, Integer.MAX_VALUE);
    String state = json.text(properties, path, "state", false);
    if (state != null && !state.equals("published") && !state.equals("notPublished")) {
      json.problem(
          StrictJson.child(path, "state"),
          "must be published or notPublished (was " + Checks.quote(state) + ")");
    }
    if (ids != null && displayName != null) {
      // APIM's default: a product requires a subscription.
      products.add(
          Product.of(ids.get(0))
              .withDisplayName(displayName)
              .withSubscriptionRequired(subscriptionRequired == null || subscriptionRequired));
    }
  }

  private void subscription(ObjectNode properties, String path, List<String> ids) {
    String displayName = json.text(properties, path, "displayName", true);
    String scope = json.text(properties, path, "scope", true);
    String productId = null;
    if (scope != null) {
      productId = productScope(scope, StrictJson.child(path, "scope"));
    }
    String primaryKey = key(properties, path, "primaryKey");
    String secondaryKey = key(properties, path, "secondaryKey");
    json.bool(properties, path, "allowTracing");
    json.text(properties, path, "ownerId", false);
    // APIM creates a subscription without a state as "submitted".
    SubscriptionState state = SubscriptionState.SUBMITTED;
    String stateName = json.text(properties, path, "state", false);
    if (stateName != null) {
      try {
        state = SubscriptionState.of(stateName);
      } catch (IllegalArgumentException e) {
        json.problem(
            StrictJson.child(path, "state"), e.getMessage().replace("subscription state ", ""));
      }
    }
    if (ids != null && displayName != null && productId != null) {
      subscriptions.add(
          new Subscription(ids.get(0), displayName, productId, primaryKey, secondaryKey, state));
    }
  }

  private String productScope(String scope, String path) {
    Matcher resourceId = RESOURCE_ID.matcher(scope);
    if (resourceId.matches()) {
      if (!parameters.contains(resourceId.group(1))) {
        json.problem(
            path,
            "parameter " + Checks.quote(resourceId.group(1)) + " is not declared in parameters");
        return null;
      }
      String id = resourceId.group(2);
      if (Checks.id(id) != null) {
        json.problem(path, "the product id " + Checks.id(id));
        return null;
      }
      return id;
    }
    String id = scope.startsWith("[") ? null : Scopes.productId(scope);
    if (id == null) {
      json.problem(
          path,
          "must be /products/<id> or [resourceId('"
              + PRODUCT
              + "', parameters('name'), '<id>')] (was "
              + Checks.quote(scope)
              + ")");
    }
    return id;
  }

  private String key(ObjectNode properties, String path, String name) {
    String key = json.text(properties, path, name, false);
    if (key != null && Checks.key(key) != null) {
      json.problem(StrictJson.child(path, name), Checks.key(key));
      return null;
    }
    return key;
  }

  private void policy(ObjectNode properties, String path, List<String> ids, String namePath) {
    String format = json.text(properties, path, "format", false);
    if (format != null && !format.equals("xml") && !format.equals("rawxml")) {
      json.problem(
          StrictJson.child(path, "format"),
          "unsupported policy format " + Checks.quote(format) + " (use \"rawxml\" or \"xml\")");
    }
    String value = json.text(properties, path, "value", true);
    if (ids == null) {
      return;
    }
    if (!ids.get(1).equals("policy")) {
      json.problem(
          namePath,
          "a product policy is named <product id>/policy (was " + Checks.quote(ids.get(1)) + ")");
      return;
    }
    if (value != null) {
      try {
        PolicyParser.parse(value, PolicyParser.documentName(ids.get(0)));
        policies.put(ids.get(0), value);
      } catch (GatewayConfigException e) {
        json.problem(StrictJson.child(path, "value"), e.getMessage());
      }
    }
  }

  private void api(ObjectNode properties, String path, List<String> ids) {
    String suffix = json.text(properties, path, "path", true);
    if (suffix != null && Checks.path(suffix) != null) {
      json.problem(StrictJson.child(path, "path"), Checks.path(suffix));
      suffix = null;
    }
    String serviceUrl = json.text(properties, path, "serviceUrl", true);
    if (serviceUrl != null && Checks.serviceUrl(serviceUrl) != null) {
      json.problem(StrictJson.child(path, "serviceUrl"), Checks.serviceUrl(serviceUrl));
      serviceUrl = null;
    }
    json.text(properties, path, "displayName", false);
    List<String> protocols = json.texts(properties, path, "protocols");
    for (int i = 0; i < protocols.size(); i++) {
      if (!protocols.get(i).equals("http") && !protocols.get(i).equals("https")) {
        json.problem(
            StrictJson.item(StrictJson.child(path, "protocols"), i),
            "must be http or https (was " + Checks.quote(protocols.get(i)) + ")");
      }
    }
    // APIM's default, and what a linked site's APIs must keep: keyless calls would bypass the
    // product (and its validate-jwt policy) that linking sets up.
    if (Boolean.FALSE.equals(json.bool(properties, path, "subscriptionRequired"))) {
      json.problem(
          StrictJson.child(path, "subscriptionRequired"),
          "only true is supported: every API of this gateway requires a subscription");
    }
    String keyHeader = subscriptionKeyHeader(json, properties, path);
    if (ids != null && suffix != null && serviceUrl != null) {
      apis.add(Api.of(ids.get(0), suffix, serviceUrl).withSubscriptionKeyHeader(keyHeader));
    }
  }

  /**
   * An API's {@code subscriptionKeyParameterNames.header}, the default when absent; the query
   * parameter may be named only as it is ({@code subscription-key}). Gateway descriptions use it
   * too.
   */
  static String subscriptionKeyHeader(StrictJson json, ObjectNode properties, String path) {
    JsonNode node = properties.get("subscriptionKeyParameterNames");
    if (node == null) {
      return Api.DEFAULT_SUBSCRIPTION_KEY_HEADER;
    }
    String at = StrictJson.child(path, "subscriptionKeyParameterNames");
    ObjectNode names = json.object(node, at, KEY_PARAMETER_NAMES_KEYS);
    if (names == null) {
      return Api.DEFAULT_SUBSCRIPTION_KEY_HEADER;
    }
    String query = json.text(names, at, "query", false);
    if (query != null && !query.equals(GatewayHandler.SUBSCRIPTION_KEY_PARAMETER)) {
      json.problem(
          StrictJson.child(at, "query"),
          "only \"subscription-key\" is supported (was " + Checks.quote(query) + ")");
    }
    String header = json.text(names, at, "header", false);
    if (header == null) {
      return Api.DEFAULT_SUBSCRIPTION_KEY_HEADER;
    }
    if (Checks.headerName(header) != null) {
      json.problem(StrictJson.child(at, "header"), Checks.headerName(header));
      return Api.DEFAULT_SUBSCRIPTION_KEY_HEADER;
    }
    return header;
  }
}
