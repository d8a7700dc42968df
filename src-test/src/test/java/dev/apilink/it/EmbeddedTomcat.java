package dev.apilink.it;

import dev.apilink.ApiLinkFilter;
import dev.apilink.ApiLinkServlet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.Wrapper;
import org.apache.catalina.authenticator.BasicAuthenticator;
import org.apache.catalina.authenticator.FormAuthenticator;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.realm.MemoryRealm;
import org.apache.catalina.startup.Tomcat;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.apache.tomcat.util.descriptor.web.LoginConfig;
import org.apache.tomcat.util.descriptor.web.SecurityCollection;
import org.apache.tomcat.util.descriptor.web.SecurityConstraint;

/** Tomcat 10.1 (embedded) with ApiLink registered programmatically. */
final class EmbeddedTomcat implements ServletContainer {

  private Tomcat tomcat;
  private Connector connector;
  private Http2Protocol http2;
  private Path baseDir;
  private StandardContext lastContext;
  private final StringBuilder failures = new StringBuilder();
  private final AccessLog accessLog = new AccessLog();
  private final Handler failureLog =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          if (record.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue()) {
            synchronized (failures) {
              failures.append(record.getMessage()).append('\n');
              for (Throwable t = record.getThrown(); t != null; t = t.getCause()) {
                failures.append(t).append('\n');
              }
            }
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @Override
  public void start() throws Exception {
    baseDir = Files.createTempDirectory("tomcat");
    // The first embedded Tomcat of a JVM sets catalina.home to its base directory, and every later
    // one creates that directory again: after close() deleted it, each suite run left dozens of
    // empty tomcat* directories in the machine's temporary directory.
    System.setProperty("catalina.home", baseDir.toString());
    tomcat = new Tomcat();
    tomcat.setBaseDir(baseDir.toString());
    connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    // LoadContract opens a thousand connections at once. With Tomcat's default backlog of 100 the
    // kernel answered the overflow with SYN cookies, and once, on a loaded machine, 194 of them
    // failed validation (TcpExtSyncookiesFailed 194): 194 requests closed unanswered before
    // Tomcat accepted them, which the test took for lost exchanges.
    connector.setProperty("acceptCount", "4096");
    // As the README tells operators: %2F in paths must be passed through to be forwarded.
    connector.setEncodedSolidusHandling("passthrough");
    // HTTP/2 without TLS (h2c), for a client that starts with its preface or asks to upgrade.
    http2 = new Http2Protocol();
    connector.addUpgradeProtocol(http2);
    tomcat.setConnector(connector);
    tomcat.getHost().setAutoDeploy(false);
    tomcat.getHost().getPipeline().addValve(new AccessLogRecorder(accessLog));
    Logger.getLogger("org.apache.catalina").addHandler(failureLog);
    Logger.getLogger("dev.apilink").addHandler(failureLog);
    tomcat.start();
  }

  @Override
  public int port() {
    return connector.getLocalPort();
  }

  /**
   * Adds an AJP connector on a free loopback port, as behind Apache httpd's {@code mod_proxy_ajp},
   * without a secret; returns its port.
   */
  int addAjpConnector() {
    Connector ajp = new Connector("AJP/1.3");
    ajp.setPort(0);
    ajp.setProperty("address", "127.0.0.1");
    ajp.setProperty("secretRequired", "false");
    tomcat.getService().addConnector(ajp);
    return ajp.getLocalPort();
  }

  @Override
  public boolean deploy(
      Path webappDir, String contextPath, Map<String, String> initParameters, ContainerAuth auth)
      throws Exception {
    StandardContext context = new StandardContext();
    context.setName(contextPath.isEmpty() ? "ROOT" : contextPath);
    context.setPath(contextPath);
    context.setDocBase(webappDir.toString());
    context.addLifecycleListener(new Tomcat.FixContextListener());
    context.setParentClassLoader(EmbeddedTomcat.class.getClassLoader());
    context.addWelcomeFile("index.html");
    for (String[] mime :
        new String[][] {
          {"html", "text/html"}, {"css", "text/css"}, {"js", "text/javascript"},
          {"json", "application/json"}, {"png", "image/png"}, {"txt", "text/plain"}
        }) {
      context.addMimeMapping(mime[0], mime[1]);
    }
    Wrapper defaultServlet =
        Tomcat.addServlet(context, "default", "org.apache.catalina.servlets.DefaultServlet");
    defaultServlet.setLoadOnStartup(1); // not async-supported, as in conf/web.xml
    context.addServletMappingDecoded("/", "default");
    Wrapper apiServlet =
        Tomcat.addServlet(context, "ApiLinkServlet", ApiLinkServlet.class.getName());
    apiServlet.setAsyncSupported(true);
    context.addServletMappingDecoded("/api/*", "ApiLinkServlet");

    if (auth == null) {
      addFilter(context, "TestAuth", TestAuthFilter.class.getName(), Map.of(), "/*");
    } else {
      authenticate(context, auth);
    }
    addFilter(
        context,
        "ApiLink",
        ApiLinkFilter.class.getName(),
        initParameters,
        "/api/*",
        "/.auth/.well-known/*");
    synchronized (failures) {
      failures.setLength(0);
    }
    lastContext = context;
    // The host is started: adding the context starts it.
    tomcat.getHost().addChild(context);
    return context.getState() == LifecycleState.STARTED;
  }

  /**
   * A {@code MemoryRealm} read from a tomcat-users.xml file, the login config and the security
   * constraints, as {@code conf/tomcat-users.xml} and {@code web.xml} would set them.
   */
  private void authenticate(StandardContext context, ContainerAuth auth) throws Exception {
    Path users = Files.createTempFile(baseDir, "tomcat-users", ".xml");
    Files.writeString(
        users,
        auth.users().stream()
            .map(
                user ->
                    "  <user username=\""
                        + user.name()
                        + "\" password=\""
                        + user.password()
                        + "\" roles=\""
                        + String.join(",", user.roles())
                        + "\"/>")
            .collect(Collectors.joining("\n", "<tomcat-users>\n", "\n</tomcat-users>\n")));
    MemoryRealm realm = new MemoryRealm();
    realm.setPathname(users.toString());
    context.setRealm(realm);
    context.setLoginConfig(
        new LoginConfig(
            auth.method().name(),
            ContainerAuth.REALM,
            ContainerAuth.LOGIN_PAGE,
            ContainerAuth.ERROR_PAGE));
    context
        .getPipeline()
        .addValve(
            auth.method() == ContainerAuth.Method.BASIC
                ? new BasicAuthenticator()
                : new FormAuthenticator());
    // Credentials sent with any request are checked, not only on constrained paths: /api is
    // not constrained by the container, yet its user matters to ApiLink.
    context.setPreemptiveAuthentication(true);
    for (String pattern : auth.protectedPaths()) {
      SecurityCollection paths = new SecurityCollection();
      paths.addPatternDecoded(pattern);
      SecurityConstraint constraint = new SecurityConstraint();
      constraint.addCollection(paths);
      constraint.addAuthRole(SecurityConstraint.ROLE_ALL_AUTHENTICATED_USERS);
      context.addConstraint(constraint);
    }
  }

  private static void addFilter(
      Context context,
      String name,
      String className,
      Map<String, String> init,
      String... patterns) {
    FilterDef def = new FilterDef();
    def.setFilterName(name);
    def.setFilterClass(className);
    def.setAsyncSupported("true");
    init.forEach(def::addInitParameter);
    context.addFilterDef(def);
    FilterMap map = new FilterMap();
    map.setFilterName(name);
    for (String pattern : patterns) {
      map.addURLPatternDecoded(pattern);
    }
    map.setDispatcher("REQUEST");
    map.setDispatcher("ASYNC");
    context.addFilterMap(map);
  }

  @Override
  public void addServlet(String name, jakarta.servlet.Servlet servlet, String pattern) {
    Wrapper wrapper = Tomcat.addServlet(lastContext, name, servlet);
    wrapper.setAsyncSupported(true);
    lastContext.addServletMappingDecoded(pattern, name);
  }

  @Override
  public jakarta.servlet.ServletContext servletContext() {
    return lastContext.getServletContext();
  }

  @Override
  public int busyThreads() {
    return ((org.apache.tomcat.util.threads.ThreadPoolExecutor)
            connector.getProtocolHandler().getExecutor())
        .getActiveCount();
  }

  /**
   * Caps the request threads at {@code max} from now on ({@code maxThreads}, and {@code
   * minSpareThreads} 1): the threads above it end once idle.
   */
  void maxRequestThreads(int max) {
    connector.setProperty("minSpareThreads", "1");
    connector.setProperty("maxThreads", String.valueOf(max));
  }

  @Override
  public AccessLog accessLog() {
    return accessLog;
  }

  /**
   * Records each request as the {@code AccessLogValve} of {@code server.xml} logs it ({@code %s} is
   * the response's status once Tomcat is done with it).
   */
  private static final class AccessLogRecorder extends org.apache.catalina.valves.ValveBase
      implements org.apache.catalina.AccessLog {
    private final AccessLog accessLog;

    AccessLogRecorder(AccessLog accessLog) {
      super(true);
      this.accessLog = accessLog;
    }

    @Override
    public void invoke(
        org.apache.catalina.connector.Request request,
        org.apache.catalina.connector.Response response)
        throws java.io.IOException, jakarta.servlet.ServletException {
      getNext().invoke(request, response);
    }

    @Override
    public void log(
        org.apache.catalina.connector.Request request,
        org.apache.catalina.connector.Response response,
        long time) {
      String query = request.getQueryString();
      accessLog.record(
          request.getRequestURI() + (query == null ? "" : "?" + query), response.getStatus());
    }

    @Override
    public void setRequestAttributesEnabled(boolean requestAttributesEnabled) {}

    @Override
    public boolean getRequestAttributesEnabled() {
      return false;
    }
  }

  @Override
  public String deploymentFailure() {
    synchronized (failures) {
      return failures.toString();
    }
  }

  /** The host that applications are deployed to, for tests of Tomcat's own valves. */
  org.apache.catalina.Host host() {
    return tomcat.getHost();
  }

  @Override
  public void readTimeout(java.time.Duration timeout) {
    connector.setProperty("connectionTimeout", String.valueOf(timeout.toMillis()));
    // Over HTTP/2 a request body has its own limit (20 s by default), read for each new connection.
    http2.setStreamReadTimeout(timeout.toMillis());
  }

  /** The context of the application deployed last, for tests of Tomcat's own behaviour. */
  StandardContext context() {
    return lastContext;
  }

  @Override
  public void stopAsAShutdownDoes() throws Exception {
    tomcat.stop();
  }

  @Override
  public void stopGracefully(java.time.Duration grace) throws Exception {
    lastContext.setUnloadDelay(grace.toMillis());
    tomcat.stop();
  }

  @Override
  public boolean waitingForRequestsInFlight() {
    // StandardContext.stopInternal() waits for the async requests in flight, up to unloadDelay,
    // before it marks itself STOPPING and stops its servlets and filters.
    return lastContext.getState() == org.apache.catalina.LifecycleState.STOPPING_PREP;
  }

  @Override
  public void undeploy() throws Exception {
    tomcat.getHost().removeChild(lastContext);
  }

  @Override
  public void close() throws Exception {
    Logger.getLogger("org.apache.catalina").removeHandler(failureLog);
    Logger.getLogger("dev.apilink").removeHandler(failureLog);
    if (tomcat != null) {
      tomcat.stop();
      tomcat.destroy();
    }
    if (baseDir != null) {
      // Every test class starts its own Tomcat; without this, each suite run left a few hundred
      // of these directories in the machine's temporary directory.
      try (var files = Files.walk(baseDir)) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
      // Not left naming the deleted directory, which the next Tomcat of this JVM would create
      // again (ApplicationRootServletTest starts its own).
      if (baseDir.toString().equals(System.getProperty("catalina.home"))) {
        System.clearProperty("catalina.home");
      }
      baseDir = null;
    }
  }
}
