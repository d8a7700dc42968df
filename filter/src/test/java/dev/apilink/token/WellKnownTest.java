package dev.apilink.token;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class WellKnownTest {

  /**
   * The container gives the context path decoded ({@code /my shop} for a WAR deployed at {@code
   * /my%20shop}): the issuer says it so, as the tokens' {@code iss} does, and the URLs the gateway
   * fetches have it encoded. A {@code jwks_uri} with a space in it is no URL.
   */
  @Test
  void aContextPathThatAUrlCannotHoldIsEncodedInTheUrlsButNotInTheIssuer() throws Exception {
    String issuer = WellKnown.issuer("https://shop.example", "/my shop/café");
    WellKnown wellKnown =
        WellKnown.of(
            issuer, SigningKeys.parse(SigningKeysTest.set(SigningKeysTest.rsa("k", 2048))));

    JsonNode discovery = WellKnown.JSON.readTree(wellKnown.openidConfiguration());
    assertEquals("https://shop.example/my shop/café/.auth", discovery.get("issuer").asText());
    assertEquals(
        "https://shop.example/my%20shop/caf%C3%A9/.auth/.well-known/jwks.json",
        discovery.get("jwks_uri").asText());
    assertEquals(
        "https://shop.example/my%20shop/caf%C3%A9/.auth/.well-known/openid-configuration",
        WellKnown.openidConfigurationUrl("https://shop.example", "/my shop/café"));
    assertEquals(
        "http://localhost:8080/shop/.auth/.well-known/openid-configuration",
        WellKnown.openidConfigurationUrl("http://localhost:8080", "/shop"));
  }
}
