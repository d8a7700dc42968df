package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Subscription keys, checked as APIM checks them, with its exact 401 bodies. */
class SubscriptionKeyTest {

  static final String MISSING =
      "{\"statusCode\": 401, \"message\": \"Access denied due to missing subscription key. Make"
          + " sure to include subscription key when making requests to an API.\"}";
  static final String INVALID =
      "{\"statusCode\": 401, \"message\": \"Access denied due to invalid subscription key. Make"
          + " sure to provide a valid key for an active subscription.\"}";

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  /** A fresh gateway for each test (an instance field), as the tests change its state. */
  @RegisterExtension
  final ApimGatewayExtension gateway =
      ApimGatewayExtension.of(
          ApimGateway.builder()
              .api("sample", "api", backend.url())
              .api("other", "other", backend.url())
              .api("orphan", "orphan", backend.url())
              .api("open", "open", backend.url())
              .product(Product.of("swa-linked").withApis("sample"))
              .product(Product.of("other-product").withApis("other"))
              .product(Product.of("public").withSubscriptionRequired(false).withApis("open"))
              .subscription(
                  Subscription.of("swa-sub", "swa-linked")
                      .withPrimaryKey("primary-0123456789")
                      .withSecondaryKey("secondary-0123456789"))
              .subscription(Subscription.of("other-sub", "other-product")));

  @BeforeEach
  void clear() {
    backend.clear();
  }

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  private TestClient.Reply getWithKey(String path, String key) {
    return client.get(
        gateway.url(), path, headers -> headers.put("Ocp-Apim-Subscription-Key", key));
  }

  private static void assertRefused(String body, TestClient.Reply reply) {
    assertEquals(401, reply.status());
    assertEquals(body, reply.body());
    assertEquals("application/json", reply.header("Content-Type"));
  }

  @Test
  void aKeyInTheHeaderLetsTheCallThroughAndStaysAtTheGateway() {
    assertEquals(200, getWithKey("/api/x", "primary-0123456789").status());

    EchoBackend.Received received = backend.received().get(0);
    assertEquals("/x", received.rawPath());
    assertEquals(List.of(), received.header("Ocp-Apim-Subscription-Key"));
  }

  @Test
  void anApiThatRenamesTheKeyHeaderReadsTheKeyFromThatHeaderOnly() {
    try (ApimGateway renamed =
        ApimGateway.builder()
            .api(Api.of("sample", "api", backend.url()).withSubscriptionKeyHeader("X-Key"))
            .product(Product.of("swa-linked").withApis("sample"))
            .subscription(Subscription.of("swa-sub", "swa-linked").withPrimaryKey("k-0123456789"))
            .start()) {
      TestClient.Reply renamedHeader =
          client.get(renamed.url(), "/api/x", headers -> headers.put("X-Key", "k-0123456789"));
      TestClient.Reply defaultHeader =
          client.get(
              renamed.url(),
              "/api/x",
              headers -> headers.put("Ocp-Apim-Subscription-Key", "k-0123456789"));

      assertEquals(200, renamedHeader.status());
      assertEquals(List.of(), backend.received().get(0).header("X-Key"));
      assertRefused(MISSING, defaultHeader);
      assertTrue(
          defaultHeader.header("WWW-Authenticate").contains("name=\"X-Key\""),
          defaultHeader.header("WWW-Authenticate"));
    }
  }

  @Test
  void aKeyInTheQueryLetsTheCallThroughAndIsRemovedFromTheQuery() {
    TestClient.Reply reply =
        client.send(
            client.request(gateway.url(), "/api/x", "a=1&subscription-key=primary-0123456789&b=2"));

    assertEquals(200, reply.status());
    assertEquals("a=1&b=2", backend.received().get(0).rawQuery());
  }

  @Test
  void theKeyParameterNeverReachesTheBackendEvenWhenTheHeaderGivesTheKey() {
    client.send(
        client
            .request(gateway.url(), "/api/x", "subscription-key=whatever")
            .headers(headers -> headers.put("Ocp-Apim-Subscription-Key", "primary-0123456789")));

    assertEquals(null, backend.received().get(0).rawQuery());
  }

  @Test
  void aCallWithoutKeyIsRefusedAsMissingKey() {
    assertRefused(MISSING, client.get(gateway.url(), "/api/x"));
    assertTrue(backend.received().isEmpty());
  }

  @Test
  void aRefusalCarriesApimsKeyChallenge() {
    TestClient.Reply reply = client.get(gateway.url(), "/api/x");

    assertEquals(
        "AzureApiManagementKey realm=\""
            + gateway.url()
            + "/api\",name=\"Ocp-Apim-Subscription-Key\",type=\"header\"",
        reply.header("WWW-Authenticate"));
  }

  @Test
  void anEmptyKeyIsAMissingKey() {
    assertRefused(MISSING, getWithKey("/api/x", ""));
  }

  /**
   * Microsoft's "Subscriptions in Azure API Management": the subscription-key query parameter "is
   * checked only if the header isn't present". A header sent empty is present: the parameter does
   * not stand in for it.
   */
  @Test
  void anEmptyKeyHeaderIsNotReplacedByTheQueryParameter() {
    TestClient.Reply reply =
        client.send(
            client
                .request(gateway.url(), "/api/x", "subscription-key=primary-0123456789")
                .headers(headers -> headers.put("Ocp-Apim-Subscription-Key", "")));

    assertEquals(401, reply.status());
    assertTrue(backend.received().isEmpty());
  }

