package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  static final String SECRET = "s3cr3t-primary-key";

  @TempDir Path dir;
  Map<String, String> env = Map.of("APIM_KEY", SECRET, "TIMEOUT", "12");

  SiteConfig load(String json, String environment) throws Exception {
    Files.writeString(dir.resolve("apilink.json"), json);
    return new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get)
        .load("apilink.json", environment);
  }

  List<String> problems(String json) throws IOException {
    return problems(json, "production");
  }

  List<String> problems(String json, String environment) throws IOException {
    Files.writeString(dir.resolve("apilink.json"), json);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get)
                    .load("apilink.json", environment));
    assertFalse(e.getMessage().contains(SECRET), "a secret in: " + e.getMessage());
    return e.problems().stream().map(ConfigException.Problem::toString).toList();
  }

  static String linked(String backendExtra) {
    return """
        {"hostname": "red-sea-123.azurestaticapps.net",
         "environments": {"production": {"backend": {
            "resourceType": "apiManagement",
            "url": "https://my-apim.azure-api.net",
            "subscriptionKey": "${env:APIM_KEY}"%s}}}}
        """
        .formatted(backendExtra);
  }

  @Test
  void theDesignsExampleLoadsWithItsDefaults() throws Exception {
    SiteConfig config = load(linked(""), "production");

    assertEquals("https://red-sea-123.azurestaticapps.net", config.origin().toString());
    assertEquals("red-sea-123.azurestaticapps.net", config.hostname());
    BackendConfig backend = config.environment().backend().orElseThrow();
    assertEquals("https://my-apim.azure-api.net", backend.url().toString());
    assertEquals(SECRET, backend.subscriptionKey());
    assertEquals("Ocp-Apim-Subscription-Key", backend.subscriptionKeyHeader());
    assertEquals("https://my-apim.azure-api.net", backend.audience());
    assertEquals(10, backend.connectTimeoutSeconds());
    assertEquals(45, backend.timeoutSeconds());
    assertEquals(30, backend.keepAliveSeconds());
    assertEquals(300, backend.maxConnectionAgeSeconds());
    assertEquals(8192, backend.maxResponseHeaderBytes());
    assertEquals(30L * 1024 * 1024, backend.maxRequestBodyBytes());
    assertEquals(1024, backend.maxConnections());
    assertEquals(256, backend.maxRequestsPerClientConnection());
    assertEquals(300, config.token().lifetimeSeconds());
    assertEquals("Authorization", config.token().header());
    assertTrue(config.token().signingKeys().isEmpty());
    assertEquals("container", config.identityProvider());
    assertEquals(java.util.Set.of(dir.resolve("apilink.json")), config.files().keySet());
  }

  @Test
  void aFullOriginIsAcceptedAsTheHostname() throws Exception {
    SiteConfig config =
        load(
            """
            {"hostname": "http://localhost:8080/", "environments": {"production": {}}}
            """,
            "production");

    assertEquals("http://localhost:8080", config.origin().toString());
    assertEquals("localhost:8080", config.hostname());
    assertFalse(config.environment().linked());
  }

  @Test
  void theKeyAndTheTokenCannotTravelInAHeaderThatTheProxyHandlesItself() throws Exception {
    String json =
        linked(", \"subscriptionKeyHeader\": \"Via\"")
            .replaceFirst("\\{", "{\"token\": {\"header\": \"x-forwarded-for\"}, ");

    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKeyHeader: a header that ApiLink sets or"
                + " removes itself (was \"Via\")",
            "token.header: a header that ApiLink sets or removes itself (was"
                + " \"x-forwarded-for\")"),
        problems(json));
  }

  /**
   * ApiLink drops a client's {@code X_Forwarded_Host} as it drops {@code X-Forwarded-Host}
   * (docs/proxy.md: "with {@code _} for {@code -}"), since a CGI or WSGI backend reads both as
   * {@code HTTP_X_FORWARDED_HOST}; carrying the key or the token, such a name would reach that
   * backend as the forwarded host beside ApiLink's own, so the start-up check names it as it names
   * the spelling with hyphens (docs/configuration.md, {@code subscriptionKeyHeader}).
   */
  @Test
  void theKeyAndTheTokenCannotTravelInAnUnderscoreSpellingOfAHeaderTheProxyHandles()
      throws Exception {
    String json =
        linked(", \"subscriptionKeyHeader\": \"X_Forwarded_Host\"")
            .replaceFirst("\\{", "{\"token\": {\"header\": \"x_ms_client_principal\"}, ");

    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKeyHeader: a header that ApiLink sets or"
                + " removes itself (was \"X_Forwarded_Host\")",
            "token.header: a header that ApiLink sets or removes itself (was"
                + " \"x_ms_client_principal\")"),
        problems(json));
  }

  @Test
  void theKeyAndTheTokenCannotShareAHeader() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKeyHeader: must differ from token.header,"
                + " which carries the token (was \"authorization\")"),
        problems(linked(", \"subscriptionKeyHeader\": \"authorization\"")));
    assertEquals(
        List.of(
            "token.header: must differ from the header that carries the subscription key (was"
                + " \"Ocp-Apim-Subscription-Key\")"),
        problems(
            linked("")
                .replaceFirst("\\{", "{\"token\": {\"header\": \"Ocp-Apim-Subscription-Key\"}, ")));
  }

  @Test
  void schemesAreReadWithoutCase() throws Exception {
    SiteConfig config =
        load(
            linked("")
                .replace("red-sea-123.azurestaticapps.net", "HTTP://Localhost:8080")
                .replace("https://my-apim", "HTTPS://my-apim"),
            "production");

    assertEquals("http://Localhost:8080", config.origin().toString());
    assertEquals(
        "https://my-apim.azure-api.net",
        config.environment().backend().orElseThrow().url().toString());
  }

  @Test
  void referencesResolveFromTheEnvironmentAndFiles() throws Exception {
    Files.writeString(dir.resolve("key.txt"), "from-a-file\n");
    SiteConfig config =
        load(
            linked(", \"timeoutSeconds\": \"${env:TIMEOUT}\", \"audience\": \"${file:key.txt}\""),
            "production");

    BackendConfig backend = config.environment().backend().orElseThrow();
    assertEquals(12, backend.timeoutSeconds());
    assertEquals("from-a-file", backend.audience());
    assertTrue(config.files().containsKey(dir.resolve("key.txt")));
  }

  @Test
  void aHostnameLongerThanAnyHostIsAProblemNotAStackOverflow() throws Exception {
    // From a reviewer: the host name's pattern matches its labels by recursion, and some thousands
    // of them overflowed the stack of the thread that read the file.
    String hostname = "a.".repeat(5000) + "example";
    assertEquals(
        List.of("hostname: not a host name or an http(s) origin (was \"" + hostname + "\")"),
        problems("{\"hostname\": \"" + hostname + "\", \"environments\": {\"production\": {}}}"));
  }

  @Test
  void anImpossiblePortAndEmptyOptionalTextsAreProblems() throws Exception {
    // From a reviewer: each was accepted, and then every request failed (502, or 401 from the
    // gateway for an empty audience), or the principal named an empty identity provider.
    assertEquals(
        List.of(
            "hostname: not a host name or an http(s) origin (was \"https://site.example:70000\")",
            "identityProvider: must not be empty; leave it out for the default",
            "environments.production.backend.url: the port must be from 1 to 65535 (was"
                + " \"http://127.0.0.1:99999\")",
            "environments.production.backend.audience: must not be empty; leave it out for the"
                + " default"),
        problems(
            """
            {"hostname": "https://site.example:70000", "identityProvider": " ",
             "environments": {"production": {"backend": {
                "resourceType": "apiManagement", "url": "http://127.0.0.1:99999",
                "subscriptionKey": "k", "audience": ""}}}}
            """));
    assertEquals(
        List.of(
            "environments.production.backend.url: the port must be from 1 to 65535 (was"
                + " \"http://127.0.0.1:0\")"),
        problems(
            """
            {"hostname": "site.example", "environments": {"production": {"backend": {
                "resourceType": "apiManagement", "url": "http://127.0.0.1:0",
                "subscriptionKey": "k"}}}}
            """));
  }

  @Test
  void anIdentityProviderWithALineBreakOrSpacesAtAnEndIsAProblem() throws Exception {
    // Taken as written, "github\n" (a variable set from a file ends in a line break) reached the
    // API as every principal's identityProvider, which is not "github" to it, and changed every
    // user's userId, derived from it.
    env = Map.of("APIM_KEY", SECRET, "IDP", "github\n");
    assertEquals(
        List.of(
            "identityProvider: must not start or end with white space, nor hold a line break or"
                + " another control character (was \"github\\n\")"),
        problems(
            linked("")
                .replace("{\"hostname\"", "{\"identityProvider\": \"${env:IDP}\", \"hostname\"")));
    assertEquals(
        List.of(
            "identityProvider: must not start or end with white space, nor hold a line break or"
                + " another control character (was \" aad\")"),
        problems(
            linked("").replace("{\"hostname\"", "{\"identityProvider\": \" aad\", \"hostname\"")));
    assertEquals(
        "my provider",
        load(
                linked("")
                    .replace(
                        "{\"hostname\"", "{\"identityProvider\": \"my provider\", \"hostname\""),
                "production")
            .identityProvider());
  }

  @Test
  void anEmptyFileIsNamedAsEmpty() throws Exception {
    assertEquals(List.of("the file is empty"), problems(""));
    assertEquals(List.of("the file is empty"), problems(" \r\n"));
  }

  @Test
  void environmentsThatIsNotAnObjectIsNamedByItsType() throws Exception {
    assertEquals(
        List.of("environments: must be an object (was array)"),
        problems("{\"hostname\": \"a.example\", \"environments\": [\"production\"]}"));
  }

  @Test
  void aValueThatMustBeAnObjectIsNamedByItsType() throws Exception {
    assertEquals(List.of("must be an object (was array)"), problems("[]"));
    assertEquals(
        List.of("environments.production: must be an object (was array)"),
        problems("{\"hostname\": \"a.example\", \"environments\": {\"production\": []}}"));
    assertEquals(
        List.of("environments.production.backend: must be an object (was string)"),
        problems(
            """
            {"hostname": "a.example",
             "environments": {"production": {"backend": "https://my-apim.azure-api.net"}}}
            """));
    assertEquals(
        List.of("token: must be an object (was string)"),
        problems(
            """
            {"hostname": "a.example", "environments": {"production": {}},
             "token": "/etc/apilink/signing-key.jwk.json"}
            """));
  }

  @Test
  void pullRequestMustBeTrueOrFalse() throws Exception {
    assertEquals(
        List.of("environments.pr-42.pullRequest: must be true or false (was \"yes\")"),
        problems(
            """
            {"hostname": "a.example",
             "environments": {"production": {}, "pr-42": {"pullRequest": "yes"}}}
            """));
  }

  /** Found by review: {@code (was "3")} alone did not say that the quotes were the problem. */
  @Test
  void aNumberWrittenInQuotesIsToldToLoseThem() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.timeoutSeconds: must be a whole number from 0 to"
                + " 86400, written without quotes (was \"3\")"),
        problems(linked(", \"timeoutSeconds\": \"3\"")));
  }

  @Test
  void aNumberReadFromAFileMustBeAWholeNumber() throws Exception {
    Files.writeString(dir.resolve("timeout.txt"), "ten seconds\n");
    assertEquals(
        List.of(
            "environments.production.backend.timeoutSeconds: must be a whole number from 0 to"
                + " 86400 (was \"${file:timeout.txt}\")"),
        problems(linked(", \"timeoutSeconds\": \"${file:timeout.txt}\"")));
  }

  /**
   * A gateway URL that {@code java.net.URI} cannot parse (a space in the host) is reported as any
   * other URL that is not one. Coverage (review C) showed no test of it.
   */
  @Test
  void aGatewayUrlThatIsNoUriIsAProblem() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.url: not an absolute http(s) URL without query or"
                + " user info (was \"https://my apim.azure-api.net\")"),
        problems(linked("").replace("my-apim", "my apim")));
    assertEquals(
        List.of(
            "environments.production.backend.url: not an absolute http(s) URL without query or"
                + " user info (was \"https://…@my apim.azure-api.net\")"),
        problems(linked("").replace("https://my-apim", "https://user:" + SECRET + " x@my apim")));
  }

  @Test
  void everyProblemIsListedByItsJsonPath() throws Exception {
    List<String> problems =
        problems(
            """
            {"hostname": "not a host!",
             "environments": {"production": {"backend": {
                "resourceType": "functions",
                "url": "my-apim",
                "subscriptionKey": "",
                "timeoutSeconds": -1,
                "maxResponseHeaderBytes": 512,
                "connectTimeoutSeconds": "ten",
                "subscriptionKeyHeader": "bad header",
                "urll": "typo"}}},
             "token": {"lifetimeSeconds": 5, "header": 7},
             "extra": true}
            """);

    assertEquals(
        List.of(
            "extra: unknown key (known here: $schema, environments, hostname, identityProvider,"
                + " routesFile, token)",
            "hostname: not a host name or an http(s) origin (was \"not a host!\")",
            "environments.production.backend.urll: unknown key (known here: audience,"
                + " connectTimeoutSeconds, keepAliveSeconds, maxConnectionAgeSeconds, maxConnections,"
                + " maxRequestBodyBytes, maxRequestsPerClientConnection, maxResponseHeaderBytes, proxyCredentials, resourceType, subscriptionKey, subscriptionKeyHeader,"
                + " timeoutSeconds, url)",
            "environments.production.backend.resourceType: must be \"apiManagement\", the only"
                + " backend ApiLink links (was \"functions\")",
            "environments.production.backend.url: not an absolute http(s) URL without query or user"
                + " info (was \"my-apim\")",
            "environments.production.backend.subscriptionKey: must not be empty",
            "environments.production.backend.subscriptionKeyHeader: not a valid HTTP header name"
                + " (was \"bad header\")",
            "environments.production.backend.connectTimeoutSeconds: must be a whole number from 1"
                + " to 3600 (was \"ten\")",
            "environments.production.backend.timeoutSeconds: must be a whole number from 0 to"
                + " 86400 (was -1)",
            "environments.production.backend.maxResponseHeaderBytes: must be a whole number from"
                + " 1024 to 65536 (was 512)",
            "token.lifetimeSeconds: must be a whole number from 30 to 86400 (was 5)",
            "token.header: must be a string (was 7)"),
        problems);
  }

  @Test
  void missingRequiredValuesAreNamed() throws Exception {
    assertEquals(
        List.of(
            "hostname: missing; give the site's public host name or origin",
            "environments: missing; define at least the environment \"production\""),
        problems("{}"));
    assertEquals(
        List.of(
            "environments.production.backend.resourceType: missing",
            "environments.production.backend.url: missing",
            "environments.production.backend.subscriptionKey: missing"),
        problems(
            """
            {"hostname": "a.example", "environments": {"production": {"backend": {}}}}
            """));
  }

  /**
   * API Management takes the key as the subscription-key parameter too, and a URL may carry a
   * password: a gateway URL refused for its query or user info is quoted without them.
   */
  @Test
  void aGatewayUrlWithAKeyInItsQueryOrAPasswordIsRefusedWithoutShowingThem() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.url: not an absolute http(s) URL without query or"
                + " user info (was \"https://my-apim.azure-api.net/?…\")"),
        problems(
            linked("")
                .replace(
                    "https://my-apim.azure-api.net",
                    "https://my-apim.azure-api.net/?subscription-key=" + SECRET)));
    assertEquals(
        List.of(
            "environments.production.backend.url: not an absolute http(s) URL without query or"
                + " user info (was \"https://…@my-apim.azure-api.net\")"),
        problems(
            linked("")
                .replace(
                    "https://my-apim.azure-api.net",
                    "https://apilink:" + SECRET + "@my-apim.azure-api.net")));
  }

  /**
   * A password written into the URL as it is, with a {@code /}, {@code ?} or {@code #} that the URL
   * syntax would need percent-encoded, still never shows: the URL cannot be parsed, and all before
   * its last {@code @} may be user info.
   */
  @Test
  void aGatewayUrlWithAnUnencodedPasswordIsRefusedWithoutShowingIt() throws Exception {
    for (String password : List.of("pa/" + SECRET, "pa?" + SECRET, "pa#" + SECRET)) {
      assertEquals(
          List.of(
              "environments.production.backend.url: not an absolute http(s) URL without query or"
                  + " user info (was \"https://…@my-apim.azure-api.net\")"),
          problems(
              linked("")
                  .replace(
                      "https://my-apim.azure-api.net",
                      "https://apilink:" + password + "@my-apim.azure-api.net")),
          password);
    }
  }

  @Test
  void anEmptyEnvironmentsObjectOrAnEmptyEnvironmentNameIsAProblemOfTheEnvironmentsObject()
      throws Exception {
    assertEquals(
        List.of("environments: must define at least one environment"),
        problems("{\"hostname\": \"a.example\", \"environments\": {}}"));
    assertEquals(
        List.of("environments: an environment name must not be empty or blank (was \"\")"),
        problems(
            "{\"hostname\": \"a.example\", \"environments\": {\"production\": {}, \"\": {}}}"));
    assertEquals(
        List.of(
            "environments: an environment name must not be empty or blank (was \" \")",
            "environments: must define at least one environment"),
        problems("{\"hostname\": \"a.example\", \"environments\": {\" \": {}}}"));
  }

  @Test
  void aSigningKeyIdThatNamesNoKeyIsAProblemOfTheKeyIdWithItsValue() throws Exception {
    assertEquals(
        List.of("token.signingKeyId: names no key in keys.json (kids: k1) (was \"k9\")"),
        problemsWithSigningKeyId("k9"));
  }

  @Test
  void aSigningKeyIdThatApiManagementWouldNotMatchAsTypedIsAProblemOfItsOwn() throws Exception {
    // keygen refuses such a kid; here it was "names no key in keys.json (kids: k1)".
    assertEquals(
        List.of("token.signingKeyId: must not start or end with white space (was \"k1 \")"),
        problemsWithSigningKeyId("k1 "));
  }

  /** The problems of a linked configuration whose key file holds one key, kid "k1". */
  private List<String> problemsWithSigningKeyId(String keyId) throws Exception {
    Files.writeString(
        dir.resolve("keys.json"),
        new com.nimbusds.jose.jwk.JWKSet(
                new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(2048).keyID("k1").generate())
            .toString(false));
    return problems(
        linked("")
            .replace(
                "{\"hostname\"",
                "{\"token\": {\"signingKeyFile\": \"keys.json\", \"signingKeyId\": \""
                    + keyId
                    + "\"}, \"hostname\""));
  }

  @Test
  void aPullRequestEnvironmentCannotHaveABackend() throws Exception {
    assertEquals(
        List.of(
            "environments.pr-42.backend: backend integration is not supported on pull request"
                + " environments"),
        problems(
            """
            {"hostname": "a.example", "environments": {"production": {},
              "pr-42": {"pullRequest": true, "backend": {"resourceType": "apiManagement",
                "url": "https://x.azure-api.net", "subscriptionKey": "k"}}}}
            """));
  }

  @Test
  void theEnvironmentThisDeploymentIsMustBeDefined() throws Exception {
    assertEquals(
        List.of(
            "environments: has no environment \"staging\", the environment this deployment is"
                + " (defined: production); chosen by default; set the filter's init-param"
                + " \"environment\", the system property apilink.environment or the environment"
                + " variable APILINK_ENVIRONMENT"),
        problems(linked(""), "staging"));
  }

  @Test
  void anUndefinedEnvironmentIsReportedWithTheSettingThatChoseIt() throws Exception {
    Files.writeString(dir.resolve("apilink.json"), linked(""));
    ConfigLoader loader =
        new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get)
            .withEnvironmentChosenBy("the system property apilink.environment");

    ConfigException e =
        assertThrows(ConfigException.class, () -> loader.load("apilink.json", "Production"));

    assertEquals(
        List.of(
            "environments: has no environment \"Production\", the environment this deployment is"
                + " (defined: production); chosen by the system property apilink.environment"),
        e.problems().stream().map(ConfigException.Problem::toString).toList());
  }

  @Test
  void onlyTheSelectedEnvironmentsReferencesAreResolved() throws Exception {
    SiteConfig config =
        load(
            """
            {"hostname": "a.example", "environments": {
              "production": {"backend": {"resourceType": "apiManagement",
                 "url": "https://prod.azure-api.net", "subscriptionKey": "${env:APIM_KEY}"}},
              "staging": {"backend": {"resourceType": "apiManagement",
                 "url": "https://staging.azure-api.net", "subscriptionKey": "${env:UNSET_ON_PROD}"}}}}
            """,
            "production");

    assertEquals(java.util.Set.of("production", "staging"), config.environments());
    assertEquals(SECRET, config.environment().backend().orElseThrow().subscriptionKey());
  }

  @Test
  void unresolvableReferencesAreProblems() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: environment variable NOPE is not set",
            "environments.production.backend.subscriptionKeyHeader: not a valid reference; use"
                + " ${env:NAME} or ${file:/path} (was \"${vault:x}\")",
            "environments.production.backend.audience: cannot read missing.txt"
                + " (NoSuchFileException: "
                + dir.resolve("missing.txt")
                + ")"),
        problems(
            """
            {"hostname": "a.example", "environments": {"production": {"backend": {
              "resourceType": "apiManagement", "url": "https://x.azure-api.net",
              "subscriptionKey": "${env:NOPE}", "audience": "${file:missing.txt}",
              "subscriptionKeyHeader": "${vault:x}"}}}}
            """));
  }

  @Test
  void aShellOrCmdVariableIsAProblemNotAValue() throws Exception {
    // Nothing expands $APIM_KEY or %APIM_KEY% in a JSON file: sent as the key, the gateway's 401
    // did not say why.
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: not a valid reference; use"
                + " ${env:NAME} or ${file:/path}",
            "environments.production.backend.audience: not a valid reference; use"
                + " ${env:NAME} or ${file:/path} (was \"%APIM_AUDIENCE%\")"),
        problems(
            """
            {"hostname": "a.example", "environments": {"production": {"backend": {
              "resourceType": "apiManagement", "url": "https://x.azure-api.net",
              "subscriptionKey": "$APIM_KEY", "audience": "%APIM_AUDIENCE%"}}}}
            """));
  }

  @Test
  void aReferenceWrittenAnotherWayIsAProblemNotAValue() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: not a valid reference; use"
                + " ${env:NAME} or ${file:/path}",
            "environments.production.backend.subscriptionKeyHeader: not a valid reference; use"
                + " ${env:NAME} or ${file:/path} (was \"{env:KEY_HEADER}\")",
            "environments.production.backend.audience: not a valid reference; use"
                + " ${env:NAME} or ${file:/path} (was \"$file:/etc/audience\")"),
        problems(
            """
            {"hostname": "a.example", "environments": {"production": {"backend": {
              "resourceType": "apiManagement", "url": "https://x.azure-api.net",
              "subscriptionKey": "$env:APIM_SUBSCRIPTION_KEY", "audience": "$file:/etc/audience",
              "subscriptionKeyHeader": "{env:KEY_HEADER}"}}}}
            """));
  }

  @Test
  void malformedJsonIsReportedByPositionWithoutQuotingTheText() throws Exception {
    List<String> problems =
        problems(
            "{\"hostname\": \"a.example\",\n \"environments\": {\"production\": {\"backend\": "
                + "{\"subscriptionKey\": "
                + SECRET
                + "}}}}");

    assertEquals(1, problems.size());
    assertTrue(problems.get(0).startsWith("not valid JSON at line 2, column "), problems.get(0));
  }

  @Test
  void aStrayOrMissingBracketIsNamedWithoutJacksonsInternals() throws Exception {
    String trailingComma = problems("{\"hostname\": \"a.example\", \"environments\": {},}").get(0);
    String unclosed = problems("{\"hostname\": \"a.example\", \"environments\": {}").get(0);

    // A reviewer read "Unexpected character ('…' (code 125))" and a "[Source: REDACTED (`Stream
    // ReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: 1]".
    assertTrue(trailingComma.startsWith("not valid JSON at line 1, column "), trailingComma);
    assertTrue(trailingComma.contains("Unexpected character ('}' (code 125))"), trailingComma);
    assertTrue(unclosed.contains("(start marker at line 1, column 1)"), unclosed);
    assertFalse(unclosed.contains("Source"), unclosed);
    assertFalse(unclosed.contains("StreamReadFeature"), unclosed);
  }

  @Test
  void duplicateKeysAreRefused() throws Exception {
    List<String> problems =
        problems(
            "{\"hostname\": \"a.example\", \"hostname\": \"b.example\", \"environments\": {}}");

    assertEquals(
        List.of(
            "hostname: given more than once; a key may appear once in an object (not valid JSON at"
                + " line 1, column 37)"),
        problems);
  }

  @Test
  void aDuplicateKeyIsNamedByItsJsonPath() throws Exception {
    // Jackson's "Duplicate field 'timeoutSeconds'" had its name cut to '…' with the rest of the
    // quoted text, which left a line and column and no key.
    assertEquals(
        List.of(
            "environments.production.backend.timeoutSeconds: given more than once; a key may"
                + " appear once in an object (not valid JSON at line 5, column 81)"),
        problems(linked(", \"timeoutSeconds\": 10, \"timeoutSeconds\": 20")));
  }

  @Test
  void aCommentIsNamedAsOne() throws Exception {
    // The quoted text was cut from the closing quote of ('/') to the opening one of
    // 'ALLOW_COMMENTS': "Unexpected character ('/'…'ALLOW_COMMENTS' not enabled for parser)".
    assertEquals(
        List.of("not valid JSON at line 1, column 1: a comment; JSON allows none"),
        problems("// the production key comes from the environment\n" + linked("")));
  }

  @Test
  void aValueInSingleQuotesIsNamedByTheQuoteWithoutShowingIt() throws Exception {
    String problem = problems(linked("").replace("\"${env:APIM_KEY}\"", "'" + SECRET + "'")).get(0);

    assertTrue(
        problem.startsWith(
            "not valid JSON at line 5, column 24: Unexpected character (''' (code 39)): expected"
                + " a valid value"),
        problem);
  }

  @Test
  void contentAfterTheObjectIsNamedWithoutJacksonsInternals() throws Exception {
    // Jackson: "Trailing token (of type START_OBJECT) found after value (bound as
    // `com.fasterxml.jackson.databind.JsonNode`): not allowed as per
    // `DeserializationFeature.FAIL_ON_TRAILING_TOKENS`".
    assertEquals(
        List.of(
            "not valid JSON at line 6, column 1: more after the end of the first JSON value; the"
                + " file holds one object"),
        problems(linked("") + "{}"));
  }

  @Test
  void aNumberJsonDoesNotHaveIsNamedWithoutJacksonsSettings() throws Exception {
    // Jackson: "Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to
    // allow".
    String config = linked("").replaceFirst("\\{", "{\"x\": NaN, ");
    assertEquals(
        List.of(
            "not valid JSON at line 1, column 10: NaN or Infinity, which JSON does not allow;"
                + " write a number"),
        problems(config));
  }

  @Test
  void aNumberTooLongForJacksonIsNamedWithoutItsSettings() throws Exception {
    // Jackson: "Number value length (1500) exceeds the maximum allowed (1000, from
    // `StreamReadConstraints.getMaxNumberLength()`)".
    String config = linked("").replaceFirst("\\{", "{\"x\": " + "9".repeat(1500) + ", ");
    assertEquals(
        List.of("not valid JSON: a number of 1500 characters; at most 1000 are read"),
        problems(config));
  }

  @Test
  void nestingTooDeepForJacksonIsNamedWithoutItsSettings() throws Exception {
    String config =
        linked("").replaceFirst("\\{", "{\"x\": " + "[".repeat(1500) + "]".repeat(1500) + ", ");
    assertEquals(
        List.of("not valid JSON: objects and arrays nested over 1000 deep"), problems(config));
  }

  @Test
  void aSubscriptionKeyWithAControlCharacterIsRefusedWithoutShowingIt() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: must contain only visible ASCII"
                + " characters, no spaces or control characters (value not shown: it is a secret)"),
        problems(linked("").replace("${env:APIM_KEY}", SECRET + "\\r\\nX-Injected: 1")));
  }

  @Test
  void aSubscriptionKeyThatEndsInALineBreakIsRefusedSayingSoWithoutShowingIt() throws Exception {
    // As a variable set from a file (a Kubernetes secret made with --from-file) ends.
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: must contain only visible ASCII"
                + " characters, no spaces or control characters; it starts or ends with white"
                + " space or a line break (a secret written to its variable from a file?) (value"
                + " not shown: it is a secret)"),
        problems(linked("").replace("${env:APIM_KEY}", SECRET + "\\n")));
  }

  @Test
  void aSubscriptionKeyWithANonAsciiCharacterIsRefusedWithoutShowingIt() throws Exception {
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: must contain only visible ASCII"
                + " characters, no spaces or control characters (value not shown: it is a secret)"),
        problems(linked("").replace("${env:APIM_KEY}", "cl\u00e9-secret")));
  }

  @Test
  void aSigningKeyIdWithoutAKeyFileIsAProblem() throws Exception {
    assertEquals(
        List.of("token.signingKeyId: needs token.signingKeyFile"),
        problems(
            linked("")
                .replace("{\"hostname\"", "{\"token\": {\"signingKeyId\": \"k2\"}, \"hostname\"")));
  }

  @Test
  void aKeyFileFromAnUnsetVariableIsItsOnlyProblem() throws Exception {
    assertEquals(
        List.of("token.signingKeyFile: environment variable APILINK_KEYS is not set"),
        problems(
            linked("")
                .replace(
                    "{\"hostname\"",
                    "{\"token\": {\"signingKeyFile\": \"${env:APILINK_KEYS}\", \"signingKeyId\":"
                        + " \"k2\"}, \"hostname\"")));
  }

  @Test
  void anEmptySigningKeyFileIsNamedAsEmptyNotReadAsTheWorkingDirectory() throws Exception {
    // Read as a path, "" named the working directory: "cannot read  (IOException: Is a
    // directory)", an empty name and a directory the operator never gave.
    env = Map.of("APIM_KEY", SECRET, "APILINK_KEYS", "");
    String keyFile = "{\"token\": {\"signingKeyFile\": \"%s\"}, \"hostname\"";

    for (String given : List.of("", "${env:APILINK_KEYS}")) {
      assertEquals(
          List.of("token.signingKeyFile: must not be empty; leave it out for the default"),
          problems(linked("").replace("{\"hostname\"", keyFile.formatted(given))),
          given);
    }
  }

  @Test
  void aKeyFileWrittenByNotepadLosesItsByteOrderMarkAndLineEnd() throws Exception {
    Files.write(
        dir.resolve("key.txt"), ("\uFEFF" + SECRET + "\r\n").getBytes(StandardCharsets.UTF_8));
    SiteConfig config =
        load(linked("").replace("${env:APIM_KEY}", "${file:key.txt}"), "production");

    assertEquals(SECRET, config.environment().backend().orElseThrow().subscriptionKey());
  }

  @Test
  void aConfigurationSavedWithAByteOrderMarkAndCrLfLoads() throws Exception {
    // Notepad before Windows 10 1903 and Windows PowerShell's Set-Content -Encoding UTF8 write the
    // mark; RFC 8259 section 8.1 lets a parser ignore it, as ${file:...} does.
    SiteConfig config = load("\uFEFF" + linked("").replace("\n", "\r\n"), "production");

    assertEquals(SECRET, config.environment().backend().orElseThrow().subscriptionKey());
  }

  @Test
  void proxyCredentialsAreAUserAndAPasswordFromAFile() throws Exception {
    Files.writeString(dir.resolve("proxy.txt"), "svc-apilink:p@ss: word\n");
    BackendConfig backend =
        load(linked(", \"proxyCredentials\": \"${file:proxy.txt}\""), "production")
            .environment()
            .backend()
            .orElseThrow();

    assertEquals("svc-apilink:p@ss: word", backend.proxyCredentials());
    // Split at the first colon: a user name cannot hold one, a password can.
    assertEquals("svc-apilink", backend.proxyUser());
    assertEquals("p@ss: word", backend.proxyPassword());
    assertFalse(backend.toString().contains("p@ss"), backend.toString());
    assertTrue(backend.toString().contains("proxyCredentials=<redacted>"), backend.toString());
    assertNull(
        load(linked(""), "production").environment().backend().orElseThrow().proxyCredentials());
  }

  @Test
  void theGatewayUrlsPathWithoutItsTrailingSlashPrefixesEveryForwardedPath() throws Exception {
    for (String url :
        List.of("https://my-apim.azure-api.net/v1/", "https://my-apim.azure-api.net/v1")) {
      assertEquals(
          "/v1",
          load(linked("").replace("https://my-apim.azure-api.net", url), "production")
              .environment()
              .backend()
              .orElseThrow()
              .pathPrefix(),
          url);
    }
    assertEquals(
        "", load(linked(""), "production").environment().backend().orElseThrow().pathPrefix());
  }

  @Test
  void numbersWrittenAsNumbersAreTakenAtEachEndOfTheirRange() throws Exception {
    BackendConfig lowest =
        load(
                linked(
                    ", \"connectTimeoutSeconds\": 1, \"timeoutSeconds\": 0,"
                        + " \"keepAliveSeconds\": 1, \"maxConnections\": 1,"
                        + " \"maxRequestsPerClientConnection\": 1, \"maxConnectionAgeSeconds\": 0"),
                "production")
            .environment()
            .backend()
            .orElseThrow();
    assertEquals(1, lowest.connectTimeoutSeconds());
    assertEquals(0, lowest.timeoutSeconds());
    assertEquals(1, lowest.keepAliveSeconds());
    assertEquals(1, lowest.maxConnections());
    assertEquals(1, lowest.maxRequestsPerClientConnection());
    assertEquals(0, lowest.maxConnectionAgeSeconds());
    BackendConfig highest =
        load(
                linked(
                    ", \"connectTimeoutSeconds\": 3600, \"timeoutSeconds\": 86400,"
                        + " \"keepAliveSeconds\": 3600, \"maxConnections\": 65536,"
                        + " \"maxRequestsPerClientConnection\": 65536,"
                        + " \"maxConnectionAgeSeconds\": 86400"),
                "production")
            .environment()
            .backend()
            .orElseThrow();
    assertEquals(3600, highest.connectTimeoutSeconds());
    assertEquals(86_400, highest.timeoutSeconds());
    assertEquals(3600, highest.keepAliveSeconds());
    assertEquals(65_536, highest.maxConnections());
    assertEquals(65_536, highest.maxRequestsPerClientConnection());
    assertEquals(86_400, highest.maxConnectionAgeSeconds());

    assertEquals(
        List.of(
            "environments.production.backend.connectTimeoutSeconds: must be a whole number from 1"
                + " to 3600 (was 0)",
            "environments.production.backend.timeoutSeconds: must be a whole number from 0 to"
                + " 86400 (was 86401)",
            "environments.production.backend.maxRequestsPerClientConnection: must be a whole"
                + " number from 1 to 65536 (was 0)",
            "environments.production.backend.maxConnectionAgeSeconds: must be a whole number from"
                + " 0 to 86400 (was -1)"),
        problems(
            linked(
                ", \"connectTimeoutSeconds\": 0, \"timeoutSeconds\": 86401,"
                    + " \"maxRequestsPerClientConnection\": 0, \"maxConnectionAgeSeconds\": -1")));
  }

  @Test
  void theGatewaysPortIsFrom1To65535() throws Exception {
    for (String url : List.of("https://my-apim.azure-api.net:1", "http://10.0.0.7:65535")) {
      assertEquals(
          url,
          load(linked("").replace("https://my-apim.azure-api.net", url), "production")
              .environment()
              .backend()
              .orElseThrow()
              .url()
              .toString());
    }
    for (String url : List.of("https://my-apim.azure-api.net:0", "http://10.0.0.7:65536")) {
      assertEquals(
          List.of(
              "environments.production.backend.url: the port must be from 1 to 65535 (was \""
                  + url
                  + "\")"),
          problems(linked("").replace("https://my-apim.azure-api.net", url)));
    }
  }

  @Test
  void aOneLetterProxyUserAndAKeyOfTheFirstAndLastVisibleCharactersAreTaken() throws Exception {
    env = Map.of("APIM_KEY", "!key~");
    BackendConfig backend =
        load(linked(", \"proxyCredentials\": \"u:p\""), "production")
            .environment()
            .backend()
            .orElseThrow();

    assertEquals("u", backend.proxyUser());
    assertEquals("!key~", backend.subscriptionKey());
  }

  @Test
  void proxyCredentialsWithoutAUserOrWithAControlCharacterAreRefusedWithoutShowingThem()
      throws Exception {
    String problem =
        "environments.production.backend.proxyCredentials: must be user:password, a user name"
            + " without a colon, and no control characters (value not shown: it is a secret)";
    for (String credentials : List.of("p@ssword", ":p@ssword", "svc:p@ss\\r\\nX-Injected: 1")) {
      assertEquals(
          List.of(problem),
          problems(linked(", \"proxyCredentials\": \"" + credentials + "\"")),
          credentials);
    }
  }

  @Test
  void theSubscriptionKeyNeverAppearsInToString() throws Exception {
    SiteConfig config = load(linked(""), "production");

    assertFalse(config.toString().contains(SECRET), config.toString());
    assertTrue(config.toString().contains("subscriptionKey=<redacted>"));
  }

  @Test
  void anUnreadableFileIsOneProblem() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get)
                    .load("nowhere.json", "production"));

    assertEquals(
        "Invalid ApiLink configuration nowhere.json (1 problem):"
            + System.lineSeparator()
            + "  - cannot read the file (NoSuchFileException: "
            + dir.resolve("nowhere.json")
            + ")",
        e.getMessage());
  }

  @Test
  void aMisplacedObjectIsNamedByItsTypeNotShownWithTheSecretItHolds() throws Exception {
    // Found by GeneratedConfigTest: the whole object, proxy password and all, was the "was".
    String misplaced =
        "{\"backend\": {\"subscriptionKey\": \"" + SECRET + "\", \"timeoutSeconds\": [1]}}";
    assertEquals(
        List.of(
            "environments.production.backend.timeoutSeconds: must be a whole number from 0 to 86400"
                + " (was array)",
            "routesFile: must be a path in the web application such as"
                + " \"/staticwebapp.config.json\", or false (was object)"),
        problems(
            linked(", \"timeoutSeconds\": [\"" + SECRET + "\"]")
                .replaceFirst("\\{", "{\"routesFile\": " + misplaced + ", ")));
  }

  @Test
  void aFilesContentGivenWhereAPathOrANameBelongsIsNotShown() throws Exception {
    // Found by GeneratedConfigTest: "signingKeyFile": "${file:keys.json}" (a reference where the
    // path belongs) showed the private key, in the path it could not read.
    Files.writeString(dir.resolve("keys.json"), "{\"kty\":\"oct\",\"d\":\"" + SECRET + "\"}");
    Files.writeString(dir.resolve("kid.txt"), SECRET);
    String keys = dir.resolve("keys.json").toString();
    String kid = dir.resolve("kid.txt").toString();
    String misreferenced =
        "{\"token\": {\"signingKeyFile\": \"${file:%s}\", \"signingKeyId\": \"${file:%s}\"},"
            + " \"hostname\"";

    List<String> problems =
        problems(linked("").replace("{\"hostname\"", misreferenced.formatted(keys, kid)));

    assertEquals(1, problems.size(), problems.toString());
    assertTrue(
        problems.get(0).startsWith("token.signingKeyFile: cannot read ${file:" + keys + "} ("),
        problems.get(0));
    assertFalse(problems.get(0).contains("kty"), problems.get(0));
  }

  /**
   * The same when the file system changes the content read as a path: a key set whose {@code x5u}
   * holds {@code https://}, or a PEM key whose Base64 holds {@code //}, is a path whose doubled
   * slash the file system merges, and the path in the file system's refusal was then no longer the
   * content that the problem replaces by its reference: the private key showed.
   */
  @Test
  void aFilesContentWithADoubledSlashGivenWhereAPathBelongsIsNotShown() throws Exception {
    Files.writeString(
        dir.resolve("keys.json"),
        "{\"kty\":\"RSA\",\"d\":\"" + SECRET + "\",\"x5u\":\"https://example.com/k\"}");
    String keys = dir.resolve("keys.json").toString();

    List<String> problems =
        problems(
            linked("")
                .replace(
                    "{\"hostname\"",
                    "{\"token\": {\"signingKeyFile\": \"${file:" + keys + "}\"}, \"hostname\""));

    assertEquals(1, problems.size(), problems.toString());
    assertTrue(
        problems.get(0).startsWith("token.signingKeyFile: cannot read ${file:" + keys + "} ("),
        problems.get(0));
    assertFalse(problems.get(0).contains("kty"), problems.get(0));
  }

  /**
   * The same for an environment variable's value: {@code "url": "${env:APIM_KEY}"}, the key's
   * variable named where the gateway's URL belongs, showed the key in the problem.
   */
  @Test
  void aVariablesValueGivenWhereAnotherValueBelongsIsNotShown() throws Exception {
    env = Map.of("APIM_KEY", SECRET, "TIMEOUT", "twelve");

    assertEquals(
        List.of(
            "environments.production.backend.url: not an absolute http(s) URL without query or"
                + " user info (was \"${env:APIM_KEY}\")",
            "environments.production.backend.timeoutSeconds: must be a whole number from 0 to"
                + " 86400 (was \"${env:TIMEOUT}\")"),
        problems(
            linked(", \"timeoutSeconds\": \"${env:TIMEOUT}\"")
                .replace("https://my-apim.azure-api.net", "${env:APIM_KEY}")));
  }

  @Test
  void aPathTheFileSystemCannotHoldIsAProblemNotAnException() throws Exception {
    // Found by GeneratedConfigTest: InvalidPathException escaped the loader.
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: cannot read c\u0000d (IOException:"
                + " not a path: Nul character not allowed)",
            "token.signingKeyFile: cannot read a\u0000b (IOException: not a path: Nul character"
                + " not allowed)"),
        problems(
            linked("")
                .replace("${env:APIM_KEY}", "${file:c\\u0000d}")
                .replace(
                    "{\"hostname\"",
                    "{\"token\": {\"signingKeyFile\": \"a\\u0000b\"}, \"hostname\"")));
  }

  @Test
  void aFileThatIsNotUtf8IsAProblemNotReadWithReplacementCharacters() throws Exception {
    // Found by GeneratedConfigTest: a byte that is not UTF-8 (Windows-1252's é, 0xE9) became
    // U+FFFD and the file loaded, the identity provider "Entra\uFFFD" sent in every principal.
    byte[] latin1 =
        linked("")
            .replace("{\"hostname\"", "{\"identityProvider\": \"Entr\u00e9\", \"hostname\"")
            .getBytes(StandardCharsets.ISO_8859_1);
    Files.write(dir.resolve("apilink.json"), latin1);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                new ConfigLoader(ConfigFiles.fileSystem(dir, Optional.empty()), env::get)
                    .load("apilink.json", "production"));
    assertEquals(
        List.of("not UTF-8: byte 27 is not valid there; save the file as UTF-8"),
        e.problems().stream().map(ConfigException.Problem::toString).toList());

    // PowerShell 5's "echo $key > key.txt" writes UTF-16.
    Files.write(dir.resolve("key.txt"), (SECRET + "\r\n").getBytes(StandardCharsets.UTF_16));
    assertEquals(
        List.of(
            "environments.production.backend.subscriptionKey: cannot read key.txt (IOException: not"
                + " UTF-8: byte 1 is not valid there; save the file as UTF-8)"),
        problems(linked("").replace("${env:APIM_KEY}", "${file:key.txt}")));
  }
}
