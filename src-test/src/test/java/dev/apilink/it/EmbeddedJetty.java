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
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Jetty 12 (ee10) with ApiLink registered programmatically. */
final class EmbeddedJetty implements ServletContainer {

  private Server server;
  private ServerConnector connector;
  private ContextHandlerCollection contexts;
  private ServletContextHandler lastContext;
  private String failure = "";

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
    connector = new ServerConnector(server, new HttpConnectionFactory(config));
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    contexts = new ContextHandlerCollection();
    server.setHandler(contexts);
    server.start();
  }

  @Override
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public boolean deploy(Path webappDir, String contextPath, Map<String, String> initParameters)
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

    FilterHolder auth = new FilterHolder(TestAuthFilter.class);
    auth.setAsyncSupported(true);
    context.addFilter(auth, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
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

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      text.append(t).append('\n');
    }
    return text.toString();
  }

  @Override
  public jakarta.servlet.ServletContext servletContext() {
    return lastContext.getServletContext();
  }

  @Override
  public int busyThreads() {
    return ((QueuedThreadPool) server.getThreadPool()).getUtilizedThreads();
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
