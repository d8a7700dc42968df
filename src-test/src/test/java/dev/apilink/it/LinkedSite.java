package dev.apilink.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.Main;
import dev.apilink.testkit.gateway.ApimGateway;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A site linked to a testkit gateway the way an operator links one: the site's configuration names
 * the gateway and reads the key from a file; the {@code link} command's ARM template is deployed to
 * the gateway; the subscription key the gateway generated goes into that file; the site is
 * deployed.
 */
final class LinkedSite implements AutoCloseable {

  static final HttpClient CLIENT =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  final Site site;
  final Path keyFile;
  final Path configFile;
  final String productId;
  final String subscriptionId;

  private LinkedSite(
      Site site, Path keyFile, Path configFile, String productId, String subscriptionId) {
    this.site = site;
    this.keyFile = keyFile;
    this.configFile = configFile;
    this.productId = productId;
    this.subscriptionId = subscriptionId;
  }

  /**
   * Links a new site in {@code dir} to {@code gateway}.
   *
   * @param change adjusts the site's configuration before it is linked (token settings, say)
   */
  static LinkedSite link(
      ServletContainer.Kind kind, Path dir, ApimGateway gateway, Consumer<ObjectNode> change)
      throws Exception {
    return link(kind, dir, gateway, "", change);
  }

  /**
   * As {@link #link(ServletContainer.Kind, Path, ApimGateway, Consumer)}, for a web application
   * deployed at {@code contextPath} (decoded, as the container reports it; {@code ""} for the
   * root), which {@code link} is given as {@code --context-path}.
   */
  static LinkedSite link(
      ServletContainer.Kind kind,
      Path dir,
      ApimGateway gateway,
      String contextPath,
      Consumer<ObjectNode> change)
      throws Exception {
    Site site = Site.create(kind, dir, contextPath);
    Path keyFile = dir.resolve("apim-subscription-key");
    ObjectNode config = site.linkedTo(gateway.url());
    ((ObjectNode) config.get("environments").get("production").get("backend"))
        .put("subscriptionKey", "${file:" + keyFile + "}");
    change.accept(config);
    site.writeConfig(config.toPrettyString());
    Path configFile = site.webapp().resolve("WEB-INF/apilink.json");

    String[] where =
        contextPath.isEmpty() ? new String[0] : new String[] {"--context-path", contextPath};
    String arm = link(configFile, with(where, "--format", "arm"));
    JsonNode summary = Site.JSON.readTree(link(configFile, with(where, "--format", "json")));
    gateway.deployArmTemplate(arm);
    String subscriptionId = summary.get("subscription").get("id").asText();
    Files.writeString(keyFile, gateway.primaryKey(subscriptionId));

    if (!site.container().deploy(site.webapp(), contextPath, Map.of())) {
      throw new AssertionError("deployment failed:\n" + site.container().deploymentFailure());
    }
    return new LinkedSite(
        site, keyFile, configFile, summary.get("product").get("id").asText(), subscriptionId);
  }

  private static String[] with(String[] options, String... more) {
    String[] all = Arrays.copyOf(options, options.length + more.length);
    System.arraycopy(more, 0, all, options.length, more.length);
    return all;
  }

  /** Runs {@code java -jar apilink-filter-all.jar link --config <file> <options>}. */
  static String link(Path configFile, String... options) {
    String[] args = new String[options.length + 3];
    args[0] = "link";
    args[1] = "--config";
    args[2] = configFile.toString();
    System.arraycopy(options, 0, args, 3, options.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        Main.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            name -> null);
    if (status != 0) {
      throw new AssertionError(
          "link exited " + status + ": " + err.toString(StandardCharsets.UTF_8));
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  HttpResponse<String> get(String path, String... headers) throws Exception {
    return send(site.uri(path), headers);
  }

  /**
   * {@code path} in the site's context, the context path percent-encoded as UTF-8 (a browser's
   * {@code /caf%C3%A9%20bar} for {@code /café bar}).
   */
  HttpResponse<String> getEncoded(String path, String... headers) throws Exception {
    String encodedContext =
        URLEncoder.encode(site.contextPath(), StandardCharsets.UTF_8)
            .replace("+", "%20")
            .replace("%2F", "/");
    return send(URI.create(site.container().url() + encodedContext + path), headers);
  }

  private static HttpResponse<String> send(URI uri, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri);
    if (headers.length > 0) {
      request.headers(headers);
    }
    return CLIENT.send(request.build(), BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    site.close();
  }
}
