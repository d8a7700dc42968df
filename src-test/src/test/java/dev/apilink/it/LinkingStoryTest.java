package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.apilink.testkit.echo.EchoBackend;
import dev.apilink.testkit.gateway.Api;
import dev.apilink.testkit.gateway.ApimGateway;
import dev.apilink.testkit.gateway.SubscriptionState;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every statement of the linking story, end to end: a site (ApiLink in embedded Tomcat) linked to
 * the testkit gateway with the {@code link} command's output, a backend behind the gateway.
 */
class LinkingStoryTest {

  static final String INVALID_KEY =
      "{\"statusCode\": 401, \"message\": \"Access denied due to invalid subscription key. Make"
          + " sure to provide a valid key for an active subscription.\"}";
  static final String MISSING_KEY =
      "{\"statusCode\": 401, \"message\": \"Access denied due to missing subscription key. Make"
          + " sure to include subscription key when making requests to an API.\"}";
  static final String INVALID_TOKEN =
      "{\"statusCode\": 401, \"message\": \"Unauthorized. Access token is missing or invalid.\"}";

  @TempDir Path dir;
  EchoBackend backend;
  ApimGateway gateway;
  LinkedSite site;

  @BeforeEach
  void link() throws Exception {
    backend = EchoBackend.start();
    gateway = ApimGateway.builder().api("sample", "api", backend.url()).start();
    // The site signs with a key the test knows, so that it can forge near-misses of its tokens.
    Path keys = Files.createDirectories(dir.resolve("keys")).resolve("site.jwk.json");
    Files.writeString(keys, Keys.set("site-key"));
    site =
        LinkedSite.link(
            ServletContainer.Kind.TOMCAT,
            dir.resolve("a"),
            gateway,
            c -> c.putObject("token").put("signingKeyFile", keys.toString()));
  }

  @AfterEach
  void stop() throws Exception {
    site.close();
    gateway.close();
    backend.close();
  }

  @Test
  void theLinkCommandCreatesWhatStaticWebAppsLinkingCreates() {
    String host = "127.0.0.1:" + site.site.container().port();
    assertEquals(
        "Azure Static Web Apps - " + host + " (Linked)",
        gateway.product(site.productId).displayName());
    assertTrue(gateway.product(site.productId).subscriptionRequired());
    assertEquals(
        "Generated for Static Web Apps resource with default hostname: " + host,
        gateway.subscription(site.subscriptionId).displayName());
    assertEquals(site.productId, gateway.subscription(site.subscriptionId).productId());
    assertEquals(SubscriptionState.ACTIVE, gateway.subscription(site.subscriptionId).state());
  }

