package dev.apilink.link;

import dev.apilink.config.BackendConfig;
import dev.apilink.config.ConfigException;
import dev.apilink.config.SiteConfig;
import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code unlink}: how to unlink the environment, and what stays in API Management afterwards. As on
 * Static Web Apps, unlinking leaves the product and its subscription in place.
 */
final class UnlinkCommand {

  static final Set<String> OPTIONS =
      Set.of("config", "environment", "context-path", "apim-service");

  private UnlinkCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err, Function<String, String> env)
      throws UsageException {
    Arguments arguments = Arguments.parse(args, OPTIONS);
    String location = arguments.required("config");
    String contextPath = LinkCommand.contextPath(arguments.get("context-path"));
    Optional<String> apimService = LinkCommand.apimServiceName(arguments.get("apim-service"));

    SiteConfig site;
    try {
      site = SiteOptions.load(location, arguments, env);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return CommandLine.CONFIGURATION_PROBLEM;
    }
    String environment = site.environment().name();
    Optional<BackendConfig> backend = site.environment().backend();
    LinkCommand.percentEncodingWarning(contextPath)
        .ifPresent(warning -> err.println("unlink: " + warning));
    LinkedProduct product = new LinkedProduct(site.hostname(), contextPath);
    String serviceName =
        apimService
            .or(() -> backend.flatMap(LinkCommand::defaultApimServiceName))
            .orElse(LinkCommand.UNKNOWN_SERVICE_NAME);

    StringBuilder text = new StringBuilder();
    text.append("Unlink environment \"")
        .append(environment)
        .append("\" of ")
        .append(site.origin())
        .append(contextPath)
        .append('\n')
        .append('\n');

    if (site.environment().pullRequest()) {
      // Never linked (the loader refuses a backend here): the product named after the hostname is
      // the other environments', and its deletion would cut them off.
      text.append("Nothing to do: environments.")
          .append(environment)
          .append(" in ")
          .append(location)
          .append(" is a pull-request environment, which is\n")
          .append("never linked (backend integration is not supported on pull request")
          .append(" environments): /api passes\n")
          .append("down the filter chain to the web application, and nothing in API Management")
          .append(" is its own.\n")
          .append("The product ")
          .append(product.id())
          .append(" and its subscription, named after the hostname,\n")
          .append("are not its own either: where they exist, the site's other environments use")
          .append(" them; run unlink\n")
          .append("with --environment <name> for those.\n");
      out.print(text);
      return CommandLine.OK;
    }

    text.append("1. Unlink ApiLink");
    if (backend.isPresent()) {
      text.append(": remove \"backend\" from environments.")
          .append(environment)
          .append(" in ")
          .append(location)
          .append(",\n")
          .append("   saved in one step (ApiLink applies it at once; a configuration inside a")
          .append(" packed WAR\n")
          // Requests in flight finish with the configuration they started with (configuration.md),
          // those still waiting for a connection too: LiveReloadContract shows one sent after.
          .append("   needs a redeployment). From then on new /api requests pass down the filter\n")
          .append(
              "   chain to the web application. Those already in flight, waiting for a gateway\n")
          .append("   connection included, still finish at ")
          .append(backend.get().url())
          .append(".\n");
    } else {
      text.append(": already done; environments.")
          .append(environment)
          .append(" has no \"backend\", so /api passes down\n")
          .append("   the filter chain to the web application.\n");
    }
    text.append('\n');

    text.append("2. What stays in API Management (")
        .append(serviceName)
        .append("), as after unlinking on Static Web Apps:\n")
        .append("     product       ")
        .append(product.id())
        .append("  \"")
        .append(product.displayName())
        .append("\"\n")
        .append("     subscription  ")
        .append(product.id())
        .append("  \"")
        .append(product.subscriptionDisplayName())
        .append("\"\n")
        .append("   The subscription's keys stay valid until it is deleted. The product is named")
        .append(" after the hostname\n")
        .append("   (and the context path, given with --context-path as to link), not the")
        .append(" environment: another\n")
        .append("   environment of this site that is still linked to this service uses the")
        .append(" same product.\n")
        .append('\n');

    text.append("3. To delete them (the APIs in the product stay in the service):\n")
        .append("     az apim product delete --resource-group <resource-group> --service-name ")
        .append(serviceName)
        .append(" --product-id ")
        .append(product.id())
        .append(" --delete-subscriptions true --yes\n");
    out.print(text);
    return CommandLine.OK;
  }
}
