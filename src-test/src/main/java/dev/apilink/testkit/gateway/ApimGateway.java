package dev.apilink.testkit.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.eclipse.jetty.client.EarlyHintsProtocolHandler;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProcessingProtocolHandler;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * An embedded gateway that behaves like Azure API Management for everything Static Web Apps'
 * linking relies on: APIs routed by URL suffix, products, subscriptions and their keys, and the
 * product's inbound {@code validate-jwt} policy, with APIM's exact error bodies.
 *
 * <pre>{@code
 * try (ApimGateway gateway = ApimGateway.builder()
 *     .api("sample", "api", backend.url())
 *     .product(Product.of("swa-linked").withApis("sample").withPolicyXml(xml))
 *     .subscription(Subscription.of("swa-sub", "swa-linked"))
 *     .start()) {
 *   String key = gateway.primaryKey("swa-sub");
 *   // call gateway.url() + "/api/..." with Ocp-Apim-Subscription-Key: key
 * }
 * }</pre>
 *
 * <p>While it runs, an operator's portal changes (APIs added to or removed from products, keys
 * regenerated, subscription states, product policies) take effect for the next request; all methods
 * are thread-safe.
 */
public final class ApimGateway implements AutoCloseable {

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Server server;
  private final ServerConnector connector;
  private final HttpClient http;
  private final String host;
  private final boolean tls;
  private volatile int port;
  private volatile GatewayState state;

  private ApimGateway(Builder builder, GatewayState state) {
    this.state = state;
    this.host = builder.host;
    this.tls = builder.tlsKeyStore != null;

    QueuedThreadPool clientThreads = new QueuedThreadPool(200, 4);
    clientThreads.setName("apim-gateway-client");
    clientThreads.setDaemon(true);
    http = new HttpClient();
    http.setName("apim-gateway-client");
    http.setExecutor(clientThreads);
    // Forward what was received and nothing else: no redirects followed, no cookies kept, no
    // default User-Agent or Content-Type, no content decoded.
    http.setFollowRedirects(false);
    http.setHttpCookieStore(new HttpCookieStore.Empty());
    http.setUserAgentField(null);
    http.setDefaultRequestContentType(null);
    http.setMaxConnectionsPerDestination(256);
    // How long an idle pooled backend connection is kept; an exchange in flight is limited by
    // backendTimeout alone, until its headers arrive (BackendExchange).
    http.setIdleTimeout(builder.idleConnectionTimeout.toMillis());

    QueuedThreadPool serverThreads = new QueuedThreadPool(200, 8);
    serverThreads.setName("apim-gateway");
    server = new Server(serverThreads);
    HttpConfiguration config = new HttpConfiguration();
    // Accept and forward paths however they are encoded, as the backend may expect them.
    config.setUriCompliance(UriCompliance.UNSAFE);
    config.setSendServerVersion(false);
    config.setSendDateHeader(false);
    if (tls) {
      SslContextFactory.Server context = new SslContextFactory.Server();
      context.setKeyStorePath(builder.tlsKeyStore.toString());
      context.setKeyStorePassword(builder.tlsKeyStorePassword);
      // The request's scheme is https; a client's SNI must name a host of the certificate.
      config.addCustomizer(new SecureRequestCustomizer());
      connector = new ServerConnector(server, context, new HttpConnectionFactory(config));
    } else {
      connector = new ServerConnector(server, new HttpConnectionFactory(config));
    }
    // As API Management behind Azure's load balancers: idle client connections are kept 4 minutes,
    // longer than ApiLink's pool keeps them (keepAliveSeconds, 30 s by default). At Jetty's 30 s,
    // the same as ApiLink's, the two raced, and POSTs sent as the gateway closed their connection
    // got 502s under a reviewer's load.
    connector.setIdleTimeout(CLIENT_IDLE_TIMEOUT.toMillis());
    connector.setHost(builder.host);
    connector.setPort(builder.listenPort());
    server.addConnector(connector);

    OpenIdConfigurations openId = new OpenIdConfigurations(http, builder.clock);
    InboundPipeline inbound =
        new InboundPipeline(new JwtValidator(openId, builder.clock), builder.clock);
    server.setHandler(
        new GatewayHandler(
            () -> this.state,
            inbound,
            new BackendExchange(http, builder.backendTimeout),
            builder.clock));
  }

  public static Builder builder() {
    return new Builder();
  }

  private void start() {
    try {
      http.start();
      http.getContentDecoderFactories().clear();
      http.getProtocolHandlers().clear();
      // Without these, an interim 102 or 103 from a backend (RFC 9110 15.2) left the exchange
      // waiting for ever, the final response unread and the client unanswered: they read past it.
      http.getProtocolHandlers().put(new ProcessingProtocolHandler());
      http.getProtocolHandlers().put(new EarlyHintsProtocolHandler());
      server.start();
      port = connector.getLocalPort();
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(
          "cannot listen on " + host + ":" + connector.getPort() + " (" + e.getMessage() + ")", e);
    } catch (Exception e) {
      close();
      throw new IllegalStateException("cannot start the gateway", e);
    }
  }

