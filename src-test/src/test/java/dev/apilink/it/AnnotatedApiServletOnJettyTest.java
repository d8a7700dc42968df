package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.e2e.app.OwnAnnotatedApiServlet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application whose own {@code /api/*} servlet is mapped only by {@code @WebServlet}, deployed
 * in Jetty 12's ee10 distribution with annotations on (the {@code ee10-annotations} module): Jetty
 * gives {@code /api/*} to the web fragment's {@code ApiLinkServlet} and registers the application's
 * servlet with no mapping at all (seen in jetty-home 12.1.12 by listing the context's servlet
 * registrations). This context is set up in that state; while the environment is not linked, {@code
 * /api} must reach the application's servlet, as it does without ApiLink and on Tomcat.
 */
class AnnotatedApiServletOnJettyTest {

  @TempDir static Path webapp;

  static Server server;

  @BeforeAll
  static void start() throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    server =
        ApplicationRootServletTest.startJetty(
            webapp,
            context -> {
              ServletHolder defaultServlet = new ServletHolder("default", DefaultServlet.class);
              defaultServlet.setAsyncSupported(false);
              context.addServlet(defaultServlet, "/");
              // As Jetty's annotation processing leaves it: registered under its class name,
              // unmapped.
              ServletHolder own =
                  new ServletHolder(
                      OwnAnnotatedApiServlet.class.getName(), OwnAnnotatedApiServlet.class);
              own.setAsyncSupported(true);
              context.getServletHandler().addServlet(own);
            });
  }

  @AfterAll
  static void stop() throws Exception {
    server.stop();
  }

  @Test
  void theApplicationsAnnotatedApiServletServesApiWhileItIsNotLinked() throws Exception {
    HttpResponse<String> response = get("/shop/api/orders/7");
    assertEquals(200, response.statusCode());
    assertEquals("own annotated api /shop/api/orders/7", response.body());
    assertEquals(200, get("/shop/index.html").statusCode());
  }

  private static HttpResponse<String> get(String path) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    return client.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ApplicationRootServletTest.port(server) + path))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
