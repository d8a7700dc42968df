package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apilink.testkit.echo.EchoBackend;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** ARM templates such as the {@code link} command prints, loaded straight into the gateway. */
class ArmTemplateTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();
  static final OpenIdServer issuer = startIssuer();

  private static OpenIdServer startIssuer() {
    try {
      return OpenIdServer.start(Tokens.RSA_1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    issuer.close();
    client.close();
    backend.close();
  }

  static String policy() {
    return """
        <policies>
          <inbound>
            <base />
            <validate-jwt header-name="Authorization" failed-validation-httpcode="401"
                failed-validation-error-message="Unauthorized. Access token is missing or invalid."
                require-scheme="Bearer">
              <openid-config url="%s" />
              <audiences><audience>%s</audience></audiences>
              <issuers><issuer>%s</issuer></issuers>
            </validate-jwt>
          </inbound>
          <backend><base /></backend>
          <outbound><base /></outbound>
          <on-error><base /></on-error>
        </policies>
        """
        .formatted(issuer.discoveryUrl(), Tokens.AUDIENCE, OpenIdServer.ISSUER);
  }

  static String quoted(String text) {
    try {
      return JSON.writeValueAsString(text);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The template that linking red-sea-123 produces, with {@code moreResources} appended. */
  static String linkTemplate(String moreResources) {
    return """
        {"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
         "contentVersion": "1.0.0.0",
         "parameters": {"apimServiceName": {"type": "string"}},
         "resources": [
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "[concat(parameters('apimServiceName'), '/swa-red-sea-123')]",
           "properties": {"displayName": "Azure Static Web Apps - red-sea-123.azurestaticapps.net (Linked)",
                          "subscriptionRequired": true, "approvalRequired": false, "state": "published"}},
          {"type": "Microsoft.ApiManagement/service/subscriptions", "apiVersion": "2022-08-01",
           "name": "[concat(parameters('apimServiceName'), '/swa-red-sea-123')]",
           "dependsOn": ["[resourceId('Microsoft.ApiManagement/service/products', parameters('apimServiceName'), 'swa-red-sea-123')]"],
           "properties": {"displayName": "Generated for Static Web Apps resource with default hostname: red-sea-123.azurestaticapps.net",
                          "scope": "[resourceId('Microsoft.ApiManagement/service/products', parameters('apimServiceName'), 'swa-red-sea-123')]",
                          "state": "active"}},
          {"type": "Microsoft.ApiManagement/service/products/policies", "apiVersion": "2022-08-01",
           "name": "[concat(parameters('apimServiceName'), '/swa-red-sea-123/policy')]",
           "dependsOn": ["[resourceId('Microsoft.ApiManagement/service/products', parameters('apimServiceName'), 'swa-red-sea-123')]"],
           "properties": {"format": "rawxml", "value": %s}}%s
         ]}
        """
        .formatted(quoted(policy()), moreResources);
  }

  private TestClient.Reply call(ApimGateway gateway, String key, String token) {
    return client.get(
        gateway.url(),
        "/api/products",
        headers -> {
          headers.put("Ocp-Apim-Subscription-Key", key);
          if (token != null) {
            headers.put("Authorization", "Bearer " + token);
          }
        });
  }

  @Test
  void theLinkTemplateSetsUpTheProductItsSubscriptionAndItsPolicy() {
    try (ApimGateway gateway =
        ApimGateway.builder()
            .armTemplate(linkTemplate(""))
            .api("sample", "api", backend.url())
            .productApi("swa-red-sea-123", "sample")
            .start()) {
      Product product = gateway.product("swa-red-sea-123");
      Subscription subscription = gateway.subscription("swa-red-sea-123");
      String key = gateway.primaryKey("swa-red-sea-123");
      String token = Tokens.rs256(Tokens.RSA_1, Tokens.claims(java.time.Clock.systemUTC()).build());

      assertEquals(
          "Azure Static Web Apps - red-sea-123.azurestaticapps.net (Linked)",
          product.displayName());
      assertTrue(product.subscriptionRequired());
      assertEquals(List.of("sample"), product.apis());
      assertEquals(
          "Generated for Static Web Apps resource with default hostname:"
              + " red-sea-123.azurestaticapps.net",
          subscription.displayName());
      assertEquals("/products/swa-red-sea-123", subscription.scope());
      assertEquals(SubscriptionState.ACTIVE, subscription.state());
      assertTrue(key.matches("[0-9a-f]{32}"), "generated key");
      assertEquals(200, call(gateway, key, token).status());
      assertEquals(
          "{\"statusCode\": 401, \"message\": \"Unauthorized. Access token is missing or"
              + " invalid.\"}",
          call(gateway, key, null).body());
    }
  }

  @Test
  void apisAndProductApisInTheTemplateCompleteTheSetUp() {
    String more =
        """
        ,
          {"type": "Microsoft.ApiManagement/service/apis", "apiVersion": "2022-08-01",
           "name": "my-apim/sample",
           "properties": {"displayName": "Sample", "path": "api", "serviceUrl": "%s", "protocols": ["https"],
                          "subscriptionRequired": true}},
          {"type": "Microsoft.ApiManagement/service/products/apis", "apiVersion": "2022-08-01",
           "name": "my-apim/swa-red-sea-123/sample"}
        """
            .formatted(backend.url());
    try (ApimGateway gateway = ApimGateway.builder().armTemplate(linkTemplate(more)).start()) {
      String token = Tokens.rs256(Tokens.RSA_1, Tokens.claims(java.time.Clock.systemUTC()).build());

      assertEquals("api", gateway.api("sample").path());
      assertEquals(200, call(gateway, gateway.secondaryKey("swa-red-sea-123"), token).status());
    }
  }

  @Test
  void anApisRenamedKeyHeaderIsRead() {
    String more =
        """
        ,
          {"type": "Microsoft.ApiManagement/service/apis", "apiVersion": "2022-08-01",
           "name": "my-apim/sample",
           "properties": {"path": "api", "serviceUrl": "%s",
                          "subscriptionKeyParameterNames": {"header": "X-Key", "query": "subscription-key"}}}
        """
            .formatted(backend.url());
    try (ApimGateway gateway = ApimGateway.builder().armTemplate(linkTemplate(more)).start()) {
      assertEquals("X-Key", gateway.api("sample").subscriptionKeyHeader());
    }
    String wrong =
        """
        ,
          {"type": "Microsoft.ApiManagement/service/apis", "apiVersion": "2022-08-01",
           "name": "my-apim/sample",
           "properties": {"path": "api", "serviceUrl": "%s",
                          "subscriptionKeyParameterNames": {"header": "bad header", "query": "key"}}}
        """
            .formatted(backend.url());
    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class,
            () -> ApimGateway.builder().armTemplate(linkTemplate(wrong)));
    assertTrue(
        refused
            .getMessage()
            .contains(
                "subscriptionKeyParameterNames.header: is not a valid header name (was \"bad"
                    + " header\")"),
        refused.getMessage());
    assertTrue(
        refused
            .getMessage()
            .contains(
                "subscriptionKeyParameterNames.query: only \"subscription-key\" is supported (was"
                    + " \"key\")"),
        refused.getMessage());
  }

  @Test
  void aSubscriptionWithoutStateIsSubmittedAsInApim() {
    String template =
        """
        {"resources": [
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "svc/p", "properties": {"displayName": "P"}},
          {"type": "Microsoft.ApiManagement/service/subscriptions", "apiVersion": "2022-08-01",
           "name": "svc/s", "properties": {"displayName": "S", "scope": "/products/p",
                                           "primaryKey": "pk-0123456789"}}]}
        """;
    try (ApimGateway gateway = ApimGateway.builder().armTemplate(template).start()) {
      assertEquals(SubscriptionState.SUBMITTED, gateway.subscription("s").state());
      assertEquals("pk-0123456789", gateway.primaryKey("s"));
    }
  }

  @Test
  void everythingOutsideTheSupportedSubsetIsListedWithItsJsonPath() {
    String template =
        """
        {"parameters": {"apimServiceName": {"type": "string"}, "count": {"type": "int"}},
         "variables": {},
         "resources": [
          {"type": "Microsoft.ApiManagement/service/namedValues", "apiVersion": "2022-08-01",
           "name": "svc/nv", "properties": {}},
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "[format('{0}/p', parameters('apimServiceName'))]", "location": "westeurope",
           "properties": {"displayName": "P", "colour": "red"}},
          {"type": "Microsoft.ApiManagement/service/subscriptions", "apiVersion": "2022-08-01",
           "name": "[concat(parameters('serviceName'), '/s')]",
           "properties": {"displayName": "S", "scope": "/apis/x", "state": "on"}},
          {"type": "Microsoft.ApiManagement/service/products/policies", "apiVersion": "2022-08-01",
           "name": "svc/p/policy",
           "properties": {"format": "rawxml-link", "value": "<policies><inbound><quota/></inbound></policies>"}},
          {"type": "Microsoft.ApiManagement/service/products/policies", "apiVersion": "2022-08-01",
           "name": "svc/p/other", "properties": {"value": "<policies/>"}}
         ]}
        """;

    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class, () -> ApimGateway.builder().armTemplate(template));

    assertEquals(
        """
        Invalid ARM template (12 problems):
          - variables: unknown key (expected one of $schema, contentVersion, parameters, resources)
          - parameters.count.type: only string parameters are supported (was "int")
          - resources[0].type: unsupported resource type "Microsoft.ApiManagement/service/namedValues" (supported: Microsoft.ApiManagement/service/products, Microsoft.ApiManagement/service/subscriptions, Microsoft.ApiManagement/service/products/policies, Microsoft.ApiManagement/service/apis, Microsoft.ApiManagement/service/products/apis)
          - resources[1].location: unknown key (expected one of apiVersion, dependsOn, name, properties, type)
          - resources[1].name: unsupported expression "[format('{0}/p', parameters('apimServiceName'))]" (use "service/id" or "[concat(parameters('name'), '/id')]")
          - resources[1].properties.colour: unknown key (expected one of approvalRequired, description, displayName, state, subscriptionRequired, subscriptionsLimit, terms)
          - resources[2].name: parameter "serviceName" is not declared in parameters
          - resources[2].properties.scope: must be /products/<id> or [resourceId('Microsoft.ApiManagement/service/products', parameters('name'), '<id>')] (was "/apis/x")
          - resources[2].properties.state: must be one of active, suspended, expired, submitted, rejected, cancelled (was "on")
          - resources[3].properties.format: unsupported policy format "rawxml-link" (use "rawxml" or "xml")
          - resources[3].properties.value: policy of product "p": unsupported policy element <quota> at inbound
          - resources[4].name: a product policy is named <product id>/policy (was "other")""",
        refused.getMessage());
  }

  @Test
  void badNamesStatesAndProtocolsAreListedWithTheirJsonPath() {
    String template =
        """
        {"parameters": {"apimServiceName": {"type": "string"}},
         "resources": [
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "svc/p", "properties": {"displayName": "P", "state": "live"}},
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "svc/p", "properties": {"displayName": "P again"}},
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "[concat(parameters('apimServiceName'), 'q')]", "properties": {"displayName": "Q"}},
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "r", "properties": {"displayName": "R"}},
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "svc/p/extra", "properties": {"displayName": "X"}},
          {"type": "Microsoft.ApiManagement/service/products", "apiVersion": "2022-08-01",
           "name": "svc/a b", "properties": {"displayName": "Y"}},
          {"type": "Microsoft.ApiManagement/service/subscriptions", "apiVersion": "2022-08-01",
           "name": "svc/s", "properties": {"displayName": "S",
             "scope": "[resourceId('Microsoft.ApiManagement/service/products', parameters('apimServiceName'), 'p q')]"}},
          {"type": "Microsoft.ApiManagement/service/apis", "apiVersion": "2022-08-01",
           "name": "svc/sample", "properties": {"path": "api", "serviceUrl": "http://backend",
             "protocols": ["https", "ws"], "subscriptionRequired": false}},
          {"type": "Microsoft.ApiManagement/service/products/apis", "apiVersion": "2022-08-01",
           "name": "svc/p/sample", "properties": {"note": "x"}}
         ]}
        """;

    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class, () -> ApimGateway.builder().armTemplate(template));

    assertEquals(
        """
        Invalid ARM template (10 problems):
          - resources[0].properties.state: must be published or notPublished (was "live")
          - resources[1].name: the same resource is defined at resources[0]
          - resources[2].name: the concatenated part must start with '/' (was "q")
          - resources[3].name: must be "<service>/<id>" (was "r")
          - resources[4].name: must name <service>/<id> (was "svc/p/extra")
          - resources[5].name: a resource id may hold only letters, digits and . _ ~ - (was "a b")
          - resources[6].properties.scope: the product id may hold only letters, digits and . _ ~ - (was "p q")
          - resources[7].properties.protocols[1]: must be http or https (was "ws")
          - resources[7].properties.subscriptionRequired: only true is supported: every API of this gateway requires a subscription
          - resources[8].properties: must be absent or empty for Microsoft.ApiManagement/service/products/apis""",
        refused.getMessage());
  }

  @Test
  void aPolicyForAProductDefinedNowhereFailsTheStart() {
    ApimGateway.Builder builder =
        ApimGateway.builder()
            .armTemplate(
                """
                {"resources": [{"type": "Microsoft.ApiManagement/service/products/policies",
                  "apiVersion": "2022-08-01", "name": "svc/ghost/policy",
                  "properties": {"format": "xml", "value": "<policies/>"}}]}
                """);

    GatewayConfigException refused = assertThrows(GatewayConfigException.class, builder::start);

    assertEquals(
        "Invalid gateway configuration (1 problem):\n"
            + "  - policy of product \"ghost\": no such product",
        refused.getMessage());
  }
}
