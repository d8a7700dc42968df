package dev.apilink.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.apilink.Main;
import dev.apilink.testkit.gateway.ApimGateway;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The testkit's APIM-compatible gateway in front of a backend, with sites linked to it the way an
 * operator links one: the site's {@code link} command prints an ARM template, which is deployed to
 * the gateway; the operator adds the API to the linked product; the subscription's primary key
 * becomes the site's {@code APIM_SUBSCRIPTION_KEY}.
 */
public final class LinkedGateway implements AutoCloseable {

  /**
   * The one API: URL suffix {@code api}, so that {@code /api/x} reaches the backend's {@code
   * /api/x}.
   */
  static final String API = "backend";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * A site to link: its {@code apilink.json}, where it is deployed ({@code ""} for the root), and
   * the environment variables that the configuration reads, the gateway's URL and key excepted
   * (this class supplies the URL as {@code APIM_GATEWAY_URL}; the key is the gateway's to issue).
   */
  public record LinkedSite(Path config, String contextPath, Map<String, String> environment) {}

  /** What linking one site created on the gateway. */
  public record Link(String productId, String subscriptionId, String policyXml) {}

  private final ApimGateway gateway;
  private final Map<LinkedSite, Link> links;

  private LinkedGateway(ApimGateway gateway, Map<LinkedSite, Link> links) {
    this.gateway = gateway;
    this.links = links;
  }

  /** Starts a gateway in front of {@code backend} and links {@code sites} to it. */
  public static LinkedGateway start(URI backend, List<LinkedSite> sites) {
    return start(backend, sites, UnaryOperator.identity());
  }

  /** As {@link #start(URI, List)}, with {@code gatewayOptions} (a port, TLS) set on the gateway. */
  public static LinkedGateway start(
      URI backend, List<LinkedSite> sites, UnaryOperator<ApimGateway.Builder> gatewayOptions) {
    ApimGateway gateway =
        gatewayOptions
            .apply(ApimGateway.builder().api(API, "api", backend.resolve("/api")))
            .start();
    try {
      Map<LinkedSite, Link> links = new HashMap<>();
      for (LinkedSite site : sites) {
        Map<String, String> environment = new HashMap<>(site.environment());
        environment.put("APIM_GATEWAY_URL", gateway.url().toString());
        List<String> options = new ArrayList<>();
        if (!site.contextPath().isEmpty()) {
          options.add("--context-path");
          options.add(site.contextPath());
        }
        String arm = link(site.config(), options, "arm", environment);
        JsonNode summary = JSON.readTree(link(site.config(), options, "json", environment));

        gateway.deployArmTemplate(arm);
        String productId = summary.get("product").get("id").asText();
        // Linking adds no API to the product: the operator does, as here.
        gateway.addApiToProduct(productId, API);
        links.put(
            site,
            new Link(
                productId,
                summary.get("subscription").get("id").asText(),
                summary.get("policy").asText()));
      }
      return new LinkedGateway(gateway, Map.copyOf(links));
    } catch (IOException | RuntimeException e) {
      gateway.close();
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
  }

  /** What the sites set as {@code APIM_GATEWAY_URL}. */
  public URI url() {
    return gateway.url();
  }

  /** What {@code site} sets as {@code APIM_SUBSCRIPTION_KEY}: its subscription's primary key. */
  public String subscriptionKey(LinkedSite site) {
    return gateway.primaryKey(link(site).subscriptionId());
  }

  /** The environment of a container whose one site is {@code site}: the gateway and its key. */
  public Map<String, String> environment(LinkedSite site) {
    return Map.of(
        "APIM_GATEWAY_URL", url().toString(), "APIM_SUBSCRIPTION_KEY", subscriptionKey(site));
  }

  /** What linking {@code site} created. */
  public Link link(LinkedSite site) {
    Link link = links.get(site);
    if (link == null) {
      throw new IllegalArgumentException("not linked: " + site);
    }
    return link;
  }

  /** The running gateway, for an operator's changes. */
  public ApimGateway gateway() {
    return gateway;
  }

  @Override
  public void close() {
    gateway.close();
  }

  /** {@code java -jar apilink-filter-all.jar link --config <file> <options> --format <format>} */
  private static String link(
      Path config, List<String> options, String format, Map<String, String> environment) {
    List<String> args = new ArrayList<>(List.of("link", "--config", config.toString()));
    args.addAll(options);
    args.add("--format");
    args.add(format);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Main.run(
            args.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            environment::get);
    if (status != 0) {
      throw new IllegalStateException(
          String.join(" ", args)
              + " exited "
              + status
              + ": "
              + err.toString(StandardCharsets.UTF_8));
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
