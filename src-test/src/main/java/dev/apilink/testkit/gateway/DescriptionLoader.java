package dev.apilink.testkit.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a gateway description, the testkit's own JSON format with ARM's property names:
 *
 * <pre>{@code
 * {"port": 0,
 *  "apis": [{"name": "sample", "path": "api", "serviceUrl": "http://127.0.0.1:9000",
 *            "subscriptionKeyParameterNames": {"header": "X-Key"}}],
 *  "products": [{"id": "swa-linked", "displayName": "...", "subscriptionRequired": true,
 *                "apis": ["sample"], "policy": "<policies>...</policies>"}],
 *  "subscriptions": [{"id": "swa-sub", "displayName": "...", "scope": "/products/swa-linked",
 *                     "primaryKey": "...", "secondaryKey": "...", "state": "active"}]}
 * }</pre>
 *
 * <p>An API reads the subscription key from {@code Ocp-Apim-Subscription-Key} unless {@code
 * subscriptionKeyParameterNames.header} names another header. A product gives its policy inline
 * ({@code policy}) or as a file ({@code policyFile}, relative to the description's directory).
 * Unknown keys and wrong types are errors.
 */
final class DescriptionLoader {

  private static final Set<String> TOP_KEYS =
      Set.of("$schema", "port", "apis", "products", "subscriptions");
  private static final Set<String> API_KEYS =
      Set.of("name", "path", "serviceUrl", "subscriptionKeyParameterNames");
  private static final Set<String> PRODUCT_KEYS =
      Set.of("id", "displayName", "subscriptionRequired", "apis", "policy", "policyFile");
  private static final Set<String> SUBSCRIPTION_KEYS =
      Set.of("id", "displayName", "scope", "primaryKey", "secondaryKey", "state");

  private final StrictJson json = new StrictJson();
  private final Path directory;

  private DescriptionLoader(Path directory) {
    this.directory = directory;
  }

  /**
   * @param source names the description in messages (its file name), or null
   * @param directory where relative {@code policyFile}s are
   * @throws GatewayConfigException listing every problem
   */
  static Setup load(String text, String source, Path directory) {
    DescriptionLoader loader = new DescriptionLoader(directory);
    Setup setup = loader.read(text);
    if (!loader.json.problems().isEmpty()) {
      throw new GatewayConfigException(
          "gateway description" + (source == null ? "" : " " + source), loader.json.problems());
    }
    return setup;
  }

  private Setup read(String text) {
    JsonNode root = json.parse(text);
    ObjectNode top = root == null ? null : json.object(root, "", TOP_KEYS);
    if (top == null) {
      return null;
    }
    json.text(top, "", "$schema", false);
    Integer port = json.integer(top, "", "port", 0, 65535);
    List<Api> apis = new ArrayList<>();
    each(top, "apis", API_KEYS, (api, path) -> api(api, path, apis));
    List<Product> products = new ArrayList<>();
    each(top, "products", PRODUCT_KEYS, (product, path) -> product(product, path, products));
    List<Subscription> subscriptions = new ArrayList<>();
    each(
        top,
        "subscriptions",
        SUBSCRIPTION_KEYS,
        (subscription, path) -> subscription(subscription, path, subscriptions));
    return new Setup(apis, products, List.of(), Map.of(), subscriptions, port);
  }

  private interface Reader {
    void read(ObjectNode object, String path);
  }

  private void each(ObjectNode top, String key, Set<String> keys, Reader reader) {
    ArrayNode array = json.array(top, "", key, false);
    if (array == null) {
      return;
    }
    Map<String, String> ids = new HashMap<>();
    for (int i = 0; i < array.size(); i++) {
      String path = StrictJson.item(key, i);
      ObjectNode object = json.object(array.get(i), path, keys);
      if (object == null) {
        continue;
      }
      String idKey = object.has("name") ? "name" : "id";
      JsonNode id = object.get(idKey);
      if (id != null && id.isTextual()) {
        String first = ids.putIfAbsent(id.asText(), path);
        if (first != null) {
          json.problem(
              StrictJson.child(path, idKey),
              Checks.quote(id.asText()) + " is already defined at " + first);
        }
      }
      reader.read(object, path);
    }
  }

  private void api(ObjectNode api, String path, List<Api> apis) {
    String name = id(api, path, "name");
    String suffix = json.text(api, path, "path", true);
    if (suffix != null && Checks.path(suffix) != null) {
      json.problem(StrictJson.child(path, "path"), Checks.path(suffix));
      suffix = null;
    }
    String serviceUrl = json.text(api, path, "serviceUrl", true);
    if (serviceUrl != null && Checks.serviceUrl(serviceUrl) != null) {
      json.problem(StrictJson.child(path, "serviceUrl"), Checks.serviceUrl(serviceUrl));
      serviceUrl = null;
    }
    String keyHeader = ArmTemplateLoader.subscriptionKeyHeader(json, api, path);
    if (name != null && suffix != null && serviceUrl != null) {
      apis.add(Api.of(name, suffix, serviceUrl).withSubscriptionKeyHeader(keyHeader));
    }
  }

  private void product(ObjectNode product, String path, List<Product> products) {
    String id = id(product, path, "id");
    String displayName = json.text(product, path, "displayName", false);
    Boolean subscriptionRequired = json.bool(product, path, "subscriptionRequired");
    List<String> apis = new ArrayList<>();
    List<String> names = json.texts(product, path, "apis");
    for (int i = 0; i < names.size(); i++) {
      String problem = Checks.id(names.get(i));
      if (problem != null) {
        json.problem(StrictJson.item(StrictJson.child(path, "apis"), i), problem);
      } else if (apis.contains(names.get(i))) {
        json.problem(StrictJson.item(StrictJson.child(path, "apis"), i), "listed twice");
      } else {
        apis.add(names.get(i));
      }
    }
    String policy = json.text(product, path, "policy", false);
    String policyFile = json.text(product, path, "policyFile", false);
    String policyPath = StrictJson.child(path, "policy");
    if (policy != null && policyFile != null) {
      json.problem(path, "give policy or policyFile, not both");
      policy = null;
    } else if (policyFile != null) {
      policyPath = StrictJson.child(path, "policyFile");
      policy = readPolicyFile(policyFile, policyPath);
    }
    if (id == null) {
      return;
    }
    if (policy != null) {
      try {
        PolicyParser.parse(policy, PolicyParser.documentName(id));
      } catch (GatewayConfigException e) {
        json.problem(policyPath, e.getMessage());
        policy = null;
      }
    }
    products.add(
        new Product(
            id,
            displayName == null ? id : displayName,
            subscriptionRequired == null || subscriptionRequired,
            apis,
            policy));
  }

  private String readPolicyFile(String file, String path) {
    try {
      Path resolved = directory.resolve(file);
      return Files.readString(resolved, StandardCharsets.UTF_8);
    } catch (IOException | InvalidPathException e) {
      json.problem(
          path,
          "cannot read "
              + Checks.quote(file)
              + " ("
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + ")");
      return null;
    }
  }

  private void subscription(ObjectNode subscription, String path, List<Subscription> out) {
    String id = id(subscription, path, "id");
    String displayName = json.text(subscription, path, "displayName", false);
    String scope = json.text(subscription, path, "scope", true);
    String productId = null;
    if (scope != null) {
      productId = Scopes.productId(scope);
      if (productId == null) {
        json.problem(
            StrictJson.child(path, "scope"),
            "must be /products/<product id> (was " + Checks.quote(scope) + ")");
      }
    }
    String primaryKey = key(subscription, path, "primaryKey");
    String secondaryKey = key(subscription, path, "secondaryKey");
    SubscriptionState state = SubscriptionState.ACTIVE;
    String stateName = json.text(subscription, path, "state", false);
    if (stateName != null) {
      try {
        state = SubscriptionState.of(stateName);
      } catch (IllegalArgumentException e) {
        json.problem(
            StrictJson.child(path, "state"), e.getMessage().replace("subscription state ", ""));
      }
    }
    if (id != null && productId != null) {
      out.add(
          new Subscription(
              id,
              displayName == null ? id : displayName,
              productId,
              primaryKey,
              secondaryKey,
              state));
    }
  }

  private String key(ObjectNode object, String path, String name) {
    String key = json.text(object, path, name, false);
    if (key != null && Checks.key(key) != null) {
      // The key itself stays out of the message.
      json.problem(StrictJson.child(path, name), Checks.key(key));
      return null;
    }
    return key;
  }

  private String id(ObjectNode object, String path, String name) {
    String id = json.text(object, path, name, true);
    if (id != null && Checks.id(id) != null) {
      json.problem(StrictJson.child(path, name), Checks.id(id));
      return null;
    }
    return id;
  }
}