  /** How long a client's connection stays open while it sends no request. */
  public static final Duration CLIENT_IDLE_TIMEOUT = Duration.ofMinutes(4);

  /** {@link #CLIENT_IDLE_TIMEOUT}, as the running connector has it. */
  public Duration clientIdleTimeout() {
    return Duration.ofMillis(connector.getIdleTimeout());
  }

  /** The port the gateway listens on (or listened on, once closed). */
  public int port() {
    return port;
  }

  /**
   * {@code http://<host>:<port>} ({@code https} with {@link Builder#tls}), the gateway's base URL
   * (without a trailing slash).
   */
  public URI url() {
    String shown = host == null || host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
    if (shown.contains(":")) {
      shown = "[" + shown + "]";
    }
    return URI.create((tls ? "https://" : "http://") + shown + ":" + port());
  }

  // ---- reading ----

  public List<Api> apis() {
    return List.copyOf(state.apis().values());
  }

  public List<Product> products() {
    return state.products().values().stream().map(GatewayState.ProductEntry::product).toList();
  }

  /** Every subscription, keys included. */
  public List<Subscription> subscriptions() {
    return List.copyOf(state.subscriptions().values());
  }

  /**
   * @throws IllegalArgumentException if there is no such API
   */
  public Api api(String name) {
    Api api = state.apis().get(name);
    if (api == null) {
      throw new IllegalArgumentException("no API \"" + name + "\"");
    }
    return api;
  }

  /**
   * @throws IllegalArgumentException if there is no such product
   */
  public Product product(String id) {
    return state.product(id);
  }

  /**
   * The subscription as it is now, keys included.
   *
   * @throws IllegalArgumentException if there is no such subscription
   */
  public Subscription subscription(String id) {
    return state.subscription(id);
  }

  public String primaryKey(String subscriptionId) {
    return subscription(subscriptionId).primaryKey();
  }

  public String secondaryKey(String subscriptionId) {
    return subscription(subscriptionId).secondaryKey();
  }

  // ---- operations while running ----

  /** Adds an API to a product, as an operator does in the portal ("Add API"). */
  public synchronized void addApiToProduct(String productId, String apiName) {
    api(apiName);
    changeProduct(productId, product -> product.withApi(apiName));
  }

  public synchronized void removeApiFromProduct(String productId, String apiName) {
    changeProduct(productId, product -> product.withoutApi(apiName));
  }

  /**
   * Replaces a product's policy document; null removes it. The document is checked first: a bad one
   * throws and the old one stays in force.
   *
   * @throws GatewayConfigException if the document cannot be used
   */
  public synchronized void setProductPolicy(String productId, String policyXml) {
    Product product = state.product(productId).withPolicyXml(policyXml);
    state = state.withProduct(product, GatewayState.parse(product));
  }

  /** Gives the subscription a new primary key, which it returns; the old one stops working. */
  public synchronized String regeneratePrimaryKey(String subscriptionId) {
    String key = newKey();
    state = state.withSubscription(state.subscription(subscriptionId).withPrimaryKey(key));
    return key;
  }

  /** Gives the subscription a new secondary key, which it returns; the old one stops working. */
  public synchronized String regenerateSecondaryKey(String subscriptionId) {
    String key = newKey();
    state = state.withSubscription(state.subscription(subscriptionId).withSecondaryKey(key));
    return key;
  }

  /** Changes a subscription's state; only {@link SubscriptionState#ACTIVE} lets calls through. */
  public synchronized void setSubscriptionState(String subscriptionId, SubscriptionState newState) {
    Objects.requireNonNull(newState, "state");
    state = state.withSubscription(state.subscription(subscriptionId).withState(newState));
  }

