package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.ApiLinkFilter;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;

/**
 * A filter before ApiLink that holds a request and resumes it later by an async dispatch, as
 * Jetty's {@code QoSFilter} does: ApiLink first sees an {@code /api} request in that dispatch, and
 * proxies it, while it leaves to the application an async dispatch that the application makes to
 * {@code /api} from another path (ProxyContract).
 */
class ResumingFilterTest extends FilterBeforeApiLinkSite {

  /** Holds every request and resumes it by an async dispatch to its own path. */
  public static final class ResumingFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      if (request.getDispatcherType() == DispatcherType.REQUEST) {
        AsyncContext held = request.startAsync();
        held.start(held::dispatch);
        return;
      }
      chain.doFilter(request, response);
    }
  }

  @Test
  void onTomcatAnApiRequestThatAFilterBeforeApiLinkResumesByAnAsyncDispatchIsProxied()
      throws Exception {
    try (ApplicationRootServletTest.RunningTomcat tomcat =
        ApplicationRootServletTest.startTomcat(
            webapp,
            null,
            false,
            context -> {
              ApplicationRootServletTest.addFilterBeforeApiLink(
                  context, ResumingFilter.class, true, true);
              ApplicationRootServletTest.addApiLinkFilter(context, config, true);
            })) {
      assertProxied(tomcat.port());
    }
  }

  @Test
  void onJettyAnApiRequestThatAFilterBeforeApiLinkResumesByAnAsyncDispatchIsProxied()
      throws Exception {
    Server server =
        ApplicationRootServletTest.startJetty(
            webapp,
            context -> {
              FilterHolder resuming = new FilterHolder(ResumingFilter.class);
              resuming.setAsyncSupported(true);
              context.addFilter(
                  resuming, "/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
              FilterHolder apiLink = new FilterHolder(ApiLinkFilter.class);
              apiLink.setName("ApiLink");
              apiLink.setAsyncSupported(true);
              apiLink.setInitParameter("config", config.toString());
              context.addFilter(
                  apiLink, "/api/*", EnumSet.of(DispatcherType.REQUEST, DispatcherType.ASYNC));
            });
    try {
      assertProxied(ApplicationRootServletTest.port(server));
    } finally {
      server.stop();
    }
  }

  private static void assertProxied(int port) throws Exception {
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/shop/api/orders"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .get(10, TimeUnit.SECONDS);

    assertEquals(200, response.statusCode(), response.body());
    assertEquals(1, gateway.received().size(), "requests that reached the gateway");
    assertEquals("/api/orders", gateway.received().get(0).rawPath());
  }
}
