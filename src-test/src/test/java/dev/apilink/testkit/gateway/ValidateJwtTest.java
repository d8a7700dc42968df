package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.apilink.testkit.echo.EchoBackend;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpFields;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The inbound {@code validate-jwt} policy against tokens minted here with Nimbus, and a discovery
 * endpoint served here, as ApiLink's filter serves its own.
 */
class ValidateJwtTest {

  static final String REJECTED = "{\"statusCode\": 403, \"message\": \"Token rejected\"}";

  /**
   * A policy without {@code failed-validation-error-message} refusing a token: APIM's text there
   * comes from its JWT library (Microsoft's error-handling reference), which the testkit does not
   * reproduce.
   */
  static final String DEFAULT_REJECTED =
      "{\"statusCode\": 401, \"message\": \"Unauthorized. Access token is missing or invalid.\"}";

  /** APIM's default message for a missing token: "JWT not present." (validate-jwt reference). */
  static final String NOT_PRESENT = "{\"statusCode\": 401, \"message\": \"JWT not present.\"}";

  static final ECKey EC = Tokens.ecKey("ec-1");
  static final EchoBackend backend = EchoBackend.start();
  static final TestClient client = new TestClient();
  static final OpenIdServer issuer = startIssuer();

  final ManualClock clock = new ManualClock(Instant.parse("2026-11-26T10:00:00Z"));
  ApimGateway gateway;

