package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.apilink.config.ConfigException;
import dev.apilink.config.ConfigFiles;
import dev.apilink.config.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProxyHeadersTest {

  static final ProxyHeaders.Added ADDED =
      new ProxyHeaders.Added(
          "Ocp-Apim-Subscription-Key",
          "the-key",
          "Authorization",
          "Bearer minted",
          null,
          "https://site.example/api/x",
          "10.0.0.7",
          "https",
          "site.example",
          "1.1 apilink",
          false,
          null);

  @Test
  void theGatewayGetsEndToEndFieldsThenApiLinksOwn() {
    Headers client =
        Headers.of("Accept", "application/json", "Cookie", "a=1", "Host", "site.example");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    assertEquals(
        List.of(
            new Headers.Field("Accept", "application/json"),
            new Headers.Field("Cookie", "a=1"),
            new Headers.Field("Ocp-Apim-Subscription-Key", "the-key"),
            new Headers.Field("Authorization", "Bearer minted"),
            new Headers.Field("x-ms-original-url", "https://site.example/api/x"),
            new Headers.Field("X-Forwarded-For", "10.0.0.7"),
            new Headers.Field("X-Forwarded-Proto", "https"),
            new Headers.Field("Via", "1.1 apilink"),
            new Headers.Field("X-Forwarded-Host", "site.example")),
        gateway.asList());
  }

  @Test
  void hopByHopFieldsAndThoseNamedInConnectionAreDropped() {
    Headers client =
        Headers.of(
            "Connection", "keep-alive, X-Hop, ocp-apim-subscription-key",
            "Keep-Alive", "timeout=5",
            "Transfer-Encoding", "chunked",
            "TE", "trailers",
            "Upgrade", "websocket",
            "Proxy-Authorization", "Basic x",
            "X-Hop", "1",
            "X-Kept", "2");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    assertEquals(List.of("2"), gateway.values("X-Kept"));
    for (String dropped :
        List.of(
            "Connection",
            "Keep-Alive",
            "Transfer-Encoding",
            "TE",
            "Upgrade",
            "Proxy-Authorization",
            "X-Hop")) {
      assertEquals(List.of(), gateway.values(dropped), dropped);
    }
    assertEquals(List.of("the-key"), gateway.values("Ocp-Apim-Subscription-Key"));
  }

  @Test
  void underscoreSpellingsOfWhatApiLinkVouchesForAreDroppedToo() {
    Headers client =
        Headers.of(
            "Ocp_Apim_Subscription_Key", "stolen",
            "x_ms_client_principal", "forged",
            "X_MS_ORIGINAL_URL", "forged",
            "X_Forwarded_Host", "forged",
            "X_Forwarded_Proto", "forged",
            "X_Kept_Custom", "kept");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    for (String name :
        List.of(
            "Ocp_Apim_Subscription_Key",
            "x_ms_client_principal",
            "X_MS_ORIGINAL_URL",
            "X_Forwarded_Host",
            "X_Forwarded_Proto")) {
      assertEquals(List.of(), gateway.values(name), name);
    }
    assertEquals(List.of("kept"), gateway.values("X_Kept_Custom"));
    assertEquals(List.of("the-key"), gateway.values("Ocp-Apim-Subscription-Key"));
  }

  @Test
  void noClientCopyOfAnAppServiceIdentityFieldReachesTheGateway() {
    // App Service authentication tells the APIs behind a gateway who the user is in all of these;
    // a reviewer's forged "X-MS-CLIENT-PRINCIPAL-NAME: alice" reached the API beside bob's
    // principal.
    List<String> forged =
        List.of(
            "X-MS-CLIENT-PRINCIPAL-NAME",
            "x-ms-client-principal-id",
            "X-MS-CLIENT-PRINCIPAL-IDP",
            "X-MS-TOKEN-AAD-ID-TOKEN",
            "x-ms-token-aad-access-token",
            "X_MS_CLIENT_PRINCIPAL_NAME",
            "X_MS_TOKEN_AAD_REFRESH_TOKEN");
    List<String> fields = new ArrayList<>();
    for (String name : forged) {
      fields.add(name);
      fields.add("forged");
    }
    fields.addAll(List.of("x-ms-version", "2021-08-06", "X-MS-Date", "kept"));
    ProxyHeaders.Added signedIn =
        added(ADDED.tokenHeader(), ADDED.tokenValue(), "cHJpbmNpcGFs", false, null);

    Headers gateway = ProxyHeaders.toGateway(Headers.of(fields.toArray(String[]::new)), signedIn);

    for (String name : forged) {
      assertEquals(List.of(), gateway.values(name), name);
    }
    assertEquals(List.of("cHJpbmNpcGFs"), gateway.values("x-ms-client-principal"));
    // Other x-ms- fields are the client's to send (Azure Storage's, for one).
    assertEquals(List.of("2021-08-06"), gateway.values("x-ms-version"));
    assertEquals(List.of("kept"), gateway.values("X-MS-Date"));
  }

  @Test
  void anUnderscoreSpellingOfAFieldApiLinkAppendsToIsDropped() {
    Headers client =
        Headers.of(
            "X_Forwarded_For",
            "10.6.6.6",
            "x-forwarded-for",
            "192.0.2.1",
            "Via_",
            "kept",
            "VIA",
            "1.1 cdn");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    // A CGI or WSGI backend would read X_Forwarded_For as a second HTTP_X_FORWARDED_FOR.
    assertEquals(List.of(), gateway.values("X_Forwarded_For"));
    assertEquals(List.of("192.0.2.1, 10.0.0.7"), gateway.values("X-Forwarded-For"));
    assertEquals(List.of("1.1 cdn, 1.1 apilink"), gateway.values("Via"));
  }

  @Test
  void clientCopiesOfWhatApiLinkVouchesForAreReplaced() {
    Headers client =
        Headers.of(
            "ocp-apim-subscription-key", "stolen",
            "AUTHORIZATION", "Bearer forged",
            "X-MS-CLIENT-PRINCIPAL", "forged",
            "x-ms-original-url", "forged",
            "X-Forwarded-Host", "forged",
            "X-Forwarded-Proto", "forged",
            "Forwarded", "for=203.0.113.9;host=forged.example;proto=https",
            "X-Forwarded-Port", "1",
            "X-Forwarded-Prefix", "/forged",
            "X-Real-IP", "203.0.113.9",
            "X-Original-URL", "/api/admin/users",
            "x-rewrite-url", "/api/admin/users",
            "True-Client-IP", "203.0.113.9",
            "X-Client-IP", "203.0.113.9",
            "X_Original_URL", "/api/admin/users",
            "X-Script-Name", "/api/public",
            "X-Forwarded-Path", "/api/admin",
            "X-Forwarded-User", "admin",
            "x-forwarded-email", "admin@contoso.com",
            "X-Forwarded-Groups", "admins",
            "X-Auth-Request-User", "admin",
            "X-Remote-User", "admin",
            "X-Remote-Group", "admins",
            "Remote-User", "admin",
            "X-WEBAUTH-USER", "admin",
            "X_Forwarded_User", "admin",
            "Proxy", "http://evil.example:8080",
            "Content-Length", "12",
            "Expect", "100-continue");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    assertEquals(List.of("the-key"), gateway.values("Ocp-Apim-Subscription-Key"));
    assertEquals(List.of("Bearer minted"), gateway.values("Authorization"));
    assertEquals(List.of(), gateway.values("x-ms-client-principal"));
    assertEquals(List.of("https://site.example/api/x"), gateway.values("x-ms-original-url"));
    assertEquals(List.of("site.example"), gateway.values("X-Forwarded-Host"));
    assertEquals(List.of("https"), gateway.values("X-Forwarded-Proto"));
    assertEquals(List.of(), gateway.values("Forwarded"));
    assertEquals(List.of(), gateway.values("Proxy"));
    assertEquals(List.of(), gateway.values("X-Forwarded-Port"));
    assertEquals(List.of(), gateway.values("X-Forwarded-Prefix"));
    assertEquals(List.of(), gateway.values("X-Real-IP"));
    for (String name :
        List.of(
            "X-Original-URL",
            "X-Rewrite-URL",
            "True-Client-IP",
            "X-Client-IP",
            "X_Original_URL",
            "X-Script-Name",
            "X-Forwarded-Path")) {
      assertEquals(List.of(), gateway.values(name), name);
    }
    for (String name :
        List.of(
            "X-Forwarded-User",
            "X-Forwarded-Email",
            "X-Forwarded-Groups",
            "X-Auth-Request-User",
            "X-Remote-User",
            "X-Remote-Group",
            "Remote-User",
            "X-WEBAUTH-USER",
            "X_Forwarded_User")) {
      assertEquals(List.of(), gateway.values(name), name);
    }
    assertEquals(List.of(), gateway.values("Content-Length"));
    assertEquals(List.of(), gateway.values("Expect"));
  }

  @Test
  void theDefaultKeyHeaderIsDroppedEvenWhenAnotherIsConfigured() {
    ProxyHeaders.Added custom =
        new ProxyHeaders.Added(
            "X-Key",
            "the-key",
            "X-Token",
            "minted",
            "cHJpbmNpcGFs",
            "u",
            "10.0.0.7",
            "http",
            null,
            "1.1 apilink",
            false,
            null);
    Headers client =
        Headers.of("Ocp-Apim-Subscription-Key", "stolen", "X-Key", "stolen", "X-Token", "forged");

    Headers gateway = ProxyHeaders.toGateway(client, custom);

    assertEquals(List.of(), gateway.values("Ocp-Apim-Subscription-Key"));
    assertEquals(List.of("the-key"), gateway.values("X-Key"));
    assertEquals(List.of("minted"), gateway.values("X-Token"));
    assertEquals(List.of("cHJpbmNpcGFs"), gateway.values("x-ms-client-principal"));
  }

  @Test
  void forwardingFieldsAppendToWhatEarlierProxiesSet() {
    Headers client = Headers.of("X-Forwarded-For", "203.0.113.9", "Via", "1.1 edge");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    assertEquals(List.of("203.0.113.9, 10.0.0.7"), gateway.values("X-Forwarded-For"));
    assertEquals(List.of("1.1 edge, 1.1 apilink"), gateway.values("Via"));
  }

  /**
   * RFC 9110 5.6.1.1: a sender must not generate empty list elements. Found by review: a client's
   * empty {@code X-Forwarded-For} or {@code Via} made ApiLink send {@code , 10.0.0.7}, whose first
   * element, the one a backend takes for the client's address, is empty.
   */
  @Test
  void anEmptyForwardingFieldOfTheClientAddsNoEmptyElement() {
    Headers client =
        Headers.of(
            "X-Forwarded-For", "",
            "X-Forwarded-For", "203.0.113.9",
            "X-Forwarded-For", "  ",
            "X-Forwarded-For", "198.51.100.4, ",
            "Via", "",
            "Via", " \t");

    Headers gateway = ProxyHeaders.toGateway(client, ADDED);

    assertEquals(List.of("203.0.113.9, 198.51.100.4, 10.0.0.7"), gateway.values("X-Forwarded-For"));
    assertEquals(List.of("1.1 apilink"), gateway.values("Via"));
  }

  @Test
  void theClientGetsEveryEndToEndFieldOfTheGatewaysAnswer() {
    Headers gateway =
        Headers.of(
            "Set-Cookie", "a=1",
            "Set-Cookie", "b=2",
            "Content-Encoding", "gzip",
            "Transfer-Encoding", "chunked",
            "Connection", "X-Internal",
            "X-Internal", "1");

    Headers client = ProxyHeaders.toClient(gateway, null);

    assertEquals(
        List.of(
            new Headers.Field("Set-Cookie", "a=1"),
            new Headers.Field("Set-Cookie", "b=2"),
            new Headers.Field("Content-Encoding", "gzip")),
        client.asList());
  }

  @Test
  void theClientGetsTheGatewaysTrailersButThoseOnlyAHeadMayCarry() {
    Headers trailers =
        Headers.of(
            "grpc-status", "0",
            "X-Checksum", "a",
            "x-checksum", "b",
            "Content-Length", "9",
            "Set-Cookie", "a=1",
            "Transfer-Encoding", "chunked",
            "Cache-Control", "no-store");

    Map<String, String> client = ProxyHeaders.trailersToClient(trailers);

    assertEquals(Map.of("grpc-status", "0", "X-Checksum", "a, b"), Map.copyOf(client));
    assertEquals("a, b", client.get("X-CHECKSUM"), "names compared without case");
  }

  /** {@link #ADDED} for a user the container signed in with the client's BASIC credentials. */
  static ProxyHeaders.Added containerLogin(String tokenHeader, String sessionCookie) {
    return added(tokenHeader, "minted", "cHJpbmNpcGFs", true, sessionCookie);
  }

  /** {@link #ADDED} with another token, principal and credential handling. */
  static ProxyHeaders.Added added(
      String tokenHeader,
      String tokenValue,
      String principal,
      boolean containersCredentials,
      String sessionCookie) {
    return new ProxyHeaders.Added(
        ADDED.subscriptionKeyHeader(),
        ADDED.subscriptionKey(),
        tokenHeader,
        tokenValue,
        principal,
        ADDED.originalUrl(),
        ADDED.clientAddress(),
        ADDED.clientScheme(),
        ADDED.clientHost(),
        ADDED.via(),
        containersCredentials,
        sessionCookie);
  }

  @Test
  void thePasswordTheContainerSignedTheUserInWithStaysWithTheContainer() {
    Headers client = Headers.of("Authorization", "Basic YWxpY2U6czNjcmV0", "Accept", "*/*");

    Headers signedIn = ProxyHeaders.toGateway(client, containerLogin("X-Token", null));

    assertEquals(List.of(), signedIn.values("Authorization"));
    assertEquals(List.of("minted"), signedIn.values("X-Token"));
  }

  @Test
  void passwordsStayWithTheSiteEvenWhenTheContainerDidNotCheckThem() {
    // A failed check on Jetty, a Tomcat without preemptive authentication: no user signed in, and
    // still a password for the site's origin.
    for (String credentials :
        List.of(
            "Basic YWxpY2U6czNjcmV0",
            "basic YWxpY2U6czNjcmV0",
            "  BASIC\tYWxpY2U6czNjcmV0",
            "Basic",
            "Digest username=\"alice\", response=\"6629fae49393a05397450978507c4ef1\"",
            "DIGEST username=\"alice\"",
            "Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnagMDAu",
            "NTLM TlRMTVNTUAADAAAAGAAYAHAAAAAYABgAiAAAAA==")) {
      Headers gateway =
          ProxyHeaders.toGateway(
              Headers.of("Authorization", credentials), withTokenHeader("X-Token"));
      assertEquals(List.of(), gateway.values("Authorization"), credentials);
      assertEquals(List.of("minted"), gateway.values("X-Token"));
    }
    // Other schemes are the client's own credentials for the API: they pass.
    for (String credentials :
        List.of("Bearer api-own", "Basically x", "Digestive y", "ApiKey k", "Negotiated z")) {
      assertEquals(
          List.of(credentials),
          ProxyHeaders.toGateway(
                  Headers.of("Authorization", credentials), withTokenHeader("X-Token"))
              .values("Authorization"),
          credentials);
    }
  }

  @Test
  void theContainersSessionCookieStaysWithTheContainerAndTheOthersPass() {
    ProxyHeaders.Added added = containerLogin("Authorization", "JSESSIONID");

    assertEquals(
        List.of("a=1; b=2"),
        ProxyHeaders.toGateway(Headers.of("Cookie", "a=1; JSESSIONID=S1; b=2"), added)
            .values("Cookie"));
    assertEquals(
        List.of(),
        ProxyHeaders.toGateway(Headers.of("Cookie", "JSESSIONID=S1"), added).values("Cookie"));
    // HTTP/2 crumbs: one field left, the session's dropped; names are case-sensitive.
    assertEquals(
        List.of("a=1; jsessionid=x; JSESSIONIDX=y"),
        ProxyHeaders.toGateway(
                Headers.of(
                    "Cookie",
                    "a=1",
                    "cookie",
                    " JSESSIONID = S1 ",
                    "Cookie",
                    "jsessionid=x",
                    "Cookie",
                    "JSESSIONIDX=y"),
                added)
            .values("Cookie"));
    assertEquals(
        List.of("a=1; JSESSIONID=S1"),
        ProxyHeaders.toGateway(Headers.of("Cookie", "a=1; JSESSIONID=S1"), withTokenHeader("X"))
            .values("Cookie"),
        "no session cookie name given: every cookie passes");
  }

  @Test
  void theSingleSignOnCookieStaysWithTheContainerWhateverTheSessionCookieIsNamed() {
    // Tomcat's SingleSignOn valve: JSESSIONIDSSO, beside a session cookie that session-config may
    // name otherwise (the default name hides the case: JSESSIONIDSSO contains JSESSIONID).
    assertEquals(
        List.of("a=1; b=2"),
        ProxyHeaders.toGateway(
                Headers.of("Cookie", "a=1; JSESSIONIDSSO=SSO1; b=2"),
                containerLogin("Authorization", "SITESESSION"))
            .values("Cookie"));
  }

  @Test
  void theGatewayCannotSetTheContainersSessionCookie() {
    Headers gateway =
        Headers.of(
            "Set-Cookie", "JSESSIONID=FROM-API; Path=/",
            "set-cookie", "theme=dark; Path=/",
            "Set-Cookie", "JSESSIONID2=kept");

    assertEquals(
        List.of(
            new Headers.Field("set-cookie", "theme=dark; Path=/"),
            new Headers.Field("Set-Cookie", "JSESSIONID2=kept")),
        ProxyHeaders.toClient(gateway, "JSESSIONID").asList());
  }

  @Test
  void theGatewayCannotSetTheContainersSessionCookieAsANamelessCookieEither() {
    // A browser sends a nameless cookie back as its value alone: =JSESSIONID=x as JSESSIONID=x.
    Headers gateway =
        Headers.of(
            "Set-Cookie", "=JSESSIONID=FROM-API; Path=/",
            "Set-Cookie", " = jsessionid=FROM-API",
            "Set-Cookie", "==JSESSIONID=FROM-API",
            "Set-Cookie", "=theme=dark",
            "Set-Cookie", "=plain");

    assertEquals(
        List.of(
            new Headers.Field("Set-Cookie", "=theme=dark"),
            new Headers.Field("Set-Cookie", "=plain")),
        ProxyHeaders.toClient(gateway, "JSESSIONID").asList());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "Basic realm=\"orders\"                          | ''",
        "basic realm=orders, charset=\"UTF-8\"            | ''",
        "Negotiate                                       | ''",
        "NTLM, Negotiate                                 | ''",
        "Digest realm=\"a\", nonce=\"n,1\", qop=auth      | ''",
        "Bearer realm=\"orders\", Basic realm=\"orders\"   | Bearer realm=\"orders\"",
        "Basic realm=\"a, Bearer b\", Bearer error=x       | Bearer error=x",
        "Basicx realm=a                                  | Basicx realm=a",
        "Bearer realm=\"orders\", error=\"invalid_token\" | Bearer realm=\"orders\", error=\"invalid_token\"",
      })
  void aChallengeForTheSitesOwnCredentialsDoesNotReachTheClient(String challenge, String kept) {
    Headers gateway =
        Headers.of(
            "WWW-Authenticate",
            challenge,
            "WWW-Authenticate",
            "AzureApiManagementKey realm=\"https://contoso.azure-api.net/api\",name=\"Ocp-Apim-Subscription-Key\",type=\"header\"");

    List<Headers.Field> expected = new ArrayList<>();
    if (!kept.isEmpty()) {
      expected.add(new Headers.Field("WWW-Authenticate", kept));
    }
    expected.add(gateway.asList().get(1));
    assertEquals(expected, ProxyHeaders.toClient(gateway, null).asList());
  }

  private static ProxyHeaders.Added withTokenHeader(String tokenHeader) {
    return added(tokenHeader, "minted", null, false, null);
  }

  @Test
  void headersShowNamesButNoValues() {
    Headers headers = Headers.of("Ocp-Apim-Subscription-Key", "the-key");

    assertEquals("Headers[Ocp-Apim-Subscription-Key]", headers.toString());
    assertFalse(ADDED.toString().contains("the-key"));
  }

  @Test
  void theConfigurationRefusesEveryHeaderThatTheProxyHandlesItselfForTheKey(@TempDir Path dir)
      throws Exception {
    List<String> handled = new ArrayList<>(ProxyHeaders.HOP_BY_HOP);
    handled.addAll(ProxyHeaders.SET_BY_PROXY);
    handled.addAll(List.of("X-Forwarded-For", "Via")); // appended to
    for (String name : handled) {
      Files.writeString(
          dir.resolve("apilink.json"),
          """
          {"hostname": "site.example", "environments": {"production": {"backend": {
            "resourceType": "apiManagement", "url": "https://apim.example",
            "subscriptionKey": "k", "subscriptionKeyHeader": "%s"}}}}
          """
              .formatted(name));
      ConfigLoader loader =
          new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), variable -> null);

      ConfigException e =
          assertThrows(ConfigException.class, () -> loader.load("apilink.json", "production"));

      assertEquals(
          List.of(
              "environments.production.backend.subscriptionKeyHeader: a header that ApiLink sets"
                  + " or removes itself (was \""
                  + name
                  + "\")"),
          e.problems().stream().map(Object::toString).toList());
    }
  }

  @Test
  void aVaryListsWhatTheContainerAndTheGatewayVaryWithOnce() {
    assertEquals(
        "Accept-Encoding, Origin, Accept-Language",
        ProxyHeaders.joinedVary(
            List.of("Accept-Encoding, Origin"),
            List.of("accept-encoding,Accept-Language", "origin")));
    assertEquals("*", ProxyHeaders.joinedVary(List.of("Origin"), List.of("Accept-Language, *")));
  }

  @Test
  void thePrincipalsMapperKeepsNothingInTheContainersThreads() throws Exception {
    dev.apilink.config.JsonFactoriesTest.assertNoThreadLocalBuffers(
        ClientPrincipal.JSON, "ClientPrincipal");
    // A signed-in user's principal, written on a request thread.
    jakarta.servlet.http.HttpServletRequest signedIn =
        (jakarta.servlet.http.HttpServletRequest)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {jakarta.servlet.http.HttpServletRequest.class},
                (proxy, method, args) ->
                    switch (method.getName()) {
                      case "getUserPrincipal" -> (java.security.Principal) () -> "alice";
                      case "isUserInRole" -> true;
                      default -> throw new UnsupportedOperationException(method.getName());
                    });
    dev.apilink.config.JsonFactoriesTest.assertLeavesNoBuffersInItsThread(
        () -> ClientPrincipal.of(signedIn, "container", List.of("admin")));
  }

  /**
   * The head is counted as the container sends it (a status line, each field's name, ": ", value
   * and CRLF, the empty line), with 256 bytes kept for the container's own fields.
   */
  @Test
  void aResponseHeadOverTheContainersLimitIsToldByItsSize() {
    List<Headers.Field> fits = List.of(new Headers.Field("X-Big", "v".repeat(1764)));
    List<Headers.Field> over = List.of(new Headers.Field("X-Big", "v".repeat(1765)));

    assertNull(ProxyHeaders.tooLargeForContainer(fits, 2048));
    assertEquals(
        "a response head of 1793 bytes, plus 256 for the container's own fields, over"
            + " maxResponseHeaderBytes 2048",
        ProxyHeaders.tooLargeForContainer(over, 2048).getMessage());
  }
}
