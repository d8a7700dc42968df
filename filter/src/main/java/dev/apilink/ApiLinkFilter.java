package dev.apilink;

import dev.apilink.config.BackendConfig;
import dev.apilink.config.ConfigException;
import dev.apilink.config.ConfigFiles;
import dev.apilink.config.ConfigLoader;
import dev.apilink.config.ConfigWatcher;
import dev.apilink.config.Loggers;
import dev.apilink.config.SiteConfig;
import dev.apilink.proxy.ClientConnections;
import dev.apilink.proxy.ExchangeCounts;
import dev.apilink.proxy.GatewayClient;
import dev.apilink.proxy.GatewayError;
import dev.apilink.proxy.GatewayTarget;
import dev.apilink.proxy.Link;
import dev.apilink.proxy.UnreadBody;
import dev.apilink.routes.Decision;
import dev.apilink.routes.MethodOverrides;
import dev.apilink.routes.RouteRules;
import dev.apilink.routes.RoutesLoader;
import dev.apilink.routes.Users;
import dev.apilink.token.SigningKeys;
import dev.apilink.token.TokenIssuer;
import dev.apilink.token.WellKnown;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.Proxy;
import java.net.URI;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.Principal;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Links a web application to an Azure API Management gateway as Static Web Apps does: requests for
 * {@code /api} and {@code /api/...} are proxied, streaming, to the same path on the gateway with
 * the subscription key and a short-lived access token; everything else goes down the filter chain
 * to the container's static files and servlets.
 *
 * <p>Settings, each an init-param, else a system property, else an environment variable: {@code
 * config} ({@code apilink.config}, {@code APILINK_CONFIG}; default {@code /WEB-INF/apilink.json}),
 * the configuration file; {@code environment} ({@code apilink.environment}, {@code
 * APILINK_ENVIRONMENT}; default {@code production}), the environment this deployment is. The filter
 * must be registered async-supported, for the {@code REQUEST} and {@code ASYNC} dispatchers, on
 * {@code /api/*} and {@code /.auth/.well-known/*}.
 *
 * <p>Route rules for {@code /api} come from the web application's {@code staticwebapp.config.json},
 * as on Static Web Apps: they are evaluated before proxying, with the user and roles the container
 * authenticated.
 *
 * <p>The configuration file and the files it references are watched: a valid change applies at once
 * to new requests (those in flight finish as they started); an invalid one is refused, logged once,
 * and the previous configuration keeps serving.
 *
 * <p>For monitoring, each site registers an {@link ApiLinkMXBean} in the JVM's platform MBean
 * server while it runs, and the filter publishes itself as the servlet context attribute {@link
 * #ATTRIBUTE}: {@link #exchangesInFlight()} and {@link #gatewayConnections()} tell how busy the
 * link is.
 */
public final class ApiLinkFilter implements Filter {

  /** The servlet context attribute under which the filter publishes itself, for monitoring. */
  public static final String ATTRIBUTE = ApiLinkFilter.class.getName();

  /**
   * The request attribute that marks a request this filter passed to the web application because
   * the site was not linked: the application started it, so it ends it, in its async dispatches
   * too, whatever the configuration says by then.
   */
  static final String PASSED_TO_APPLICATION = ATTRIBUTE + ".passedToApplication";

  static final String DEFAULT_CONFIG = "/WEB-INF/apilink.json";
  static final long WATCH_POLL_MILLIS = 2000;
  private static final Logger LOG = Loggers.named("dev.apilink");

  /** Where the drop-in JAR's relocated libraries (Jetty's client, Nimbus, Jackson) log. */
  static final String LIBRARIES_LOGGER = "dev.apilink.shaded";

  /**
   * The relocated libraries' logger, at INFO unless it is configured itself: below {@code
   * dev.apilink}, it took that logger's level, and the Jetty client's FINE lines list every header
   * of each gateway request, the subscription key and the token among them (found by review). Held
   * here because {@code java.util.logging} keeps loggers only weakly.
   */
  private static final Logger LIBRARIES = quietLibraries();

  /** What one configuration gives: read by each request once, replaced whole on a change. */
  private record State(SiteConfig site, Link link, WellKnown wellKnown) {}

  private volatile State state;

  /**
   * Links that a configuration change retired and that may still be finishing exchanges: stopping
   * the web application closes them too, or their threads would outlive it (a reviewer's Tomcat
   * reported them, and their classes failed to load once the application had stopped).
   */
  private final Set<Link> retiring = ConcurrentHashMap.newKeySet();

  private ServletContext context;
  private ConfigLoader loader;
  private String location;

  /**
   * What named {@link #location}, for the lines that say it cannot be used ({@code ", named by the
   * environment variable APILINK_CONFIG"}); empty for the default. A variable left in a service's
   * environment names a file the operator is not looking at.
   */
  private String locationChosenBy;

  private String environment;
  private SigningKeys generatedKeys;
  private boolean warnedOfGeneratedKeys;
  private ConfigWatcher watcher;
  private final ExchangeCounts counts = new ExchangeCounts();
  private final ClientConnections clientConnections = new ClientConnections();
  private JmxRegistration jmx;

  /**
   * Sets the relocated libraries' logger to INFO unless a level is configured for it (an operator
   * who names {@code dev.apilink.shaded} in the logging configuration gets what it says), for the
   * thread's context class loader and for ApiLink's own. Tomcat's JULI keeps a tree of loggers for
   * each class loader, the one the thread's context class loader picks when a logger is first asked
   * for: the drop-in JAR in Tomcat's {@code lib} had the Jetty client's loggers made in the common
   * loader's tree (its own threads' context class loader) and in each application's, where ApiLink
   * had quieted only the first application's (found by review on Tomcat 11.0.24). {@link #init}
   * quiets each application's tree.
   */
  static Logger quietLibraries() {
    Logger libraries = quietLibrariesFor(Thread.currentThread().getContextClassLoader());
    quietLibrariesFor(ApiLinkFilter.class.getClassLoader());
    return libraries;
  }

  private static Logger quietLibrariesFor(ClassLoader loader) {
    Logger libraries = Loggers.named(LIBRARIES_LOGGER, loader);
    if (libraries.getLevel() == null) {
      libraries.setLevel(Level.INFO);
    }
    return libraries;
  }

  @Override
  public void init(FilterConfig filterConfig) throws ServletException {
    Optional<String> olderServlet = olderServlet(filterConfig.getServletContext());
    if (olderServlet.isPresent()) {
      LOG.severe(olderServlet.get());
      throw new ServletException(olderServlet.get());
    }
    Optional<String> registeredTwice = registeredTwice(filterConfig.getServletContext());
    if (registeredTwice.isPresent()) {
      LOG.severe(registeredTwice.get());
      throw new ServletException(registeredTwice.get());
    }
    try {
      start(filterConfig);
    } catch (NoClassDefFoundError e) {
      String problem = MissingLibraries.explain(e).orElseThrow(() -> e);
      LOG.severe("ApiLink cannot start: " + problem);
      throw new ServletException("ApiLink cannot start: " + problem, e);
    }
  }

  /**
   * Why ApiLink cannot run in this container, if its Servlet version is older than the 6.0 ApiLink
   * is built against. A Jakarta Servlet 5.0 container (Tomcat 10.0, Jetty 11, Jetty 12's ee9) has
   * the same package and loads ApiLink; it started and logged "ApiLink started", but Jetty's 5.0
   * requests have no servlet context outside the container's threads, and every gateway answer
   * without {@code Content-Length} reached the client as an empty {@code 200} (found by review on
   * Jetty 11.0.26 and 12.1.12 ee9). Refused as an invalid configuration is: the web application
   * does not start, so that {@code /api} is never served otherwise than linked. (A {@code javax}
   * container cannot load ApiLink at all: it reports {@code NoClassDefFoundError:
   * jakarta/servlet/Filter}.)
   */
  static Optional<String> olderServlet(ServletContext context) {
    int major = context.getMajorVersion();
    if (major >= 6) {
      return Optional.empty();
    }
    return Optional.of(
        "ApiLink cannot start: it needs a Jakarta Servlet 6.0 container or newer (Tomcat 10.1 or"
            + " 11, Jetty 12 with ee10 or ee11), and this one, "
            + context.getServerInfo()
            + ", implements Servlet "
            + major
            + "."
            + context.getMinorVersion());
  }

  /**
   * Why ApiLink cannot start, if the web application registers it under more than one filter name:
   * a {@code web.xml} that declares it under a name of its own while the JAR's web fragment,
   * active, declares {@code ApiLink}. The container merges declarations of one name only, and each
   * filter started a whole ApiLink (two "ApiLink started" lines, two gateway clients with their
   * threads, two JMX beans, a signing key each when none is configured) while only the first in the
   * chain saw requests, and the context attribute named whichever started last (found by review on
   * Tomcat 11.0.24 and Jetty 12.1.12). Were the first mapped to {@code /api/*} alone, one key would
   * sign the tokens and the other's be published (a reviewer's reading, not tried). Refused as an
   * invalid configuration is.
   */
  static Optional<String> registeredTwice(ServletContext context) {
    // The same scan as UnregisteredWarning's, written again: a class of ApiLink's that names that
    // one makes javac compile it again with the rest, for Java 17 (its release 11 undone; seen).
    List<String> names =
        context.getFilterRegistrations().values().stream()
            .filter(
                registration -> ApiLinkFilter.class.getName().equals(registration.getClassName()))
            .map(registration -> "\"" + registration.getName() + "\"")
            .sorted()
            .toList();
    if (names.size() < 2) {
      return Optional.empty();
    }
    String path = context.getContextPath();
    return Optional.of(
        "ApiLink cannot start: the web application at "
            + (path.isEmpty() ? "/" : path)
            + " registers it "
            + (names.size() == 2 ? "twice" : names.size() + " times")
            + ", as the filters "
            + String.join(", ", names.subList(0, names.size() - 1))
            + " and "
            + names.get(names.size() - 1)
            + "; declare it in web.xml under the filter name ApiLink, the one its JAR's web"
            + " fragment uses, so that the container merges them");
  }

  private void start(FilterConfig filterConfig) throws ServletException {
    // This application's tree of loggers under JULI, where the class was loaded for another.
    quietLibraries();
    context = filterConfig.getServletContext();
    Setting environmentSetting =
        setting(
            filterConfig,
            "environment",
            "apilink.environment",
            "APILINK_ENVIRONMENT",
            SiteConfig.DEFAULT_ENVIRONMENT);
    environment = environmentSetting.value();
    Setting locationSetting =
        setting(filterConfig, "config", "apilink.config", "APILINK_CONFIG", DEFAULT_CONFIG);
    location = locationSetting.value();
    locationChosenBy = locationSetting.chosenBy().map(by -> ", named by " + by).orElse("");
    ConfigLoader webApplicationLoader =
        new ConfigLoader(webApplicationFiles(context), System::getenv)
            .withWebApplication(webApplication(context));
    loader =
        environmentSetting
            .chosenBy()
            .map(webApplicationLoader::withEnvironmentChosenBy)
            .orElse(webApplicationLoader);

    SiteConfig site;
    try {
      site = loader.load(location, environment);
    } catch (ConfigException e) {
      // The web application first: a search of the log by line finds it with the problems.
      String failure =
          "ApiLink: "
              + webApplicationName()
              + " does not start"
              + describeSource()
              + locationChosenBy
              + System.lineSeparator()
              + e.getMessage();
      LOG.severe(failure);
      throw new ServletException(failure);
    }
    try {
      state = stateFor(site);
    } catch (Exception e) {
      throw new ServletException(
          "ApiLink: cannot start the link to the gateway for " + webApplicationName(), e);
    }
    LOG.info(describe(state, "started"));
    warnOfRulesOnTheClassPath(site);
    warnOfRulesElsewhereInTheSite(site);
    warnOfSettings(site, "init");
    watch(site);
    context.setAttribute(ATTRIBUTE, this);
    jmx =
        JmxRegistration.register(
            new Monitored(), context.getVirtualServerName(), context.getContextPath());
  }

  /**
   * The warnings about settings that work but should change (a key file others may read or write, a
   * key's algorithm, the gateway connections' keep-alive): at start-up, and again after each reload
   * that applies a change, so that a key file replaced by one readable by all is warned about too
   * (until session 38 only the first start-up's were). Logged by name as from {@code method}
   * ({@code init}, {@code reload}): a lambda would make {@code Optional.ifPresent} the record's
   * source.
   */
  private void warnOfSettings(SiteConfig site, String method) {
    List<Optional<String>> warnings =
        List.of(
            site.token()
                .signingKeyFile()
                .flatMap(webApplicationFiles(context)::path)
                .flatMap(KeyFilePermissions::warning),
            site.token().signingKeys().flatMap(SigningKeys::undocumentedForApiManagement),
            site.environment().backend().flatMap(BackendConfig::keepAliveWarning));
    for (Optional<String> warning : warnings) {
      warning.ifPresent(
          text -> LOG.logp(Level.WARNING, ApiLinkFilter.class.getName(), method, text));
    }
  }

  /**
   * Exchanges with the gateway started and not yet ended, on the link in force and on those that a
   * configuration change retired and that are still finishing theirs, as the JMX bean counts them.
   * It counted the link in force alone: a site just unlinked read 0 while a request still waited
   * for the gateway (found by review h38l).
   */
  public int exchangesInFlight() {
    return links().stream().mapToInt(Link::exchangesInFlight).sum();
  }

  /**
   * The link in force and those that a configuration change retired and that may still be finishing
   * exchanges: the site's exchanges and connections are theirs together (the bean read 0 in flight
   * while a reviewer's requests waited on a retired link).
   */
  private List<Link> links() {
    // The state first: a reload adds the link it retires to retiring before it publishes the
    // next state, so a reading that sees the next state sees that link among those retiring.
    State current = state;
    List<Link> links = new ArrayList<>(retiring);
    if (current != null && current.link() != null && !links.contains(current.link())) {
      links.add(current.link());
    }
    return links;
  }

  /** The connections to the gateway now (none when not linked). */
  public GatewayClient.Connections gatewayConnections() {
    State current = state;
    return current == null || current.link() == null
        ? GatewayClient.Connections.NONE
        : current.link().gatewayConnections();
  }

  /** This site's {@link ApiLinkMXBean}: read from the configuration in force at each call. */
  private final class Monitored implements ApiLinkMXBean {
    @Override
    public boolean isLinked() {
      State current = state;
      return current != null && current.link() != null;
    }

    @Override
    public String getEnvironment() {
      return environment;
    }

    @Override
    public String getGatewayUrl() {
      State current = state;
      return current == null || current.link() == null
          ? ""
          : current.site().environment().backend().map(b -> b.url().toString()).orElse("");
    }

    @Override
    public int getExchangesInFlight() {
      return exchangesInFlight();
    }

    private GatewayClient.Connections connections() {
      return links().stream()
          .map(Link::gatewayConnections)
          .reduce(GatewayClient.Connections.NONE, GatewayClient.Connections::plus);
    }

    @Override
    public int getGatewayConnectionsActive() {
      return connections().active();
    }

    @Override
    public int getGatewayConnectionsIdle() {
      return connections().idle();
    }

    @Override
    public int getGatewayConnectionsPending() {
      return connections().pending();
    }

    @Override
    public long getExchangesStarted() {
      return counts.started();
    }

    @Override
    public long getAnsweredBadGateway() {
      return counts.badGateway();
    }

    @Override
    public long getAnsweredGatewayTimeout() {
      return counts.gatewayTimeout();
    }

    @Override
    public long getAnsweredOtherErrors() {
      return counts.otherErrors();
    }

    @Override
    public long getResponsesBrokenOff() {
      return counts.brokenOff();
    }

    @Override
    public long getGatewayAnsweredUnauthorized() {
      return counts.gatewayUnauthorized();
    }

    @Override
    public long getGatewayAnsweredClientErrors() {
      return counts.gatewayClientErrors();
    }

    @Override
    public long getGatewayAnsweredServerErrors() {
      return counts.gatewayServerErrors();
    }
  }

  /**
   * Synchronized with {@link #reload()}, which the watcher's thread runs: a change seen at once
   * waits until the field holds the watcher it uses.
   */
  private synchronized void watch(SiteConfig site) {
    Map<Path, String> files = site.files();
    if (files.isEmpty()) {
      LOG.info(
          "ApiLink: "
              + location
              + " is not a file on disk (a packed WAR?); changes apply after a redeployment");
      return;
    }
    watcher =
        ConfigWatcher.start(
            files,
            this::reload,
            WATCH_POLL_MILLIS,
            threadName(site, context) + "-config-watcher",
            siteName(site));
  }

  /**
   * Applies a changed configuration, or keeps the current one if the change is invalid. Throws,
   * keeping the current one, when the next cannot be put in force (its link does not start): the
   * watcher logs it and tries again.
   */
  private synchronized void reload() throws Exception {
    State previous = state;
    if (previous == null) {
      return; // destroyed
    }
    SiteConfig site;
    try {
      site = loader.load(location, environment);
    } catch (ConfigException e) {
      LOG.severe(
          "ApiLink: the change is refused; "
              + webApplicationName()
              + " keeps the previous configuration, but would not start with these files: correct"
              + " them before the next restart or redeployment"
              + describeSource()
              + locationChosenBy
              + System.lineSeparator()
              + e.getMessage());
      // The files it names, missing ones too: the change that makes it valid may be one of them.
      watcher.watch(e.files());
      return;
    }
    if (site.files().equals(previous.site().files())) {
      // A refused change undone, or a file that could not be read for a while and is back as it
      // was: every file as the configuration in force read it. Reloaded, that retired a link and
      // its pooled gateway connections for the same configuration (found by review D).
      watcher.watch(site.files());
      LOG.info(
          "ApiLink: the configuration files are back as the configuration in force read them;"
              + " it stays in use for "
              + siteName(previous.site()));
      return;
    }
    State next = stateFor(site);
    if (previous.link() != null) {
      // Among those retiring before the next state hides it: added after, a reading in between
      // counted neither link's exchanges, 0 in flight with a request waiting at the gateway (found
      // by review h39f, as a change was applied).
      retiring.removeIf(Link::closed);
      retiring.add(previous.link());
    }
    state = next;
    if (previous.link() != null) {
      // Before anything else can fail: a link left unretired kept its client and its connections
      // until the application stopped.
      previous.link().retire(); // finishes what it started, then closes
    }
    watcher.watch(site.files());
    LOG.info(describe(next, "reloaded"));
    warnOfSettings(site, "reload");
  }

  private State stateFor(SiteConfig site) throws Exception {
    String issuer = WellKnown.issuer(site.origin().toString(), issuerContextPath(context));
    Optional<BackendConfig> backend = site.environment().backend();
    // The discovery documents are served linked or not (a gateway's validate-jwt policy may
    // fetch them before the site is linked); but the warning about a generated key concerns the
    // tokens, which only a linked environment signs.
    boolean linked = backend.isPresent();
    SigningKeys keys = site.token().signingKeys().orElseGet(() -> generatedKeys(linked));
    WellKnown wellKnown = WellKnown.of(issuer, keys);
    if (!linked) {
      return new State(site, null, wellKnown);
    }
    BackendConfig gateway = backend.get();
    TokenIssuer tokens =
        new TokenIssuer(
            keys,
            issuer,
            gateway.audience(),
            site.hostname(),
            site.token().lifetimeSeconds(),
            Clock.systemUTC());
    GatewayClient client = GatewayClient.start(gateway, threadName(site, context));
    try {
      if (gateway.proxyCredentials() != null) {
        warnIfProxyCredentialsAreNotSent(gateway, client.proxy());
      }
      Link link =
          new Link(
              gateway,
              client,
              tokens,
              site.token().header(),
              site.origin(),
              site.identityProvider(),
              site.routes().customRoles(),
              counts,
              clientConnections,
              context.getContextPath() + "/api");
      return new State(site, link, wellKnown);
    } catch (RuntimeException | Error e) {
      // No link holds the started client: its threads and connections would outlive the failure.
      try {
        client.close();
      } catch (Exception closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  /**
   * One key for the life of this filter, so that a reload does not invalidate tokens; the warning
   * about it once, when a linked environment first signs with it.
   */
  private synchronized SigningKeys generatedKeys(boolean signing) {
    if (generatedKeys == null) {
      generatedKeys = SigningKeys.generate();
    }
    if (signing && !warnedOfGeneratedKeys) {
      warnedOfGeneratedKeys = true;
      LOG.warning(
          "ApiLink: no token.signingKeyFile configured; this instance generated its own signing"
              + " key. It makes a new one at each start, whose tokens the gateway refuses (401)"
              + " until it reads the site's keys again, up to 5 minutes later; several instances"
              + " serving one site need one shared key file, or the gateway refuses the tokens of"
              + " all but one. Make one with the keygen command.");
    }
    return generatedKeys;
  }

  /**
   * Warns at start-up of {@code gateway}'s proxy credentials that will not reach a proxy: none is
   * chosen for the gateway, a SOCKS 4 proxy takes no password, or SOCKS 5 cannot carry them.
   */
  private static void warnIfProxyCredentialsAreNotSent(BackendConfig gateway, Proxy proxy) {
    if (proxy.type() == Proxy.Type.DIRECT) {
      // The JVM reads http.proxyHost for an http gateway, https.proxyHost for an https one.
      String settings = "http".equals(gateway.url().getScheme()) ? "http" : "https";
      LOG.warning(
          "ApiLink: proxyCredentials is set, but the JVM's proxy settings name no proxy for "
              + gateway.url()
              + " ("
              + settings
              + ".proxyHost, "
              + settings
              + ".proxyPort, http.nonProxyHosts; socksProxyHost): the gateway is reached"
              + " directly, and the credentials are not sent");
    } else if (proxy.type() == Proxy.Type.SOCKS && GatewayClient.socksVersion4()) {
      LOG.warning(
          "ApiLink: proxyCredentials is set, but the JVM's proxy settings send connections to "
              + gateway.url()
              + " through a SOCKS 4 proxy (socksProxyVersion=4), which takes no password: the"
              + " credentials are not sent");
    } else if (proxy.type() == Proxy.Type.SOCKS && !GatewayClient.fitSocks5(gateway)) {
      LOG.warning(
          "ApiLink: proxyCredentials has a user name or a password over 255 bytes (in UTF-8),"
              + " more than SOCKS 5 can carry (RFC 1929): the SOCKS proxy for "
              + gateway.url()
              + " will refuse them");
    }
  }

  private String describe(State current, String what) {
    String site =
        "ApiLink " + what + ": environment \"" + environment + "\" of " + current.site().origin();
    if (current.link() == null) {
      return site
          + " is not linked; "
          + context.getContextPath()
          + "/api is served by the web application"
          + describeSource();
    }
    return site
        + " is linked to "
        + current.link().loggedGateway()
        + "; "
        + context.getContextPath()
        + "/api is proxied there (tokens of the issuer "
        + current.link().tokens().issuer()
        + ", signed with the key whose kid is \""
        + current.link().tokens().keyId()
        + "\")"
        + describeRoutes(current.site().routes())
        + describeSource();
  }

  /**
   * The web application by its context path, as an operator with several on one container tells
   * them apart: ApiLink's log lines go to the container's log, and name no application otherwise.
   */
  private String webApplicationName() {
    String path = context.getContextPath();
    return "the web application at " + (path.isEmpty() ? "/" : path);
  }

  /**
   * The web application with the origin its configuration gives, as "ApiLink started" names the
   * site: sites at the root of two virtual hosts or services share the container's log, and were
   * both "the web application at /" in the lines that name no configuration file (found by review
   * h40n). The configuration watcher's lines keep the origin it started with.
   */
  private String siteName(SiteConfig site) {
    return webApplicationName() + " of " + site.origin();
  }

  /**
   * Where the configuration was read from, on disk if it is a file there: on Jetty, a copy that
   * Jetty extracted under a random name (a reviewer could not tell which file to change).
   */
  private String describeSource() {
    return "; configuration: "
        + webApplicationFiles(context).path(location).map(Path::toString).orElse(location);
  }

  /**
   * Where Spring serves static files from the class path: {@code classpath:/static/} and others.
   */
  private static final List<String> CLASS_PATH_STATIC_LOCATIONS =
      List.of("static/", "public/", "resources/", "META-INF/resources/");

  /**
   * A warning when the web application has no route rules that ApiLink can read but its class path
   * has a {@code staticwebapp.config.json} where Spring serves static files: Spring Boot serves an
   * executable JAR's {@code static/} itself, so browsers get the file while ApiLink, which reads
   * the web application's files, never sees it (found by a reviewer: the rules were silently not
   * applied, and every {@code /api} request was proxied).
   */
  private void warnOfRulesOnTheClassPath(SiteConfig site) {
    if (site.routes() != RouteRules.ABSENT || context.getClassLoader() == null) {
      return;
    }
    for (String directory : CLASS_PATH_STATIC_LOCATIONS) {
      java.net.URL served =
          context.getClassLoader().getResource(directory + "staticwebapp.config.json");
      if (served != null) {
        LOG.warning(
            "ApiLink: "
                + served
                + " is on the class path, where Spring serves static files, but not among the"
                + " web application's files, which ApiLink reads: its route rules do not apply,"
                + " and every /api request is proxied. Give the container a document root holding"
                + " it (see \"Spring and Spring Boot\" in docs/containers.md), or set"
                + " \"routesFile\": false if it is not meant for /api.");
        return;
      }
    }
  }

  /** Directories of the web application looked into for rules elsewhere, at most. */
  private static final int MOST_DIRECTORIES_SEARCHED = 10_000;

  /**
   * Warnings when the web application has no route rules that ApiLink reads, but a file that Static
   * Web Apps would have read them from: a {@code staticwebapp.config.json} in a folder of the site
   * (it reads the file from any folder of the app) or the deprecated {@code /routes.json} (which it
   * still reads when there is no {@code staticwebapp.config.json}). A site moved into a WAR as it
   * was keeps them there (found by review: its {@code /api} rules were silently not applied, and
   * every {@code /api} request was proxied). The class path's {@code WEB-INF/classes} and {@code
   * WEB-INF/lib} are left to {@link #warnOfRulesOnTheClassPath}.
   */
  private void warnOfRulesElsewhereInTheSite(SiteConfig site) {
    if (site.routes() != RouteRules.ABSENT) {
      return;
    }
    String name = RoutesLoader.DEFAULT_LOCATION.substring(1);
    // Not with ifPresent: a lambda would be the log record's source.
    Optional<String> found = findInFolders(name);
    if (found.isPresent()) {
      LOG.warning(
          "ApiLink: "
              + found.get()
              + " is a file Static Web Apps would read route rules from, but ApiLink reads "
              + RoutesLoader.DEFAULT_LOCATION
              + " only: its route rules do not apply, and every /api request is proxied. Name it"
              + " in apilink.json, \"routesFile\": \""
              + found.get()
              + "\", or set \"routesFile\": false if it is not meant for /api.");
    }
    if (exists("/routes.json")) {
      LOG.warning(
          "ApiLink: /routes.json is a file Static Web Apps would read route rules from (the"
              + " deprecated format, read when there is no staticwebapp.config.json), but ApiLink"
              + " does not read it: its route rules do not apply, and every /api request is"
              + " proxied. Write them as "
              + RoutesLoader.DEFAULT_LOCATION
              + ", or set \"routesFile\": false if they are not meant for /api.");
    }
  }

  /** The first file called {@code name} in a folder of the web application, shallowest first. */
  private Optional<String> findInFolders(String name) {
    ArrayDeque<String> folders = new ArrayDeque<>(List.of("/"));
    for (int searched = 0; !folders.isEmpty() && searched < MOST_DIRECTORIES_SEARCHED; searched++) {
      Set<String> entries = context.getResourcePaths(folders.removeFirst());
      if (entries == null) {
        continue;
      }
      for (String entry : new TreeSet<>(entries)) {
        if (entry.endsWith("/")) {
          if (!entry.equals("/WEB-INF/classes/") && !entry.equals("/WEB-INF/lib/")) {
            folders.addLast(entry);
          }
        } else if (entry.endsWith("/" + name) && entry.indexOf('/', 1) > 0) {
          return Optional.of(entry);
        }
      }
    }
    return Optional.empty();
  }

  private boolean exists(String path) {
    try {
      return context.getResource(path) != null;
    } catch (MalformedURLException e) {
      return false;
    }
  }

  private static String describeRoutes(RouteRules routes) {
    if (routes.isEmpty()) {
      return "";
    }
    return "; "
        + routes.size()
        + (routes.size() == 1 ? " route rule" : " route rules")
        + " from "
        + routes.source();
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest clientRequest)
        || !(response instanceof HttpServletResponse clientResponse)) {
      chain.doFilter(request, response);
      return;
    }
    Link.breakOffIfRequested(clientRequest);
    if (clientRequest.getDispatcherType() == DispatcherType.ASYNC
        && clientRequest.getAttribute(PASSED_TO_APPLICATION) != null) {
      // A request in flight finishes with the configuration it started with: proxied in this
      // dispatch after the site was linked meanwhile, the application's answer (a Callable's, the
      // end of a stream it began) gave way to the gateway's, under the application's headers
      // (found by review R on Tomcat 10.1.59).
      chain.doFilter(request, response);
      return;
    }
    if (clientRequest.getDispatcherType() == DispatcherType.ASYNC
        && !clientAskedForApi(clientRequest)) {
      // The application's own async dispatch to /api from a request it serves elsewhere: its own,
      // as a forward there is (the filter is mapped to ASYNC for a filter before it that resumes an
      // /api request, and to break off its own exchanges). Proxied, the gateway's answer went out
      // under the headers the application had set.
      chain.doFilter(request, response);
      return;
    }
    State current = state;

    String path = pathInContext(clientRequest);
    if (current == null) {
      // Destroyed (the container destroys filters while a request is still on its way to them), or
      // decided again below after the stop closed the link this request read.
      if (GatewayTarget.isApiPath(path)) {
        UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
        GatewayError.siteStopping().send(clientResponse);
      } else {
        chain.doFilter(request, response);
      }
      return;
    }
    if (path.startsWith("/.auth/.well-known/")
        && serveWellKnown(current.wellKnown(), path, clientRequest, clientResponse)) {
      return;
    }
    if (current.link() == null || !GatewayTarget.isApiPath(path)) {
      if (current.link() == null) {
        clientRequest.setAttribute(PASSED_TO_APPLICATION, Boolean.TRUE);
      }
      chain.doFilter(request, response);
      return;
    }
    String rawPath = rawPathInContext(clientRequest);
    if (!GatewayTarget.isApiPath(rawPath)) {
      // The container reads /api where the client wrote it otherwise (/x/../api, //api, /%61pi,
      // /api;p). Not forwarded: the gateway might read another of its APIs there. Not passed on
      // either: the web application would serve its own files under /api, past the route rules.
      LOG.fine(
          () ->
              "ApiLink: refused " + loggedUri(current, clientRequest) + ", not a plain /api path");
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      GatewayError.pathNotPlain().send(clientResponse);
      return;
    }
    if (!GatewayTarget.staysUnderApi(rawPath)) {
      // Refused rather than sent: the gateway might decode %2F before resolving "..".
      LOG.fine(
          () -> "ApiLink: refused " + loggedUri(current, clientRequest) + ", which leaves /api");
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      GatewayError.pathLeavesApi().send(clientResponse);
      return;
    }
    if (!clientRequest.isAsyncSupported()) {
      current
          .link()
          .logRefusal(
              LOG,
              "answered 500, not async-supported",
              "ApiLink: the request for "
                  + loggedUri(current, clientRequest)
                  + " is not async-supported; register ApiLinkServlet on /api/* (see"
                  + " web.xml.example), and every filter before ApiLink, with"
                  + " <async-supported>true</async-supported>",
              null);
      counts.refusedAsNotSetUp();
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      GatewayError.notAsyncSupported().send(clientResponse);
      return;
    }
    Principal user = clientRequest.getUserPrincipal();
    String userName = user == null ? null : user.getName();
    if (user != null && (userName == null || userName.isEmpty())) {
      // Sent on, it was a signed-in user with "userDetails": null and the userId of the user named
      // "null" (String concatenation): every nameless user, and that one, the same to the API; an
      // empty name (Spring Security's token without a principal) made every such user one, too.
      current
          .link()
          .logRefusal(
              LOG,
              "answered 500, a signed-in user without a name",
              "ApiLink: the request for "
                  + loggedUri(current, clientRequest)
                  + " has a signed-in user without a name ("
                  + user.getClass().getName()
                  + ".getName() returned "
                  + (userName == null ? "null" : "an empty name")
                  + "); the realm or security filter that signed it in must"
                  + " name its users",
              null);
      counts.refusedAsNotSetUp();
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      GatewayError.namelessUser().send(clientResponse);
      return;
    }
    RouteRules routes = current.site().routes();
    if (GatewayTarget.isNeverForwarded(clientRequest.getMethod())) {
      // TRACE would have the gateway or a backend echo the key and the token to the client.
      // Tomcat and Jetty refuse TRACE and CONNECT themselves, but only in upper case.
      // The path without parameters: a session id in the URL signs its holder in.
      LOG.fine(() -> "ApiLink: refused " + clientRequest.getMethod() + " " + path);
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      clientResponse.setHeader(
          "Allow", routes.allowedMethods(path, rawPath, clientRequest, Users.CONTAINER));
      GatewayError.methodNotForwarded().send(clientResponse);
      return;
    }
    if (GatewayTarget.isHeadNotUpperCase(clientRequest.getMethod())) {
      // The gateway would get HEAD and answer without a body, which the container, for which head
      // is not HEAD, would send as an answer cut short of its Content-Length.
      LOG.fine(() -> "ApiLink: refused " + clientRequest.getMethod() + " " + path);
      UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
      GatewayError.headNotUpperCase().send(clientResponse);
      return;
    }
    if (!routes.isEmpty()) {
      Decision decision =
          routes.decide(
              clientRequest.getMethod(),
              MethodOverrides.of(clientRequest),
              path,
              rawPath,
              clientRequest,
              Users.CONTAINER);
      if (!decision.proxies()) {
        UnreadBody.closeAfterAnswer(clientRequest, clientResponse);
        if (decision instanceof Decision.Answer answer && answer.status() == 405) {
          clientResponse.setHeader(
              "Allow", routes.allowedMethods(path, rawPath, clientRequest, Users.CONTAINER));
        }
        decision.send(clientResponse, clientRequest.getContextPath());
        return;
      }
    }
    if (!current.link().proxy(clientRequest, clientResponse)) {
      // Retired by a configuration change and closed since this request read the state: decide
      // again with the configuration that replaced it (nothing was sent yet).
      doFilter(request, response, chain);
    }
  }

  @Override
  public void destroy() {
    if (context != null && context.getAttribute(ATTRIBUTE) == this) {
      context.removeAttribute(ATTRIBUTE);
    }
    if (jmx != null) {
      jmx.close();
      jmx = null;
    }
    State current;
    ConfigWatcher configWatcher;
    List<Link> links = new ArrayList<>();
    synchronized (this) {
      current = state;
      state = null;
      links.addAll(retiring); // a reload, synchronized too, adds to them
      retiring.clear();
      configWatcher = watcher;
    }
    // Closed outside the lock: its thread may be waiting to enter reload(), which returns at once
    // now that the state is gone. Closed under it, the wait for that thread ran out (1 s) and the
    // thread outlived this stop (a reviewer's reading; not seen to happen).
    if (configWatcher != null) {
      try {
        configWatcher.close();
      } catch (IOException e) {
        LOG.log(Level.FINE, "ApiLink: closing the configuration watcher failed", e);
      }
    }
    if (current != null && current.link() != null) {
      links.add(current.link());
    }
    for (Link link : links) {
      try {
        link.close();
      } catch (Exception e) {
        LOG.log(Level.WARNING, "ApiLink: stopping the gateway client failed", e);
      }
    }
    if (current != null) {
      // The counterpart of "ApiLink started", for an operator reading an undeployment.
      LOG.info(
          "ApiLink stopped for "
              + siteName(current.site())
              + (current.link() == null
                  ? ""
                  : "; "
                      + context.getContextPath()
                      + "/api is no longer proxied to "
                      + current.link().loggedGateway()));
    }
  }

  private static boolean serveWellKnown(
      WellKnown wellKnown, String path, HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    byte[] body;
    if (path.equals(WellKnown.OPENID_CONFIGURATION_PATH)) {
      body = wellKnown.openidConfiguration();
    } else if (path.equals(WellKnown.JWKS_PATH)) {
      body = wellKnown.jwks();
    } else {
      return false;
    }
    String method = request.getMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      // ApiLink's own answer in APIM's shape, as its other refusals: sendError() would give the
      // container's HTML error page, which names the container and its version.
      UnreadBody.closeAfterAnswer(request, response);
      response.setHeader("Allow", "GET, HEAD");
      GatewayError.wellKnownMethodNotAllowed().send(response);
      return true;
    }
    response.setContentType("application/json");
    // Short: a gateway re-reads the keys soon after a rotation publishes a new one.
    response.setHeader("Cache-Control", "public, max-age=300");
    response.setContentLength(body.length);
    if (method.equals("GET")) {
      response.getOutputStream().write(body);
    }
    return true;
  }

  /**
   * Whether the client's own request, before any async dispatch, was for {@code /api} in this web
   * application, as the container read its path: the async attributes keep that path.
   */
  private static boolean clientAskedForApi(HttpServletRequest request) {
    Object contextPath = request.getAttribute(AsyncContext.ASYNC_CONTEXT_PATH);
    Object servletPath = request.getAttribute(AsyncContext.ASYNC_SERVLET_PATH);
    if (!(contextPath instanceof String clientContext)
        || !(servletPath instanceof String clientServletPath)) {
      return true; // nothing tells otherwise: as before
    }
    Object pathInfo = request.getAttribute(AsyncContext.ASYNC_PATH_INFO);
    return clientContext.equals(request.getContextPath())
        && GatewayTarget.isApiPath(
            pathInfo instanceof String clientPathInfo
                ? clientServletPath + clientPathInfo
                : clientServletPath);
  }

  /**
   * The request's URL for a log line, from the site's configured origin, without the container's
   * session id: {@code /api/orders;jsessionid=...} signs its holder in, and logs are kept and read
   * by others (as the exchange's own lines name it).
   */
  private static String loggedUri(State current, HttpServletRequest request) {
    String uri = request.getRequestURI();
    // Sites at the root of two virtual hosts share the container's log with the same paths.
    URI origin = current.site().origin();
    return origin.getScheme()
        + "://"
        + origin.getRawAuthority()
        + (uri.indexOf(';') < 0
            ? uri
            : GatewayTarget.withoutSessionId(uri, GatewayTarget.sessionCookie(request)));
  }

  /** The path inside the web application, decoded and normalized by the container. */
  private static String pathInContext(HttpServletRequest request) {
    String pathInfo = request.getPathInfo();
    return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
  }

  /**
   * The context path that the tokens' issuer and the discovery documents are made from, decoded, as
   * {@code link --context-path} takes it: Tomcat reports {@code /café bar}, Jetty 12 its canonical
   * URL form {@code /café%20bar} (it keeps a space, a percent sign, {@code ?"<>[]{}} and others
   * percent-encoded). From Jetty's form the issuer said {@code %20} where {@code link}'s policy
   * said a space, and the published {@code jwks_uri} {@code %2520}: no token of such a site got
   * through.
   */
  static String issuerContextPath(ServletContext context) {
    String path = context.getContextPath();
    boolean jetty = context.getServerInfo().regionMatches(true, 0, "jetty", 0, "jetty".length());
    if (!jetty || path.indexOf('%') < 0) {
      return path;
    }
    return WellKnown.percentDecoded(path).orElse(path);
  }

  /**
   * The prefix of this site's thread names, its URL without the scheme ({@code
   * apilink-www.contoso.com/shop}, {@code apilink-www.contoso.com} at the root), so that a thread
   * dump, or the container's report of threads left behind, names the site. The context path alone
   * ({@code apilink-shop}, {@code apilink-ROOT}) named the root sites of two virtual hosts or
   * services alike, and {@code /shop-a} and {@code /shop/a} too (found by review h40n).
   */
  private static String threadName(SiteConfig site, ServletContext context) {
    return "apilink-" + site.origin().getRawAuthority() + context.getContextPath();
  }

  /**
   * The path inside the web application as the client sent it, without the container's session id
   * ({@code /api;jsessionid=...} from URL rewriting is {@code /api}, as the container reads it).
   */
  private static String rawPathInContext(HttpServletRequest request) {
    String raw = GatewayTarget.rawPathInContext(request.getRequestURI(), request.getContextPath());
    return raw.indexOf(';') < 0
        ? raw
        : GatewayTarget.withoutSessionId(raw, GatewayTarget.sessionCookie(request));
  }

  /** A setting's value and what chose it, if not the default. */
  private record Setting(String value, Optional<String> chosenBy) {}

  /** The init-param, else the system property, else the environment variable, else the default. */
  private static Setting setting(
      FilterConfig filterConfig,
      String initParameter,
      String systemProperty,
      String environmentVariable,
      String fallback) {
    String[] values = {
      filterConfig.getInitParameter(initParameter),
      System.getProperty(systemProperty),
      System.getenv(environmentVariable)
    };
    String[] sources = {
      "the filter's init-param \"" + initParameter + "\"",
      "the system property " + systemProperty,
      "the environment variable " + environmentVariable
    };
    for (int i = 0; i < values.length; i++) {
      if (values[i] != null && !values[i].isBlank()) {
        return new Setting(values[i].trim(), Optional.of(sources[i]));
      }
    }
    return new Setting(fallback, Optional.empty());
  }

  /** Locations under {@code /WEB-INF/} come from the web application, others from the disk. */
  private static ConfigFiles webApplicationFiles(ServletContext context) {
    ConfigFiles disk = ConfigFiles.fileSystem(Path.of(""), Optional.empty());
    ConfigFiles webApplication = webApplication(context);
    return new ConfigFiles() {
      @Override
      public byte[] read(String location) throws IOException {
        return location.startsWith("/WEB-INF/")
            ? webApplication.read(location)
            : disk.read(location);
      }

      @Override
      public Optional<Path> path(String location) {
        return location.startsWith("/WEB-INF/")
            ? webApplication.path(location)
            : disk.path(location);
      }
    };
  }

  /** The files of the web application, named by their path in it. */
  private static ConfigFiles webApplication(ServletContext context) {
    return new ConfigFiles() {
      @Override
      public byte[] read(String location) throws IOException {
        // From the disk when the application is unpacked: the container's resource cache could
        // serve the old content for a while after a change.
        Optional<Path> file = path(location);
        if (file.isPresent()) {
          try {
            return java.nio.file.Files.readAllBytes(file.get());
          } catch (NoSuchFileException e) {
            return packed(location).orElseThrow(() -> e);
          }
        }
        try (InputStream in = context.getResourceAsStream(location)) {
          if (in == null) {
            throw new NoSuchFileException(location + " in the web application");
          }
          return in.readAllBytes();
        }
      }

      /**
       * A file that the application serves from a JAR rather than from its directory: a resource
       * JAR's {@code META-INF/resources/} in {@code WEB-INF/lib}, Spring Boot's {@code static/} in
       * an executable JAR (found by a reviewer: its {@code staticwebapp.config.json} was served to
       * browsers while its route rules were silently not applied). A JAR does not change while the
       * application runs, so there is nothing to watch; a file on the disk is never read through
       * the container, whose cache could still hold it after it was deleted.
       */
      private Optional<byte[]> packed(String location) throws IOException {
        java.net.URL resource = context.getResource(location);
        if (resource == null || "file".equals(resource.getProtocol())) {
          return Optional.empty();
        }
        try (InputStream in = resource.openStream()) {
          return Optional.of(in.readAllBytes());
        }
      }

      @Override
      public Optional<Path> path(String location) {
        String file = context.getRealPath(location);
        if (file != null) {
          return Optional.of(Path.of(file));
        }
        // Jetty has no real path for a file that does not exist (yet), but one for the root: a
        // file that is added later must be watched too.
        String root = context.getRealPath("/");
        return root == null
            ? Optional.empty()
            : ConfigFiles.directory(Path.of(root)).path(location);
      }
    };
  }
}
