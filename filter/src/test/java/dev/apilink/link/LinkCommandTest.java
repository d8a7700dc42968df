package dev.apilink.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

class LinkCommandTest {

  private static final String N = System.lineSeparator();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Recognisable, so that a leak shows. */
  static final String SUBSCRIPTION_KEY = "SUBSCRIPTION-KEY-5ec7e7-do-not-print";

  static final String PRODUCT_ID = "swa-red-sea-123-azurestaticapps-net";
  static final String PRODUCT_RESOURCE_ID =
      "[resourceId('Microsoft.ApiManagement/service/products', parameters('apimServiceName'),"
          + " 'swa-red-sea-123-azurestaticapps-net')]";

  static final String POLICY =
      """
      <policies>
        <inbound>
          <base />
          <validate-jwt header-name="Authorization" failed-validation-httpcode="401" \
      failed-validation-error-message="Unauthorized. Access token is missing or invalid." \
      require-expiration-time="true" require-scheme="Bearer" require-signed-tokens="true" \
      clock-skew="60">
            <openid-config url="https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration" />
            <audiences>
              <audience>https://my-apim.azure-api.net</audience>
            </audiences>
            <issuers>
              <issuer>https://red-sea-123.azurestaticapps.net/.auth</issuer>
            </issuers>
          </validate-jwt>
        </inbound>
        <backend>
          <base />
        </backend>
        <outbound>
          <base />
        </outbound>
        <on-error>
          <base />
        </on-error>
      </policies>""";

  @TempDir Path dir;

  /** The pinned example of DESIGN.md, with one key inline and one from the environment. */
  static String config(String hostname, String backendExtra, String token) {
    return """
        {
          "hostname": "%s",
          "environments": {
            "production": {
              "backend": {
                "resourceType": "apiManagement",
                "url": "https://my-apim.azure-api.net",
                "subscriptionKey": "${env:APIM_SUBSCRIPTION_KEY}"%s
              }
            },
            "staging": {
              "backend": {
                "resourceType": "apiManagement",
                "url": "https://staging-apim.azure-api.net/base",
                "subscriptionKey": "%s"
              }
            },
            "preview": {},
            "pr-42": { "pullRequest": true }
          }%s
        }
        """
        .formatted(hostname, backendExtra, SUBSCRIPTION_KEY, token);
  }