  /**
   * Deploys an ARM template to the running gateway, as {@code az deployment group create} does to
   * API Management: its resources are created, or updated where they exist. An updated product
   * keeps its APIs (they are separate resources) and its policy unless the template gives one; an
   * updated subscription keeps its keys unless the template gives them; new keys are generated.
   *
   * @throws GatewayConfigException listing every problem; nothing changes then
   */
  public synchronized void deployArmTemplate(String json) {
    Setup setup = ArmTemplateLoader.load(json, null);
    Map<String, Api> apis = new LinkedHashMap<>(state.apis());
    setup.apis().forEach(api -> apis.put(api.name(), api));
    Map<String, Product> products = new LinkedHashMap<>();
    products().forEach(product -> products.put(product.id(), product));
    for (Product product : setup.products()) {
      Product old = products.get(product.id());
      products.put(
          product.id(),
          old == null
              ? product
              : product
                  .withApis(old.apis())
                  .withPolicyXml(
                      product.policyXml() != null ? product.policyXml() : old.policyXml()));
    }
    Map<String, Subscription> subscriptions = new LinkedHashMap<>(state.subscriptions());
    for (Subscription subscription : setup.subscriptions()) {
      Subscription old = subscriptions.get(subscription.id());
      if (old != null && subscription.primaryKey() == null) {
        subscription = subscription.withPrimaryKey(old.primaryKey());
      }
      if (old != null && subscription.secondaryKey() == null) {
        subscription = subscription.withSecondaryKey(old.secondaryKey());
      }
      subscriptions.put(subscription.id(), subscription);
    }
    state =
        GatewayState.of(
            List.copyOf(apis.values()),
            List.copyOf(products.values()),
            setup.productApis(),
            setup.policies(),
            List.copyOf(subscriptions.values()),
            ApimGateway::newKey);
  }

  private void changeProduct(String productId, UnaryOperator<Product> change) {
    GatewayState.ProductEntry entry = state.products().get(productId);
    if (entry == null) {
      throw new IllegalArgumentException("no product \"" + productId + "\"");
    }
    state = state.withProduct(change.apply(entry.product()), entry.policy());
  }

  /** A key as APIM generates them: 32 hexadecimal characters from a secure random source. */
  static String newKey() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  // ---- life cycle ----

  /** Waits until the gateway is stopped. */
  public void join() throws InterruptedException {
    server.join();
  }