  @Test
  void freshlyLinkedWithNoApiInTheProductTheAnswerIsTheInvalidKey401() throws Exception {
    HttpResponse<String> response = site.get("/api/products");

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_KEY, response.body());
    assertEquals(List.of(), backend.received());
  }

  @Test
  void onceTheApiIsAddedToTheProductTheBackendAnswers() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");

    HttpResponse<String> response = site.get("/api/products?page=2");

    assertEquals(200, response.statusCode());
    // APIM strips the API's URL suffix ("api") and forwards the rest to the API's service URL.
    assertEquals("/products", Site.JSON.readTree(response.body()).get("rawPath").asText());
    assertEquals("page=2", backend.received().get(0).rawQuery());
  }

  @Test
  void aKeyHeaderRenamedOnBothSidesLinksToo() throws Exception {
    // The site's subscriptionKeyHeader and the API's subscriptionKeyParameterNames.header, as
    // link's output tells the operator to set them.
    try (ApimGateway renamed =
        ApimGateway.builder()
            .api(Api.of("sample", "api", backend.url()).withSubscriptionKeyHeader("X-Key"))
            .start()) {
      LinkedSite other =
          LinkedSite.link(
              ServletContainer.Kind.JETTY,
              dir.resolve("renamed"),
              renamed,
              c ->
                  ((com.fasterxml.jackson.databind.node.ObjectNode)
                          c.get("environments").get("production").get("backend"))
                      .put("subscriptionKeyHeader", "X-Key"));
      try {
        renamed.addApiToProduct(other.productId, "sample");

        HttpResponse<String> response = other.get("/api/products");

        assertEquals(200, response.statusCode(), response.body());
        assertEquals(List.of(), backend.received().get(0).header("X-Key"));
      } finally {
        other.close();
      }
    }
  }

  @Test
  void aRegeneratedPrimaryKeyIsRefused() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    gateway.regeneratePrimaryKey(site.subscriptionId);

    HttpResponse<String> response = site.get("/api/products");

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_KEY, response.body());
  }

  @Test
  void theGatewayRefusingTheSubscriptionKeyIsAWarningThatSaysWhatToCheck() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    gateway.regeneratePrimaryKey(site.subscriptionId);

    try (LogWatch log = new LogWatch()) {
      site.get("/api/products");
      site.get("/api/products");

      assertEquals(
          List.of(
              "ApiLink: GET "
                  + site.site.container().url()
                  + "/api/products -> answered 401 by the gateway to the subscription key:"
                  + " it is not one of the subscription's keys (regenerated?), the subscription"
                  + " is not active, the API is not in the linked product, or the API reads the"
                  + " key from another header; check subscriptionKey and subscriptionKeyHeader"
                  + " (gateway "
                  + gateway.url()
                  + ")"),
          log.warnings("401"));
    }
  }

  @Test
  void aKeyHeaderRenamedOnTheSiteAloneGetsTheMissingKey401AndTheSameWarning() throws Exception {
    LinkedSite other =
        LinkedSite.link(
            ServletContainer.Kind.JETTY,
            dir.resolve("renamed-site-only"),
            gateway,
            c ->
                ((com.fasterxml.jackson.databind.node.ObjectNode)
                        c.get("environments").get("production").get("backend"))
                    .put("subscriptionKeyHeader", "X-Key"));
    try (LogWatch log = new LogWatch()) {
      gateway.addApiToProduct(other.productId, "sample");

      HttpResponse<String> response = other.get("/api/products");

      assertEquals(401, response.statusCode());
      assertEquals(MISSING_KEY, response.body());
      assertEquals(1, log.warnings("answered 401 by the gateway to the subscription key").size());
    } finally {
      other.close();
    }
  }

  @Test
  void anApisOwn401IsNotTakenForTheGatewayRefusingTheKey() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");

    try (LogWatch log = new LogWatch()) {
      HttpResponse<String> response =
          site.get(
              "/api/products",
              "x-echo-status",
              "401",
              "x-echo-response-header",
              "WWW-Authenticate: Bearer realm=\"orders\"");

      assertEquals(401, response.statusCode());
      assertEquals(List.of(), log.warnings(""));
    }
  }

  @Test
  void aChangedPolicyAudienceRefusesTheTokensWithThePolicysMessage() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    String policy = gateway.product(site.productId).policyXml();
    gateway.setProductPolicy(
        site.productId,
        policy.replace(
            "<audience>" + gateway.url() + "</audience>", "<audience>api://another</audience>"));

    try (LogWatch log = new LogWatch()) {
      HttpResponse<String> response = site.get("/api/products");

      assertEquals(401, response.statusCode());
      assertEquals(INVALID_TOKEN, response.body());
      assertEquals(List.of(), backend.received());
      // The README's "not logged": validate-jwt's 401 is not API Management's key challenge.
      assertEquals(List.of(), log.warnings(""));
    }
  }

  /**
   * An audience (any string in apilink.json) with every character XML escapes: the policy that
   * {@code link} prints parses on the gateway, names that audience, and lets the site's tokens
   * through. Coverage (review C) showed that no test escaped a quote.
   */
  @Test
  void anAudienceWithQuotesAndMarkupCharactersIsInThePolicyAsWritten() throws Exception {
    String audience = "api://orders?team=\"a\"&owner='b'<c>";
    site.close();
    site =
        LinkedSite.link(
            ServletContainer.Kind.TOMCAT,
            dir.resolve("quoted"),
            gateway,
            c ->
                ((ObjectNode) c.get("environments").get("production").get("backend"))
                    .put("audience", audience));
    gateway.addApiToProduct(site.productId, "sample");

    HttpResponse<String> response = site.get("/api/products");

    assertTrue(
        gateway
            .product(site.productId)
            .policyXml()
            .contains(
                "<audience>api://orders?team=&quot;a&quot;&amp;owner=&apos;b&apos;&lt;c&gt;"
                    + "</audience>"),
        gateway.product(site.productId).policyXml());
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(1, backend.received().size());
  }

  /**
   * A web application whose context path has a space and a non-ASCII letter, linked with {@code
   * link --context-path} as the container reports it (decoded): the policy's discovery URL has it
   * percent-encoded, its issuer decoded, and the site's tokens get through, on both containers.
   */
  @Test
  void aSiteUnderAContextPathWithASpaceAndAnAccentGetsThroughOnTomcat() throws Exception {
    assertASiteUnderAnEncodedContextPathGetsThrough(ServletContainer.Kind.TOMCAT);
  }

  @Test
  void aSiteUnderAContextPathWithASpaceAndAnAccentGetsThroughOnJetty() throws Exception {
    assertASiteUnderAnEncodedContextPathGetsThrough(ServletContainer.Kind.JETTY);
  }

  private void assertASiteUnderAnEncodedContextPathGetsThrough(ServletContainer.Kind kind)
      throws Exception {
    site.close();
    site = LinkedSite.link(kind, dir.resolve("cafe"), gateway, "/caf\u00e9 bar", c -> {});
    gateway.addApiToProduct(site.productId, "sample");

    HttpResponse<String> response = site.getEncoded("/api/products");

    String origin = "http://127.0.0.1:" + site.site.container().port();
    String policy = gateway.product(site.productId).policyXml();
    assertTrue(
        policy.contains(
            "<openid-config url=\""
                + origin
                + "/caf%C3%A9%20bar/.auth/.well-known/openid-configuration\" />"),
        policy);
    assertTrue(policy.contains("<issuer>" + origin + "/caf\u00e9 bar/.auth</issuer>"), policy);
    assertEquals(200, response.statusCode(), response.body());
    assertEquals(1, backend.received().size());
  }

  /**
   * {@code token.header} other than {@code Authorization}: the site sends the bare token there, and
   * {@code link}'s policy reads it from there without {@code require-scheme}.
   */
  @Test
  void aTokenInAHeaderOfItsOwnGetsThroughWithTheLinkedPolicy() throws Exception {
    site.close();
    site =
        LinkedSite.link(
            ServletContainer.Kind.JETTY,
            dir.resolve("own-header"),
            gateway,
            c -> c.putObject("token").put("header", "X-Site-Token"));
    gateway.addApiToProduct(site.productId, "sample");

    HttpResponse<String> response =
        site.get("/api/products", "Authorization", "Bearer the-apis-own-token");

    String policy = gateway.product(site.productId).policyXml();
    assertTrue(policy.contains("<validate-jwt header-name=\"X-Site-Token\""), policy);
    assertFalse(policy.contains("require-scheme"), policy);
    assertEquals(200, response.statusCode(), response.body());
    // The client's own Authorization is the API's, passed on untouched.
    assertEquals(
        List.of("Bearer the-apis-own-token"), backend.received().get(0).header("Authorization"));
  }

  /**
   * An EC P-256 signing key (ES256), which configuration.md offers besides keygen's RSA: the policy
   * {@code link} prints names no algorithm, and the gateway verifies the site's ES256 tokens with
   * the published key.
   */
  @Test
  void aSiteSigningWithAnEcKeyGetsThroughWithTheLinkedPolicy() throws Exception {
    ECKey ecKey =
        new ECKeyGenerator(Curve.P_256).keyID("ec-key").algorithm(JWSAlgorithm.ES256).generate();
    Path keys = Files.createDirectories(dir.resolve("ec-keys")).resolve("site.jwk.json");
    Files.writeString(keys, new JWKSet(ecKey).toString(false));
    site.close();
    site =
        LinkedSite.link(
            ServletContainer.Kind.TOMCAT,
            dir.resolve("ec"),
            gateway,
            c -> c.putObject("token").put("signingKeyFile", keys.toString()));
    gateway.addApiToProduct(site.productId, "sample");

    HttpResponse<String> response = site.get("/api/products");

    assertEquals(200, response.statusCode(), response.body());
    String token =
        backend.received().get(0).header("Authorization").get(0).substring("Bearer ".length());
    assertEquals(JWSAlgorithm.ES256, SignedJWT.parse(token).getHeader().getAlgorithm());
  }

  @Test
  void aSiteWhoseClockIsSecondsAheadOfTheGatewaysGetsThrough() throws Exception {
    // Clocks on two machines differ by seconds (an unsynchronised VM). ApiLink's token is not
    // valid before the site's now, which is then in the gateway's future, and validate-jwt's
    // clock-skew is 0 s unless the policy sets it (reference/apim.md).
    gateway.close();
    gateway =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .clock(Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-10)))
            .start();
    site.close();
    site = LinkedSite.link(ServletContainer.Kind.TOMCAT, dir.resolve("ahead"), gateway, c -> {});
    gateway.addApiToProduct(site.productId, "sample");

    HttpResponse<String> response = site.get("/api/products");

    assertEquals(200, response.statusCode(), response.body());
  }

  @Test
  void aSiteWhoseClockIsMinutesAheadOfTheGatewaysIsRefusedAndToldWhyOnce() throws Exception {
    // Beyond the link policy's clock-skew (60 s), every token is refused as not yet valid: the
    // user sees validate-jwt's 401, and the site's log said nothing of why.
    gateway.close();
    gateway =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .clock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(-5)))
            .start();
    site.close();
    site = LinkedSite.link(ServletContainer.Kind.TOMCAT, dir.resolve("ahead"), gateway, c -> {});
    gateway.addApiToProduct(site.productId, "sample");

    try (LogWatch log = new LogWatch()) {
      HttpResponse<String> first = site.get("/api/products");
      HttpResponse<String> second = site.get("/api/products");

      assertEquals(INVALID_TOKEN, first.body());
      assertEquals(401, second.statusCode());
      List<String> warnings = log.warnings("");
      assertEquals(1, warnings.size(), warnings.toString());
      String instant = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z";
      assertTrue(
          warnings
              .get(0)
              .matches(
                  Pattern.quote(
                          "ApiLink: GET "
                              + site.site.container().url()
                              + "/api/products -> answered 401 by the gateway, whose")
                      + " clock is (299|30[0-6]) s behind this machine's \\(its Date "
                      + instant
                      + ", here "
                      + instant
                      + Pattern.quote(
                          "): validate-jwt refuses the access token when the clocks differ by"
                              + " more than its clock-skew (60 s in the policy that link prints);"
                              + " set both clocks right (NTP) (gateway "
                              + gateway.url()
                              + ")")),
          warnings.get(0));
    }
  }

  @Test
  void aSiteWhoseClockIsMinutesBehindTheGatewaysIsToldTheGatewaysIsAhead() throws Exception {
    // Six minutes: the token's exp, 300 s after the site's now, is past by the gateway's clock
    // beyond the policy's clock-skew (60 s); refused as expired.
    gateway.close();
    gateway =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .clock(Clock.offset(Clock.systemUTC(), Duration.ofMinutes(6)))
            .start();
    site.close();
    site = LinkedSite.link(ServletContainer.Kind.JETTY, dir.resolve("behind"), gateway, c -> {});
    gateway.addApiToProduct(site.productId, "sample");

    try (LogWatch log = new LogWatch()) {
      assertEquals(INVALID_TOKEN, site.get("/api/products").body());

      List<String> warnings = log.warnings("");
      assertEquals(1, warnings.size(), warnings.toString());
      assertTrue(
          // The Date field has whole seconds, and the answer takes its time (358 was seen once):
          // some seconds less on a loaded machine.
          warnings
              .get(0)
              .matches(".* whose clock is (35[4-9]|36[01]) s ahead of this machine's .*"),
          warnings.get(0));
    }
  }

  @Test
  void aSuspendedSubscriptionIsRefused() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    gateway.setSubscriptionState(site.subscriptionId, SubscriptionState.SUSPENDED);

    HttpResponse<String> response = site.get("/api/products");

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_KEY, response.body());
  }

  @Test
  void twoSitesOnOneGatewayEachReachOnlyTheirOwnProductsApis() throws Exception {
    EchoBackend other = EchoBackend.start();
    gateway.close();
    gateway =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .api("orders", "api/orders", other.url())
            .start();
    site.close();
    site = LinkedSite.link(ServletContainer.Kind.TOMCAT, dir.resolve("a2"), gateway, c -> {});
    try (LinkedSite second =
        LinkedSite.link(ServletContainer.Kind.JETTY, dir.resolve("b"), gateway, c -> {})) {
      assertFalse(site.productId.equals(second.productId), "one product per site");
      gateway.addApiToProduct(site.productId, "sample");
      gateway.addApiToProduct(second.productId, "orders");

      assertEquals(200, site.get("/api/products").statusCode());
      assertEquals(INVALID_KEY, site.get("/api/orders/7").body());
      assertEquals(200, second.get("/api/orders/7").statusCode());
      assertEquals(INVALID_KEY, second.get("/api/products").body());
      assertEquals(1, backend.received().size());
      assertEquals(1, other.received().size());

      // One site's key with the other site's token: the token's issuer is the wrong site.
      String firstToken = backend.received().get(0).header("Authorization").get(0);
      HttpResponse<String> mixed =
          LinkedSite.CLIENT.send(
              java.net.http.HttpRequest.newBuilder(gateway.url().resolve("/api/orders/7"))
                  .header("Ocp-Apim-Subscription-Key", gateway.primaryKey(second.subscriptionId))
                  .header("Authorization", firstToken)
                  .build(),
              java.net.http.HttpResponse.BodyHandlers.ofString());
      assertEquals(401, mixed.statusCode());
      assertEquals(INVALID_TOKEN, mixed.body());
    } finally {
      other.close();
    }
  }

  @Test
  void unlinkedTheSiteStopsProxyingAndTheProductAndSubscriptionStay() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    try (LogWatch log = new LogWatch()) {
      ObjectNode unlinked = site.site.linkedTo(gateway.url());
      unlinked.putObject("environments").putObject("production");
      site.site.replaceConfig(unlinked.toString());
      log.await("is not linked", Duration.ofSeconds(20));
    }

    HttpResponse<String> response = site.get("/api/products");

    assertEquals(404, response.statusCode());
    assertEquals(List.of(), backend.received());
    assertEquals(site.productId, gateway.product(site.productId).id());
    assertEquals(SubscriptionState.ACTIVE, gateway.subscription(site.subscriptionId).state());
  }

  @Test
  void anUnlinkedEnvironmentWithoutAKeyFileWarnsOfNoGeneratedKey() throws Exception {
    try (LogWatch log = new LogWatch();
        Site unlinked = Site.create(ServletContainer.Kind.JETTY, dir.resolve("unlinked"), "")) {
      ObjectNode config = unlinked.linkedTo(gateway.url());
      config.putObject("environments").putObject("production");

      assertTrue(unlinked.deploy(config), unlinked.container().deploymentFailure());

      // Found by a reviewer: it warned that "this instance generated its own signing key" for an
      // environment that signs nothing. Its discovery documents are still served
      // (ProxyContract.theDiscoveryDocumentsAreServedEvenWhenNotLinked).
      assertEquals(List.of(), log.all("signing key"));
    }
  }

  // ---- what the gateway refuses, with APIM's status and body ----

  /** A request straight to the gateway, as a client that bypasses the site would send it. */
  HttpResponse<String> direct(String... headers) throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    java.net.http.HttpRequest.Builder request =
        java.net.http.HttpRequest.newBuilder(gateway.url().resolve("/api/products"));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return LinkedSite.CLIENT.send(
        request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
  }

  String key() {
    return gateway.primaryKey(site.subscriptionId);
  }

  /** A token like the site's, with the claims and key given. */
  String token(RSAKey key, String issuer, Date expires) throws Exception {
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .audience(gateway.url().toString())
            .subject("127.0.0.1:" + site.site.container().port())
            .issueTime(new Date())
            .notBeforeTime(new Date(System.currentTimeMillis() - 60_000))
            .expirationTime(expires)
            .build();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new RSASSASigner(key));
    return jwt.serialize();
  }

  String issuer() {
    return site.site.container().url() + "/.auth";
  }

  Date inFiveMinutes() {
    return new Date(System.currentTimeMillis() + 300_000);
  }

  @Test
  void aMissingKeyIsRefused() throws Exception {
    HttpResponse<String> response = direct();

    assertEquals(401, response.statusCode());
    assertEquals(MISSING_KEY, response.body());
  }

  @Test
  void aKeyWithoutATokenIsRefused() throws Exception {
    HttpResponse<String> response = direct("Ocp-Apim-Subscription-Key", key());

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_TOKEN, response.body());
  }

  @Test
  void anExpiredTokenIsRefused() throws Exception {
    // Expired for longer than the policy's clock-skew (60 s).
    String token =
        token(Keys.key("site-key"), issuer(), new Date(System.currentTimeMillis() - 61_000));

    assertEquals(
        INVALID_TOKEN,
        direct("Ocp-Apim-Subscription-Key", key(), "Authorization", "Bearer " + token).body());
  }

  @Test
  void aTokenFromTheWrongIssuerIsRefused() throws Exception {
    String token = token(Keys.key("site-key"), "https://evil.example/.auth", inFiveMinutes());

    HttpResponse<String> response =
        direct("Ocp-Apim-Subscription-Key", key(), "Authorization", "Bearer " + token);

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_TOKEN, response.body());
  }

  @Test
  void aTokenWithATamperedSignatureIsRefused() throws Exception {
    gateway.addApiToProduct(site.productId, "sample");
    site.get("/api/products");
    String genuine =
        backend.received().get(0).header("Authorization").get(0).substring("Bearer ".length());
    String[] parts = genuine.split("\\.");
    byte[] signature = new Base64URL(parts[2]).decode();
    signature[10] ^= 0x01;
    String tampered = parts[0] + "." + parts[1] + "." + Base64URL.encode(signature);

    HttpResponse<String> response =
        direct("Ocp-Apim-Subscription-Key", key(), "Authorization", "Bearer " + tampered);

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_TOKEN, response.body());
  }

  @Test
  void aTokenSignedWithAnUnknownKidIsRefused() throws Exception {
    String token = token(Keys.key("not-published"), issuer(), inFiveMinutes());

    HttpResponse<String> response =
        direct("Ocp-Apim-Subscription-Key", key(), "Authorization", "Bearer " + token);

    assertEquals(401, response.statusCode());
    assertEquals(INVALID_TOKEN, response.body());
  }

  @Test
  void aTokenMintedWithTheSitesKeyAndClaimsPasses() throws Exception {
    String token = token(Keys.key("site-key"), issuer(), inFiveMinutes());

    HttpResponse<String> response =
        direct("Ocp-Apim-Subscription-Key", key(), "Authorization", "Bearer " + token);

    assertEquals(200, response.statusCode(), "the near-misses above differ from this in one way");
  }
}
