package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Policy documents: what loads, and the exact message for what does not. */
class PolicyParserTest {

  static final String SECRET = Base64.getEncoder().encodeToString(new byte[32]);

  private static String inbound(String statements) {
    return "<policies><inbound><base/>"
        + statements
        + "</inbound><backend><base/></backend><outbound><base/></outbound>"
        + "<on-error><base/></on-error></policies>";
  }

  private static String refusal(String xml) {
    return assertThrows(
            GatewayConfigException.class, () -> ApimGateway.builder().policyXml("x", xml))
        .getMessage();
  }

  @Test
  void aFullValidateJwtPolicyLoadsWithEveryPart() {
    RSAKey rsa = Tokens.RSA_1;
    Policy policy =
        PolicyParser.parse(
            inbound(
                """
                <validate-jwt header-name="Authorization" failed-validation-httpcode="403"
                    failed-validation-error-message="Nope" require-expiration-time="false"
                    require-signed-tokens="false" require-scheme="Bearer" clock-skew="30"
                    output-token-variable-name="jwt">
                  <openid-config url="https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration"/>
                  <issuer-signing-keys>
                    <key>%s</key>
                    <key n="%s" e="%s"/>
                  </issuer-signing-keys>
                  <audiences><audience>a1</audience><audience>a2</audience></audiences>
                  <issuers><issuer>i1</issuer></issuers>
                  <required-claims>
                    <claim name="roles" match="any"><value>admin</value><value>ops</value></claim>
                    <claim name="scp" separator=" "><value>read</value></claim>
                  </required-claims>
                </validate-jwt>
                <set-header name="X-From" exists-action="append"><value>gateway</value></set-header>
                """
                    .formatted(SECRET, rsa.getModulus(), rsa.getPublicExponent())),
            "test");

    assertEquals(2, policy.inbound().size());
    ValidateJwt jwt = assertInstanceOf(ValidateJwt.class, policy.inbound().get(0));
    assertEquals(new ValidateJwt.FromHeader("Authorization"), jwt.tokenSource());
    assertEquals(403, jwt.failedValidationHttpCode());
    assertEquals("Nope", jwt.failedValidationErrorMessage());
    assertEquals(false, jwt.requireExpirationTime());
    assertEquals(false, jwt.requireSignedTokens());
    assertEquals("Bearer", jwt.requireScheme());
    assertEquals(Duration.ofSeconds(30), jwt.clockSkew());
    assertEquals(
        List.of(
            URI.create(
                "https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration")),
        jwt.openIdConfigs());
    assertInstanceOf(OctetSequenceKey.class, jwt.issuerSigningKeys().get(0));
    RSAKey loaded = assertInstanceOf(RSAKey.class, jwt.issuerSigningKeys().get(1));
    assertEquals(rsa.getModulus(), loaded.getModulus());
    assertEquals(rsa.getPublicExponent(), loaded.getPublicExponent());
    assertEquals(List.of("a1", "a2"), jwt.audiences());
    assertEquals(List.of("i1"), jwt.issuers());
    assertEquals(
        List.of(
            new ValidateJwt.RequiredClaim("roles", false, null, List.of("admin", "ops")),
            new ValidateJwt.RequiredClaim("scp", true, " ", List.of("read"))),
        jwt.requiredClaims());
    assertEquals(
        new SetHeader("X-From", SetHeader.ExistsAction.APPEND, List.of("gateway")),
        policy.inbound().get(1));
  }

  @Test
  void validateJwtDefaultsAreApims() {
    Policy policy =
        PolicyParser.parse(inbound("<validate-jwt query-parameter-name=\"token\"/>"), "test");

    ValidateJwt jwt = (ValidateJwt) policy.inbound().get(0);
    assertEquals(new ValidateJwt.FromQueryParameter("token"), jwt.tokenSource());
    assertEquals(401, jwt.failedValidationHttpCode());
    assertEquals(null, jwt.failedValidationErrorMessage());
    assertEquals("JWT not present.", jwt.errorMessage(false));
    assertEquals("Unauthorized. Access token is missing or invalid.", jwt.errorMessage(true));
    assertEquals(true, jwt.requireExpirationTime());
    assertEquals(true, jwt.requireSignedTokens());
    assertEquals(null, jwt.requireScheme());
    assertEquals(Duration.ZERO, jwt.clockSkew());
  }

  @Test
  void aDocumentOfBaseOnlyHasNoInboundStatement() {
    assertEquals(List.of(), PolicyParser.parse(inbound(""), "test").inbound());
  }

  @Test
  void sectionsMayBeLeftOut() {
    assertEquals(List.of(), PolicyParser.parse("<policies/>", "test").inbound());
  }

