package dev.apilink.it;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A static site with ApiLink, deployed in a real embedded container: {@code index.html}, a few
 * static files, {@code WEB-INF/apilink.json} written once the container's port is known.
 */
final class Site implements AutoCloseable {

  static final String KEY = "primary-key-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();

  private final ServletContainer container;
  private final Path webapp;
  private final String contextPath;

  private Site(ServletContainer container, Path webapp, String contextPath) {
    this.container = container;
    this.webapp = webapp;
    this.contextPath = contextPath;
  }

  /** A started container with the site's files, nothing deployed yet. */
  static Site create(ServletContainer.Kind kind, Path dir, String contextPath) throws Exception {
    return create(kind.create(), dir, contextPath);
  }

  /** A site in {@code container}, which this starts, nothing deployed yet. */
  static Site create(ServletContainer container, Path dir, String contextPath) throws Exception {
    Path webapp = dir.resolve("webapp");
    Files.createDirectories(webapp.resolve("WEB-INF"));
    Files.createDirectories(webapp.resolve("api-docs"));
    Files.writeString(
        webapp.resolve("index.html"), "<!doctype html><title>site</title><p>static home");
    Files.writeString(webapp.resolve("style.css"), "body { color: teal }");
    Files.writeString(webapp.resolve("apiary.txt"), "static apiary");
    container.start();
    return new Site(container, webapp, contextPath);
  }

  /** The usual configuration: production linked to {@code gateway} with {@link #KEY}. */
  ObjectNode linkedTo(URI gateway) {
    ObjectNode config = JSON.createObjectNode();
    config.put("hostname", container.url().toString());
    ObjectNode backend =
        config.putObject("environments").putObject("production").putObject("backend");
    backend.put("resourceType", "apiManagement");
    backend.put("url", gateway.toString());
    backend.put("subscriptionKey", KEY);
    return config;
  }

  /** Writes {@code config} as {@code WEB-INF/apilink.json} and deploys; true if it started. */
  boolean deploy(ObjectNode config) throws Exception {
    return deploy(config, Map.of());
  }

  boolean deploy(ObjectNode config, Map<String, String> initParameters) throws Exception {
    writeConfig(config.toPrettyString());
    return container.deploy(webapp, contextPath, new HashMap<>(initParameters));
  }

  /** Deploys with container-managed authentication instead of {@link TestAuthFilter}. */
  boolean deploy(ObjectNode config, ContainerAuth auth) throws Exception {
    writeConfig(config.toPrettyString());
    return container.deploy(webapp, contextPath, new HashMap<>(), auth);
  }

  /**
   * Deploys with {@link #linkedTo} adjusted by {@code change}; fails the test if it does not start.
   */
  void deployLinkedTo(URI gateway, Consumer<ObjectNode> change) throws Exception {
    ObjectNode config = linkedTo(gateway);
    change.accept(config);
    if (!deploy(config)) {
      throw new AssertionError("deployment failed:\n" + container.deploymentFailure());
    }
  }

  /** Replaces {@code WEB-INF/apilink.json} in one step, as an operator's deployment tool should. */
  /** The site's {@code WEB-INF/apilink.json}. */
  Path configFile() {
    return webapp.resolve("WEB-INF/apilink.json");
  }

  void replaceConfig(String json) throws IOException {
    Path target = configFile();
    Path temporary = Files.createTempFile(target.getParent(), "apilink", ".tmp");
    Files.writeString(temporary, json, StandardCharsets.UTF_8);
    Files.move(
        temporary,
        target,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Writes {@code content} to {@code pathInWebapp} ("staticwebapp.config.json") in one step, as an
   * operator's deployment tool should.
   */
  void replaceFile(String pathInWebapp, String content) throws IOException {
    Path target = webapp.resolve(pathInWebapp);
    Files.createDirectories(target.getParent());
    Path temporary = Files.createTempFile(target.getParent(), "apilink", ".tmp");
    Files.writeString(temporary, content, StandardCharsets.UTF_8);
    Files.move(
        temporary,
        target,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  void writeConfig(String json) throws IOException {
    Files.writeString(webapp.resolve("WEB-INF/apilink.json"), json, StandardCharsets.UTF_8);
  }

  Path webapp() {
    return webapp;
  }

  ServletContainer container() {
    return container;
  }

  /** The site's URL for {@code pathInContext} ("/api/x?y"), given raw. */
  URI uri(String pathInContext) {
    return URI.create(container.url() + contextPath + pathInContext);
  }

  String contextPath() {
    return contextPath;
  }

  @Override
  public void close() throws Exception {
    container.close();
  }
}
