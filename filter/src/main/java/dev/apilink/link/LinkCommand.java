package dev.apilink.link;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.config.BackendConfig;
import dev.apilink.config.ConfigException;
import dev.apilink.config.SiteConfig;
import dev.apilink.token.WellKnown;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@code link}: prints what Static Web Apps' linking creates in API Management for the environment,
 * for the operator to apply. It reads no secret and so prints none.
 */
final class LinkCommand {

  static final Set<String> OPTIONS =
      Set.of("config", "environment", "context-path", "format", "apim-service");

  /** Stands for the service's name in printed commands when the gateway's host does not give it. */
  static final String UNKNOWN_SERVICE_NAME = "<apim-service>";

  /**
   * A context path as the container gives it to the filter, decoded: Tomcat deploys {@code my
   * shop.war} at {@code /my%20shop}, and its {@code getContextPath()}, from which the filter makes
   * the issuer, is {@code /my shop}. No control characters; no white space at either end. Matched
   * segment by segment, not by a repeated group, which the regular expression engine matches by
   * recursion (thousands of segments overflowed the stack).
   */
  private static final Pattern CONTEXT_PATH_SEGMENT = Pattern.compile("[^/?#\\p{Cntrl}]+");

  private static final Pattern PERCENT_ENCODED = Pattern.compile("%[0-9A-Fa-f]{2}");

  /**
   * API Management's own rule for service names: {@code ^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$},
   * 1-50.
   */
  private static final Pattern APIM_SERVICE_NAME =
      Pattern.compile("[A-Za-z](?:[A-Za-z0-9-]{0,48}[A-Za-z0-9])?");

  enum Format {
    TEXT,
    POLICY,
    ARM,
    JSON
  }

  private LinkCommand() {}

  static int run(List<String> args, PrintStream out, PrintStream err, Function<String, String> env)
      throws UsageException {
    Arguments arguments = Arguments.parse(args, OPTIONS);
    String location = arguments.required("config");
    Format format = format(arguments.get("format"));
    String contextPath = contextPath(arguments.get("context-path"));
    Optional<String> apimService = apimServiceName(arguments.get("apim-service"));

    SiteConfig site;
    try {
      site = SiteOptions.load(location, arguments, env);
    } catch (ConfigException e) {
      err.println(e.getMessage());
      return CommandLine.CONFIGURATION_PROBLEM;
    }
    String environment = site.environment().name();
    Optional<BackendConfig> backend = site.environment().backend();
    if (backend.isEmpty() && site.environment().pullRequest()) {
      err.println(
          "Environment \""
              + environment
              + "\" in "
              + location
              + " is a pull-request environment, which cannot be linked: backend integration is"
              + " not supported on pull request environments.");
      return CommandLine.CONFIGURATION_PROBLEM;
    }
    if (backend.isEmpty()) {
      err.println(
          "Environment \""
              + environment
              + "\" in "
              + location
              + " is not linked: environments."
              + environment
              + " has no \"backend\". Add one (resourceType, url, subscriptionKey), then run"
              + " link again.");
      return CommandLine.CONFIGURATION_PROBLEM;
    }

    percentEncodingWarning(contextPath).ifPresent(warning -> err.println("link: " + warning));
    LinkedProduct product = new LinkedProduct(site.hostname(), contextPath);
    ValidateJwtPolicy policy = ValidateJwtPolicy.of(site, backend.get(), contextPath);
    Optional<String> knownServiceName = apimService.or(() -> defaultApimServiceName(backend.get()));
    // The policy and the summary name no service: only the template and the text need one.
    if (knownServiceName.isEmpty() && (format == Format.ARM || format == Format.TEXT)) {
      err.println(
          "link: "
              + backend.get().url().getHost()
              + " is not an <apim-service>.azure-api.net gateway, so the ARM template's"
              + " apimServiceName has no default: give --apim-service <name>, or the parameter"
              + " apimServiceName when deploying.");
    }
    String serviceName = knownServiceName.orElse(UNKNOWN_SERVICE_NAME);
    ObjectNode template = ArmTemplate.of(product, policy, knownServiceName);

    switch (format) {
      case POLICY -> out.println(policy.xml());
      case ARM -> out.println(Json.pretty(template));
      case JSON -> out.println(Json.pretty(summary(environment, product, policy, backend.get())));
      case TEXT ->
          out.print(
              report(
                  environment,
                  site,
                  backend.get(),
                  product,
                  policy,
                  Json.pretty(template),
                  rerunCommand(location, environment, contextPath, apimService),
                  serviceName,
                  contextPath));
    }
    return CommandLine.OK;
  }