  @Test
  void commentsAreIgnored() {
    assertEquals(
        List.of(),
        PolicyParser.parse(
                "<policies><!-- c --><inbound><!-- c --><base/></inbound></policies>", "test")
            .inbound());
  }

  @Test
  void anUnsupportedElementFailsLoadingNamingElementPlaceAndDocument() {
    assertEquals(
        "policy of product \"x\": unsupported policy element <rate-limit-by-key> at inbound",
        refusal(inbound("<rate-limit-by-key calls=\"5\" renewal-period=\"60\"/>")));
  }

  @Test
  void anUnsupportedElementInAnotherSectionFailsLoading() {
    assertEquals(
        "policy of product \"x\": unsupported policy element <forward-request> at backend",
        refusal("<policies><backend><forward-request/></backend></policies>"));
  }

  @Test
  void setHeaderIsSupportedOnlyInbound() {
    assertEquals(
        "policy of product \"x\": unsupported policy element <set-header> at outbound",
        refusal(
            "<policies><outbound><set-header name=\"a\"><value>b</value></set-header></outbound></policies>"));
  }

  @Test
  void anUnknownSectionFailsLoading() {
    assertEquals(
        "policy of product \"x\": unsupported policy element <inbond> at policies",
        refusal("<policies><inbond/></policies>"));
  }

  @Test
  void anUnsupportedChildOfValidateJwtFailsLoading() {
    assertEquals(
        "policy of product \"x\": unsupported policy element <decryption-keys> at"
            + " inbound/validate-jwt",
        refusal(
            inbound(
                "<validate-jwt header-name=\"Authorization\"><decryption-keys/></validate-jwt>")));
  }

  @Test
  void anUnsupportedAttributeFailsLoading() {
    assertEquals(
        "policy of product \"x\": unsupported attribute id on <validate-jwt> at inbound",
        refusal(inbound("<validate-jwt header-name=\"Authorization\" id=\"v\"/>")));
  }

  @Test
  void aPolicyExpressionFailsLoading() {
    assertEquals(
        "policy of product \"x\": policy expressions are not supported (token-value on"
            + " <validate-jwt> at inbound was \"@(context.Request.Headers.GetValueOrDefault(&quot;T&quot;))\")"
                .replace("&quot;", "\\\""),
        refusal(
            inbound(
                "<validate-jwt token-value=\"@(context.Request.Headers.GetValueOrDefault(&quot;T&quot;))\"/>")));
  }

  @Test
  void aPolicyExpressionInAValueFailsLoading() {
    assertEquals(
        "policy of product \"x\": policy expressions are not supported (<value> at"
            + " inbound/set-header was \"@(context.Subscription.Name)\")",
        refusal(
            inbound(
                "<set-header name=\"X-Sub\"><value>@(context.Subscription.Name)</value></set-header>")));
  }

  @Test
  void aNamedValueInAnAudienceFailsLoadingInsteadOfBeingTakenLiterally() {
    assertEquals(
        "policy of product \"x\": named values are not supported (<audience> at"
            + " inbound/validate-jwt/audiences was \"{{site-audience}}\"); write the value itself",
        refusal(
            inbound(
                "<validate-jwt header-name=\"Authorization\"><audiences>"
                    + "<audience>{{site-audience}}</audience></audiences></validate-jwt>")));
  }

  @Test
  void aNamedValueInASetHeaderValueFailsLoadingInsteadOfBeingSentLiterally() {
    assertEquals(
        "policy of product \"x\": named values are not supported (<value> at inbound/set-header"
            + " was \"key={{backend-key}}\"); write the value itself",
        refusal(
            inbound(
                "<set-header name=\"X-Backend-Key\"><value>key={{backend-key}}</value></set-header>")));
  }

  @Test
  void aNamedValueInAnAttributeFailsLoading() {
    assertEquals(
        "policy of product \"x\": named values are not supported (failed-validation-error-message"
            + " on <validate-jwt> at inbound was \"{{denied-message}}\"); write the value itself",
        refusal(
            inbound(
                "<validate-jwt header-name=\"Authorization\""
                    + " failed-validation-error-message=\"{{denied-message}}\"/>")));
  }

  @Test
  void validateJwtNeedsExactlyOneTokenSource() {
    String expected =
        "policy of product \"x\": <validate-jwt> at inbound: needs exactly one of header-name,"
            + " query-parameter-name or token-value";
    assertEquals(expected, refusal(inbound("<validate-jwt/>")));
    assertEquals(
        expected, refusal(inbound("<validate-jwt header-name=\"A\" query-parameter-name=\"b\"/>")));
  }