  private Path write(String name, String content) throws IOException {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, content);
    return file;
  }

  private Path site() throws IOException {
    return write("apilink.json", config("red-sea-123.azurestaticapps.net", "", ""));
  }

  private static Map<String, String> keyInEnvironment() {
    return Map.of("APIM_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY);
  }

  private static JsonNode parse(String json) throws IOException {
    return JSON.readTree(json);
  }

  @Test
  void thePolicyAcceptsExactlyTheFiltersTokens() throws IOException {
    Run run = Run.of("link", "--config", site().toString(), "--format", "policy");

    assertEquals(0, run.status(), run.err());
    assertEquals(POLICY + N, run.out());
    assertEquals("", run.err());
  }

  @Test
  void thePolicyIsWellFormedXml() throws Exception {
    Run run = Run.of("link", "--config", site().toString(), "--format", "policy");

    Element validateJwt = validateJwt(run.out());
    assertEquals("Authorization", validateJwt.getAttribute("header-name"));
    assertEquals("Bearer", validateJwt.getAttribute("require-scheme"));
  }

  @Test
  void aCustomTokenHeaderDropsRequireScheme() throws Exception {
    Path config =
        write(
            "apilink.json",
            config(
                "red-sea-123.azurestaticapps.net",
                "",
                ",\n\"token\": {\"header\": \"X-Site-Token\"}"));

    Run run = Run.of("link", "--config", config.toString(), "--format", "policy");

    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out()
            .contains(
                "<validate-jwt header-name=\"X-Site-Token\" failed-validation-httpcode=\"401\""
                    + " failed-validation-error-message=\"Unauthorized. Access token is missing or"
                    + " invalid.\" require-expiration-time=\"true\" require-signed-tokens=\"true\""
                    + " clock-skew=\"60\">"),
        run.out());
    assertFalse(validateJwt(run.out()).hasAttribute("require-scheme"));
  }

  @Test
  void theContextPathIsPartOfTheIssuerAndTheDiscoveryUrl() throws IOException {
    Run run =
        Run.of(
            "link", "--config", site().toString(), "--context-path", "/shop", "--format", "json");

    assertEquals(0, run.status(), run.err());
    JsonNode summary = parse(run.out());
    assertEquals(
        "https://red-sea-123.azurestaticapps.net/shop/.auth", summary.path("issuer").asText());
    assertEquals(
        "https://red-sea-123.azurestaticapps.net/shop/.auth/.well-known/openid-configuration",
        summary.path("openidConfigurationUrl").asText());
    assertTrue(
        summary
            .path("policy")
            .asText()
            .contains(
                "<openid-config url=\"https://red-sea-123.azurestaticapps.net/shop/.auth/.well-known/openid-configuration\" />"));
    assertTrue(
        summary
            .path("policy")
            .asText()
            .contains("<issuer>https://red-sea-123.azurestaticapps.net/shop/.auth</issuer>"));
  }

  @Test
  void aSiteUnderAContextPathHasAProductAndSubscriptionOfItsOwn() throws IOException {
    JsonNode shop =
        parse(
            Run.of(
                    "link",
                    "--config",
                    site().toString(),
                    "--context-path",
                    "/shop",
                    "--format",
                    "json")
                .out());
    JsonNode blog =
        parse(
            Run.of(
                    "link",
                    "--config",
                    site().toString(),
                    "--context-path",
                    "/blog/",
                    "--format",
                    "json")
                .out());
    JsonNode root = parse(Run.of("link", "--config", site().toString(), "--format", "json").out());

    // Each context has its own issuer and so its own policy: with one product id for the host, a
    // reviewer's second context's policy would have replaced the first's.
    assertEquals(
        "swa-red-sea-123-azurestaticapps-net-shop", shop.path("product").path("id").asText());
    assertEquals(
        "Azure Static Web Apps - red-sea-123.azurestaticapps.net/shop (Linked)",
        shop.path("product").path("displayName").asText());
    assertEquals(
        "Generated for Static Web Apps resource with default hostname:"
            + " red-sea-123.azurestaticapps.net/shop",
        shop.path("subscription").path("displayName").asText());
    assertEquals(
        "swa-red-sea-123-azurestaticapps-net-blog", blog.path("product").path("id").asText());
    assertEquals(PRODUCT_ID, root.path("product").path("id").asText());
  }

  @Test
  void aContextPathWithATrailingSlashMeansTheSamePath() throws IOException {
    Run run =
        Run.of(
            "link", "--config", site().toString(), "--context-path", "/shop/", "--format", "json");

    assertEquals(
        "https://red-sea-123.azurestaticapps.net/shop/.auth",
        parse(run.out()).path("issuer").asText());
  }

  @Test
  void theRootContextPathAddsNothing() throws IOException {
    Run run =
        Run.of("link", "--config", site().toString(), "--context-path", "/", "--format", "policy");

    assertEquals(POLICY + N, run.out());
  }

  @Test
  void theArmTemplateCreatesTheProductTheSubscriptionAndThePolicy() throws IOException {
    Run run = Run.of("link", "--config", site().toString(), "--format", "arm");

    assertEquals(0, run.status(), run.err());
    JsonNode template = parse(run.out());
    assertEquals(
        "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        template.path("$schema").asText());
    assertEquals("1.0.0.0", template.path("contentVersion").asText());
    assertEquals(
        "my-apim",
        template.path("parameters").path("apimServiceName").path("defaultValue").asText());
    assertEquals(
        "string", template.path("parameters").path("apimServiceName").path("type").asText());
    JsonNode resources = template.path("resources");
    assertEquals(3, resources.size());

    JsonNode product = resources.get(0);
    assertEquals("Microsoft.ApiManagement/service/products", product.path("type").asText());
    assertEquals("2022-08-01", product.path("apiVersion").asText());
    assertEquals(
        "[concat(parameters('apimServiceName'), '/" + PRODUCT_ID + "')]",
        product.path("name").asText());
    assertEquals(
        "Azure Static Web Apps - red-sea-123.azurestaticapps.net (Linked)",
        product.path("properties").path("displayName").asText());
    assertTrue(product.path("properties").path("subscriptionRequired").isBoolean());
    assertTrue(product.path("properties").path("subscriptionRequired").booleanValue());
    assertFalse(product.path("properties").path("approvalRequired").booleanValue());
    assertEquals("published", product.path("properties").path("state").asText());

    JsonNode subscription = resources.get(1);
    assertEquals(
        "Microsoft.ApiManagement/service/subscriptions", subscription.path("type").asText());
    assertEquals("2022-08-01", subscription.path("apiVersion").asText());
    assertEquals(
        "[concat(parameters('apimServiceName'), '/" + PRODUCT_ID + "')]",
        subscription.path("name").asText());
    assertEquals(PRODUCT_RESOURCE_ID, subscription.path("dependsOn").get(0).asText());
    assertEquals(
        "Generated for Static Web Apps resource with default hostname:"
            + " red-sea-123.azurestaticapps.net",
        subscription.path("properties").path("displayName").asText());
    assertEquals(PRODUCT_RESOURCE_ID, subscription.path("properties").path("scope").asText());
    assertEquals("active", subscription.path("properties").path("state").asText());
    // A client's Ocp-Apim-Trace is forwarded: tracing with this key stays off.
    assertFalse(subscription.path("properties").path("allowTracing").asBoolean(true));

    JsonNode policy = resources.get(2);
    assertEquals("Microsoft.ApiManagement/service/products/policies", policy.path("type").asText());
    assertEquals("2022-08-01", policy.path("apiVersion").asText());
    assertEquals(
        "[concat(parameters('apimServiceName'), '/" + PRODUCT_ID + "/policy')]",
        policy.path("name").asText());
    assertEquals(PRODUCT_RESOURCE_ID, policy.path("dependsOn").get(0).asText());
    assertEquals("rawxml", policy.path("properties").path("format").asText());
    assertEquals(POLICY, policy.path("properties").path("value").asText());
  }

  @Test
  void theApimServiceNameCanBeGiven() throws IOException {
    Run run =
        Run.of(
            "link",
            "--config",
            site().toString(),
            "--format",
            "arm",
            "--apim-service",
            "contoso-apim");

    assertEquals(
        "contoso-apim",
        parse(run.out()).path("parameters").path("apimServiceName").path("defaultValue").asText());
  }

  /** The test site's configuration with its gateway at {@code gatewayUrl}. */
  private Path configWithGateway(String gatewayUrl) throws IOException {
    return write(
        "apilink.json",
        config("red-sea-123.azurestaticapps.net", "", "")
            .replace("https://my-apim.azure-api.net", gatewayUrl));
  }

  @Test
  void aGatewayAtAnIpAddressGivesTheTemplateNoServiceNameAndSaysSo() throws IOException {
    Path config = configWithGateway("http://127.0.0.1:18081");

    Run run = Run.of("link", "--config", config.toString(), "--format", "arm");

    assertEquals(0, run.status(), run.err());
    assertEquals(
        "link: 127.0.0.1 is not an <apim-service>.azure-api.net gateway, so the ARM template's"
            + " apimServiceName has no default: give --apim-service <name>, or the parameter"
            + " apimServiceName when deploying."
            + N,
        run.err());
    JsonNode parameter = parse(run.out()).path("parameters").path("apimServiceName");
    assertEquals("string", parameter.path("type").asText());
    assertFalse(parameter.has("defaultValue"), parameter.toString());
    // Formats that name no service say nothing about it.
    for (String format : List.of("policy", "json")) {
      Run other = Run.of("link", "--config", config.toString(), "--format", format);
      assertEquals(0, other.status(), other.err());
      assertEquals("", other.err(), format);
    }
  }

  @Test
  void aRegionalGatewayHostIsNotTakenForTheServiceName() throws IOException {
    Path config = configWithGateway("https://my-apim-westeurope-01.regional.azure-api.net");

    Run run = Run.of("link", "--config", config.toString());

    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out()
            .contains(
                "az deployment group create --resource-group <resource-group> --template-file"
                    + " link.json --parameters apimServiceName=<apim-service>"),
        run.out());
    assertTrue(run.out().contains("--service-name <apim-service> "), run.out());
  }

  @Test
  void aTemplateThatCannotBeWrittenFailsTheCommand() throws IOException {
    // "link --format arm > link.json" on a full disk must stop a set -e script before it deploys.
    Run run = Run.withUnwritableOutput("link", "--config", site().toString(), "--format", "arm");

    assertEquals(1, run.status());
    assertEquals(
        "apilink link: the output could not be written (standard output closed or full)" + N,
        run.err());
  }

  @Test
  void theJsonSummaryNamesTheEnvironmentItWasMadeFor() throws IOException {
    // A CI job that keeps one summary per environment must be able to tell them apart.
    Path config = site();
    Run production = Run.of("link", "--config", config.toString(), "--format", "json");
    Run staging =
        Run.of(
            Map.of("APILINK_ENVIRONMENT", "staging"),
            "link",
            "--config",
            config.toString(),
            "--format",
            "json");

    assertEquals(0, production.status(), production.err());
    assertEquals("production", parse(production.out()).path("environment").asText());
    assertEquals(0, staging.status(), staging.err());
    assertEquals("staging", parse(staging.out()).path("environment").asText());
  }

  @Test
  void theJsonSummaryNamesWhatLinkingCreates() throws IOException {
    Run run = Run.of("link", "--config", site().toString(), "--format", "json");

    assertEquals(0, run.status(), run.err());
    JsonNode summary = parse(run.out());
    assertEquals(PRODUCT_ID, summary.path("product").path("id").asText());
    assertEquals(
        "Azure Static Web Apps - red-sea-123.azurestaticapps.net (Linked)",
        summary.path("product").path("displayName").asText());
    assertTrue(summary.path("product").path("subscriptionRequired").booleanValue());
    assertEquals(PRODUCT_ID, summary.path("subscription").path("id").asText());
    assertEquals(
        "Generated for Static Web Apps resource with default hostname:"
            + " red-sea-123.azurestaticapps.net",
        summary.path("subscription").path("displayName").asText());
    assertEquals("/products/" + PRODUCT_ID, summary.path("subscription").path("scope").asText());
    assertEquals(POLICY, summary.path("policy").asText());
    assertEquals("https://red-sea-123.azurestaticapps.net/.auth", summary.path("issuer").asText());
    assertEquals("https://my-apim.azure-api.net", summary.path("audience").asText());
    assertEquals(
        "https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration",
        summary.path("openidConfigurationUrl").asText());
    assertEquals("Ocp-Apim-Subscription-Key", summary.path("subscriptionKeyHeader").asText());
  }

  @Test
  void aRenamedSubscriptionKeyHeaderIsNamedForTheApisToReadItFrom() throws IOException {
    // A reviewer's site sent its key in X-Key, and nothing said that the APIs must read it there.
    Path config =
        write(
            "apilink.json",
            config(
                "red-sea-123.azurestaticapps.net", ",\n\"subscriptionKeyHeader\": \"X-Key\"", ""));

    Run json = Run.of("link", "--config", config.toString(), "--format", "json");
    Run text = Run.of("link", "--config", config.toString());

    assertEquals("X-Key", parse(json.out()).path("subscriptionKeyHeader").asText());
    assertTrue(
        text.out()
            .contains(
                "     The site sends the subscription key in X-Key: each of those APIs must read"
                    + " it from there,\n"),
        text.out());
    assertTrue(text.out().contains("subscriptionKeyParameterNames.header"), text.out());
    assertFalse(
        Run.of("link", "--config", site().toString())
            .out()
            .contains("subscriptionKeyParameterNames"));
  }

  @Test
  void theAudienceIsTheBackendUrlUnlessConfigured() throws IOException {
    Run staging =
        Run.of(
            "link", "--config", site().toString(), "--environment", "staging", "--format", "json");
    Path configured =
        write(
            "configured.json",
            config(
                "red-sea-123.azurestaticapps.net",
                ",\n\"audience\": \"api://orders?tenant=a&b=<c>\"",
                ""));
    Run custom = Run.of("link", "--config", configured.toString(), "--format", "policy");

    assertEquals(
        "https://staging-apim.azure-api.net/base", parse(staging.out()).path("audience").asText());
    assertTrue(
        custom.out().contains("<audience>api://orders?tenant=a&amp;b=&lt;c&gt;</audience>"),
        custom.out());
  }

  @Test
  void theProductIdKeepsOnlyLowerCaseLettersDigitsAndHyphens() throws IOException {
    Path config = write("local.json", config("http://Dev-Box.local:8080", "", ""));

    JsonNode summary =
        parse(Run.of("link", "--config", config.toString(), "--format", "json").out());

    assertEquals("swa-dev-box-local-8080", summary.path("product").path("id").asText());
    assertEquals(
        "Azure Static Web Apps - Dev-Box.local:8080 (Linked)",
        summary.path("product").path("displayName").asText());
    assertEquals("http://Dev-Box.local:8080/.auth", summary.path("issuer").asText());
  }

  @Test
  void theEnvironmentComesFromApilinkEnvironmentWhenNotGiven() throws IOException {
    Run run =
        Run.of(
            Map.of("APILINK_ENVIRONMENT", "staging"),
            "link",
            "--config",
            site().toString(),
            "--format",
            "json");

    assertEquals(
        "https://staging-apim.azure-api.net/base", parse(run.out()).path("audience").asText());
  }

  /**
   * The text report's first line names the environment it describes, so that one chosen by {@code
   * APILINK_ENVIRONMENT} rather than by the container's setting shows (README, "The gateway side").
   */
  @Test
  void theTextReportsFirstLineNamesTheEnvironment() throws IOException {
    Run run =
        Run.of(Map.of("APILINK_ENVIRONMENT", "staging"), "link", "--config", site().toString());

    assertEquals(0, run.status(), run.err());
    assertEquals(
        "Link environment \"staging\" of https://red-sea-123.azurestaticapps.net to the API"
            + " Management gateway https://staging-apim.azure-api.net/base",
        run.out().lines().findFirst().orElseThrow());
  }

  @Test
  void theEnvironmentOptionWinsOverApilinkEnvironment() throws IOException {
    Run run =
        Run.of(
            Map.of("APILINK_ENVIRONMENT", "staging"),
            "link",
            "--config",
            site().toString(),
            "--environment",
            "production",
            "--format",
            "json");

    assertEquals("https://my-apim.azure-api.net", parse(run.out()).path("audience").asText());
  }

  @Test
  void noFormatPrintsTheSubscriptionKey() throws IOException {
    Path config = site();
    for (String environment : new String[] {"production", "staging"}) {
      for (String format : new String[] {"text", "policy", "arm", "json"}) {
        Run run =
            Run.of(
                keyInEnvironment(),
                "link",
                "--config",
                config.toString(),
                "--environment",
                environment,
                "--format",
                format);

        assertEquals(0, run.status(), run.err());
        assertFalse(run.all().contains(SUBSCRIPTION_KEY), environment + " " + format);
        assertFalse(run.all().contains("5ec7e7"), environment + " " + format);
      }
    }
  }

  @Test
  void linkNeedsNeitherTheSubscriptionKeyNorTheSigningKeyFile() throws IOException {
    // Linking creates the subscription, so its key cannot be set yet; and no private key is read.
    Path config =
        write(
            "apilink.json",
            config(
                "red-sea-123.azurestaticapps.net",
                "",
                ",\n\"token\": {\"signingKeyFile\": \"/nonexistent/keys.json\","
                    + " \"signingKeyId\": \"k2\"}"));

    Run run = Run.of("link", "--config", config.toString(), "--format", "policy");

    assertEquals(0, run.status(), run.err());
    assertEquals(POLICY + N, run.out());
  }

  @Test
  void aSigningKeyIdTheFilterWouldRefuseIsRefusedByLinkToo() throws IOException {
    // The filter refuses it at start-up; link reads no key file, but the kid's form is in the
    // configuration itself, so the policy is not printed for a site that could never start.
    Path config =
        write(
            "apilink.json",
            config(
                "red-sea-123.azurestaticapps.net",
                "",
                ",\n\"token\": {\"signingKeyFile\": \"/nonexistent/keys.json\","
                    + " \"signingKeyId\": \"k2 \"}"));

    Run run = Run.of("link", "--config", config.toString(), "--format", "policy");

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals(
        "Invalid ApiLink configuration "
            + config
            + " (1 problem):"
            + N
            + "  - token.signingKeyId: must not start or end with white space (was \"k2 \")"
            + N,
        run.err());
  }

  @Test
  void theTextReportShowsEverythingAndTheNextSteps() throws IOException {
    Path config = site();

    Run run = Run.of(keyInEnvironment(), "link", "--config", config.toString());

    assertEquals(0, run.status(), run.err());
    String text = run.out();
    assertTrue(text.contains("  id:                    " + PRODUCT_ID + "\n"), text);
    assertTrue(
        text.contains(
            "  display name: Generated for Static Web Apps resource with default hostname:"
                + " red-sea-123.azurestaticapps.net\n"),
        text);
    assertTrue(text.contains("Product policy\n" + POLICY + "\n"), text);
    assertTrue(text.contains("\"$schema\": \"" + ArmTemplate.SCHEMA + "\""), text);
    assertTrue(
        text.contains(
            "       java -jar apilink-filter-<version>-all.jar link --config "
                + config
                + " --environment production --format arm > link.json\n"
                + "       az deployment group create --resource-group <resource-group>"
                + " --template-file link.json\n"),
        text);
    assertTrue(
        text.contains("  2. Add your APIs to the product: no API is exposed until it is added."));
    assertTrue(
        text.contains(
            "az apim product api add --resource-group <resource-group> --service-name my-apim"
                + " --product-id "
                + PRODUCT_ID
                + " --api-id <api-id>"),
        text);
    assertTrue(
        text.contains(
            "  3. Copy the subscription's primary key into the setting behind"
                + " environments.production.backend.subscriptionKey\n"),
        text);
    assertTrue(
        text.contains(
            "       curl -fsS"
                + " https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration\n"),
        text);
  }

  /** The whole report, word for word: what an operator reads before touching API Management. */
  @Test
  void theTextReportReadsInFull() throws IOException {
    Path config = site();
    String template = Run.of("link", "--config", config.toString(), "--format", "arm").out();

    Run run = Run.of("link", "--config", config.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals(
        "Link environment \"production\" of https://red-sea-123.azurestaticapps.net to the API"
            + " Management gateway https://my-apim.azure-api.net\n"
            + "\n"
            + "Static Web Apps' linking creates the following in API Management; apply them with"
            + " the ARM template below.\n"
            + "\n"
            + "Product\n"
            + "  id:                    swa-red-sea-123-azurestaticapps-net\n"
            + "  display name:          Azure Static Web Apps - red-sea-123.azurestaticapps.net"
            + " (Linked)\n"
            + "  subscription required: yes (no approval; published)\n"
            + "\n"
            + "Subscription\n"
            + "  id:           swa-red-sea-123-azurestaticapps-net\n"
            + "  display name: Generated for Static Web Apps resource with default hostname:"
            + " red-sea-123.azurestaticapps.net\n"
            + "  scope:        /products/swa-red-sea-123-azurestaticapps-net\n"
            + "  state:        active\n"
            + "  tracing:      not allowed\n"
            + "\n"
            + "Access tokens, checked by the product's validate-jwt policy\n"
            + "  issuer:    https://red-sea-123.azurestaticapps.net/.auth\n"
            + "  audience:  https://my-apim.azure-api.net\n"
            + "  header:    Authorization: Bearer <token>\n"
            + "  discovery: https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration\n"
            + "  (for a web application at the root; if it is deployed elsewhere, add"
            + " --context-path /its-path)\n"
            + "\n"
            + "Product policy\n"
            + POLICY
            + "\n\n"
            + "ARM template\n"
            + template
            + "\n"
            + "Next steps\n"
            + "  1. Deploy the template to the resource group of the API Management service"
            + " my-apim:\n"
            + "       java -jar apilink-filter-<version>-all.jar link --config "
            + config
            + " --environment production --format arm > link.json\n"
            + "       az deployment group create --resource-group <resource-group> --template-file"
            + " link.json\n"
            + "  2. Add your APIs to the product: no API is exposed until it is added.\n"
            + "     The site forwards the whole path, /api included, so each API's URL suffix starts"
            + " with api.\n"
            + "       az apim product api add --resource-group <resource-group> --service-name"
            + " my-apim --product-id swa-red-sea-123-azurestaticapps-net --api-id <api-id>\n"
            + "     Each API must require a subscription (its Settings > Subscription required):"
            + " API Management\n"
            + "     lets a request without a key reach an API that does not, without the product's"
            + " validate-jwt.\n"
            + "  3. Copy the subscription's primary key into the setting behind"
            + " environments.production.backend.subscriptionKey\n"
            + "     (such as ${env:APIM_SUBSCRIPTION_KEY}; not into apilink.json itself).\n"
            + "     Portal: API Management > Subscriptions > \"Generated for Static Web Apps"
            + " resource with default hostname: red-sea-123.azurestaticapps.net\" > Show keys.\n"
            + "     Script: az rest --method post --url"
            + " \"/subscriptions/{subscriptionId}/resourceGroups/<resource-group>/providers"
            + "/Microsoft.ApiManagement/service/my-apim/subscriptions/"
            + "swa-red-sea-123-azurestaticapps-net/listSecrets?api-version="
            + ArmTemplate.API_VERSION
            + "\" --query primaryKey --output tsv\n"
            + "     Regenerating that key cuts the site off until the setting is updated.\n"
            + "  4. Make the discovery URL reachable from the gateway, with the filter mapped on"
            + " /.auth/.well-known/*:\n"
            + "       curl -fsS"
            + " https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration\n"
            + "     The gateway reads the signing keys from there; it refuses every token while it"
            + " cannot.\n",
        run.out());
  }

  @Test
  void theTextReportRepeatsTheRunsOwnOptionsAndNamesTheTokenHeaderAsSent() throws IOException {
    Path config =
        write(
            "my site's/apilink.json",
            config(
                "red-sea-123.azurestaticapps.net",
                "",
                ",\n\"token\": {\"header\": \"X-Site-Token\"}"));

    Run run =
        Run.of(
            keyInEnvironment(),
            "link",
            "--config",
            config.toString(),
            "--context-path",
            "/shop",
            "--apim-service",
            "contoso-apim");

    assertEquals(0, run.status(), run.err());
    String text = run.out();
    assertTrue(
        text.contains(
            "       java -jar apilink-filter-<version>-all.jar link --config '"
                + config.toString().replace("'", "'\\''")
                + "' --environment production --context-path /shop --apim-service contoso-apim"
                + " --format arm > link.json\n"),
        text);
    assertTrue(text.contains("  header:    X-Site-Token: <token>\n"), text);
    assertFalse(text.contains("(for a web application at the root"), text);
    assertTrue(
        text.contains(
            "\"description\": \"Created for the static site red-sea-123.azurestaticapps.net/shop as"
                + " Static Web Apps linking does, applied with ApiLink."),
        text);
  }

  @Test
  void theTextReportOfTheRootSaysHowToNameAContextPath() throws IOException {
    Run run = Run.of(keyInEnvironment(), "link", "--config", site().toString());

    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("  header:    Authorization: Bearer <token>\n"), run.out());
    assertTrue(
        run.out()
            .contains(
                "  (for a web application at the root; if it is deployed elsewhere, add"
                    + " --context-path /its-path)\n"),
        run.out());
  }

  @Test
  void theNextStepsSayEachApiMustRequireASubscriptionAndHowAScriptReadsTheKey() throws IOException {
    Run run = Run.of("link", "--config", site().toString());

    assertEquals(0, run.status(), run.err());
    String text = run.out();
    // An API that requires no subscription is reachable without a key, outside the product and
    // its validate-jwt (Microsoft: "API request without a subscription key").
    assertTrue(
        text.contains(
            "     Each API must require a subscription (its Settings > Subscription required):"
                + " API Management\n"
                + "     lets a request without a key reach an API that does not, without the"
                + " product's validate-jwt.\n"),
        text);
    assertTrue(
        text.contains(
            "     Script: az rest --method post --url"
                + " \"/subscriptions/{subscriptionId}/resourceGroups/<resource-group>/providers"
                + "/Microsoft.ApiManagement/service/my-apim/subscriptions/"
                + PRODUCT_ID
                + "/listSecrets?api-version="
                + ArmTemplate.API_VERSION
                + "\" --query primaryKey --output tsv\n"),
        text);
  }

  @Test
  void anEnvironmentWithoutBackendIsNotLinked() throws IOException {
    Path config = site();

    Run run = Run.of("link", "--config", config.toString(), "--environment", "preview");

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals(
        "Environment \"preview\" in "
            + config
            + " is not linked: environments.preview has no \"backend\". Add one (resourceType,"
            + " url, subscriptionKey), then run link again."
            + N,
        run.err());
  }

  @Test
  void aPullRequestEnvironmentCannotBeLinked() throws IOException {
    Path config = site();

    Run run = Run.of("link", "--config", config.toString(), "--environment", "pr-42");

    assertEquals(1, run.status());
    assertEquals(
        "Environment \"pr-42\" in "
            + config
            + " is a pull-request environment, which cannot be linked: backend integration is not"
            + " supported on pull request environments."
            + N,
        run.err());
  }

  @Test
  void aPullRequestEnvironmentWithABackendIsAConfigurationProblem() throws IOException {
    Path config =
        write(
            "apilink.json",
            """
            {
              "hostname": "red-sea-123.azurestaticapps.net",
              "environments": {
                "pr-7": {
                  "pullRequest": true,
                  "backend": {
                    "resourceType": "apiManagement",
                    "url": "https://my-apim.azure-api.net",
                    "subscriptionKey": "%s"
                  }
                }
              }
            }
            """
                .formatted(SUBSCRIPTION_KEY));

    Run run = Run.of("link", "--config", config.toString(), "--environment", "pr-7");

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals(
        "Invalid ApiLink configuration "
            + config
            + " (1 problem):"
            + N
            + "  - environments.pr-7.backend: backend integration is not supported on pull"
            + " request environments"
            + N,
        run.err());
  }

  @Test
  void anUnknownEnvironmentIsAConfigurationProblem() throws IOException {
    Run run = Run.of("link", "--config", site().toString(), "--environment", "qa");

    assertEquals(1, run.status());
    assertTrue(
        run.err()
            .contains(
                "  - environments: has no environment \"qa\", the environment this deployment is"
                    + " (defined: production, staging, preview, pr-42); chosen by --environment"),
        run.err());
  }

  @Test
  void anUnknownEnvironmentFromApilinkEnvironmentIsReportedAsChosenByIt() throws IOException {
    Run run = Run.of(Map.of("APILINK_ENVIRONMENT", "qa"), "link", "--config", site().toString());

    assertEquals(1, run.status());
    assertTrue(
        run.err()
            .contains(
                "  - environments: has no environment \"qa\", the environment this deployment is"
                    + " (defined: production, staging, preview, pr-42); chosen by the environment"
                    + " variable APILINK_ENVIRONMENT"),
        run.err());
  }

  @Test
  void anAudienceThatThePolicyCannotHoldAsWrittenIsAConfigurationProblem() throws IOException {
    // "${env:AUDIENCE}" from a file saved with CRLF ends in a carriage return, which ApiLink put
    // in every token's aud; in the printed <audience> an XML parser reads it as a line feed and
    // the testkit gateway trims it, so no token matched. A control character such as U+0001 made
    // the policy no XML at all.
    Path config =
        write(
            "apilink.json",
            config("red-sea-123.azurestaticapps.net", ",\n\"audience\": \"${env:AUDIENCE}\"", ""));

    for (String audience : List.of("api://contoso-orders\r", "api://contoso\u0001orders")) {
      Run run =
          Run.of(
              Map.of("AUDIENCE", audience),
              "link",
              "--config",
              config.toString(),
              "--format",
              "policy");

      assertEquals(1, run.status(), run.all());
      assertEquals("", run.out());
      assertEquals(
          "Invalid ApiLink configuration "
              + config
              + " (1 problem):"
              + N
              + "  - environments.production.backend.audience: must not start or end with white"
              + " space, nor hold a line break or another control character (was "
              + JSON.getNodeFactory().textNode(audience)
              + ")"
              + N,
          run.err());
    }
  }

  @Test
  void aMissingConfigFileIsAConfigurationProblem() {
    String missing = dir.resolve("missing.json").toString();

    Run run = Run.of("link", "--config", missing);

    assertEquals(1, run.status());
    assertEquals(
        "Invalid ApiLink configuration "
            + missing
            + " (1 problem):"
            + N
            + "  - cannot read the file (NoSuchFileException: "
            + missing
            + ")"
            + N,
        run.err());
  }

  @Test
  void aConfigInsideWebInfReadsWebInfReferencesFromThere() throws IOException {
    write("webapp/WEB-INF/hostname.txt", "blue-hill-7.azurestaticapps.net\n");
    Path config =
        write("webapp/WEB-INF/apilink.json", config("${file:/WEB-INF/hostname.txt}", "", ""));

    Run run = Run.of("link", "--config", config.toString(), "--format", "json");

    assertEquals(0, run.status(), run.err());
    assertEquals(
        "swa-blue-hill-7-azurestaticapps-net",
        parse(run.out()).path("product").path("id").asText());
  }

  @Test
  void theCurlCommandQuotesADiscoveryUrlThatTheShellWouldSplit() throws IOException {
    // A context path the command accepts; unquoted, bash runs "curl .../a" in the background,
    // then "b$c/.auth/..." as a command, with $c expanded.
    Run run = Run.of("link", "--config", site().toString(), "--context-path", "/a&b$c");

    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out()
            .contains(
                "       curl -fsS"
                    + " 'https://red-sea-123.azurestaticapps.net/a&b$c/.auth/.well-known/openid-configuration'"
                    + N),
        run.out());
  }

  @Test
  void aConfigPathThatIsNotAPathIsAProblemNotAStackTrace() {
    // On Windows, "<" ">" "*" "?" "|" make a name the file system refuses, as NUL does here.
    Run run = Run.of("link", "--config", "apilink\u0000.json");

    assertEquals(1, run.status(), run.all());
    assertTrue(run.err().contains("apilink\u0000.json"), run.err());
  }

  @Test
  void contextPathsAreTakenAsTheContainerGivesThemAndOthersRefused() throws Exception {
    assertEquals("", LinkCommand.contextPath(Optional.of("/")));
    assertEquals("/my shop", LinkCommand.contextPath(Optional.of("/my shop")));
    assertEquals("/a/b", LinkCommand.contextPath(Optional.of("/a/b/")));
    // Checked segment by segment: a pattern's repeated group overflowed the stack.
    String deep = "/a".repeat(20_000);
    assertEquals(deep, LinkCommand.contextPath(Optional.of(deep)));
    for (String refused :
        List.of("shop", "//", "/a//b", "/a?b", "/a#b", " /shop", "/shop ", "/a\tb", "/a\u0000b")) {
      assertThrows(
          UsageException.class, () -> LinkCommand.contextPath(Optional.of(refused)), refused);
    }
  }

  @Test
  void aContextPathWithASpaceIsLinkedWithTheIssuerTheFilterMints() throws IOException {
    // Tomcat 10.1.59 deploys "my shop.war" at /my%20shop, and its ServletContext.getContextPath(),
    // from which the filter makes the issuer, is the decoded "/my shop".
    Run run =
        Run.of(
            "link",
            "--config",
            site().toString(),
            "--context-path",
            "/my shop",
            "--format",
            "json");

    assertEquals(0, run.status(), run.err());
    JsonNode summary = parse(run.out());
    assertEquals(
        "https://red-sea-123.azurestaticapps.net/my shop/.auth", summary.path("issuer").asText());
    // The gateway fetches it: a URL, which holds no space.
    assertEquals(
        "https://red-sea-123.azurestaticapps.net/my%20shop/.auth/.well-known/openid-configuration",
        summary.path("openidConfigurationUrl").asText());
  }

  @Test
  void aContextPathCopiedFromTheAddressBarIsLinkedAsGivenWithAWarning() throws IOException {
    // The browser shows /my%20shop; the container reports /my shop, from which the filter makes
    // the issuer. Taken silently, the policy's issuer and discovery URL (/my%2520shop) refused
    // every token, which docs/gateway.md says the decoded form was introduced to end.
    Run run =
        Run.of(
            "link",
            "--config",
            site().toString(),
            "--context-path",
            "/my%20shop",
            "--format",
            "policy");

    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out().contains("<issuer>https://red-sea-123.azurestaticapps.net/my%20shop/.auth"));
    assertEquals(
        "link: --context-path \"/my%20shop\" is taken as written, percent signs included: the"
            + " container reports a context path decoded, and the filter makes the issuer from"
            + " that. For a web application at the URL /my%20shop, give --context-path '/my"
            + " shop'."
            + N,
        run.err());
  }

  @Test
  void aPercentSignThatEncodesNoUtf8IsNotDecodedIntoTheAdvice() {
    // /%FF decoded would be U+FFFD, which the command line refuses as undecodable.
    assertTrue(
        LinkCommand.percentEncodingWarning("/%FF")
            .orElseThrow()
            .endsWith("give the path decoded."));
    assertEquals(Optional.empty(), LinkCommand.percentEncodingWarning("/100%"));
  }

  @Test
  void theAdviceKeepsACharacterOutsideTheBasicPlaneThatIsNotPercentEncoded() {
    // Encoded char by char, each half of the pair became "?", and the advice named /?? shop.
    assertEquals(
        Optional.of(
            "--context-path \"/\uD83C\uDF55%20shop\" is taken as written, percent signs included:"
                + " the container reports a context path decoded, and the filter makes the issuer"
                + " from that. For a web application at the URL /\uD83C\uDF55%20shop, give"
                + " --context-path '/\uD83C\uDF55 shop'."),
        LinkCommand.percentEncodingWarning("/\uD83C\uDF55%20shop"));
  }

  @Test
  void theRerunCommandPassesAConfigWhoseRelativePathStartsWithTwoHyphens() throws IOException {
    // Relative to the working directory, as a user in the site's directory names it.
    Path config = Path.of("--apilink-" + System.nanoTime() + ".json");
    Files.writeString(config, config("red-sea-123.azurestaticapps.net", "", ""));
    try {
      Run run = Run.of("link", "--config=" + config);
      assertEquals(0, run.status(), run.err());
      String rerun =
          run.out().lines().filter(line -> line.contains("java -jar")).findFirst().orElseThrow();
      // Its words as a POSIX shell splits them (none is quoted here), without the redirection.
      List<String> words = List.of(rerun.strip().replace(" > link.json", "").split(" "));

      Run again = Run.of(words.subList(3, words.size()).toArray(String[]::new));

      assertEquals(0, again.status(), rerun + N + again.err());
    } finally {
      Files.delete(config);
    }
  }

  private static Element validateJwt(String xml) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    Document document =
        factory
            .newDocumentBuilder()
            .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    assertEquals("policies", document.getDocumentElement().getTagName());
    return (Element) document.getElementsByTagName("validate-jwt").item(0);
  }
}
