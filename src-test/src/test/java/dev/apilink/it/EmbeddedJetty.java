package dev.apilink.it;

import dev.apilink.ApiLinkFilter;
import dev.apilink.ApiLinkServlet;
import jakarta.servlet.DispatcherType;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.FilterMapping;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.ee10.servlet.security.ConstraintMapping;
import org.eclipse.jetty.ee10.servlet.security.ConstraintSecurityHandler;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.security.Constraint;
import org.eclipse.jetty.security.HashLoginService;
import org.eclipse.jetty.security.UserStore;
import org.eclipse.jetty.security.authentication.BasicAuthenticator;
import org.eclipse.jetty.security.authentication.FormAuthenticator;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.security.Credential;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Jetty 12 (ee10) with ApiLink registered programmatically. */
final class EmbeddedJetty implements ServletContainer {

  private Server server;
  private ServerConnector connector;
  private ContextHandlerCollection contexts;
  private GracefulHandler graceful;
  private final boolean gracefulStops;

  EmbeddedJetty() {
    this(false);
  }

  /**
   * @param gracefulStops whether requests pass through a {@code GracefulHandler}, for {@link
   *     #stopGracefully}
   */
  EmbeddedJetty(boolean gracefulStops) {
    this.gracefulStops = gracefulStops;
  }

  private ServletContextHandler lastContext;
  private String failure = "";
  private final AccessLog accessLog = new AccessLog();

  @Override
  public void start() throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool(200, 8);
    threads.setName("jetty-container");
    server = new Server(threads);
    HttpConfiguration config = new HttpConfiguration();
    // As the README tells operators: %2F and %25 in paths must be let through to be forwarded.
    config.setUriCompliance(
        UriCompliance.DEFAULT.with(
            "apilink",
            UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
            UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING));
    config.setSendServerVersion(false);
    // HTTP/1.1, and HTTP/2 without TLS for a client that starts with its preface (h2c).
    connector =
        new ServerConnector(
            server, new HttpConnectionFactory(config), new HTTP2CServerConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    // Room for LoadContract's thousand connections opened at once (see EmbeddedTomcat).
    connector.setAcceptQueueSize(4096);
    server.addConnector(connector);
    contexts = new ContextHandlerCollection();
    if (gracefulStops) {
      // As jetty-home's graceful module: a graceful stop waits for the requests it counts.
      graceful = new GracefulHandler(contexts);
      server.setHandler(graceful);
    } else {
      server.setHandler(contexts);
    }
    // As the requestlog module's CustomRequestLog logs it (%s).
    server.setRequestLog(
        (request, response) ->
            accessLog.record(request.getHttpURI().getPathQuery(), response.getStatus()));
    server.start();
  }