  /** Stops the gateway; calls in progress are cut. */
  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      // stopping is best effort; the client below must stop too
    }
    try {
      http.stop();
    } catch (Exception e) {
      throw new IllegalStateException("cannot stop the gateway's client", e);
    }
  }

  /**
   * What the gateway starts with. APIs, products, policies and subscriptions may come in any order
   * and from several sources (code, gateway descriptions, ARM templates); references between them
   * are checked by {@link #start()}.
   */
  public static final class Builder {
    private final List<Api> apis = new ArrayList<>();
    private final List<Product> products = new ArrayList<>();
    private final List<Map.Entry<String, String>> productApis = new ArrayList<>();
    private final Map<String, String> policies = new LinkedHashMap<>();
    private final List<Subscription> subscriptions = new ArrayList<>();

    /** Set by {@link #port(int)}; it wins over any description's. */
    private Integer port;

    /** The first description's "port", and which description gave it. */
    private Integer describedPort;

    private String describedPortSource;

    /** Two descriptions that give different ports, said as a problem; null if none do. */
    private String portConflict;

    private String host = "127.0.0.1";
    private Clock clock = Clock.systemUTC();
    private Duration backendTimeout = Duration.ofSeconds(300);
    private Duration idleConnectionTimeout = Duration.ofSeconds(30);
    private Path tlsKeyStore;
    private String tlsKeyStorePassword;

    private Builder() {}

    public Builder api(Api api) {
      apis.add(Objects.requireNonNull(api, "api"));
      return this;
    }

    /** An API with URL suffix {@code path} (such as {@code api}) in front of {@code serviceUrl}. */
    public Builder api(String name, String path, URI serviceUrl) {
      return api(Api.of(name, path, serviceUrl));
    }

    public Builder api(String name, String path, String serviceUrl) {
      return api(Api.of(name, path, serviceUrl));
    }

    /**
     * @throws GatewayConfigException if the product's policy document cannot be used
     */
    public Builder product(Product product) {
      GatewayState.parse(Objects.requireNonNull(product, "product"));
      products.add(product);
      return this;
    }

    /** Adds an API to a product declared here or in a description or template. */
    public Builder productApi(String productId, String apiName) {
      Checks.require("product id", Checks.id(productId));
      Checks.require("API name", Checks.id(apiName));
      productApis.add(Map.entry(productId, apiName));
      return this;
    }

    /**
     * Sets the policy document of a product declared here or in a description or template,
     * replacing any it has.
     *
     * @throws GatewayConfigException if the document cannot be used
     */
    public Builder policyXml(String productId, String policyXml) {
      Checks.require("product id", Checks.id(productId));
      PolicyParser.parse(policyXml, PolicyParser.documentName(productId));
      policies.put(productId, policyXml);
      return this;
    }

    public Builder subscription(Subscription subscription) {
      subscriptions.add(Objects.requireNonNull(subscription, "subscription"));
      return this;
    }

    /**
     * Adds what a gateway description declares (see {@code ApimGatewayMain}); relative policy files
     * are read from the working directory.
     *
     * @throws GatewayConfigException listing every problem, by JSON path
     */
    public Builder description(String json) {
      return add(DescriptionLoader.load(json, null, Path.of("")), "(given as text)");
    }

    /**
     * Adds what the gateway description in {@code file} declares; relative policy files are read
     * from the file's directory.
     *
     * @throws GatewayConfigException listing every problem, by JSON path
     * @throws UncheckedIOException if the file cannot be read
     */
    public Builder description(Path file) {
      Path directory = file.toAbsolutePath().getParent();
      return add(DescriptionLoader.load(read(file), file.toString(), directory), file.toString());
    }

    /**
     * Adds the products, subscriptions, product policies, APIs and product APIs of an ARM template
     * such as the one the {@code link} command prints. Keys it does not give are generated.
     *
     * @throws GatewayConfigException listing every problem, by JSON path
     */
    public Builder armTemplate(String json) {
      return add(ArmTemplateLoader.load(json, null), "(given as text)");
    }

    /**
     * @see #armTemplate(String)
     */
    public Builder armTemplate(Path file) {
      return add(ArmTemplateLoader.load(read(file), file.toString()), file.toString());
    }

    private static String read(Path file) {
      try {
        return Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        // Worded as the drop-in JAR's commands word it.
        String reason =
            e.getMessage() == null
                ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + e.getMessage();
        throw new UncheckedIOException("cannot read " + file + " (" + reason + ")", e);
      }
    }

    /**
     * @param source the file the set-up was read from, for messages
     */
    private Builder add(Setup setup, String source) {
      apis.addAll(setup.apis());
      products.addAll(setup.products());
      productApis.addAll(setup.productApis());
      policies.putAll(setup.policies());
      subscriptions.addAll(setup.subscriptions());
      if (setup.port() != null) {
        if (describedPort == null) {
          describedPort = setup.port();
          describedPortSource = source;
        } else if (!describedPort.equals(setup.port()) && portConflict == null) {
          // Which one a gateway started for would depend on the order of the files.
          portConflict =
              "the gateway descriptions "
                  + describedPortSource
                  + " and "
                  + source
                  + " give different ports ("
                  + describedPort
                  + " and "
                  + setup.port()
                  + "); give \"port\" in one of them, or choose with --port";
        }
      }
      return this;
    }

    /**
     * The port to listen on, whatever the descriptions say; without it, their {@code "port"}, else
     * 0, which picks a free one.
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be from 0 to 65535 (was " + port + ")");
      }
      this.port = port;
      return this;
    }

    private int listenPort() {
      return port != null ? port : describedPort != null ? describedPort : 0;
    }

    /** The address to listen on; {@code 127.0.0.1} by default. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /**
     * Serves https instead of http, with the private key and certificate chain in {@code keyStore}
     * (PKCS12 or JKS, one key entry) and {@code password} for both the store and the key. A client
     * must trust that certificate and reach the gateway by a host name or address it names.
     */
    public Builder tls(Path keyStore, String password) {
      if (!Files.isReadable(keyStore)) {
        throw new IllegalArgumentException("tls key store " + keyStore + " is not a readable file");
      }
      this.tlsKeyStore = keyStore;
      this.tlsKeyStorePassword = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * The clock that token times, key-set caching and the {@code Date} of the gateway's own answers
     * follow; the system's by default.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The longest the gateway waits for a backend's status and headers, as APIM's {@code
     * forward-request} timeout (300 s by default); zero for no limit. Past it the gateway answers
     * 504; a body that has begun, an event stream say, goes on past it.
     */
    public Builder backendTimeout(Duration timeout) {
      if (timeout.isNegative()) {
        throw new IllegalArgumentException(
            "backendTimeout must not be negative (was " + timeout + ")");
      }
      this.backendTimeout = timeout;
      return this;
    }

    /** How long an idle connection to a backend is kept for reuse (30 s by default). */
    public Builder idleConnectionTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(
            "idleConnectionTimeout must be positive (was " + timeout + ")");
      }
      this.idleConnectionTimeout = timeout;
      return this;
    }

    /**
     * Checks the whole set-up, generates missing keys, and starts listening. A builder can start
     * several gateways; each gets its own generated keys.
     *
     * @throws GatewayConfigException listing every problem (unknown references, duplicate ids or
     *     keys), or two descriptions that give different ports when {@link #port(int)} was not
     *     called
     * @throws UncheckedIOException if the port cannot be bound
     */
    public ApimGateway start() {
      if (port == null && portConflict != null) {
        throw new GatewayConfigException(portConflict);
      }
      GatewayState state =
          GatewayState.of(
              apis, products, productApis, policies, subscriptions, ApimGateway::newKey);
      ApimGateway gateway = new ApimGateway(this, state);
      gateway.start();
      return gateway;
    }
  }
}
