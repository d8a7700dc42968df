package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import dev.apilink.testkit.echo.EchoBackend;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two linked sites in one JVM, as several web applications of one container are: in one embedded
 * Tomcat their contexts share ApiLink's classes as the drop-in JAR in Tomcat's {@code lib} does,
 * each with a class loader of its own.
 */
class TwoSitesInOneContainerTest {

  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @TempDir Path dir;

  /**
   * Stopping one site, after a configuration change retired its first link, leaves no thread of it
   * (by name, or holding its class loader) and no MXBean, and the other site serving with its own
   * key on the gateway they now share.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void stoppingOneSiteLeavesNoThreadOrBeanOfItAndTheOtherServing(ServletContainer.Kind kind)
      throws Exception {
    try (EchoBackend shopGateway = EchoBackend.start();
        EchoBackend blogGateway = EchoBackend.start();
        ServletContainer container = kind.create()) {
      container.start();
      deploy(container, "/shop", shopGateway.url(), "shop-key");
      Path blogConfig = deploy(container, "/blog", blogGateway.url(), "blog-key");
      ClassLoader blogLoader = container.servletContext().getClassLoader();

      assertEquals(200, get(container, "/shop/api/x").statusCode());
      assertEquals(200, get(container, "/blog/api/x").statusCode());
      try (LogWatch log = new LogWatch()) {
        Path written =
            Files.writeString(
                blogConfig.resolveSibling("apilink.tmp"),
                config(container, shopGateway.url(), "blog-key-2"));
        Files.move(
            written,
            blogConfig,
            StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
        log.await("ApiLink reloaded", Duration.ofSeconds(20));
      }
      assertEquals(200, get(container, "/blog/api/y").statusCode());
      container.undeploy();

      // Awaited: a link retired by the relink closes on a thread of its own, which the stop joins
      // through Jetty's lifecycle lock but may outlive by a moment.
      Await.until(
          "no thread of the stopped site",
          Duration.ofSeconds(20),
          () -> threadsOf(blogLoader).isEmpty(),
          () -> threadsOf(blogLoader));
      Set<ObjectName> beans =
          ManagementFactory.getPlatformMBeanServer()
              .queryNames(new ObjectName("dev.apilink:type=ApiLink,*"), null);
      assertEquals(
          List.of("\"/shop\""),
          beans.stream()
              .map(bean -> bean.getKeyProperty("context"))
              .filter(context -> context.equals("\"/shop\"") || context.equals("\"/blog\""))
              .toList(),
          beans.toString());
      assertEquals(200, get(container, "/shop/api/z").statusCode());
      assertEquals(
          List.of("shop-key"),
          shopGateway
              .received()
              .get(shopGateway.received().size() - 1)
              .header("Ocp-Apim-Subscription-Key"));
    }
  }

  /**
   * Undeploying one of two sites in one container leaves the other's gateway connection and threads
   * as they were: its next request goes out on the connection its first one opened, and its
   * configuration watcher is the thread that was watching before.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void undeployingOneSiteLeavesTheOthersGatewayConnectionAndThreads(ServletContainer.Kind kind)
      throws Exception {
    try (EchoBackend shopGateway = EchoBackend.start();
        EchoBackend blogGateway = EchoBackend.start();
        ServletContainer container = kind.create()) {
      container.start();
      deploy(container, "/shop", shopGateway.url(), "shop-key");
      deploy(container, "/blog", blogGateway.url(), "blog-key");
      String shopWatcher = "apilink-" + container.url().getRawAuthority() + "/shop-config-watcher";
      assertEquals(200, get(container, "/shop/api/before").statusCode());
      assertEquals(200, get(container, "/blog/api/before").statusCode());
      List<Thread> watchersBefore = threads(shopWatcher);

      container.undeploy(); // the one deployed last: /blog

      assertEquals(200, get(container, "/shop/api/after").statusCode());
      assertEquals(1, shopGateway.acceptedConnections());
      assertEquals(1, watchersBefore.size(), watchersBefore.toString());
      assertEquals(watchersBefore, threads(shopWatcher));
    }
  }

  private static List<Thread> threads(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals(name))
        .toList();
  }

  /**
   * The root site and {@code /shop} in one container, each linked to a gateway of its own with a
   * key of its own and a signing key generated at its start: each request, interleaved with the
   * other site's, reaches its own site's gateway alone, with that site's key and a token of that
   * site's issuer that the site's published keys verify; each site has its own bean.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void eachOfTwoSitesInOneContainerReachesOnlyItsOwnGatewayWithItsOwnKeyAndToken(
      ServletContainer.Kind kind) throws Exception {
    try (EchoBackend rootGateway = EchoBackend.start();
        EchoBackend shopGateway = EchoBackend.start();
        ServletContainer container = kind.create()) {
      container.start();
      deploy(container, "", rootGateway.url(), "root-key");
      deploy(container, "/shop", shopGateway.url(), "shop-key");

      for (int i = 0; i < 3; i++) {
        assertEquals(200, get(container, "/api/root-" + i).statusCode());
        assertEquals(200, get(container, "/shop/api/shop-" + i).statusCode());
      }

      assertReceivedOnlyFrom(container, rootGateway, "", "/api/root-", "root-key");
      assertReceivedOnlyFrom(container, shopGateway, "/shop", "/api/shop-", "shop-key");
      MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      Map<String, Object> gatewayByContext = new TreeMap<>();
      for (ObjectName bean :
          server.queryNames(new ObjectName("dev.apilink:type=ApiLink,*"), null)) {
        gatewayByContext.put(
            ObjectName.unquote(bean.getKeyProperty("context")),
            server.getAttribute(bean, "GatewayUrl"));
      }
      assertEquals(
          Map.of("/", rootGateway.url().toString(), "/shop", shopGateway.url().toString()),
          gatewayByContext);
    }
  }

  /**
   * Every request {@code gateway} received is one of the site at {@code contextPath}, with {@code
   * key} and a token of that site's issuer signed with a key that the site publishes.
   */
  private static void assertReceivedOnlyFrom(
      ServletContainer container,
      EchoBackend gateway,
      String contextPath,
      String pathPrefix,
      String key)
      throws Exception {
    String issuer = container.url() + contextPath + "/.auth";
    JWKSet published =
        JWKSet.parse(get(container, contextPath + "/.auth/.well-known/jwks.json").body());
    assertEquals(3, gateway.received().size(), gateway.received().toString());
    for (EchoBackend.Received received : gateway.received()) {
      assertTrue(received.rawPath().startsWith(pathPrefix), received.rawPath());
      assertEquals(List.of(key), received.header("Ocp-Apim-Subscription-Key"));
      SignedJWT token =
          SignedJWT.parse(received.header("Authorization").get(0).substring("Bearer ".length()));
      assertEquals(issuer, token.getJWTClaimsSet().getIssuer());
      RSAKey signer = (RSAKey) published.getKeyByKeyId(token.getHeader().getKeyID());
      assertNotNull(signer, "the site publishes the key " + token.getHeader().getKeyID());
      assertTrue(token.verify(new RSASSAVerifier(signer)), "the site's key verifies the token");
    }
  }