  @Override
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public boolean deploy(
      Path webappDir, String contextPath, Map<String, String> initParameters, ContainerAuth auth)
      throws Exception {
    ServletContextHandler context =
        new ServletContextHandler(contextPath.isEmpty() ? "/" : contextPath);
    context.setBaseResourceAsPath(webappDir);
    // As a deployed WAR (WebAppContext) has them; a bare ServletContextHandler serves WEB-INF.
    context.setProtectedTargets(new String[] {"/WEB-INF", "/META-INF"});
    context.setWelcomeFiles(new String[] {"index.html"});
    context.getServletHandler().setDecodeAmbiguousURIs(true);

    ServletHolder defaultServlet = new ServletHolder("default", DefaultServlet.class);
    defaultServlet.setAsyncSupported(false); // as in jetty-home's webdefault
    context.addServlet(defaultServlet, "/");
    ServletHolder apiServlet = new ServletHolder("ApiLinkServlet", ApiLinkServlet.class);
    apiServlet.setAsyncSupported(true);
    context.addServlet(apiServlet, "/api/*");

    if (auth == null) {
      FilterHolder testAuth = new FilterHolder(TestAuthFilter.class);
      testAuth.setAsyncSupported(true);
      context.addFilter(testAuth, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    } else {
      context.setSessionHandler(new SessionHandler());
      context.setSecurityHandler(security(auth));
    }
    FilterHolder apiLink = new FilterHolder(ApiLinkFilter.class);
    apiLink.setName("ApiLink");
    apiLink.setAsyncSupported(true);
    apiLink.setInitParameters(initParameters);
    context.getServletHandler().addFilter(apiLink);
    FilterMapping mapping = new FilterMapping();
    mapping.setFilterName("ApiLink");
    mapping.setPathSpecs(new String[] {"/api/*", "/.auth/.well-known/*"});
    mapping.setDispatcherTypes(EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
    context.getServletHandler().addFilterMapping(mapping);

    contexts.addHandler(context);
    lastContext = context;
    try {
      context.start();
    } catch (Exception e) {
      failure = describe(e);
      return false;
    }
    if (context.isFailed() || !context.isAvailable()) {
      failure = "the context is unavailable";
      return false;
    }
    return true;
  }

  /**
   * A {@code HashLoginService} over a {@code UserStore}, the authenticator and the constraints, as
   * a Jetty base's realm properties and {@code web.xml} would set them.
   */
  private static ConstraintSecurityHandler security(ContainerAuth auth) {
    UserStore users = new UserStore();
    for (ContainerAuth.User user : auth.users()) {
      users.addUser(
          user.name(),
          Credential.getCredential(user.password()),
          user.roles().toArray(String[]::new));
    }
    HashLoginService realm = new HashLoginService(ContainerAuth.REALM);
    realm.setUserStore(users);
    ConstraintSecurityHandler security = new ConstraintSecurityHandler();
    security.setLoginService(realm);
    security.setRealmName(ContainerAuth.REALM);
    security.setAuthenticator(
        auth.method() == ContainerAuth.Method.BASIC
            ? new BasicAuthenticator()
            : new FormAuthenticator(ContainerAuth.LOGIN_PAGE, ContainerAuth.ERROR_PAGE, false));
    for (String pattern : auth.protectedPaths()) {
      ConstraintMapping mapping = new ConstraintMapping();
      mapping.setPathSpec(pattern);
      mapping.setConstraint(Constraint.ANY_USER);
      security.addConstraintMapping(mapping);
    }
    return security;
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      text.append(t).append('\n');
    }
    return text.toString();
  }

  @Override
  public void addServlet(String name, jakarta.servlet.Servlet servlet, String pattern) {
    ServletHolder holder = new ServletHolder(name, servlet);
    holder.setAsyncSupported(true);
    lastContext.addServlet(holder, pattern);
  }

  @Override
  public jakarta.servlet.ServletContext servletContext() {
    return lastContext.getServletContext();
  }

  @Override
  public void stopAsAShutdownDoes() throws Exception {
    server.stop();
    for (org.eclipse.jetty.server.Handler context : contexts.getHandlers()) {
      context.stop(); // not the server's managed beans (see close())
    }
  }

  @Override
  public void stopGracefully(java.time.Duration grace) throws Exception {
    if (graceful == null) {
      throw new IllegalStateException(
          "started without graceful stops (Kind.createForGracefulStops)");
    }
    server.setStopTimeout(grace.toMillis());
    try {
      server.stop();
    } catch (java.util.concurrent.TimeoutException e) {
      // Requests still in flight when the grace period ended: Jetty stops all the same.
    }
    for (org.eclipse.jetty.server.Handler context : contexts.getHandlers()) {
      context.stop(); // not the server's managed beans (see close())
    }
  }

  @Override
  public boolean waitingForRequestsInFlight() {
    return graceful != null && graceful.isShutdown() && lastContext.isRunning();
  }

  @Override
  public void undeploy() throws Exception {
    lastContext.stop();
  }

  @Override
  public void readTimeout(java.time.Duration timeout) {
    connector.setIdleTimeout(timeout.toMillis());
  }

  @Override
  public int busyThreads() {
    return ((QueuedThreadPool) server.getThreadPool()).getUtilizedThreads();
  }

  @Override
  public AccessLog accessLog() {
    return accessLog;
  }

  @Override
  public String deploymentFailure() {
    return failure;
  }

  @Override
  public void close() throws Exception {
    if (server != null) {
      // Contexts added to a started server are not its managed beans: server.stop() leaves them
      // running (and ApiLink's filter undestroyed, with its client threads and file watcher).
      for (org.eclipse.jetty.server.Handler context : contexts.getHandlers()) {
        context.stop();
      }
      server.stop();
    }
  }
}
