package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apilink.testkit.echo.EchoBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gateways described in the testkit's JSON format. */
class GatewayDescriptionTest {

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  @TempDir Path directory;

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  @Test
  void aDescriptionFileSetsUpApisProductsPoliciesAndSubscriptions() throws Exception {
    Files.createDirectories(directory.resolve("policies"));
    Files.writeString(
        directory.resolve("policies/linked.xml"),
        """
        <policies>
          <inbound><base /><set-header name="X-Linked" exists-action="override"><value>yes</value></set-header></inbound>
          <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>
        </policies>
        """);
    Path file = directory.resolve("gateway.json");
    Files.writeString(
        file,
        """
        {"port": 0,
         "apis": [{"name": "sample", "path": "api", "serviceUrl": "%s"}],
         "products": [{"id": "swa-linked",
                       "displayName": "Azure Static Web Apps - h (Linked)",
                       "subscriptionRequired": true,
                       "apis": ["sample"],
                       "policyFile": "policies/linked.xml"}],
         "subscriptions": [{"id": "swa-sub",
                            "displayName": "Generated for Static Web Apps resource with default hostname: h",
                            "scope": "/products/swa-linked",
                            "primaryKey": "the-primary-key",
                            "state": "active"}]}
        """
            .formatted(backend.url()));

    try (ApimGateway gateway = ApimGateway.builder().description(file).start()) {
      backend.clear();
      TestClient.Reply reply =
          client.get(
              gateway.url(),
              "/api/x",
              headers -> headers.put("Ocp-Apim-Subscription-Key", "the-primary-key"));

      assertEquals(200, reply.status());
      assertEquals(List.of("yes"), backend.received().get(0).header("X-Linked"));
      assertEquals(
          "Azure Static Web Apps - h (Linked)", gateway.product("swa-linked").displayName());
      assertEquals(
          "Generated for Static Web Apps resource with default hostname: h",
          gateway.subscription("swa-sub").displayName());
      assertEquals(32, gateway.secondaryKey("swa-sub").length());
    }
  }

  @Test
  void everyProblemIsListedWithItsJsonPath() {
    String description =
        """
        {"port": "80", "bogus": true,
         "apis": [{"name": "sample", "path": "/api", "serviceUrl": "ftp://x", "extra": 1},
                  {"name": "sample", "path": "b", "serviceUrl": "http://h"}],
         "products": [{"id": "p", "apis": "sample", "subscriptionRequired": "yes"}],
         "subscriptions": [{"id": "s", "scope": "/apis/x", "state": "paused", "primaryKey": "has space"}]}
        """;

    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class, () -> ApimGateway.builder().description(description));