  /**
   * Two sites at the root of two servers of one JVM (two Tomcat services, two virtual hosts) write
   * to one log, and their requests have the same path: a failure's line must say whose it is. The
   * lines named the request by its path alone, "GET /api/x -> answered 502", whichever site it was.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void aFailureLineOfOneOfTwoSitesAtTheRootNamesThatSite(ServletContainer.Kind kind)
      throws Exception {
    try (RefusingPorts ports = new RefusingPorts();
        Site shop = Site.create(kind, dir.resolve("shop"), "");
        Site blog = Site.create(kind, dir.resolve("blog"), "")) {
      URI gateway = URI.create("http://127.0.0.1:" + ports.next());
      shop.deployLinkedTo(gateway, config -> {});
      blog.deployLinkedTo(gateway, config -> {});
      try (LogWatch log = new LogWatch()) {
        assertEquals(502, get(blog.uri("/api/x")).statusCode());

        String warning = log.await("-> answered 502", Duration.ofSeconds(20));
        assertTrue(
            warning.startsWith("ApiLink: GET " + blog.uri("/api/x") + " -> answered 502: "),
            warning);
      }
    }
  }

  /**
   * Two sites at the root of two servers of one JVM, linked to one gateway (two products of one API
   * Management service): the line that says one of them stopped must say which. It named the web
   * application by its context path alone, "the web application at /", for either.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void theStopLineOfOneOfTwoSitesAtTheRootNamesThatSite(ServletContainer.Kind kind)
      throws Exception {
    try (EchoBackend gateway = EchoBackend.start();
        Site shop = Site.create(kind, dir.resolve("shop"), "");
        Site blog = Site.create(kind, dir.resolve("blog"), "")) {
      shop.deployLinkedTo(gateway.url(), config -> {});
      blog.deployLinkedTo(gateway.url(), config -> {});
      try (LogWatch log = new LogWatch()) {
        blog.container().undeploy();

        assertEquals(
            "ApiLink stopped for the web application at / of "
                + blog.container().url()
                + "; /api is no longer proxied to "
                + gateway.url(),
            log.await("ApiLink stopped", Duration.ofSeconds(20)));
      }
      assertEquals(200, get(shop.uri("/api/x")).statusCode());
    }
  }

  /**
   * Two sites at the root of two servers of one JVM: a refused change to one's configuration, then
   * undone, is logged as that site's. The line named "the web application at /", for either.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void theLineOfAChangeUndoneOnOneOfTwoSitesAtTheRootNamesThatSite(ServletContainer.Kind kind)
      throws Exception {
    try (EchoBackend gateway = EchoBackend.start();
        Site shop = Site.create(kind, dir.resolve("shop"), "");
        Site blog = Site.create(kind, dir.resolve("blog"), "")) {
      shop.deployLinkedTo(gateway.url(), config -> {});
      blog.deployLinkedTo(gateway.url(), config -> {});
      String inForce = Files.readString(blog.configFile());
      try (LogWatch log = new LogWatch()) {
        blog.replaceConfig(inForce.substring(0, inForce.length() / 2));
        log.await("Invalid ApiLink configuration", Duration.ofSeconds(20));
        blog.replaceConfig(inForce);

        assertEquals(
            "ApiLink: the configuration files are back as the configuration in force read them;"
                + " it stays in use for the web application at / of "
                + blog.container().url(),
            log.await("the configuration files are back", Duration.ofSeconds(20)));
      }
    }
  }

  /**
   * Two sites in one container whose context paths differ only in a slash and a hyphen ({@code
   * /shop-a}, {@code /shop/a}): a thread dump, or the container's report of threads left behind,
   * must tell their threads apart. Both were {@code apilink-shop-a-…}.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void theThreadsOfTwoSitesWhosePathsDifferInASlashAndAHyphenHaveDistinctNames(
      ServletContainer.Kind kind) throws Exception {
    try (EchoBackend gatewayA = EchoBackend.start();
        EchoBackend gatewayB = EchoBackend.start();
        ServletContainer container = kind.create()) {
      container.start();
      deploy(container, "/shop-a", gatewayA.url(), "key-a");
      deploy(container, "/shop/a", gatewayB.url(), "key-b");
      String host = container.url().getRawAuthority();

      assertEquals(
          List.of(
              "apilink-" + host + "/shop-a-config-watcher",
              "apilink-" + host + "/shop/a-config-watcher"),
          threadNames(name -> name.endsWith("-config-watcher") && name.contains("shop")));
      assertTrue(
          threadNames(name -> name.matches("apilink-" + Pattern.quote(host) + "/shop/a-\\d+"))
                  .size()
              > 0,
          threadNames(name -> name.startsWith("apilink-")).toString());
    }
  }

  /**
   * Two sites at the root of two servers of one JVM (two virtual hosts, two Tomcat services): their
   * threads must not share a name. Both were {@code apilink-ROOT-…}.
   */
  @ParameterizedTest
  @EnumSource(ServletContainer.Kind.class)
  void theThreadsOfTwoSitesAtTheRootOfTwoServersHaveDistinctNames(ServletContainer.Kind kind)
      throws Exception {
    try (EchoBackend gateway = EchoBackend.start();
        Site shop = Site.create(kind, dir.resolve("shop"), "");
        Site blog = Site.create(kind, dir.resolve("blog"), "")) {
      shop.deployLinkedTo(gateway.url(), config -> {});
      blog.deployLinkedTo(gateway.url(), config -> {});
      String shopHost = shop.container().url().getRawAuthority();
      String blogHost = blog.container().url().getRawAuthority();

      assertEquals(
          Stream.of(
                  "apilink-" + shopHost + "-config-watcher",
                  "apilink-" + blogHost + "-config-watcher")
              .sorted()
              .toList(),
          threadNames(
              name ->
                  name.endsWith("-config-watcher")
                      && (name.contains(shopHost)
                          || name.contains(blogHost)
                          || name.startsWith("apilink-ROOT"))));
    }
  }

