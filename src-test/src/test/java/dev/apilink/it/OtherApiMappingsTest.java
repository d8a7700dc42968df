package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.it.ApplicationRootServletTest.RunningTomcat;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.ApplicationPath;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.apache.catalina.Wrapper;
import org.apache.catalina.startup.Tomcat;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.servlet.ServletMapping;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application whose own servlet serves {@code /api} by a mapping other than {@code /api/*} or
 * {@code /}, with ApiLink's web fragment active: {@code ApiLinkServlet}'s {@code /api/*} wins over
 * {@code /*} and over an extension such as {@code *.jsp}, and takes {@code /api/*} from a servlet
 * that an initializer registers later. While the environment is not linked, {@code /api} must still
 * reach the servlet that serves it without ApiLink, told its paths as its own mapping tells them.
 *
 * <p>Found by review Z on Tomcat 11.0.24: a Jersey 3.1.12 WAR whose {@code ServletContainer} is
 * mapped to {@code /*} in {@code web.xml}, or registered by Jersey's initializer for an {@code
 * Application} annotated {@code @ApplicationPath("/api")} (Jersey logs "Mapping conflict" and
 * leaves its servlet unmapped), answered every {@code /api} resource with Tomcat's 404 page; and a
 * JSP under {@code /api} was served by the default servlet as its source.
 */
class OtherApiMappingsTest {

  @TempDir Path webapp;

  /** Tells which servlet answered, and the paths and mapping it was told. */
  public static final class AppServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      HttpServletMapping mapping = request.getHttpServletMapping();
      response.setContentType("text/plain;charset=utf-8");
      response
          .getWriter()
          .print(
              getServletName()
                  + " "
                  + request.getRequestURI()
                  + " servletPath="
                  + request.getServletPath()
                  + " pathInfo="
                  + request.getPathInfo()
                  + " match="
                  + mapping.getMappingMatch()
                  + " "
                  + mapping.getPattern()
                  + " "
                  + mapping.getMatchValue());
    }
  }

  /**
   * A JAX-RS application class as Jersey's and RESTEasy's initializers find it: they register a
   * servlet named after it for its path, {@code /api/*}, which the fragment has already taken.
   */
  @ApplicationPath("/api")
  public static final class ShopApplication {}

  /** The same path written relative, with a trailing slash, as JAX-RS allows. */
  @ApplicationPath("api/")
  public static final class RelativePathApplication {}

  /** The same path written as the servlet pattern itself. */
  @ApplicationPath("/api/*")
  public static final class PatternPathApplication {}

  @Test
  void onTomcatAServletMappedToEverythingServesApiWhileItIsNotLinked() throws Exception {
    try (RunningTomcat tomcat = startTomcat(context -> addTomcatServlet(context, "jaxrs", "/*"))) {
      assertServedByTheServletForEverything(tomcat.port());
    }
  }

  @Test
  void onJettyAServletMappedToEverythingServesApiWhileItIsNotLinked() throws Exception {
    Server server = startJetty(context -> addJettyServlet(context, "jaxrs", "/*"));
    try {
      assertServedByTheServletForEverything(ApplicationRootServletTest.port(server));
    } finally {
      server.stop();
    }
  }

  private static void assertServedByTheServletForEverything(int port) throws Exception {
    assertAnswered(
        port,
        "/shop/api/orders/7",
        "jaxrs /shop/api/orders/7 servletPath= pathInfo=/api/orders/7 match=PATH /* api/orders/7");
    assertAnswered(
        port,
        "/shop/orders/7",
        "jaxrs /shop/orders/7 servletPath= pathInfo=/orders/7 match=PATH /* orders/7");
  }

  /**
   * A JSP under {@code /api} is compiled and run by the servlet for {@code *.jsp} (here a stand-in
   * for Jasper, mapped as the containers' default descriptors map it), not served as its source.
   */
  @Test
  void onTomcatAJspUnderApiIsRunWhileItIsNotLinked() throws Exception {
    writeJsp();
    try (RunningTomcat tomcat = startTomcat(context -> addTomcatServlet(context, "jsp", "*.jsp"))) {
      assertRunAsAJsp(tomcat.port());
    }
  }

  @Test
  void onJettyAJspUnderApiIsRunWhileItIsNotLinked() throws Exception {
    writeJsp();
    Server server = startJetty(context -> addJettyServlet(context, "jsp", "*.jsp"));
    try {
      assertRunAsAJsp(ApplicationRootServletTest.port(server));
    } finally {
      server.stop();
    }
  }

  private void writeJsp() throws IOException {
    Files.createDirectories(webapp.resolve("api"));
    Files.writeString(webapp.resolve("api/status.jsp"), "<%-- the source --%>");
    Files.writeString(webapp.resolve("status.jsp"), "<%-- the source --%>");
  }

  private static void assertRunAsAJsp(int port) throws Exception {
    assertAnswered(
        port,
        "/shop/api/status.jsp",
        "jsp /shop/api/status.jsp servletPath=/api/status.jsp pathInfo=null match=EXTENSION *.jsp"
            + " api/status");
    assertAnswered(
        port,
        "/shop/status.jsp",
        "jsp /shop/status.jsp servletPath=/status.jsp pathInfo=null match=EXTENSION *.jsp status");
  }

  @Test
  void onTomcatAJaxRsApplicationsServletServesApiWhileItIsNotLinked() throws Exception {
    try (RunningTomcat tomcat =
        startTomcat(context -> addTomcatServlet(context, ShopApplication.class.getName(), null))) {
      assertServedByTheApplicationsServlet(tomcat.port());
    }
  }

  @Test
  void onJettyAJaxRsApplicationsServletServesApiWhileItIsNotLinked() throws Exception {
    Server server =
        startJetty(context -> addJettyServlet(context, ShopApplication.class.getName(), null));
    try {
      assertServedByTheApplicationsServlet(ApplicationRootServletTest.port(server));
    } finally {
      server.stop();
    }
  }

  @Test
  void onTomcatAnApplicationPathWrittenApiSlashOrAsThePatternIsFoundToo() throws Exception {
    for (Class<?> application :
        new Class<?>[] {RelativePathApplication.class, PatternPathApplication.class}) {
      try (RunningTomcat tomcat =
          startTomcat(context -> addTomcatServlet(context, application.getName(), null))) {
        assertServedByTheApplicationsServlet(tomcat.port(), application);
      }
    }
  }

  private static void assertServedByTheApplicationsServlet(int port) throws Exception {
    assertServedByTheApplicationsServlet(port, ShopApplication.class);
  }

  private static void assertServedByTheApplicationsServlet(int port, Class<?> application)
      throws Exception {
    assertAnswered(
        port,
        "/shop/api/orders/7",
        application.getName()
            + " /shop/api/orders/7 servletPath=/api pathInfo=/orders/7 match=PATH /api/* orders/7");
  }

  private RunningTomcat startTomcat(Consumer<org.apache.catalina.Context> servlets)
      throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    return ApplicationRootServletTest.startTomcat(webapp, null, false, servlets);
  }

  /** Adds the application's servlet, as its descriptor or an initializer does; unmapped if null. */
  private static void addTomcatServlet(
      org.apache.catalina.Context context, String name, String pattern) {
    Wrapper servlet = Tomcat.addServlet(context, name, AppServlet.class.getName());
    servlet.setAsyncSupported(true);
    if (pattern != null) {
      context.addServletMappingDecoded(pattern, name);
    }
  }

  /** Jetty with the default servlet on "/" as webdefault-ee10.xml maps it, and {@code servlets}. */
  private Server startJetty(Consumer<ServletContextHandler> servlets) throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    return ApplicationRootServletTest.startJetty(
        webapp,
        context -> {
          ServletHolder defaultServlet = new ServletHolder("default", DefaultServlet.class);
          context.getServletHandler().addServlet(defaultServlet);
          ServletMapping defaultMapping = new ServletMapping();
          defaultMapping.setServletName("default");
          defaultMapping.setPathSpecs(new String[] {"/"});
          defaultMapping.setFromDefaultDescriptor(true);
          context.getServletHandler().addServletMapping(defaultMapping);
          servlets.accept(context);
        });
  }

  private static void addJettyServlet(ServletContextHandler context, String name, String pattern) {
    ServletHolder servlet = new ServletHolder(name, AppServlet.class);
    servlet.setAsyncSupported(true);
    if (pattern == null) {
      context.getServletHandler().addServlet(servlet);
    } else {
      context.addServlet(servlet, pattern);
    }
  }

  private static void assertAnswered(int port, String path, String expected) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString())
            .get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertEquals(200, response.statusCode(), path);
    assertEquals(expected, response.body(), path);
  }
}
