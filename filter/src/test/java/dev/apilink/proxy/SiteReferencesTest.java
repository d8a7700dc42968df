package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SiteReferencesTest {

  private final SiteReferences gateway =
      new SiteReferences(URI.create("https://contoso.azure-api.net"), "");
  private final SiteReferences withPrefix =
      new SiteReferences(URI.create("http://127.0.0.1:8081/v1"), "/v1");

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "/api/orders/7         | /shop/api/orders/7",
        "/api                  | /shop/api",
        "/api?page=2           | /shop/api?page=2",
        "/api#top              | /shop/api#top",
        "https://contoso.azure-api.net/api/orders/7?x=1#f | /shop/api/orders/7?x=1#f",
        "HTTPS://Contoso.Azure-Api.NET:443/api/x | /shop/api/x",
        "https://contoso.azure-api.net:/api/x | /shop/api/x",
        "//contoso.azure-api.net/api/x | /shop/api/x",
        "//Contoso.azure-api.net:443/api/x?y | /shop/api/x?y",
        // Not the gateway's /api: unchanged.
        "/apiary               | /apiary",
        "/other/api            | /other/api",
        "https://contoso.azure-api.net/status | https://contoso.azure-api.net/status",
        "https://contoso.azure-api.net | https://contoso.azure-api.net",
        "http://contoso.azure-api.net/api/x | http://contoso.azure-api.net/api/x",
        "https://contoso.azure-api.net:8443/api/x | https://contoso.azure-api.net:8443/api/x",
        "https://contoso.azure-api.net:99999999999/api/x | https://contoso.azure-api.net:99999999999/api/x",
        "https://contoso.azure-api.net:44x/api/x | https://contoso.azure-api.net:44x/api/x",
        "https://user@contoso.azure-api.net/api/x | https://user@contoso.azure-api.net/api/x",
        "https://evil.example/api/x | https://evil.example/api/x",
        "//evil.example/api/x  | //evil.example/api/x",
        "//contoso.azure-api.net:8443/api/x | //contoso.azure-api.net:8443/api/x",
        "https://contoso.azure-api.net.evil.example/api/x | https://contoso.azure-api.net.evil.example/api/x",
        "orders/7              | orders/7",
        "../x                  | ../x",
      })
  void aLocationThatNamesTheGatewaysApiNamesTheSitesApi(String location, String expected) {
    assertEquals(expected, gateway.location(location, "/shop/api"));
  }

  @Test
  void theGatewayUrlsPathIsWhatTheSitesApiReplaces() {
    assertEquals("/api/x", withPrefix.location("/v1/api/x", "/api"));
    assertEquals("/api/x", withPrefix.location("http://127.0.0.1:8081/v1/api/x", "/api"));
    assertEquals(
        "/api/x", withPrefix.location("/api/x", "/api"), "not under the gateway's /v1/api");
    assertEquals("/v1/x", withPrefix.location("/v1/x", "/api"));
    assertEquals(
        "http://127.0.0.1/v1/api/x",
        withPrefix.location("http://127.0.0.1/v1/api/x", "/api"),
        "another port");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "a=1; Path=/api                       | a=1; Path=/shop/api",
        "a=1; path=/api/cart; Secure          | a=1; Path=/shop/api/cart; Secure",
        "a=1;Path=/api;HttpOnly               | a=1; Path=/shop/api;HttpOnly",
        "a=1; Domain=contoso.azure-api.net; Path=/ | a=1; Path=/",
        "a=1; Domain=.CONTOSO.azure-api.net   | a=1",
        // Unchanged.
        "a=1; Path=/                          | a=1; Path=/",
        "a=1; Path=/apiary                    | a=1; Path=/apiary",
        "a=1; Domain=contoso.com; Path=/x     | a=1; Domain=contoso.com; Path=/x",
        "a=1                                  | a=1",
        "a=Path=/api                          | a=Path=/api",
      })
  void aCookieForTheGatewaysApiOrHostIsTheSites(String cookie, String expected) {
    assertEquals(expected, gateway.cookie(cookie, "/shop/api"));
  }

  @Test
  void aFieldThatNeedsNoChangeIsTheSameField() {
    Headers.Field location = new Headers.Field("Location", "/api/x");
    assertSame(location, gateway.toClient(location, "/api"));
    Headers.Field cookie = new Headers.Field("set-cookie", "a=1; Path=/api");
    assertSame(cookie, gateway.toClient(cookie, "/api"));
    assertEquals(
        new Headers.Field("set-cookie", "a=1; Path=/shop/api"),
        gateway.toClient(cookie, "/shop/api"));
  }
}