  /** The names of the live threads that {@code selected} selects, sorted. */
  private static List<String> threadNames(Predicate<String> selected) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(selected)
        .sorted()
        .toList();
  }

  /** The live threads named for {@code /blog}, or whose context class loader is its own. */
  private static List<String> threadsOf(ClassLoader blogLoader) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .filter(
            t ->
                (t.getName().startsWith("apilink-") && t.getName().contains("/blog"))
                    || (blogLoader != null
                        && blogLoader != TwoSitesInOneContainerTest.class.getClassLoader()
                        && t.getContextClassLoader() == blogLoader))
        .map(Thread::getName)
        .toList();
  }

  private static HttpResponse<String> get(URI uri) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
  }

  private Path deploy(ServletContainer container, String contextPath, URI gateway, String key)
      throws Exception {
    Path webapp = dir.resolve(contextPath.isEmpty() ? "ROOT" : contextPath.substring(1));
    Files.createDirectories(webapp.resolve("WEB-INF"));
    Files.writeString(webapp.resolve("index.html"), "<p>" + contextPath);
    Path config = webapp.resolve("WEB-INF/apilink.json");
    Files.writeString(config, config(container, gateway, key));
    assertTrue(container.deploy(webapp, contextPath, Map.of()), container.deploymentFailure());
    return config;
  }

  private static String config(ServletContainer container, URI gateway, String key) {
    return "{\"hostname\": \""
        + container.url()
        + "\", \"environments\": {\"production\": {\"backend\": {\"resourceType\":"
        + " \"apiManagement\", \"url\": \""
        + gateway
        + "\", \"subscriptionKey\": \""
        + key
        + "\"}}}}";
  }

  private static HttpResponse<String> get(ServletContainer container, String path)
      throws Exception {
    return CLIENT.send(
        HttpRequest.newBuilder(container.url().resolve(path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