  private static OpenIdServer startIssuer() {
    try {
      return OpenIdServer.start(Tokens.RSA_1, EC);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @BeforeEach
  void clear() {
    backend.clear();
  }

  @AfterEach
  void stopGateway() {
    if (gateway != null) {
      gateway.close();
    }
  }

  @AfterAll
  static void stop() throws Exception {
    issuer.close();
    client.close();
    backend.close();
  }

  // ---- set-up ----

  /** A validate-jwt policy with these attributes and children, and nothing else. */
  static String policy(String attributes, String children) {
    return "<policies><inbound><base/><validate-jwt "
        + attributes
        + ">"
        + children
        + "</validate-jwt></inbound><backend><base/></backend><outbound><base/></outbound>"
        + "<on-error><base/></on-error></policies>";
  }

  static String openIdConfig(OpenIdServer server) {
    return "<openid-config url=\"" + server.discoveryUrl() + "\"/>";
  }

  static final String AUDIENCES =
      "<audiences><audience>" + Tokens.AUDIENCE + "</audience></audiences>";

  /** The policy that linking sets up, with a recognisable status and message. */
  static String linkedPolicy(OpenIdServer server) {
    return policy(
        "header-name=\"Authorization\" failed-validation-httpcode=\"403\""
            + " failed-validation-error-message=\"Token rejected\" require-scheme=\"Bearer\"",
        openIdConfig(server) + AUDIENCES);
  }

  private void start(String policyXml) {
    gateway =
        ApimGateway.builder()
            .api("sample", "api", backend.url())
            .product(Product.of("swa-linked").withApis("sample").withPolicyXml(policyXml))
            .subscription(Subscription.of("swa-sub", "swa-linked"))
            .clock(clock)
            .start();
  }

  private TestClient.Reply call(Consumer<HttpFields.Mutable> headers) {
    return call("/api/x", null, headers);
  }

  private TestClient.Reply call(String path, String query, Consumer<HttpFields.Mutable> headers) {
    return client.send(
        client
            .request(gateway.url(), path, query)
            .headers(h -> h.put("Ocp-Apim-Subscription-Key", gateway.primaryKey("swa-sub")))
            .headers(headers));
  }

  private TestClient.Reply callWithBearer(String token) {
    return call(headers -> headers.put("Authorization", "Bearer " + token));
  }

  private JWTClaimsSet.Builder claims() {
    return Tokens.claims(clock);
  }

  private String goodToken() {
    return Tokens.rs256(Tokens.RSA_1, claims().build());
  }

  private static void assertRejected(String body, int status, TestClient.Reply reply) {
    assertEquals(body, reply.body());
    assertEquals(status, reply.status());
    assertEquals("application/json", reply.header("Content-Type"));
  }

  // ---- the linked site's tokens ----

  @Test
  void aTokenSignedByTheIssuersKeyPassesAndReachesTheBackendUnchanged() {
    start(linkedPolicy(issuer));
    String token = goodToken();

    TestClient.Reply reply = callWithBearer(token);

    assertEquals(200, reply.status());
    assertEquals(List.of("Bearer " + token), backend.received().get(0).header("Authorization"));
  }

  @Test
  void aTokenForAnotherAudienceIsRefusedWithTheConfiguredStatusAndMessage() {
    start(linkedPolicy(issuer));

    TestClient.Reply reply =
        callWithBearer(Tokens.rs256(Tokens.RSA_1, claims().audience("https://other").build()));

    assertRejected(REJECTED, 403, reply);
    assertTrue(backend.received().isEmpty());
  }

  @Test
  void anyListedAudienceIsEnough() {
    start(
        policy(
            "header-name=\"Authorization\"",
            openIdConfig(issuer)
                + "<audiences><audience>a1</audience><audience>a2</audience></audiences>"));

    assertEquals(
        200,
        callWithBearer(Tokens.rs256(Tokens.RSA_1, claims().audience(List.of("x", "a2")).build()))
            .status());
  }

  @Test
  void withoutIssuersTheDiscoveryDocumentsIssuerIsRequired() {
    start(linkedPolicy(issuer));

    TestClient.Reply reply =
        callWithBearer(Tokens.rs256(Tokens.RSA_1, claims().issuer("https://evil.example").build()));

    assertRejected(REJECTED, 403, reply);
  }

  @Test
  void theGatewaysLogSaysWhyATokenWasRefusedAndTheClientDoesNot() {
    start(linkedPolicy(issuer));

    List<String> refusals =
        refusalsLoggedWhile(
            () -> {
              TestClient.Reply evil =
                  callWithBearer(
                      Tokens.rs256(Tokens.RSA_1, claims().issuer("https://evil.example").build()));
              TestClient.Reply other =
                  callWithBearer(
                      Tokens.rs256(Tokens.RSA_1, claims().audience("https://other").build()));
              assertRejected(REJECTED, 403, evil);
              assertRejected(REJECTED, 403, other);
            });

    assertEquals(2, refusals.size(), refusals.toString());
    assertTrue(
        refusals.get(0).contains(": iss https://evil.example is none of [https://"),
        refusals.get(0));
    assertTrue(refusals.get(1).contains(": aud [https://other] is none of ["), refusals.get(1));
  }

  /**
   * The reasons the docs quote from the gateway's log (docs/configuration.md, docs/gateway.md: a
   * staging server's own key is "no key the policy trusts verifies the signature"), word for word.
   */
  @Test
  void theGatewaysLogNamesEachReasonForARefusalExactly() {
    start(linkedPolicy(issuer));

    List<String> refusals =
        refusalsLoggedWhile(
            () -> {
              call(headers -> {});
              callWithBearer("not-a-jwt");
              callWithBearer(Tokens.rs256(Tokens.RSA_2, claims().build()));
              String expiring = goodToken();
              clock.advance(Duration.ofSeconds(300));
              callWithBearer(expiring);
            });

    String refused = "validate-jwt refused the token (subscription swa-sub): ";
    assertEquals(
        List.of(
            refused + "no token where the policy looks for one",
            refused + "the token is not a JWT",
            refused + "no key the policy trusts verifies the signature (kid rsa-2, RS256)",
            refused + "the token expired at 2026-11-26T10:05:00Z"),
        refusals);
  }

  @Test
  void listedIssuersReplaceTheDiscoveryDocumentsIssuer() {
    start(
        policy(
            "header-name=\"Authorization\"",
            openIdConfig(issuer) + "<issuers><issuer>https://other.example</issuer></issuers>"));

    assertEquals(
        200,
        callWithBearer(Tokens.rs256(Tokens.RSA_1, claims().issuer("https://other.example").build()))
            .status());
    assertRejected(DEFAULT_REJECTED, 401, callWithBearer(goodToken()));
  }

  @Test
  void anExpiredTokenIsRefused() {
    start(linkedPolicy(issuer));
    String token = goodToken();
    clock.advance(Duration.ofSeconds(300));

    assertRejected(REJECTED, 403, callWithBearer(token));
  }

  @Test
  void theGatewaysOwnAnswersAreDatedByItsClockAndABackendsAnswerByTheBackends() {
    start(linkedPolicy(issuer));

    TestClient.Reply refused = callWithBearer("not-a-token");
    TestClient.Reply passed = callWithBearer(goodToken());

    assertEquals(List.of("Thu, 26 Nov 2026 10:00:00 GMT"), refused.headers().getValuesList("Date"));
    assertEquals(200, passed.status());
    assertEquals(1, passed.headers().getValuesList("Date").size(), passed.headers().toString());
    assertTrue(!passed.header("Date").equals(refused.header("Date")), passed.header("Date"));
  }

  @Test
  void clockSkewForgivesATokenThatExpiredWithinIt() {
    start(policy("header-name=\"Authorization\" clock-skew=\"60\"", openIdConfig(issuer)));
    String token = goodToken();

    clock.advance(Duration.ofSeconds(300 + 59));
    assertEquals(200, callWithBearer(token).status());
    clock.advance(Duration.ofSeconds(1));
    assertRejected(DEFAULT_REJECTED, 401, callWithBearer(token));
  }

  @Test
  void aTokenNotYetValidIsRefusedUnlessWithinClockSkew() {
    Date inHalfAMinute = Date.from(clock.instant().plusSeconds(30));
    String early = Tokens.rs256(Tokens.RSA_1, claims().notBeforeTime(inHalfAMinute).build());

    start(policy("header-name=\"Authorization\"", openIdConfig(issuer)));
    assertRejected(DEFAULT_REJECTED, 401, callWithBearer(early));
    gateway.close();

    start(policy("header-name=\"Authorization\" clock-skew=\"30\"", openIdConfig(issuer)));
    assertEquals(200, callWithBearer(early).status());
  }

  @Test
  void withClockSkewATokenPassesUntilNbfMinusTheSkewAndUntilBeforeExpPlusTheSkew() {
    // RFC 7519 4.1.4 and 4.1.5: not on or after exp, not before nbf; the skew widens both.
    Instant now = clock.instant();
    start(policy("header-name=\"Authorization\" clock-skew=\"30\"", openIdConfig(issuer)));

    assertEquals(
        200, callWithBearer(tokenValid(now.plusSeconds(30), now.plusSeconds(300))).status());
    assertRejected(
        DEFAULT_REJECTED,
        401,
        callWithBearer(tokenValid(now.plusSeconds(31), now.plusSeconds(300))));
    assertEquals(
        200, callWithBearer(tokenValid(now.minusSeconds(300), now.minusSeconds(29))).status());
    assertRejected(
        DEFAULT_REJECTED,
        401,
        callWithBearer(tokenValid(now.minusSeconds(300), now.minusSeconds(30))));
  }

  private String tokenValid(Instant notBefore, Instant expiration) {
    return Tokens.rs256(
        Tokens.RSA_1,
        claims()
            .issueTime(Date.from(notBefore))
            .notBeforeTime(Date.from(notBefore))
            .expirationTime(Date.from(expiration))
            .build());
  }

  @Test
  void aTokenWithoutExpirationIsRefusedUnlessExpirationIsNotRequired() {
    String endless = Tokens.rs256(Tokens.RSA_1, claims().expirationTime(null).build());

    start(policy("header-name=\"Authorization\"", openIdConfig(issuer)));
    assertRejected(DEFAULT_REJECTED, 401, callWithBearer(endless));
    gateway.close();

    start(
        policy(
            "header-name=\"Authorization\" require-expiration-time=\"false\"",
            openIdConfig(issuer)));
    assertEquals(200, callWithBearer(endless).status());
  }

  @Test
  void anUnsignedTokenIsRefused() {
    start(linkedPolicy(issuer));

    assertRejected(REJECTED, 403, callWithBearer(Tokens.unsigned(claims().build())));
  }

  @Test
  void anUnsignedTokenPassesWhenSignedTokensAreNotRequired() {
    start(
        policy(
            "header-name=\"Authorization\" require-signed-tokens=\"false\"", openIdConfig(issuer)));

    assertEquals(200, callWithBearer(Tokens.unsigned(claims().build())).status());
  }

  @Test
  void aTokenSignedByAKeyTheIssuerDoesNotPublishIsRefused() {
    start(linkedPolicy(issuer));

    assertRejected(REJECTED, 403, callWithBearer(Tokens.rs256(Tokens.RSA_2, claims().build())));
  }

  @Test
  void aTokenWhoseSignatureDoesNotMatchItsKeyIdIsRefused() {
    start(linkedPolicy(issuer));
    String forged =
        Tokens.rs256(
            new com.nimbusds.jose.jwk.RSAKey.Builder(Tokens.RSA_2).keyID("rsa-1").build(),
            claims().build());

    assertRejected(REJECTED, 403, callWithBearer(forged));
  }

  @Test
  void aTokenWithoutKidIsVerifiedByThePublishedKeys() {
    start(linkedPolicy(issuer));

    assertEquals(
        200, callWithBearer(Tokens.rs256WithoutKid(Tokens.RSA_1, claims().build())).status());
    assertRejected(
        REJECTED, 403, callWithBearer(Tokens.rs256WithoutKid(Tokens.RSA_2, claims().build())));
  }

  /**
   * A deliberate simplification (docs/gateway.md): a token that names a kid is verified only by a
   * published key of that kid, never by one published without a kid. Microsoft's reference does not
   * say how API Management matches them.
   */
  @Test
  void aTokenNamingAKidIsNotVerifiedByAPublishedKeyWithoutOne() throws Exception {
    try (OpenIdServer withoutKid =
        OpenIdServer.start(
            new com.nimbusds.jose.jwk.RSAKey.Builder(Tokens.RSA_1).keyID(null).build())) {
      start(linkedPolicy(withoutKid));

      assertRejected(REJECTED, 403, callWithBearer(goodToken()));
      assertEquals(
          200, callWithBearer(Tokens.rs256WithoutKid(Tokens.RSA_1, claims().build())).status());
    }
  }

  /** The RS256 key's public bytes used as an HMAC secret must not make an HS256 token valid. */
  @Test
  void anHs256TokenKeyedWithThePublishedRsaKeyIsRefused() throws Exception {
    start(linkedPolicy(issuer));
    byte[] publicKey = Tokens.RSA_1.toPublicKey().getEncoded();

    assertRejected(
        REJECTED, 403, callWithBearer(Tokens.hs256(publicKey, "rsa-1", claims().build())));
  }

  /**
   * A deliberate simplification (docs/gateway.md): an audience is compared as written, so {@code
   * https://x/} is not {@code https://x}. Microsoft's reference does not say whether API Management
   * ignores a trailing slash.
   */
  @Test
  void anAudienceIsComparedAsWrittenTrailingSlashIncluded() {
    start(linkedPolicy(issuer));

    assertRejected(
        REJECTED,
        403,
        callWithBearer(
            Tokens.rs256(Tokens.RSA_1, claims().audience(Tokens.AUDIENCE + "/").build())));
  }

  @Test
  void anEs256TokenFromTheKeySetPasses() {
    start(linkedPolicy(issuer));

    assertEquals(200, callWithBearer(Tokens.es256(EC, claims().build())).status());
  }

  @Test
  void aGarbledTokenIsRefused() {
    start(linkedPolicy(issuer));

    assertRejected(REJECTED, 403, callWithBearer("not.a.token"));
  }

  @Test
  void aMissingTokenIsRefusedWithTheConfiguredStatusAndMessage() {
    start(linkedPolicy(issuer));

    assertRejected(REJECTED, 403, call(headers -> {}));
  }

  @Test
  void withoutAStatusAndMessageAMissingTokenIsAnsweredWithApimsDefaults() {
    start(policy("header-name=\"Authorization\"", openIdConfig(issuer)));

    assertRejected(NOT_PRESENT, 401, call(headers -> {}));
  }

  @Test
  void theSubscriptionKeyIsCheckedBeforeTheToken() {
    start(linkedPolicy(issuer));

    TestClient.Reply reply = client.get(gateway.url(), "/api/x");

    assertEquals(SubscriptionKeyTest.MISSING, reply.body());
  }

  // ---- where the token is ----

  @Test
  void requireSchemeRefusesAnotherSchemeAndABareToken() {
    start(linkedPolicy(issuer));
    String token = goodToken();

    assertRejected(REJECTED, 403, call(headers -> headers.put("Authorization", "Token " + token)));
    assertRejected(REJECTED, 403, call(headers -> headers.put("Authorization", token)));
    assertEquals(200, call(headers -> headers.put("Authorization", "bearer " + token)).status());
  }

  @Test
  void withoutRequireSchemeABareTokenInAuthorizationPasses() {
    start(policy("header-name=\"Authorization\"", openIdConfig(issuer)));

    assertEquals(200, call(headers -> headers.put("Authorization", goodToken())).status());
  }

  @Test
  void requireSchemeIsIgnoredWithACustomHeader() {
    start(policy("header-name=\"X-Site-Token\" require-scheme=\"Bearer\"", openIdConfig(issuer)));

    assertEquals(200, call(headers -> headers.put("X-Site-Token", goodToken())).status());
  }

  @Test
  void aTokenInTheQueryParameterPasses() {
    start(policy("query-parameter-name=\"access_token\"", openIdConfig(issuer)));

    assertEquals(200, call("/api/x", "access_token=" + goodToken(), headers -> {}).status());
    assertRejected(NOT_PRESENT, 401, call("/api/x", "other=1", headers -> {}));
  }

  @Test
  void aLiteralTokenValueIsValidatedWhateverTheRequestCarries() {
    start(policy("token-value=\"" + goodToken() + "\"", openIdConfig(issuer)));
    assertEquals(200, call(headers -> {}).status());
    gateway.close();

    start(
        policy(
            "token-value=\"" + Tokens.rs256(Tokens.RSA_2, claims().build()) + "\"",
            openIdConfig(issuer)));
    assertRejected(DEFAULT_REJECTED, 401, call(headers -> {}));
  }

  // ---- issuer signing keys ----

  @Test
  void anHmacIssuerSigningKeyValidatesHs256Tokens() {
    byte[] secret = "a secret of at least thirty-two bytes".getBytes();
    start(
        policy(
            "header-name=\"Authorization\"",
            "<issuer-signing-keys><key>"
                + Base64.getEncoder().encodeToString(secret)
                + "</key></issuer-signing-keys>"));

    assertEquals(200, callWithBearer(Tokens.hs256(secret, claims().build())).status());
    byte[] otherSecret = "another secret of at least 32 bytes!".getBytes();
    assertRejected(
        DEFAULT_REJECTED, 401, callWithBearer(Tokens.hs256(otherSecret, claims().build())));
  }

  @Test
  void anRsaIssuerSigningKeyGivenAsModulusAndExponentValidatesRs256Tokens() {
    start(
        policy(
            "header-name=\"Authorization\"",
            "<issuer-signing-keys><key n=\""
                + Tokens.RSA_1.getModulus()
                + "\" e=\""
                + Tokens.RSA_1.getPublicExponent()
                + "\"/></issuer-signing-keys>"));

    assertEquals(200, callWithBearer(goodToken()).status());
    assertRejected(
        DEFAULT_REJECTED, 401, callWithBearer(Tokens.rs256(Tokens.RSA_2, claims().build())));
  }

  /**
   * Microsoft's validate-jwt reference, key attributes: "id | String. Identifier used to match
   * `kid` claim presented in JWT." A policy that names its key's id is a valid policy.
   */
  @Test
  void anIssuerSigningKeyMayNameTheKidItMatches() {
    start(
        policy(
            "header-name=\"Authorization\"",
            "<issuer-signing-keys><key id=\"rsa-1\" n=\""
                + Tokens.RSA_1.getModulus()
                + "\" e=\""
                + Tokens.RSA_1.getPublicExponent()
                + "\"/></issuer-signing-keys>"));

    assertEquals(200, callWithBearer(goodToken()).status());
  }

  // ---- required claims ----

  private TestClient.Reply callWithClaim(String requiredClaims, String name, Object value) {
    start(
        policy(
            "header-name=\"Authorization\"",
            openIdConfig(issuer) + "<required-claims>" + requiredClaims + "</required-claims>"));
    try {
      return callWithBearer(Tokens.rs256(Tokens.RSA_1, claims().claim(name, value).build()));
    } finally {
      gateway.close();
      gateway = null;
    }
  }

  @Test
  void aClaimMatchingAllNeedsEveryValue() {
    String all = "<claim name=\"roles\" match=\"all\"><value>a</value><value>b</value></claim>";

    assertEquals(200, callWithClaim(all, "roles", List.of("a", "b", "c")).status());
    assertEquals(401, callWithClaim(all, "roles", List.of("a", "c")).status());
  }

  @Test
  void aClaimMatchingAnyNeedsOneValue() {
    String any = "<claim name=\"roles\" match=\"any\"><value>x</value><value>b</value></claim>";

    assertEquals(200, callWithClaim(any, "roles", List.of("a", "b")).status());
    assertEquals(401, callWithClaim(any, "roles", List.of("a", "c")).status());
  }

  @Test
  void aSeparatorSplitsAClaimsValue() {
    String scopes = "<claim name=\"scp\" separator=\" \"><value>write</value></claim>";

    assertEquals(200, callWithClaim(scopes, "scp", "read write").status());
    assertEquals(401, callWithClaim(scopes, "scp", "read").status());
  }

  @Test
  void aClaimWithoutValuesMustBePresent() {
    String present = "<claim name=\"tid\"/>";

    assertEquals(200, callWithClaim(present, "tid", "t1").status());
    assertEquals(401, callWithClaim(present, "other", "t1").status());
  }

  // ---- fetching the issuer's keys ----

  @Test
  void theKeySetIsFetchedOnceAndCached() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      start(linkedPolicy(own));

      for (int i = 0; i < 5; i++) {
        assertEquals(200, callWithBearer(goodToken()).status());
      }
      assertEquals(1, own.discoveryFetches());
      assertEquals(1, own.keySetFetches());
    }
  }

