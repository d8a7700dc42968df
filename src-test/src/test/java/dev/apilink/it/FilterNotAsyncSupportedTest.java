package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

/**
 * A filter of the application's on {@code /*} runs before ApiLink's, and a filter is not
 * async-supported unless its registration says so ({@code web.xml}'s default). ApiLink cannot proxy
 * such a request without blocking a container thread: it answers its JSON 500 and logs what to
 * change, and nothing reaches the gateway (README, "Registration" and "Troubleshooting").
 */
class FilterNotAsyncSupportedTest extends FilterBeforeApiLinkSite {

  /**
   * The SEVERE line for a request to {@code /shop/api/orders} (its session id left out) of the site
   * at {@code http://127.0.0.1}.
   */
  static final String NOT_ASYNC_SUPPORTED =
      "ApiLink: the request for http://127.0.0.1/shop/api/orders is not async-supported; register ApiLinkServlet"
          + " on /api/* (see web.xml.example), and every filter before ApiLink, with"
          + " <async-supported>true</async-supported>";

  /** Passes every request on, as many an application's filters do; registered without async. */
  public static final class PassingFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      chain.doFilter(request, response);
    }
  }

  @Test
  void onTomcatARequestThroughAFilterThatIsNotAsyncSupportedIsA500ThatSaysWhatToChange()
      throws Exception {
    try (LogWatch log = new LogWatch();
        ApplicationRootServletTest.RunningTomcat tomcat =
            startTomcatWithAFilterNotAsyncSupported()) {
      assertRefusedAndLogged(tomcat.port(), log);
    }
  }

  /**
   * A session id in the URL ({@code ;jsessionid=...}, as {@code encodeURL()} writes it for a client
   * without cookies) signs its holder in, and the line is SEVERE: kept out of it, as out of the
   * lines of the exchanges that ApiLink does make.
   */
  @Test
  void onTomcatTheLineOfARequestThatIsNotAsyncSupportedNamesNoSessionIdFromTheUrl()
      throws Exception {
    try (LogWatch log = new LogWatch();
        ApplicationRootServletTest.RunningTomcat tomcat =
            startTomcatWithAFilterNotAsyncSupported()) {
      HttpResponse<String> response =
          HttpClient.newHttpClient()
              .sendAsync(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://127.0.0.1:"
                                  + tomcat.port()
                                  + "/shop/api/orders;jsessionid=0123456789ABCDEF0123456789ABCDEF"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .get(10, TimeUnit.SECONDS);

      assertEquals(500, response.statusCode(), response.body());
      assertEquals(List.of(NOT_ASYNC_SUPPORTED), log.all("is not async-supported"));
      assertEquals(List.of(), gateway.received());
    }
  }

  /**
   * A busy site so set up logged one SEVERE line per request: one line, then the others counted in
   * the line that says how many were not logged (here when the site stops), as the gateway's
   * failures are.
   */
  @Test
  void onTomcatTheRequestsThatAreNotAsyncSupportedAreLoggedOnceAndCounted() throws Exception {
    try (LogWatch log = new LogWatch()) {
      try (ApplicationRootServletTest.RunningTomcat tomcat =
          startTomcatWithAFilterNotAsyncSupported()) {
        HttpClient client = HttpClient.newHttpClient();
        for (int i = 0; i < 3; i++) {
          HttpResponse<String> response =
              client
                  .sendAsync(
                      HttpRequest.newBuilder(
                              URI.create("http://127.0.0.1:" + tomcat.port() + "/shop/api/orders"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .get(10, TimeUnit.SECONDS);
          assertEquals(500, response.statusCode(), response.body());
        }
        assertEquals(List.of(NOT_ASYNC_SUPPORTED), log.all("is not async-supported"));
        assertEquals(List.of(), log.all("not logged one by one"));
      }
      List<String> counted = log.warnings("not logged one by one");
      assertEquals(1, counted.size(), counted.toString());
      assertTrue(
          counted
              .get(0)
              .startsWith(
                  "ApiLink: 2 more requests to http://127.0.0.1/shop/api answered 500, not"
                      + " async-supported (gateway "),
          counted.get(0));
    }
  }

  /** Tomcat with an application filter on {@code /*} that is not async-supported before ApiLink. */
  private ApplicationRootServletTest.RunningTomcat startTomcatWithAFilterNotAsyncSupported()
      throws Exception {
    return ApplicationRootServletTest.startTomcat(
        webapp,
        null,
        false,
        context -> {
          // What Tomcat sets for a web.xml filter without <async-supported>: false.
          ApplicationRootServletTest.addFilterBeforeApiLink(
              context, PassingFilter.class, false, false);
          ApplicationRootServletTest.addApiLinkFilter(context, config, false);
        });
  }

  @Test
  void onJettyARequestThroughAFilterThatIsNotAsyncSupportedIsA500ThatSaysWhatToChange()
      throws Exception {
    try (LogWatch log = new LogWatch()) {
      Server server =
          ApplicationRootServletTest.startJetty(
              webapp,
              context -> {
                FilterHolder passing = new FilterHolder(PassingFilter.class);
                passing.setAsyncSupported(false);
                context.addFilter(passing, "/*", EnumSet.of(DispatcherType.REQUEST));
                ApplicationRootServletTest.addApiLinkFilter(context, config);
              });
      try {
        assertRefusedAndLogged(ApplicationRootServletTest.port(server), log);
      } finally {
        server.stop();
      }
    }
  }

  private static void assertRefusedAndLogged(int port, LogWatch log) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/shop/api/orders"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .get(10, TimeUnit.SECONDS);

    assertEquals(500, response.statusCode(), response.body());
    assertEquals(
        "{\"statusCode\": 500, \"message\": \"Internal server error: the site is not set up to"
            + " forward this request to the API gateway.\"}",
        response.body());
    assertEquals(
        "application/json;charset=utf-8",
        response.headers().firstValue("Content-Type").orElse(null));
    assertEquals(List.of(NOT_ASYNC_SUPPORTED), log.all("is not async-supported"));
    assertEquals(List.of(), gateway.received());
    // Counted, where a site that answers every /api request so shows it (it looked idle).
    MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
    ObjectName bean = Counted.siteBean();
    assertEquals(1L, jmx.getAttribute(bean, "AnsweredOtherErrors"));
  }
}
