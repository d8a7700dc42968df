package dev.apilink.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnlinkCommandTest {

  private static final String N = System.lineSeparator();
  private static final String DELETE =
      "     az apim product delete --resource-group <resource-group> --service-name my-apim"
          + " --product-id swa-red-sea-123-azurestaticapps-net --delete-subscriptions true --yes\n";

  @TempDir Path dir;

  private Path site() throws IOException {
    Path config = dir.resolve("apilink.json");
    Files.writeString(config, LinkCommandTest.config("red-sea-123.azurestaticapps.net", "", ""));
    return config;
  }

  @Test
  void aLinkedEnvironmentIsUnlinkedByRemovingItsBackend() throws IOException {
    Path config = site();

    Run run = Run.of("unlink", "--config", config.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    assertTrue(
        run.out()
            .startsWith(
                "Unlink environment \"production\" of https://red-sea-123.azurestaticapps.net\n"
                    + "\n"
                    + "1. Unlink ApiLink: remove \"backend\" from environments.production in "
                    + config
                    + ",\n"
                    + "   saved in one step (ApiLink applies it at once; a configuration inside a"
                    + " packed WAR\n"
                    + "   needs a redeployment). From then on new /api requests pass down the filter\n"),
        run.out());
  }

  /** The whole report, word for word. */
  @Test
  void theReportReadsInFull() throws IOException {
    Path config = site();

    Run run = Run.of("unlink", "--config", config.toString());

    assertEquals(0, run.status(), run.err());
    assertEquals(
        "Unlink environment \"production\" of https://red-sea-123.azurestaticapps.net\n"
            + "\n"
            + "1. Unlink ApiLink: remove \"backend\" from environments.production in "
            + config
            + ",\n"
            + "   saved in one step (ApiLink applies it at once; a configuration inside a packed"
            + " WAR\n"
            + "   needs a redeployment). From then on new /api requests pass down the filter\n"
            + "   chain to the web application. Those already in flight, waiting for a gateway\n"
            + "   connection included, still finish at https://my-apim.azure-api.net.\n"
            + "\n"
            + "2. What stays in API Management (my-apim), as after unlinking on Static Web Apps:\n"
            + "     product       swa-red-sea-123-azurestaticapps-net  \"Azure Static Web Apps -"
            + " red-sea-123.azurestaticapps.net (Linked)\"\n"
            + "     subscription  swa-red-sea-123-azurestaticapps-net  \"Generated for Static Web"
            + " Apps resource with default hostname: red-sea-123.azurestaticapps.net\"\n"
            + "   The subscription's keys stay valid until it is deleted. The product is named after"
            + " the hostname\n"
            + "   (and the context path, given with --context-path as to link), not the"
            + " environment: another\n"
            + "   environment of this site that is still linked to this service uses the same"
            + " product.\n"
            + "\n"
            + "3. To delete them (the APIs in the product stay in the service):\n"
            + DELETE,
        run.out());
  }

  @Test
  void theProductAndSubscriptionStayAndTheirDeletionIsSpelledOut() throws IOException {
    Run run = Run.of("unlink", "--config", site().toString());

    assertTrue(
        run.out()
            .contains(
                "     product       swa-red-sea-123-azurestaticapps-net  \"Azure Static Web Apps -"
                    + " red-sea-123.azurestaticapps.net (Linked)\"\n"
                    + "     subscription  swa-red-sea-123-azurestaticapps-net  \"Generated for"
                    + " Static Web Apps resource with default hostname:"
                    + " red-sea-123.azurestaticapps.net\"\n"),
        run.out());
    assertTrue(run.out().endsWith(DELETE), run.out());
  }

  @Test
  void aSiteUnderAContextPathIsUnlinkedFromItsOwnProduct() throws IOException {
    Run run = Run.of("unlink", "--config", site().toString(), "--context-path", "/shop");

    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out()
            .startsWith(
                "Unlink environment \"production\" of"
                    + " https://red-sea-123.azurestaticapps.net/shop\n"),
        run.out());
    assertTrue(
        run.out()
            .contains(
                "     product       swa-red-sea-123-azurestaticapps-net-shop  \"Azure Static Web"
                    + " Apps - red-sea-123.azurestaticapps.net/shop (Linked)\"\n"),
        run.out());
    assertTrue(
        run.out().endsWith(DELETE.replace("azurestaticapps-net ", "azurestaticapps-net-shop ")),
        run.out());
  }

  @Test
  void aContextPathCopiedFromTheAddressBarNamesTheProductOfTheDecodedPath() throws IOException {
    // "/caf%C3%A9" names the product swa-...-caf-c3-a9, which link never made for /café.
    Run run = Run.of("unlink", "--config", site().toString(), "--context-path", "/caf%C3%A9");

    assertEquals(0, run.status(), run.err());
    assertEquals(
        "unlink: --context-path \"/caf%C3%A9\" is taken as written, percent signs included: the"
            + " container reports a context path decoded, and the filter makes the issuer from"
            + " that. For a web application at the URL /caf%C3%A9, give --context-path"
            + " '/café'."
            + N,
        run.err());
  }

  @Test
  void anEnvironmentThatIsNotLinkedStillGetsTheCleanUpByHostname() throws IOException {
    Run run =
        Run.of(
            "unlink",
            "--config",
            site().toString(),
            "--environment",
            "preview",
            "--apim-service",
            "my-apim");

    assertEquals(0, run.status(), run.err());
    assertTrue(
        run.out()
            .contains(
                "1. Unlink ApiLink: already done; environments.preview has no \"backend\", so /api"
                    + " passes down\n"),
        run.out());
    assertTrue(run.out().endsWith(DELETE), run.out());
  }

  @Test
  void withoutABackendOrAnOptionTheServiceNameIsAPlaceholder() throws IOException {
    Run run = Run.of("unlink", "--config", site().toString(), "--environment", "preview");

    assertEquals(0, run.status(), run.err());
    assertTrue(run.out().contains("--service-name <apim-service> "), run.out());
  }

  /**
   * A pull-request environment is never linked (DESIGN.md; Static Web Apps does not support backend
   * integration there), so nothing in API Management is its own: the product named after the
   * hostname is the one the site's other environments use (here production, linked to my-apim). The
   * report listed it as what stays after unlinking pr-42 and printed its deletion, with {@code
   * --yes}, which would have cut production off.
   */
  @Test
  void aPullRequestEnvironmentWasNeverLinkedAndNothingOfItsOwnIsDeleted() throws IOException {
    Path config = site();

    Run run =
        Run.of(
            "unlink",
            "--config",
            config.toString(),
            "--environment",
            "pr-42",
            "--apim-service",
            "my-apim");

    assertEquals(0, run.status(), run.err());
    assertEquals("", run.err());
    assertEquals(
        "Unlink environment \"pr-42\" of https://red-sea-123.azurestaticapps.net\n"
            + "\n"
            + "Nothing to do: environments.pr-42 in "
            + config
            + " is a pull-request environment, which is\n"
            + "never linked (backend integration is not supported on pull request environments):"
            + " /api passes\n"
            + "down the filter chain to the web application, and nothing in API Management is its"
            + " own.\n"
            + "The product swa-red-sea-123-azurestaticapps-net and its subscription, named after the"
            + " hostname,\n"
            + "are not its own either: where they exist, the site's other environments use them;"
            + " run unlink\n"
            + "with --environment <name> for those.\n",
        run.out());
  }

  @Test
  void unlinkNeverPrintsTheSubscriptionKey() throws IOException {
    Path config = site();
    for (String environment : new String[] {"production", "staging"}) {
      Run run =
          Run.of(
              Map.of("APIM_SUBSCRIPTION_KEY", LinkCommandTest.SUBSCRIPTION_KEY),
              "unlink",
              "--config",
              config.toString(),
              "--environment",
              environment);

      assertEquals(0, run.status(), run.err());
      assertFalse(run.all().contains(LinkCommandTest.SUBSCRIPTION_KEY), environment);
    }
  }

  @Test
  void anInvalidConfigIsAConfigurationProblem() throws IOException {
    Path config = dir.resolve("apilink.json");
    Files.writeString(config, "{\"hostname\": \"red-sea-123.azurestaticapps.net\"}");

    Run run = Run.of("unlink", "--config", config.toString());

    assertEquals(1, run.status());
    assertEquals("", run.out());
    assertEquals(
        "Invalid ApiLink configuration "
            + config
            + " (1 problem):"
            + N
            + "  - environments: missing; define at least the environment \"production\""
            + N,
        run.err());
  }
}
