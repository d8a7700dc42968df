package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apilink.testkit.echo.EchoBackend;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an operator changes in the portal while the gateway runs takes effect at once. */
class OperationsTest {

  static final String SET_HEADER =
      """
      <policies>
        <inbound><base/><set-header name="X-Policy" exists-action="override"><value>%s</value></set-header></inbound>
        <backend><base/></backend><outbound><base/></outbound><on-error><base/></on-error>
      </policies>""";

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  @RegisterExtension
  final ApimGatewayExtension gateway =
      ApimGatewayExtension.of(
          ApimGateway.builder()
              .api("sample", "api", backend.url())
              .api("extra", "extra", backend.url())
              .product(Product.of("swa-linked").withApis("sample"))
              .policyXml("swa-linked", SET_HEADER.formatted("first"))
              .subscription(Subscription.of("swa-sub", "swa-linked")));

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  private int call(String path) {
    return client
        .get(
            gateway.url(),
            path,
            headers ->
                headers.put("Ocp-Apim-Subscription-Key", gateway.gateway().primaryKey("swa-sub")))
        .status();
  }

  @Test
  void anApiAddedToTheProductCanBeCalledWithItsKey() {
    assertEquals(401, call("/extra/x"));

    gateway.gateway().addApiToProduct("swa-linked", "extra");

    assertEquals(200, call("/extra/x"));
    assertEquals(List.of("sample", "extra"), gateway.gateway().product("swa-linked").apis());
  }

  @Test
  void anApiRemovedFromTheProductCannotBeCalledAnyMore() {
    gateway.gateway().removeApiFromProduct("swa-linked", "sample");

    assertEquals(401, call("/api/x"));
    assertEquals(List.of(), gateway.gateway().product("swa-linked").apis());
  }

  @Test
  void aReplacedPolicyAppliesToTheNextCall() {
    backend.clear();
    call("/api/x");
    gateway.gateway().setProductPolicy("swa-linked", SET_HEADER.formatted("second"));
    call("/api/x");

    assertEquals(List.of("first"), backend.received().get(0).header("X-Policy"));
    assertEquals(List.of("second"), backend.received().get(1).header("X-Policy"));
  }

  @Test
  void aBadPolicyIsRefusedAndTheOldOneStays() {
    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class,
            () ->
                gateway
                    .gateway()
                    .setProductPolicy(
                        "swa-linked", "<policies><inbound><quota/></inbound></policies>"));

    assertEquals(
        "policy of product \"swa-linked\": unsupported policy element <quota> at inbound",
        refused.getMessage());
    assertEquals(
        SET_HEADER.formatted("first"), gateway.gateway().product("swa-linked").policyXml());
    backend.clear();
    call("/api/x");
    assertEquals(List.of("first"), backend.received().get(0).header("X-Policy"));
  }

  @Test
  void aRemovedPolicyLetsCallsThroughUnchanged() {
    gateway.gateway().setProductPolicy("swa-linked", null);
    backend.clear();
    call("/api/x");

    assertEquals(List.of(), backend.received().get(0).header("X-Policy"));
  }

  @Test
  void operationsOnUnknownNamesSayWhatIsMissing() {
    ApimGateway running = gateway.gateway();

    assertEquals(
        "no product \"nope\"",
        assertThrows(
                IllegalArgumentException.class, () -> running.addApiToProduct("nope", "sample"))
            .getMessage());
    assertEquals(
        "no API \"nope\"",
        assertThrows(
                IllegalArgumentException.class, () -> running.addApiToProduct("swa-linked", "nope"))
            .getMessage());
    assertEquals(
        "no subscription \"nope\"",
        assertThrows(IllegalArgumentException.class, () -> running.regeneratePrimaryKey("nope"))
            .getMessage());
    assertEquals(
        "no subscription \"nope\"",
        assertThrows(
                IllegalArgumentException.class,
                () -> running.setSubscriptionState("nope", SubscriptionState.ACTIVE))
            .getMessage());
  }

  @Test
  void keysAndStatesCanBeRead() {
    ApimGateway running = gateway.gateway();
    Subscription subscription = running.subscription("swa-sub");

    assertEquals(subscription.primaryKey(), running.primaryKey("swa-sub"));
    assertEquals(subscription.secondaryKey(), running.secondaryKey("swa-sub"));
    assertEquals(SubscriptionState.ACTIVE, subscription.state());
    assertEquals(List.of(subscription), running.subscriptions());
  }
}