  @Test
  void aBadStatusCodeFailsLoading() {
    assertEquals(
        "policy of product \"x\": <validate-jwt> at inbound: failed-validation-httpcode must be an"
            + " integer from 100 to 599 (was \"four hundred\")",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\" failed-validation-httpcode=\"four hundred\"/>")));
  }

  @Test
  void aBadBooleanFailsLoading() {
    assertEquals(
        "policy of product \"x\": <validate-jwt> at inbound: require-signed-tokens must be true or"
            + " false (was \"yes\")",
        refusal(inbound("<validate-jwt header-name=\"A\" require-signed-tokens=\"yes\"/>")));
  }

  @Test
  void aNegativeClockSkewFailsLoading() {
    assertEquals(
        "policy of product \"x\": <validate-jwt> at inbound: clock-skew (seconds) must be an"
            + " integer of at least 0 (was \"-1\")",
        refusal(inbound("<validate-jwt header-name=\"A\" clock-skew=\"-1\"/>")));
  }

  @Test
  void aSetHeaderWithoutAHeaderNameFailsLoading() {
    assertEquals(
        "policy of product \"x\": <set-header> at inbound: name must be a header name (was"
            + " \"bad header\")",
        refusal(inbound("<set-header name=\"bad header\"><value>v</value></set-header>")));
    assertEquals(
        "policy of product \"x\": <set-header> at inbound: name must be a header name (missing)",
        refusal(inbound("<set-header><value>v</value></set-header>")));
  }

  @Test
  void aSetHeaderValueWithALineBreakFailsLoading() {
    assertEquals(
        "policy of product \"x\": <set-header> at inbound: a header value must not contain a line"
            + " break",
        refusal(inbound("<set-header name=\"X-A\"><value>a&#10;b</value></set-header>")));
  }

  @Test
  void anOpenIdConfigWithoutUrlFailsLoading() {
    assertEquals(
        "policy of product \"x\": <openid-config> at inbound/validate-jwt: url is missing",
        refusal(inbound("<validate-jwt header-name=\"A\"><openid-config/></validate-jwt>")));
  }

  @Test
  void aKeyThatIsNeitherBase64NorAnRsaKeyFailsLoading() {
    assertEquals(
        "policy of product \"x\": <key> at inbound/validate-jwt/issuer-signing-keys: an HMAC key"
            + " must be base64 (Illegal base64 character 2a)",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><issuer-signing-keys><key>not*base64</key>"
                    + "</issuer-signing-keys></validate-jwt>")));
    assertEquals(
        "policy of product \"x\": <key> at inbound/validate-jwt/issuer-signing-keys: not an RSA"
            + " public key (java.security.InvalidKeyException: RSA keys must be at least 512 bits"
            + " long)",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><issuer-signing-keys><key n=\"AQAB\" e=\"\"/>"
                    + "</issuer-signing-keys></validate-jwt>")));
  }

  @Test
  void aRequiredClaimWithAnEmptySeparatorFailsLoading() {
    assertEquals(
        "policy of product \"x\": <claim> at inbound/validate-jwt/required-claims: separator must"
            + " not be empty",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><required-claims><claim name=\"scp\""
                    + " separator=\"\"><value>read</value></claim></required-claims>"
                    + "</validate-jwt>")));
  }

  @Test
  void anHmacKeyShorterThan256BitsFailsLoading() {
    assertEquals(
        "policy of product \"x\": <key> at inbound/validate-jwt/issuer-signing-keys: an HMAC key"
            + " must be at least 256 bits (was 128)",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><issuer-signing-keys><key>"
                    + Base64.getEncoder().encodeToString(new byte[16])
                    + "</key></issuer-signing-keys></validate-jwt>")));
  }

  @Test
  void anRsaKeyNeedsBothModulusAndExponent() {
    assertEquals(
        "policy of product \"x\": <key> at inbound/validate-jwt/issuer-signing-keys: give either a"
            + " base64 HMAC key as text, or an RSA key as n and e",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><issuer-signing-keys><key n=\"AQAB\"/>"
                    + "</issuer-signing-keys></validate-jwt>")));
  }

  @Test
  void anOpenIdConfigUrlMustBeAbsolute() {
    assertEquals(
        "policy of product \"x\": <openid-config> at inbound/validate-jwt: url must be an absolute"
            + " http(s) URL (was \"/.well-known/openid-configuration\")",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><openid-config"
                    + " url=\"/.well-known/openid-configuration\"/></validate-jwt>")));
  }

  /**
   * Microsoft's validate-jwt reference (2026-02-25): {@code <openid-config url="..."
   * validate-connectivity="true | false"/>}, false to skip API Management's check that the URL is
   * reachable. The testkit gateway checks nothing when it loads a policy, so either value loads.
   */
  @Test
  void anOpenIdConfigMayTurnOffTheConnectivityCheck() {
    for (String value : List.of("true", "false")) {
      Policy policy =
          PolicyParser.parse(
              inbound(
                  "<validate-jwt header-name=\"A\"><openid-config url=\"https://site/.well-known/x\""
                      + " validate-connectivity=\""
                      + value
                      + "\"/></validate-jwt>"),
              "test");
      assertEquals(
          List.of(URI.create("https://site/.well-known/x")),
          ((ValidateJwt) policy.inbound().get(0)).openIdConfigs());
    }
    assertEquals(
        "policy of product \"x\": <openid-config> at inbound/validate-jwt: validate-connectivity"
            + " must be true or false (was \"no\")",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><openid-config url=\"https://site/x\""
                    + " validate-connectivity=\"no\"/></validate-jwt>")));
  }

  @Test
  void aClaimMatchIsAllOrAny() {
    assertEquals(
        "policy of product \"x\": <claim> at inbound/validate-jwt/required-claims: match must be"
            + " all or any (was \"some\")",
        refusal(
            inbound(
                "<validate-jwt header-name=\"A\"><required-claims><claim name=\"r\" match=\"some\"/>"
                    + "</required-claims></validate-jwt>")));
  }

  @Test
  void aSetHeaderNeedsAValueUnlessItDeletes() {
    assertEquals(
        "policy of product \"x\": <set-header> at inbound: needs a <value> unless exists-action is"
            + " \"delete\"",
        refusal(inbound("<set-header name=\"X\" exists-action=\"override\"/>")));
    assertEquals(
        "policy of product \"x\": <set-header> at inbound: exists-action must be override, skip,"
            + " append or delete (was \"replace\")",
        refusal(
            inbound(
                "<set-header name=\"X\" exists-action=\"replace\"><value>v</value></set-header>")));
  }

  @Test
  void textOutsideValuesFailsLoading() {
    assertEquals(
        "policy of product \"x\": unexpected text \"oops\" at inbound",
        refusal("<policies><inbound>oops<base/></inbound></policies>"));
  }

  /**
   * Microsoft's validate-jwt reference on {@code <audiences>}: "At least one audience must be
   * specified."
   */
  @Test
  void anEmptyAudiencesFailsLoading() {
    assertEquals(
        "policy of product \"x\": <audiences> at inbound/validate-jwt needs at least one"
            + " <audience>",
        refusal(
            inbound("<validate-jwt header-name=\"Authorization\"><audiences/></validate-jwt>")));
  }

  /**
   * Microsoft's rate-limit reference: "This policy can be used only once per policy definition."
   */
  @Test
  void aSecondRateLimitFailsLoading() {
    assertEquals(
        "policy of product \"x\": <rate-limit> appears twice at inbound (API Management allows it"
            + " once per policy)",
        refusal(
            inbound(
                "<rate-limit calls=\"5\" renewal-period=\"60\"/>"
                    + "<rate-limit calls=\"100\" renewal-period=\"300\"/>")));
  }

  @Test
  void aDuplicateSectionFailsLoading() {
    assertEquals(
        "policy of product \"x\": <inbound> appears twice",
        refusal("<policies><inbound/><inbound/></policies>"));
  }

  @Test
  void theRootMustBePolicies() {
    assertEquals(
        "policy of product \"x\": the root element must be <policies> (was <policy>)",
        refusal("<policy/>"));
  }

  @Test
  void malformedXmlFailsLoadingWithItsPosition() {
    String message = refusal("<policies><inbound></policies>");

    assertTrue(
        message.startsWith("policy of product \"x\": not well-formed XML (line 1, column "),
        message);
  }

  @Test
  void aDoctypeIsRefusedSoNoExternalEntityIsEverRead() {
    String message =
        refusal(
            "<?xml version=\"1.0\"?><!DOCTYPE policies [<!ENTITY xxe SYSTEM"
                + " \"file:///etc/passwd\">]><policies><inbound><set-header name=\"X\"><value>&xxe;"
                + "</value></set-header></inbound></policies>");

    assertTrue(message.startsWith("policy of product \"x\": not well-formed XML"), message);
    assertTrue(message.contains("DOCTYPE"), message);
  }

  @Test
  void anEmptyDocumentFailsLoading() {
    assertEquals("policy of product \"x\": the document is empty", refusal(" "));
  }

  @Test
  void aProductWithABadPolicyIsRefusedByTheBuilder() {
    GatewayConfigException refused =
        assertThrows(
            GatewayConfigException.class,
            () ->
                ApimGateway.builder().product(Product.of("swa").withPolicyXml(inbound("<cors/>"))));

    assertEquals(
        "policy of product \"swa\": unsupported policy element <cors> at inbound",
        refused.getMessage());
  }
}
