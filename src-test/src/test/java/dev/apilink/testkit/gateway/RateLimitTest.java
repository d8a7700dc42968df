package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.testkit.echo.EchoBackend;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The inbound {@code rate-limit} policy: apim.md's 429 with {@code Retry-After}. */
class RateLimitTest {

  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();

  static final String POLICY =
      """
      <policies>
        <inbound><base /><rate-limit calls="2" renewal-period="60" /></inbound>
        <backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error>
      </policies>
      """;

  @AfterAll
  static void stop() throws Exception {
    client.close();
    backend.close();
  }

  private static TestClient.Reply call(ApimGateway gateway, String key) {
    return client.get(
        gateway.url(), "/api/x", headers -> headers.put("Ocp-Apim-Subscription-Key", key));
  }

  @Test
  void aSubscriptionOverTheLimitGets429WithRetryAfterUntilThePeriodRenews() {
    ManualClock clock = new ManualClock(Instant.parse("2026-11-26T10:00:00Z"));
    try (ApimGateway gateway =
        ApimGateway.builder()
            .clock(clock)
            .api("sample", "api", backend.url())
            .product(Product.of("linked").withApis("sample"))
            .policyXml("linked", POLICY)
            .subscription(
                Subscription.of("one", "linked")
                    .withPrimaryKey("one-primary-key")
                    .withSecondaryKey("one-secondary-key"))
            .subscription(Subscription.of("two", "linked").withPrimaryKey("two-primary-key"))
            .start()) {
      assertEquals(200, call(gateway, "one-primary-key").status());
      clock.advance(Duration.ofSeconds(15));
      // Both keys of a subscription count against one limit.
      assertEquals(200, call(gateway, "one-secondary-key").status());

      TestClient.Reply over = call(gateway, "one-primary-key");

      assertEquals(429, over.status());
      assertEquals(
          "{\"statusCode\": 429, \"message\": \"Rate limit is exceeded. Try again in 45 seconds.\"}",
          over.body());
      assertEquals("45", over.header("Retry-After"));
      // Another subscription has its own limit.
      assertEquals(200, call(gateway, "two-primary-key").status());

      clock.advance(Duration.ofSeconds(44));
      assertEquals("1", call(gateway, "one-primary-key").header("Retry-After"));
      clock.advance(Duration.ofSeconds(1));
      assertEquals(200, call(gateway, "one-primary-key").status());
    }
  }

  /**
   * Microsoft's rate-limit reference: "This policy is only applied when an API is accessed using a
   * subscription key." A product that requires none lets calls without a key through unlimited.
   */
  @Test
  void callsWithoutASubscriptionKeyAreNotLimited() {
    try (ApimGateway gateway =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .product(Product.of("open").withApis("sample").withSubscriptionRequired(false))
            .policyXml("open", POLICY)
            .start()) {
      for (int i = 0; i < 3; i++) {
        assertEquals(200, client.get(gateway.url(), "/api/x").status(), "call " + (i + 1));
      }
    }
  }

  @Test
  void aRateLimitNeedsWholeCallsAndAPeriodOfAtMost300Seconds() {
    for (String attributes :
        new String[] {"calls=\"0\" renewal-period=\"60\"", "calls=\"5\" renewal-period=\"301\""}) {
      GatewayConfigException refused =
          assertThrows(
              GatewayConfigException.class,
              () ->
                  ApimGateway.builder()
                      .api("sample", "api", backend.url())
                      .product(Product.of("linked").withApis("sample"))
                      .policyXml(
                          "linked",
                          POLICY.replace("calls=\"2\" renewal-period=\"60\"", attributes)));
      assertTrue(refused.getMessage().contains("<rate-limit> at inbound"), refused.getMessage());
    }
  }
}