    assertEquals(
        """
        Invalid gateway description (11 problems):
          - bogus: unknown key (expected one of $schema, apis, port, products, subscriptions)
          - port: must be an integer from 0 to 65535 (was "80")
          - apis[0].extra: unknown key (expected one of name, path, serviceUrl, subscriptionKeyParameterNames)
          - apis[0].path: must not start or end with '/' (was "/api")
          - apis[0].serviceUrl: must be an absolute http(s) URL without query or fragment (was "ftp://x")
          - apis[1].name: "sample" is already defined at apis[0]
          - products[0].subscriptionRequired: must be true or false (was "yes")
          - products[0].apis: must be an array (was "sample")
          - subscriptions[0].scope: must be /products/<product id> (was "/apis/x")
          - subscriptions[0].primaryKey: must be 1 to 256 visible ASCII characters without spaces
          - subscriptions[0].state: must be one of active, suspended, expired, submitted, rejected, cancelled (was "paused")""",
        refused.getMessage());
  }

  @Test
  void aPolicyProblemIsListedAtThePolicysPath() {
    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class,
            () ->
                ApimGateway.builder()
                    .description(
                        """
                        {"products": [{"id": "p", "policy": "<policies><inbound><quota/></inbound></policies>"}]}
                        """));

    assertEquals(
        "Invalid gateway description (1 problem):\n"
            + "  - products[0].policy: policy of product \"p\": unsupported policy element"
            + " <quota> at inbound",
        refused.getMessage());
  }

  @Test
  void aPolicyIsGivenInlineOrAsAFileNotBoth() {
    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class,
            () ->
                ApimGateway.builder()
                    .description(
                        "{\"products\": [{\"id\": \"p\", \"policy\": \"<policies/>\","
                            + " \"policyFile\": \"p.xml\"}]}"));

    assertEquals(
        "Invalid gateway description (1 problem):\n"
            + "  - products[0]: give policy or policyFile, not both",
        refused.getMessage());
  }

  @Test
  void aMissingPolicyFileIsAProblem() throws Exception {
    Path file = directory.resolve("gateway.json");
    Files.writeString(file, "{\"products\": [{\"id\": \"p\", \"policyFile\": \"missing.xml\"}]}");

    GatewayConfigException refused =
        assertThrows(GatewayConfigException.class, () -> ApimGateway.builder().description(file));

    assertEquals(
        "Invalid gateway description "
            + file
            + " (1 problem):\n"
            + "  - products[0].policyFile: cannot read \"missing.xml\" (NoSuchFileException: "
            + directory.toAbsolutePath().resolve("missing.xml")
            + ")",
        refused.getMessage());
  }

  @Test
  void textThatIsNotJsonSaysWhere() {
    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class, () -> ApimGateway.builder().description("{\"apis\": [}"));

    assertEquals(
        "Invalid gateway description (1 problem):\n"
            + "  - not valid JSON (line 1, column 11): Unexpected close marker '}': expected ']'"
            + " (for Array starting at [line: 1, column: 10])",
        refused.getMessage());
  }

  @Test
  void referencesAreCheckedWhenTheGatewayStarts() {
    ApimGateway.Builder builder =
        ApimGateway.builder()
            .description(
                """
                {"products": [{"id": "p", "apis": ["nope"]}],
                 "subscriptions": [{"id": "s", "scope": "/products/ghost"},
                                   {"id": "t", "scope": "/products/p", "primaryKey": "k1", "secondaryKey": "k1"}]}
                """);

    GatewayConfigException refused = assertThrows(GatewayConfigException.class, builder::start);

    assertEquals(
        """
        Invalid gateway configuration (3 problems):
          - product "p": no API "nope"
          - subscription "s": no product "ghost" for its scope /products/ghost
          - subscription "t": its secondary key is its primary key; give it another""",
        refused.getMessage());
  }

  @Test
  void whatIsDefinedTwiceOrAddedToNoProductIsListedWhenTheGatewayStarts() {
    ApimGateway.Builder builder =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .api("sample", "api/v2", backend.url())
            .product(Product.of("p").withApis("sample"))
            .product(Product.of("p"))
            .productApi("ghost", "sample")
            .subscription(Subscription.of("s", "p"))
            .subscription(Subscription.of("s", "p"));

    GatewayConfigException refused = assertThrows(GatewayConfigException.class, builder::start);

    assertEquals(
        """
        Invalid gateway configuration (4 problems):
          - API "sample" is defined twice
          - product "p" is defined twice
          - API "sample" added to product "ghost": no such product
          - subscription "s" is defined twice""",
        refused.getMessage());
  }

  /**
   * An API's path is "relative URL uniquely identifying this API" (Microsoft's REST reference, Apis
   * - Create Or Update): a second API at a path is refused, not left unreachable behind the first.
   */
  @Test
  void twoApisAtOnePathAreRefusedNamingBoth() {
    ApimGateway.Builder builder =
        ApimGateway.builder()
            .api("orders", "api", backend.url())
            .api("orders-v2", "api/v2", backend.url())
            .api("shop", "api", backend.url() + "/shop");

    GatewayConfigException refused = assertThrows(GatewayConfigException.class, builder::start);

    assertEquals(
        """
        Invalid gateway configuration (1 problem):
          - API "shop": its path "api" is already the path of API "orders"; an API's path \
        identifies it""",
        refused.getMessage());
  }

  @Test
  void theStateOfADescribedSubscriptionIsActiveByDefault() {
    try (ApimGateway gateway =
        ApimGateway.builder()
            .description(
                "{\"products\": [{\"id\": \"p\"}], \"subscriptions\": [{\"id\": \"s\", \"scope\":"
                    + " \"/products/p\"}]}")
            .start()) {
      assertEquals(SubscriptionState.ACTIVE, gateway.subscription("s").state());
      assertEquals(true, gateway.product("p").subscriptionRequired());
    }
  }
}