  static Format format(Optional<String> given) throws UsageException {
    if (given.isEmpty()) {
      return Format.TEXT;
    }
    try {
      return Format.valueOf(given.get().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--format must be text, policy, arm or json (was \"" + given.get() + "\")");
    }
  }

  /** The servlet context path: empty for the root, else {@code /name} without a trailing slash. */
  static String contextPath(Optional<String> given) throws UsageException {
    if (given.isEmpty()) {
      return "";
    }
    String path = given.get();
    if (!isContextPath(path)) {
      throw new UsageException(
          "--context-path must be a context path such as /shop, or / for the root (was \""
              + path
              + "\")");
    }
    return path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }

  private static boolean isContextPath(String path) {
    if (path.isEmpty() || path.equals("/")) {
      return true;
    }
    if (!path.startsWith("/") || !path.equals(path.strip())) {
      return false;
    }
    String segments = path.endsWith("/") ? path.substring(1, path.length() - 1) : path.substring(1);
    return Arrays.stream(segments.split("/", -1))
        .allMatch(segment -> CONTEXT_PATH_SEGMENT.matcher(segment).matches());
  }

  /**
   * A warning for a context path given as the address bar shows it ({@code /my%20shop}): a
   * container reports it decoded ({@code /my shop}), and the filter's issuer says that. Taken as
   * written, since a WAR named with a percent sign has one in its decoded path too.
   */
  static Optional<String> percentEncodingWarning(String contextPath) {
    if (!PERCENT_ENCODED.matcher(contextPath).find()) {
      return Optional.empty();
    }
    return Optional.of(
        "--context-path \""
            + contextPath
            + "\" is taken as written, percent signs included: the container reports a context"
            + " path decoded, and the filter makes the issuer from that. For a web application at"
            + " the URL "
            + contextPath
            + ", give "
            + WellKnown.percentDecoded(contextPath)
                .map(decoded -> "--context-path " + Shell.quote(decoded))
                .orElse("the path decoded")
            + ".");
  }

  static Optional<String> apimServiceName(Optional<String> given) throws UsageException {
    if (given.isPresent() && !APIM_SERVICE_NAME.matcher(given.get()).matches()) {
      throw new UsageException(
          "--apim-service must be an API Management service name: a letter, then letters,"
              + " digits and hyphens, not ending with a hyphen, at most 50 characters (was \""
              + given.get()
              + "\")");
    }
    return given;
  }

  /**
   * {@code my-apim} of {@code https://my-apim.azure-api.net}: the service's name. Empty for any
   * other host (an IP address, a custom domain, a regional gateway's {@code
   * my-apim-westeurope-01.regional.azure-api.net}), which does not name the service.
   */
  static Optional<String> defaultApimServiceName(BackendConfig backend) {
    String host = backend.url().getHost().toLowerCase(Locale.ROOT);
    String suffix = ".azure-api.net";
    if (!host.endsWith(suffix)) {
      return Optional.empty();
    }
    String name = host.substring(0, host.length() - suffix.length());
    return APIM_SERVICE_NAME.matcher(name).matches() ? Optional.of(name) : Optional.empty();
  }

  private static ObjectNode summary(
      String environment, LinkedProduct product, ValidateJwtPolicy policy, BackendConfig backend) {
    ObjectNode summary = Json.MAPPER.createObjectNode();
    // What the text report's first line says; the policy and the template deploy the same for
    // every environment with this hostname and gateway, so they do not name it.
    summary.put("environment", environment);
    summary
        .putObject("product")
        .put("id", product.id())
        .put("displayName", product.displayName())
        .put("subscriptionRequired", true);
    summary
        .putObject("subscription")
        .put("id", product.id())
        .put("displayName", product.subscriptionDisplayName())
        .put("scope", product.subscriptionScope());
    // The header each API added to the product must read the key from (APIM's default unless the
    // site renamed it): set per API on the APIM side, not by this template.
    summary.put("subscriptionKeyHeader", backend.subscriptionKeyHeader());
    summary.put("policy", policy.xml());
    summary.put("issuer", policy.issuer());
    summary.put("audience", policy.audience());
    summary.put("openidConfigurationUrl", policy.openidConfigurationUrl());
    return summary;
  }

  private static String report(
      String environment,
      SiteConfig site,
      BackendConfig backend,
      LinkedProduct product,
      ValidateJwtPolicy policy,
      String template,
      String rerun,
      String serviceName,
      String contextPath) {
    String n = "\n";
    StringBuilder text = new StringBuilder();
    text.append("Link environment \"")
        .append(environment)
        .append("\" of ")
        .append(site.origin())
        .append(contextPath)
        .append(" to the API Management gateway ")
        .append(backend.url())
        .append(n)
        .append(n);
    text.append("Static Web Apps' linking creates the following in API Management; apply them")
        .append(" with the ARM template below.")
        .append(n)
        .append(n);

    text.append("Product").append(n);
    text.append("  id:                    ").append(product.id()).append(n);
    text.append("  display name:          ").append(product.displayName()).append(n);
    text.append("  subscription required: yes (no approval; published)").append(n).append(n);

    text.append("Subscription").append(n);
    text.append("  id:           ").append(product.id()).append(n);
    text.append("  display name: ").append(product.subscriptionDisplayName()).append(n);
    text.append("  scope:        ").append(product.subscriptionScope()).append(n);
    text.append("  state:        active").append(n);
    text.append("  tracing:      not allowed").append(n).append(n);

    text.append("Access tokens, checked by the product's validate-jwt policy").append(n);
    text.append("  issuer:    ").append(policy.issuer()).append(n);
    text.append("  audience:  ").append(policy.audience()).append(n);
    text.append("  header:    ")
        .append(policy.tokenHeader())
        .append(policy.bearerScheme() ? ": Bearer <token>" : ": <token>")
        .append(n);
    text.append("  discovery: ").append(policy.openidConfigurationUrl()).append(n);
    if (contextPath.isEmpty()) {
      text.append("  (for a web application at the root; if it is deployed elsewhere, add")
          .append(" --context-path /its-path)")
          .append(n);
    }
    text.append(n);

    text.append("Product policy").append(n).append(policy.xml()).append(n).append(n);
    text.append("ARM template").append(n).append(template).append(n).append(n);

    String id = product.id();
    text.append("Next steps").append(n);
    text.append("  1. Deploy the template to the resource group of the API Management service ")
        .append(serviceName)
        .append(':')
        .append(n)
        .append("       ")
        .append(rerun)
        .append(n)
        .append("       az deployment group create --resource-group <resource-group>")
        .append(" --template-file link.json")
        .append(
            serviceName.equals(UNKNOWN_SERVICE_NAME)
                ? " --parameters apimServiceName=" + UNKNOWN_SERVICE_NAME
                : "")
        .append(n);
    text.append("  2. Add your APIs to the product: no API is exposed until it is added.")
        .append(n)
        .append("     The site forwards the whole path, /api included, so each API's URL suffix")
        .append(" starts with api.")
        .append(n)
        .append("       az apim product api add --resource-group <resource-group> --service-name ")
        .append(serviceName)
        .append(" --product-id ")
        .append(id)
        .append(" --api-id <api-id>")
        .append(n)
        .append("     Each API must require a subscription (its Settings > Subscription required):")
        .append(" API Management")
        .append(n)
        .append("     lets a request without a key reach an API that does not, without the")
        .append(" product's validate-jwt.")
        .append(n);
    if (!backend
        .subscriptionKeyHeader()
        .equalsIgnoreCase(BackendConfig.DEFAULT_SUBSCRIPTION_KEY_HEADER)) {
      text.append("     The site sends the subscription key in ")
          .append(backend.subscriptionKeyHeader())
          .append(": each of those APIs must read it from there,")
          .append(n)
          .append("     or it refuses the key as missing. Portal: APIs > <api> > Settings >")
          .append(" Subscription > Header name;")
          .append(n)
          .append("     ARM: the API's properties.subscriptionKeyParameterNames.header.")
          .append(n);
    }
    text.append("  3. Copy the subscription's primary key into the setting behind")
        .append(" environments.")
        .append(environment)
        .append(".backend.subscriptionKey")
        .append(n)
        .append("     (such as ${env:APIM_SUBSCRIPTION_KEY}; not into apilink.json itself).")
        .append(n)
        .append("     Portal: API Management > Subscriptions > \"")
        .append(product.subscriptionDisplayName())
        .append("\" > Show keys.")
        .append(n)
        .append("     Script: az rest --method post --url \"/subscriptions/{subscriptionId}")
        .append("/resourceGroups/<resource-group>/providers/Microsoft.ApiManagement/service/")
        .append(serviceName)
        .append("/subscriptions/")
        .append(id)
        .append("/listSecrets?api-version=")
        .append(ArmTemplate.API_VERSION)
        .append("\" --query primaryKey --output tsv")
        .append(n)
        .append("     Regenerating that key cuts the site off until the setting is updated.")
        .append(n);
    text.append("  4. Make the discovery URL reachable from the gateway, with the filter mapped on")
        .append(" /.auth/.well-known/*:")
        .append(n)
        .append("       curl -fsS ")
        .append(Shell.quote(policy.openidConfigurationUrl()))
        .append(n)
        .append("     The gateway reads the signing keys from there; it refuses every token")
        .append(" while it cannot.")
        .append(n);
    return text.toString();
  }

  /** The command that writes the template to {@code link.json}, with this run's options. */
  private static String rerunCommand(
      String location, String environment, String contextPath, Optional<String> apimService) {
    StringBuilder command =
        new StringBuilder("java -jar apilink-filter-<version>-all.jar link")
            .append(option("config", location))
            .append(option("environment", environment));
    if (!contextPath.isEmpty()) {
      command.append(option("context-path", contextPath));
    }
    apimService.ifPresent(name -> command.append(" --apim-service ").append(name));
    return command.append(" --format arm > link.json").toString();
  }

  /**
   * {@code --name value}, or {@code --name=value} for a value that starts with {@code --}, which
   * the parser would take for an option.
   */
  private static String option(String name, String value) {
    return value.startsWith("--")
        ? " " + Shell.quote("--" + name + "=" + value)
        : " --" + name + " " + Shell.quote(value);
  }
}
