package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.servlet.FilterConfig;
import jakarta.servlet.FilterRegistration;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ApiLink in a Jakarta Servlet 5.0 container: Tomcat 10.0, Jetty 11, Jetty 12's ee9 environment.
 * Their Servlet API has the same package as 6.0, so the container loaded and started ApiLink, which
 * logged "ApiLink started" and proxied {@code /api}; but on Jetty 11.0.26 and Jetty 12.1.12 (ee9)
 * every gateway answer without {@code Content-Length} (a chunked download, server-sent events)
 * reached the client as an empty {@code 200} with {@code Content-Length: 0}, a whole-looking answer
 * (found by review: the request there has no servlet context outside the container's threads).
 * Tomcat 10.0.27 logged only its own {@code Unknown version string [6.0]}.
 */
class OlderServletContainerTest {

  /**
   * A filter configuration with no init-params, in a web application with no files, in a container
   * of that Servlet version; the context's methods called are added to {@code asked}.
   */
  static FilterConfig inContainer(String serverInfo, int major, int minor, List<String> asked) {
    ServletContext context =
        (ServletContext)
            Proxy.newProxyInstance(
                ServletContext.class.getClassLoader(),
                new Class<?>[] {ServletContext.class},
                (proxy, method, args) -> {
                  asked.add(method.getName());
                  return switch (method.getName()) {
                    case "getMajorVersion" -> major;
                    case "getMinorVersion" -> minor;
                    case "getServerInfo" -> serverInfo;
                    case "getContextPath" -> "/shop";
                    // As a container lists them: ApiLink registered once, under the name below.
                    case "getFilterRegistrations" -> Map.of("ApiLink", registration("ApiLink"));
                    default -> null;
                  };
                });
    return (FilterConfig)
        Proxy.newProxyInstance(
            FilterConfig.class.getClassLoader(),
            new Class<?>[] {FilterConfig.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getServletContext" -> context;
                  case "getFilterName" -> "ApiLink";
                  default -> null;
                });
  }

  /** A registration of ApiLink's filter under {@code name}. */
  private static FilterRegistration registration(String name) {
    return (FilterRegistration)
        Proxy.newProxyInstance(
            FilterRegistration.class.getClassLoader(),
            new Class<?>[] {FilterRegistration.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getName" -> name;
                  case "getClassName" -> "dev.apilink.ApiLinkFilter";
                  default -> null;
                });
  }

  @Test
  void theFilterRefusesToStartInAServlet5ContainerSayingWhatItNeedsAndWhatItFound() {
    List<String> asked = new ArrayList<>();
    ApiLinkFilter filter = new ApiLinkFilter();

    ServletException e =
        assertThrows(
            ServletException.class, () -> filter.init(inContainer("jetty/11.0.26", 5, 0, asked)));

    assertEquals(
        "ApiLink cannot start: it needs a Jakarta Servlet 6.0 container or newer (Tomcat 10.1 or"
            + " 11, Jetty 12 with ee10 or ee11), and this one, jetty/11.0.26, implements Servlet"
            + " 5.0",
        e.getMessage());
  }

  @Test
  void theRefusalComesBeforeTheConfigurationIsRead() {
    List<String> asked = new ArrayList<>();
    ApiLinkFilter filter = new ApiLinkFilter();

    assertThrows(
        ServletException.class,
        () -> filter.init(inContainer("Apache Tomcat/10.0.27", 5, 0, asked)));

    // Neither the web application's files (apilink.json, the key file) nor the monitoring
    // attribute: a refused filter leaves nothing behind.
    assertEquals(
        List.of(),
        asked.stream()
            .filter(name -> name.startsWith("getResource") || name.equals("getRealPath"))
            .toList());
    assertFalse(asked.contains("setAttribute"));
  }
}