  /**
   * Microsoft's validate-jwt reference: on a {@code kid} missing from the cached configuration, or
   * after a failed retrieval, API Management "pulls from the endpoint at most once per 5 min".
   */
  @Test
  void anUnknownKeyIdFetchesTheKeySetAgainOnlyFiveMinutesAfterTheLastFetch() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      start(linkedPolicy(own));
      assertEquals(200, callWithBearer(goodToken()).status());

      own.publish(Tokens.RSA_1, Tokens.RSA_2); // the site rotates its key
      clock.advance(Duration.ofMinutes(5).minusSeconds(1));
      assertRejected(REJECTED, 403, callWithBearer(Tokens.rs256(Tokens.RSA_2, claims().build())));
      assertEquals(1, own.keySetFetches());

      clock.advance(Duration.ofSeconds(1));
      assertEquals(200, callWithBearer(Tokens.rs256(Tokens.RSA_2, claims().build())).status());
      assertEquals(2, own.keySetFetches());
    }
  }

  @Test
  void theGatewaysLogSaysWhichDocumentCouldNotBeFetched() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      own.unavailable(true);
      start(linkedPolicy(own));

      List<String> refusals =
          refusalsLoggedWhile(
              () -> {
                assertRejected(REJECTED, 403, callWithBearer(goodToken()));
                assertRejected(REJECTED, 403, callWithBearer(goodToken()));
              });

      String refused =
          "validate-jwt refused the token (subscription swa-sub): the signing keys could not be"
              + " fetched: "
              + own.discoveryUrl()
              + " answered 503";
      assertEquals(List.of(refused, refused), refusals);
    }
  }

  /** The gateway's "validate-jwt refused" lines logged while {@code calls} ran, at FINE too. */
  private static List<String> refusalsLoggedWhile(Runnable calls) {
    List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord record) {
            logged.add(java.text.MessageFormat.format(record.getMessage(), record.getParameters()));
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    GatewayHandler.LOG.setLevel(java.util.logging.Level.FINE);
    GatewayHandler.LOG.addHandler(capture);
    try {
      calls.run();
    } finally {
      GatewayHandler.LOG.removeHandler(capture);
      GatewayHandler.LOG.setLevel(null);
    }
    return logged.stream().filter(line -> line.startsWith("validate-jwt refused")).toList();
  }

  @Test
  void aKeySetThatCouldNotBeFetchedIsFetchedAgainOnlyFiveMinutesLater() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      own.unavailable(true);
      start(linkedPolicy(own));
      assertRejected(REJECTED, 403, callWithBearer(goodToken()));

      own.unavailable(false);
      clock.advance(Duration.ofMinutes(5).minusSeconds(1));
      assertRejected(REJECTED, 403, callWithBearer(goodToken()));
      assertEquals(0, own.keySetFetches());

      clock.advance(Duration.ofSeconds(1));
      assertEquals(200, callWithBearer(goodToken()).status());
      assertEquals(1, own.keySetFetches());
    }
  }

  @Test
  void aFloodOfUnknownKeyIdsFetchesTheKeySetAtMostOncePerInterval() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      start(linkedPolicy(own));
      assertEquals(200, callWithBearer(goodToken()).status());

      for (int i = 0; i < 10; i++) {
        String madeUp =
            Tokens.rs256(
                new com.nimbusds.jose.jwk.RSAKey.Builder(Tokens.RSA_2)
                    .keyID("made-up-" + i)
                    .build(),
                claims().build());
        assertRejected(REJECTED, 403, callWithBearer(madeUp));
      }
      assertEquals(1, own.keySetFetches());

      clock.advance(OpenIdConfigurations.MIN_REFETCH_INTERVAL);
      for (int i = 0; i < 10; i++) {
        String madeUp =
            Tokens.rs256(
                new com.nimbusds.jose.jwk.RSAKey.Builder(Tokens.RSA_2).keyID("again-" + i).build(),
                claims().build());
        assertRejected(REJECTED, 403, callWithBearer(madeUp));
      }
      assertEquals(2, own.keySetFetches());
      assertEquals(200, callWithBearer(goodToken()).status());
    }
  }

  @Test
  void theKeySetIsFetchedAgainAfterAboutAnHour() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      start(linkedPolicy(own));
      assertEquals(200, callWithBearer(goodToken()).status());

      own.publish(Tokens.RSA_2); // the old key is withdrawn
      clock.advance(Duration.ofMinutes(59));
      assertEquals(200, callWithBearer(goodToken()).status());
      assertEquals(1, own.keySetFetches());

      clock.advance(Duration.ofMinutes(2));
      assertRejected(REJECTED, 403, callWithBearer(goodToken()));
      assertEquals(2, own.keySetFetches());
    }
  }

  @Test
  void anHourlyRefreshThatFailsKeepsTheKeysFetchedBeforeAndIsTriedAgainFiveMinutesLater()
      throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      start(linkedPolicy(own));
      assertEquals(200, callWithBearer(goodToken()).status());

      own.unavailable(true); // the site restarts just as the hour is up
      clock.advance(Duration.ofMinutes(61));
      assertEquals(200, callWithBearer(goodToken()).status());

      own.unavailable(false);
      clock.advance(Duration.ofMinutes(5).minusSeconds(1));
      assertEquals(200, callWithBearer(goodToken()).status());
      assertEquals(1, own.discoveryFetches());

      own.publish(Tokens.RSA_2); // what the site publishes now is fetched when the 5 minutes are up
      clock.advance(Duration.ofSeconds(1));
      assertRejected(REJECTED, 403, callWithBearer(goodToken()));
      assertEquals(2, own.discoveryFetches());
    }
  }

  @Test
  void anUnknownKeyIdWhileTheIssuerIsDownDoesNotCostTheKeysFetchedBefore() throws Exception {
    try (OpenIdServer own = OpenIdServer.start(Tokens.RSA_1)) {
      start(linkedPolicy(own));
      assertEquals(200, callWithBearer(goodToken()).status());

      own.unavailable(true);
      clock.advance(Duration.ofMinutes(5));
      String madeUp =
          Tokens.rs256(
              new com.nimbusds.jose.jwk.RSAKey.Builder(Tokens.RSA_2).keyID("made-up").build(),
              claims().build());
      assertRejected(REJECTED, 403, callWithBearer(madeUp));

      assertEquals(200, callWithBearer(goodToken()).status());
    }
  }

  @Test
  void aKeySetThatCannotBeFetchedFailsValidation() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    URI nowhere =
        URI.create("http://127.0.0.1:" + closedPort + "/.well-known/openid-configuration");
    start(policy("header-name=\"Authorization\"", "<openid-config url=\"" + nowhere + "\"/>"));

    assertRejected(DEFAULT_REJECTED, 401, callWithBearer(goodToken()));
  }
}