  /**
   * A deliberate simplification (docs/gateway.md): of a key header sent twice, the first line is
   * the key and the second is not read. Microsoft's reference does not say what API Management
   * does.
   */
  @Test
  void aKeyHeaderSentTwiceIsReadFromItsFirstLineOnly() {
    TestClient.Reply validFirst =
        client.get(
            gateway.url(),
            "/api/x",
            headers ->
                headers
                    .add("Ocp-Apim-Subscription-Key", "primary-0123456789")
                    .add("Ocp-Apim-Subscription-Key", "not-a-key"));
    TestClient.Reply validSecond =
        client.get(
            gateway.url(),
            "/api/x",
            headers ->
                headers
                    .add("Ocp-Apim-Subscription-Key", "not-a-key")
                    .add("Ocp-Apim-Subscription-Key", "primary-0123456789"));

    assertEquals(200, validFirst.status());
    assertRefused(INVALID, validSecond);
  }

  @Test
  void anUnknownKeyIsRefusedAsInvalid() {
    assertRefused(INVALID, getWithKey("/api/x", "not-a-key"));
    assertTrue(backend.received().isEmpty());
  }

  @ParameterizedTest
  @EnumSource(value = SubscriptionState.class, names = "ACTIVE", mode = EnumSource.Mode.EXCLUDE)
  void aKeyOfASubscriptionThatIsNotActiveIsRefusedAsInvalid(SubscriptionState state) {
    gateway.gateway().setSubscriptionState("swa-sub", state);

    assertRefused(INVALID, getWithKey("/api/x", "primary-0123456789"));
  }

  @Test
  void aSubscriptionMadeActiveAgainWorksAgain() {
    gateway.gateway().setSubscriptionState("swa-sub", SubscriptionState.SUSPENDED);
    gateway.gateway().setSubscriptionState("swa-sub", SubscriptionState.ACTIVE);

    assertEquals(200, getWithKey("/api/x", "primary-0123456789").status());
  }

  @Test
  void aKeyOfAProductWithoutTheApiIsRefusedAsInvalid() {
    String otherKey = gateway.gateway().primaryKey("other-sub");

    assertEquals(200, getWithKey("/other/x", otherKey).status());
    assertRefused(INVALID, getWithKey("/api/x", otherKey));
  }

  @Test
  void anApiInNoProductRefusesEveryKey() {
    assertRefused(MISSING, client.get(gateway.url(), "/orphan/x"));
    assertRefused(INVALID, getWithKey("/orphan/x", "primary-0123456789"));
  }

  @Test
  void theSecondaryKeyIsAsGoodAsThePrimary() {
    assertEquals(200, getWithKey("/api/x", "primary-0123456789").status());
    assertEquals(200, getWithKey("/api/x", "secondary-0123456789").status());
  }

  @Test
  void anApiOnlyInAProductWithoutSubscriptionNeedsNoKey() {
    assertEquals(200, client.get(gateway.url(), "/open/x").status());
  }

  /**
   * Microsoft's "How API Management handles requests with or without subscription keys": "An API
   * can be associated with at most one open product."
   */
  @Test
  void anApiMayBeInOneProductWithoutSubscriptionOnly() {
    ApimGateway.Builder twoOpen =
        ApimGateway.builder()
            .api("open", "open", backend.url())
            .product(Product.of("public").withSubscriptionRequired(false).withApis("open"))
            .product(Product.of("free").withSubscriptionRequired(false).withApis("open"));

    assertEquals(
        """
        Invalid gateway configuration (1 problem):
          - API "open" is in two products that require no subscription, "public" and "free"; \
        API Management allows one""",
        assertThrows(GatewayConfigException.class, twoOpen::start).getMessage());

    try (ApimGateway running =
        ApimGateway.builder()
            .api("open", "open", backend.url())
            .product(Product.of("public").withSubscriptionRequired(false).withApis("open"))
            .product(Product.of("free").withSubscriptionRequired(false))
            .start()) {
      assertEquals(
          "API \"open\" is in two products that require no subscription, \"public\" and"
              + " \"free\"; API Management allows one",
          assertThrows(
                  IllegalArgumentException.class, () -> running.addApiToProduct("free", "open"))
              .getMessage());
    }
  }

  @Test
  void aRegeneratedPrimaryKeyIsRefusedAndTheNewOneAccepted() {
    String newKey = gateway.gateway().regeneratePrimaryKey("swa-sub");

    assertNotEquals("primary-0123456789", newKey);
    assertEquals(newKey, gateway.gateway().primaryKey("swa-sub"));
    assertRefused(INVALID, getWithKey("/api/x", "primary-0123456789"));
    assertEquals(200, getWithKey("/api/x", newKey).status());
    assertEquals(200, getWithKey("/api/x", "secondary-0123456789").status());
  }

  @Test
  void aRegeneratedSecondaryKeyIsRefusedAndTheNewOneAccepted() {
    String newKey = gateway.gateway().regenerateSecondaryKey("swa-sub");

    assertRefused(INVALID, getWithKey("/api/x", "secondary-0123456789"));
    assertEquals(200, getWithKey("/api/x", newKey).status());
  }

  @Test
  void generatedKeysAre32HexadecimalCharacters() {
    Subscription generated = gateway.gateway().subscription("other-sub");

    assertTrue(generated.primaryKey().matches("[0-9a-f]{32}"), generated.primaryKey());
    assertTrue(generated.secondaryKey().matches("[0-9a-f]{32}"), generated.secondaryKey());
    assertNotEquals(generated.primaryKey(), generated.secondaryKey());
  }

  @Test
  void aSubscriptionsToStringHidesItsKeys() {
    String text = gateway.gateway().subscription("swa-sub").toString();

    assertEquals(
        "Subscription[id=swa-sub, displayName=swa-sub, scope=/products/swa-linked, state=active]",
        text);
  }
}
