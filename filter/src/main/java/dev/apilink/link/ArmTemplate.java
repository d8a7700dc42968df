package dev.apilink.link;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;

/**
 * An ARM template that creates the linked product, its subscription and its policy in an existing
 * API Management service, named by the template's {@code apimServiceName} parameter.
 */
final class ArmTemplate {

  static final String SCHEMA =
      "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#";
  static final String API_VERSION = "2022-08-01";

  private ArmTemplate() {}

  /**
   * @param apimServiceName the parameter's default value; without one, the deployment asks for it
   */
  static ObjectNode of(
      LinkedProduct product, ValidateJwtPolicy policy, Optional<String> apimServiceName) {
    String id = product.id();
    String productResourceId =
        "[resourceId('Microsoft.ApiManagement/service/products', parameters('apimServiceName'), '"
            + id
            + "')]";

    ObjectNode template = Json.MAPPER.createObjectNode();
    template.put("$schema", SCHEMA);
    template.put("contentVersion", "1.0.0.0");
    ObjectNode serviceName =
        template.putObject("parameters").putObject("apimServiceName").put("type", "string");
    apimServiceName.ifPresent(name -> serviceName.put("defaultValue", name));
    ArrayNode resources = template.putArray("resources");

    ObjectNode productResource =
        resource(resources, "Microsoft.ApiManagement/service/products", id);
    productResource
        .putObject("properties")
        .put("displayName", product.displayName())
        .put("description", product.description())
        .put("subscriptionRequired", true)
        .put("approvalRequired", false)
        .put("state", "published");

    ObjectNode subscription =
        resource(resources, "Microsoft.ApiManagement/service/subscriptions", id);
    subscription.putArray("dependsOn").add(productResourceId);
    subscription
        .putObject("properties")
        .put("displayName", product.subscriptionDisplayName())
        .put("scope", productResourceId)
        .put("state", "active")
        // ApiLink forwards a client's Ocp-Apim-Trace: with tracing allowed, an anonymous client
        // could have the gateway trace a request made with this subscription's key.
        .put("allowTracing", false);

    ObjectNode productPolicy =
        resource(resources, "Microsoft.ApiManagement/service/products/policies", id + "/policy");
    productPolicy.putArray("dependsOn").add(productResourceId);
    productPolicy.putObject("properties").put("format", "rawxml").put("value", policy.xml());
    return template;
  }

  private static ObjectNode resource(ArrayNode resources, String type, String path) {
    // Product ids hold only [a-z0-9-], so they need no quoting inside the ARM expression.
    return resources
        .addObject()
        .put("type", type)
        .put("apiVersion", API_VERSION)
        .put("name", "[concat(parameters('apimServiceName'), '/" + path + "')]");
  }
}
