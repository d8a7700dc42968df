package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.apilink.ApiLinkFilter;
import dev.apilink.ApiLinkServlet;
import dev.apilink.e2e.app.BufferingFilter;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.ServletResponseWrapper;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.function.Consumer;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.eclipse.jetty.ee10.servlet.DefaultServlet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.servlet.ServletMapping;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An application whose own servlet is mapped to {@code /} in place of the container's default
 * servlet, as Spring MVC's {@code DispatcherServlet} is (a {@code @RestController} under {@code
 * /api} included), with ApiLink's web fragment active. The fragment maps {@code ApiLinkServlet} to
 * {@code /api/*}, which wins over {@code /}: while the environment is not linked, {@code /api} must
 * still reach the application's servlet, as it does without ApiLink (a reviewer's Spring
 * application answered 404 there, its requests handed to the container's default servlet).
 */
class ApplicationRootServletTest {

  @TempDir Path webapp;

  /** What a {@code /}-mapped servlet such as {@code DispatcherServlet} reads to route a request. */
  public static final class RootServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
        throws IOException, ServletException {
      Object included = request.getAttribute(RequestDispatcher.INCLUDE_REQUEST_URI);
      if (included != null) {
        response
            .getWriter()
            .print(
                "included "
                    + request.getAttribute(RequestDispatcher.INCLUDE_SERVLET_PATH)
                    + " "
                    + request.getAttribute(RequestDispatcher.INCLUDE_PATH_INFO)
                    + " "
                    + ((HttpServletMapping) request.getAttribute(RequestDispatcher.INCLUDE_MAPPING))
                        .getMappingMatch());
        return;
      }
      if (request.getRequestURI().endsWith("/including")) {
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().print("page;");
        request.getRequestDispatcher("/api/orders/included").include(request, response);
        response.getWriter().print(";end");
        return;
      }
      if (request.getRequestURI().endsWith("/missing")) {
        response.sendError(HttpServletResponse.SC_NOT_FOUND);
        return;
      }
      if (request.getRequestURI().endsWith("/later")) {
        answerLater(request, response);
        return;
      }
      if (request.getRequestURI().endsWith("/too-late-for-an-error")) {
        response.setContentType("text/plain;charset=utf-8");
        response.flushBuffer();
        try {
          response.sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        } catch (IllegalStateException e) {
          response.getWriter().print("committed already: " + e.getClass().getSimpleName());
        }
        return;
      }
      if (request.getRequestURI().endsWith("/later-wrapped")) {
        answerLater(request, new HttpServletResponseWrapper(response));
        return;
      }
      if (request.getRequestURI().endsWith("/streamed")) {
        answerStreamed(request, response);
        return;
      }
      if (request.getRequestURI().endsWith("/forwarding")) {
        request.getRequestDispatcher("/orders/7").forward(request, response);
        return;
      }
      if (request.getRequestURI().endsWith("/dispatching")) {
        AsyncContext async = request.startAsync(request, response);
        async.start(() -> async.dispatch("/orders/8"));
        return;
      }
      response.setContentType("text/plain;charset=utf-8");
      response
          .getWriter()
          .print(
              "app root "
                  + request.getRequestURI()
                  + " servletPath="
                  + request.getServletPath()
                  + " pathInfo="
                  + request.getPathInfo()
                  + " match="
                  + request.getHttpServletMapping().getMappingMatch());
    }

    /**
     * As {@code DispatcherServlet} answers a {@code Callable} or {@code DeferredResult}: it starts
     * async mode with the request and response it was given (or a wrapper of its own around that
     * response), dispatches the request again once the result is there, and writes the result in
     * that second dispatch.
     */
    private static void answerLater(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      Object result = request.getAttribute("result");
      if (result != null) {
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().print(result);
        return;
      }
      AsyncContext async = request.startAsync(request, response);
      async.start(
          () -> {
            request.setAttribute("result", "answered later");
            async.dispatch();
          });
    }

    /**
     * As {@code DispatcherServlet} answers a {@code StreamingResponseBody} or an {@code
     * SseEmitter}: in async mode, another thread writes the answer, past the response's buffer, and
     * then dispatches the request again; the servlet finishes it in that second dispatch (here it
     * writes the answer's last word, which shows that it was reached).
     */
    private static void answerStreamed(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      if (request.getAttribute("streamed") != null) {
        response.getOutputStream().print("end");
        return;
      }
      AsyncContext async = request.startAsync(request, response);
      async.start(
          () -> {
            try {
              response.setContentType("text/plain");
              response.getOutputStream().print(STREAMED);
              response.flushBuffer();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
            request.setAttribute("streamed", true);
            async.dispatch();
          });
    }
  }

  /** What {@link RootServlet} streams: more than a response buffer holds. */
  static final String STREAMED = "x".repeat(64 * 1024);

  /**
   * What Spring's {@code ShallowEtagHeaderFilter} does with a request that goes async: it buffers
   * the answer in a wrapper of its own, and in the async dispatch that follows finds that wrapper
   * again among the wrappers of the response it is given ({@code WebUtils.getNativeResponse}), or
   * fails with "ContentCachingResponseWrapper not found"; once the chain returns and the request is
   * not async, it copies the buffer to the response.
   */
  public static final class AsyncBufferingFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      HttpServletResponse chainResponse =
          request.getDispatcherType() == DispatcherType.ASYNC
              ? response
              : new BufferingFilter.Buffered(response);
      chain.doFilter(request, chainResponse);
      if (request.isAsyncStarted()) {
        return;
      }
      ServletResponse inner = chainResponse;
      while (!(inner instanceof BufferingFilter.Buffered)
          && inner instanceof ServletResponseWrapper wrapper) {
        inner = wrapper.getResponse();
      }
      if (!(inner instanceof BufferingFilter.Buffered buffered)) {
        throw new IllegalStateException("ContentCachingResponseWrapper not found");
      }
      buffered.copyOut();
    }
  }

  @Test
  void onTomcatTheApplicationsRootServletServesApiWhileItIsNotLinked() throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    try (RunningTomcat tomcat = startTomcat(webapp, null, true)) {
      assertServedByTheRootServlet(tomcat.port());
    }
  }

  @Test
  void onJettyTheApplicationsRootServletServesApiWhileItIsNotLinked() throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    Server server =
        startJetty(
            webapp,
            context -> {
              // As webdefault-ee10.xml maps it: "/" from the default descriptor, which the
              // application's own "/" overrides.
              ServletHolder defaultServlet = new ServletHolder("default", DefaultServlet.class);
              context.getServletHandler().addServlet(defaultServlet);
              ServletMapping defaultMapping = new ServletMapping();
              defaultMapping.setServletName("default");
              defaultMapping.setPathSpecs(new String[] {"/"});
              defaultMapping.setFromDefaultDescriptor(true);
              context.getServletHandler().addServletMapping(defaultMapping);
              addRootServlet(context);
            });
    try {
      assertServedByTheRootServlet(port(server));
    } finally {
      server.stop();
    }
  }

  /**
   * What Spring Boot's {@code ErrorPageFilter} does in a WAR ({@code SpringBootServletInitializer}
   * maps it to {@code /*}): it wraps the response and holds back an error that the application
   * sends, and sends its error page once the chain returns, unless the response was committed by
   * then; asked for the response's writer or stream, or to flush, it sends the held error first.
   */
  public static final class ErrorPageFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      HeldError held = new HeldError(response);
      chain.doFilter(request, held);
      if (held.status != 0 && !response.isCommitted()) {
        response.setStatus(held.status);
        response.setContentType("text/plain;charset=utf-8");
        response.getWriter().print("error page " + held.status);
      }
    }
  }

  private static final class HeldError extends HttpServletResponseWrapper {
    private int status;

    HeldError(HttpServletResponse response) {
      super(response);
    }

    @Override
    public void sendError(int status) {
      this.status = status;
    }

    @Override
    public void sendError(int status, String message) {
      this.status = status;
    }

    @Override
    public int getStatus() {
      return status != 0 ? status : super.getStatus();
    }

    private void sendHeldError() throws IOException {
      if (status != 0 && !isCommitted()) {
        ((HttpServletResponse) getResponse()).sendError(status);
      }
    }

    @Override
    public PrintWriter getWriter() throws IOException {
      sendHeldError();
      return super.getWriter();
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
      sendHeldError();
      return super.getOutputStream();
    }

    @Override
    public void flushBuffer() throws IOException {
      sendHeldError();
      super.flushBuffer();
    }
  }

  @Test
  void onTomcatTheRootServletsAnswerReachesTheClientThroughABufferingFilter() throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    try (RunningTomcat tomcat = startTomcat(webapp, BufferingFilter.class, true)) {
      assertServedByTheRootServlet(tomcat.port());
    }
  }

  /**
   * The same for the container's default servlet, to which {@code ApiLinkServlet} hands a static
   * file under {@code /api} (before: the response announced the file's length and sent no byte, and
   * the client waited until Tomcat closed the connection).
   */
  @Test
  void onTomcatAStaticFileUnderApiReachesTheClientThroughABufferingFilter() throws Exception {
    Files.createDirectories(webapp.resolve("api"));
    Files.writeString(webapp.resolve("api/notes.txt"), "static notes");
    try (RunningTomcat tomcat = startTomcat(webapp, BufferingFilter.class, false)) {
      HttpResponse<String> file = get(tomcat.port(), "/shop/api/notes.txt");
      assertEquals(200, file.statusCode());
      assertEquals("static notes", file.body());
    }
  }

  /**
   * A context that checks what a forward is given ({@code dispatcherWrapsSameObject}, as with
   * {@code STRICT_SERVLET_COMPLIANCE}) refused the plain object with which {@code ApiLinkServlet}
   * hands the response on (500, "not passed to RequestDispatcher in violation of SRV.8.2"); there
   * it forwards the filter's own wrapper, and with the suspension off the answer gets through.
   */
  @Test
  void onTomcatCheckingWhatIsForwardedTheRootServletsAnswerReachesTheClientThroughAFilter()
      throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    try (RunningTomcat tomcat =
        startTomcat(
            webapp,
            BufferingFilter.class,
            true,
            context -> {
              context.setDispatcherWrapsSameObject(true);
              context.setSuspendWrappedResponseAfterForward(false);
            })) {
      assertServedByTheRootServlet(tomcat.port());
    }
  }

  @Test
  void onJettyTheRootServletsAnswerReachesTheClientThroughABufferingFilter() throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    Server server = startJettyWithRootServletBehind(BufferingFilter.class);
    try {
      assertServedByTheRootServlet(port(server));
    } finally {
      server.stop();
    }
  }

  /**
   * The root servlet's answer to a request it finishes asynchronously, as Spring MVC's to a
   * controller returning a {@code Callable} or a {@code DeferredResult}, reaches the client through
   * a filter that finds its own wrapper again in the async dispatch. Before, {@code ApiLinkServlet}
   * handed the root servlet, on Tomcat 11 as on 10.1, a response behind an object of its own, which
   * the servlet gave to {@code startAsync} and which the async dispatch then carried through the
   * filters: the filter no longer found its wrapper (a reviewer's Spring Boot 4.0.7 WAR behind
   * {@code ShallowEtagHeaderFilter} answered such controllers under {@code /api} with an empty 500,
   * logging "ContentCachingResponseWrapper not found", on Tomcat 11.0.24 and 10.1.59 alike).
   */
  @Test
  void onTomcatAnAnswerGivenLaterReachesTheClientThroughAFilterThatFindsItsWrapperAgain()
      throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, AsyncBufferingFilter.class, true)) {
      assertAnsweredLater(tomcat.port());
    }
  }

  /** The same where Tomcat closes a wrapped response after a forward, as 10.1 does by default. */
  @Test
  void onTomcatNotSuspendingAnAnswerGivenLaterReachesTheClientThroughAFilterThatFindsItsWrapper()
      throws Exception {
    try (RunningTomcat tomcat =
        startTomcat(
            webapp,
            AsyncBufferingFilter.class,
            true,
            context -> context.setSuspendWrappedResponseAfterForward(false))) {
      assertAnsweredLater(tomcat.port());
    }
  }

  /**
   * The same where the servlet gives {@code startAsync} a wrapper of its own around the response it
   * was given: that wrapper, not the object ApiLink forwarded with, is what the async dispatch
   * carries through the filters, so it is the wrapper that must be set to wrap the response itself.
   */
  @Test
  void onTomcatAnAnswerGivenLaterInTheServletsOwnWrapperReachesTheClientThroughAFilter()
      throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, AsyncBufferingFilter.class, true)) {
      HttpResponse<String> api = get(tomcat.port(), "/shop/api/orders/later-wrapped");
      assertEquals(200, api.statusCode());
      assertEquals("answered later", api.body());
    }
  }

  /**
   * What the container throws at the root servlet reaches it as itself where ApiLink forwards the
   * response behind an object of its own (Tomcat, under a filter's wrapper): a servlet that catches
   * {@code IllegalStateException} for an error too late to send still catches it.
   */
  @Test
  void onTomcatTheRootServletCatchesWhatTheContainerThrowsAtItBehindAFilter() throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, AsyncBufferingFilter.class, true)) {
      HttpResponse<String> api = get(tomcat.port(), "/shop/api/orders/too-late-for-an-error");
      assertEquals(200, api.statusCode());
      assertEquals("committed already: IllegalStateException", api.body());
    }
  }

  private static void assertAnsweredLater(int port) throws Exception {
    HttpResponse<String> page = get(port, "/shop/orders/later");
    assertEquals(200, page.statusCode());
    assertEquals("answered later", page.body());
    HttpResponse<String> api = get(port, "/shop/api/orders/later");
    assertEquals(200, api.statusCode());
    assertEquals("answered later", api.body());
  }

  /**
   * An answer that the root servlet streams in async mode reaches the client whole, and the servlet
   * is given the async dispatch that ends it. Before, that dispatch came back to {@code
   * ApiLinkServlet}, whose forward of a committed response failed ("Cannot forward after response
   * has been committed"; Jetty: "Committed"): a reviewer's Spring Boot WAR logged an ERROR with the
   * stack trace, from Boot's {@code ErrorPageFilter}, for every {@code SseEmitter} and {@code
   * StreamingResponseBody} answer under {@code /api} on Tomcat 11.0.24 and 10.1.59 and Jetty
   * 12.1.12.
   */
  @Test
  void onTomcatTheRootServletEndsAnAnswerItStreamedInAsyncMode() throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, null, true)) {
      assertStreamedAndEnded(tomcat.port());
    }
  }

  @Test
  void onJettyTheRootServletEndsAnAnswerItStreamedInAsyncMode() throws Exception {
    Server server = startJetty(webapp, ApplicationRootServletTest::addRootServlet);
    try {
      assertStreamedAndEnded(port(server));
    } finally {
      server.stop();
    }
  }

  private static void assertStreamedAndEnded(int port) throws Exception {
    HttpResponse<String> page = get(port, "/shop/orders/streamed");
    assertEquals(200, page.statusCode());
    assertEquals(STREAMED + "end", page.body());
    HttpResponse<String> api = get(port, "/shop/api/orders/streamed");
    assertEquals(200, api.statusCode());
    assertEquals(STREAMED + "end", api.body());
  }

  @Test
  void onTomcatAnErrorOfTheRootServletKeepsItsStatusThroughSpringBootsErrorPageFilter()
      throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    try (RunningTomcat tomcat = startTomcat(webapp, ErrorPageFilter.class, true)) {
      assertErrorsOfTheRootServletKeepTheirStatus(tomcat.port());
    }
  }

  @Test
  void onJettyAnErrorOfTheRootServletKeepsItsStatusThroughSpringBootsErrorPageFilter()
      throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    Server server = startJettyWithRootServletBehind(ErrorPageFilter.class);
    try {
      assertErrorsOfTheRootServletKeepTheirStatus(port(server));
    } finally {
      server.stop();
    }
  }

  /**
   * The root servlet's 404 reaches the client with its status, for {@code /api} (through {@code
   * ApiLinkServlet}) as for any other path, though the page for {@code /api} is the container's
   * rather than the filter's: the forward closes the response's writer, which sends the held error
   * (a reviewer's Spring Boot WAR on Tomcat 11.0.24, with its default setting, answered 200 with an
   * empty body for every error of its controllers under {@code /api}; on Jetty 12.1.12 the status
   * came with Jetty's page).
   */
  private static void assertErrorsOfTheRootServletKeepTheirStatus(int port) throws Exception {
    HttpResponse<String> page = get(port, "/shop/missing");
    assertEquals(404, page.statusCode());
    assertEquals("error page 404", page.body());
    HttpResponse<String> api = get(port, "/shop/api/missing");
    assertEquals(404, api.statusCode());
  }

  /**
   * A page that includes an {@code /api} path that the root servlet serves gets that servlet's
   * answer within its own, as without ApiLink, the servlet told the included path as its own
   * mapping would have told it. Before, {@code ApiLinkServlet} forwarded the included request, told
   * the including page's path: the root servlet served that page again, which included the path
   * again, until the stack overflowed (a 500 on Tomcat 11.0.24 and 10.1.59, review W).
   */
  @Test
  void onTomcatAPageIncludesAnApiPathThatTheRootServletServes() throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, null, true)) {
      assertIncluded(tomcat.port());
    }
  }

  private static void assertIncluded(int port) throws Exception {
    HttpResponse<String> page = get(port, "/shop/orders/including");
    assertEquals(200, page.statusCode());
    assertEquals("page;included /api/orders/included null DEFAULT;end", page.body());
  }

  /**
   * A path that the root servlet forwards an {@code /api} request to (as Spring MVC renders a JSP
   * view), or dispatches it to in async mode, is the path that the servlet there sees. Before, on
   * Tomcat, the servlet there saw the {@code /api} path instead (a reviewer's JSP forwarded to
   * under unlinked {@code /api} answered 404 "JSP file [/api/...] not found" on Tomcat 11.0.24 and
   * 10.1.59): Tomcat puts its wrapper for such a dispatch beneath the one {@code ApiLinkServlet}
   * handed on, whose paths and mapping stayed those of the {@code /api} request.
   */
  @Test
  void onTomcatTheRootServletForwardsAndDispatchesAnApiRequestToOtherPaths() throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, null, true)) {
      assertForwardedAndDispatchedToOtherPaths(tomcat.port());
    }
  }

  /**
   * The same behind a filter that wraps the request, as Spring Security's filters do: Tomcat then
   * puts its wrapper for the root servlet's own dispatch beneath the filter's wrapper, not beneath
   * the one {@code ApiLinkServlet} handed on.
   */
  @Test
  void onTomcatTheRootServletForwardsAnApiRequestToOtherPathsBehindARequestWrappingFilter()
      throws Exception {
    try (RunningTomcat tomcat = startTomcat(webapp, RequestWrappingFilter.class, true)) {
      assertForwardedAndDispatchedToOtherPaths(tomcat.port());
    }
  }

  /**
   * A filter mapped to the root servlet by its name does not run for an unlinked {@code /api}
   * request, which maps to {@code ApiLinkServlet} (an authentication filter mapped so leaves {@code
   * /api} unguarded; review W, on Tomcat 11.0.24, 10.1.59 and Jetty 12.1.12). The Servlet API does
   * not tell whether it is mapped to forwards too, so ApiLink warns at start-up.
   */
  @Test
  void onTomcatAFilterMappedToTheRootServletByNameIsWarnedAbout() throws Exception {
    Files.writeString(webapp.resolve("index.html"), "<p>site</p>");
    try (LogWatch log = new LogWatch();
        RunningTomcat tomcat =
            startTomcat(
                webapp,
                null,
                true,
                context -> {
                  FilterDef definition = new FilterDef();
                  definition.setFilterName("named");
                  definition.setFilterClass(RequestWrappingFilter.class.getName());
                  definition.setAsyncSupported("true");
                  context.addFilterDef(definition);
                  FilterMap byName = new FilterMap();
                  byName.setFilterName("named");
                  byName.addServletName("dispatcher");
                  context.addFilterMap(byName);
                })) {
      assertServedByTheRootServlet(tomcat.port());

      assertEquals(
          List.of(
              "ApiLink: the filter \"named\" is mapped to the servlet \"dispatcher\" by name;"
                  + " while this environment is not linked, ApiLinkServlet hands /api requests to"
                  + " that servlet by a forward, and the filter runs for them only if it is also"
                  + " mapped to FORWARD dispatches. Map it to a URL pattern such as /*, or to the"
                  + " servlet \"ApiLinkServlet\" as well."),
          log.all("is mapped to the servlet"));
    }
  }

  /** Wraps the request and passes it on, as Spring Security's filters do. */
  public static final class RequestWrappingFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doFilter(
        HttpServletRequest request, HttpServletResponse response, FilterChain chain)
        throws IOException, ServletException {
      chain.doFilter(new jakarta.servlet.http.HttpServletRequestWrapper(request) {}, response);
    }
  }

  @Test
  void onJettyTheRootServletForwardsAndDispatchesAnApiRequestToOtherPaths() throws Exception {
    Server server = startJetty(webapp, ApplicationRootServletTest::addRootServlet);
    try {
      assertForwardedAndDispatchedToOtherPaths(port(server));
    } finally {
      server.stop();
    }
  }

  private static void assertForwardedAndDispatchedToOtherPaths(int port) throws Exception {
    for (String from : new String[] {"/shop/orders", "/shop/api/orders"}) {
      HttpResponse<String> forwarded = get(port, from + "/forwarding");
      assertEquals(200, forwarded.statusCode());
      assertEquals(
          "app root /shop/orders/7 servletPath=/orders/7 pathInfo=null match=DEFAULT",
          forwarded.body(),
          from);
      HttpResponse<String> dispatched = get(port, from + "/dispatching");
      assertEquals(200, dispatched.statusCode());
      assertEquals(
          "app root /shop/orders/8 servletPath=/orders/8 pathInfo=null match=DEFAULT",
          dispatched.body(),
          from);
    }
  }

  /** A Tomcat started by {@link #startTomcat}, stopped on close. */
  record RunningTomcat(Tomcat tomcat, int port) implements AutoCloseable {
    @Override
    public void close() throws Exception {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  /**
   * Starts Tomcat on a free loopback port with {@code webapp} at {@code /shop}: the default servlet
   * on {@code /} as conf/web.xml maps it, then, if {@code rootServlet}, the application's own
   * servlet on {@code /} over it; {@code ApiLinkServlet} on {@code /api/*} as the fragment maps it;
   * and {@code filter} (if not null) on {@code /*}.
   *
   * <p>The context suspends a wrapped response after a forward, as Tomcat 11 does by default
   * ({@code suspendWrappedResponseAfterForward="true"}; false in Tomcat 10.1, whose embedded
   * version these tests run). Before {@code ApiLinkServlet} handed such a response on behind a
   * plain delegating one, what a filter wrote after the forward of an unlinked {@code /api} request
   * was lost (found by review I: a Spring Boot WAR on Tomcat 11.0.24 answered its controllers'
   * errors, and every answer behind {@code ShallowEtagHeaderFilter}, with an empty 200; here the
   * filters' tests failed the same way).
   */
  static RunningTomcat startTomcat(
      Path webapp, Class<? extends jakarta.servlet.Filter> filter, boolean rootServlet)
      throws Exception {
    return startTomcat(webapp, filter, rootServlet, context -> {});
  }

  /** The same, with {@code settings} applied to the context. */
  static RunningTomcat startTomcat(
      Path webapp,
      Class<? extends jakarta.servlet.Filter> filter,
      boolean rootServlet,
      Consumer<Context> settings)
      throws Exception {
    Tomcat tomcat = new Tomcat();
    tomcat.setBaseDir(Files.createDirectories(webapp.resolveSibling("tomcat-base")).toString());
    Connector connector = new Connector();
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    tomcat.setConnector(connector);
    Context context = tomcat.addContext("/shop", webapp.toString());
    context.setSuspendWrappedResponseAfterForward(true);
    settings.accept(context);
    if (filter != null) {
      FilterDef definition = new FilterDef();
      definition.setFilterName("filter");
      definition.setFilterClass(filter.getName());
      definition.setAsyncSupported("true");
      context.addFilterDef(definition);
      FilterMap everything = new FilterMap();
      everything.setFilterName("filter");
      everything.addURLPattern("/*");
      // As Spring Boot maps its filters: for the async dispatch too.
      everything.setDispatcher(DispatcherType.REQUEST.name());
      everything.setDispatcher(DispatcherType.ASYNC.name());
      context.addFilterMap(everything);
    }
    Tomcat.addServlet(context, "default", "org.apache.catalina.servlets.DefaultServlet");
    context.addServletMappingDecoded("/", "default");
    if (rootServlet) {
      Wrapper root = Tomcat.addServlet(context, "dispatcher", RootServlet.class.getName());
      root.setAsyncSupported(true);
      context.addServletMappingDecoded("/", "dispatcher");
    }
    Wrapper api = Tomcat.addServlet(context, "ApiLinkServlet", ApiLinkServlet.class.getName());
    api.setAsyncSupported(true);
    context.addServletMappingDecoded("/api/*", "ApiLinkServlet");
    tomcat.start();
    return new RunningTomcat(tomcat, connector.getLocalPort());
  }

  /**
   * Maps {@code filter} on {@code /*} of a Tomcat {@code context}, async-supported or not as {@code
   * asyncSupported} says (what Tomcat sets for a web.xml filter without it is "false"), for the
   * request and, with {@code alsoAsync}, its async dispatches.
   */
  static void addFilterBeforeApiLink(
      Context context,
      Class<? extends jakarta.servlet.Filter> filter,
      boolean asyncSupported,
      boolean alsoAsync) {
    FilterDef definition = new FilterDef();
    definition.setFilterName("before");
    definition.setFilterClass(filter.getName());
    definition.setAsyncSupported(String.valueOf(asyncSupported));
    context.addFilterDef(definition);
    context.addFilterMap(mapping("before", "/*", alsoAsync));
  }

  /**
   * Adds ApiLink's filter on {@code /api/*} of a Tomcat {@code context}, async-supported,
   * configured by the file {@code config}: after the filters added before it; with {@code
   * alsoAsync}, for async dispatches too.
   */
  static void addApiLinkFilter(Context context, Path config, boolean alsoAsync) {
    FilterDef apiLink = new FilterDef();
    apiLink.setFilterName("ApiLink");
    apiLink.setFilterClass(ApiLinkFilter.class.getName());
    apiLink.setAsyncSupported("true");
    apiLink.addInitParameter("config", config.toString());
    context.addFilterDef(apiLink);
    context.addFilterMap(mapping("ApiLink", "/api/*", alsoAsync));
  }

  private static FilterMap mapping(String filterName, String pattern, boolean alsoAsync) {
    FilterMap map = new FilterMap();
    map.setFilterName(filterName);
    map.addURLPattern(pattern);
    if (alsoAsync) {
      map.setDispatcher(DispatcherType.REQUEST.name());
      map.setDispatcher(DispatcherType.ASYNC.name());
    }
    return map;
  }

  /** Writes to {@code config} a site at {@code http://127.0.0.1} linked to {@code gateway}. */
  static void writeLinkedConfig(Path config, URI gateway, String key) throws IOException {
    Files.writeString(
        config,
        """
        {"hostname": "http://127.0.0.1",
         "environments": {"production": {"backend": {
           "resourceType": "apiManagement", "url": "%s", "subscriptionKey": "%s"}}}}
        """
            .formatted(gateway, key));
  }

  /**
   * Adds ApiLink's filter on {@code /api/*}, async-supported, configured by the file {@code
   * config}: after the filters added to {@code context} before it.
   */
  static void addApiLinkFilter(ServletContextHandler context, Path config) {
    FilterHolder apiLink = new FilterHolder(ApiLinkFilter.class);
    apiLink.setName("ApiLink");
    apiLink.setAsyncSupported(true);
    apiLink.setInitParameter("config", config.toString());
    context.addFilter(apiLink, "/api/*", EnumSet.of(DispatcherType.REQUEST));
  }

  /**
   * Starts Jetty on a free loopback port with {@code webapp} at {@code /shop}, the servlets that
   * {@code servlets} adds, and {@code ApiLinkServlet} on {@code /api/*} as the fragment maps it.
   */
  static Server startJetty(Path webapp, Consumer<ServletContextHandler> servlets) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    ServletContextHandler context = new ServletContextHandler("/shop");
    context.setBaseResourceAsPath(webapp);
    servlets.accept(context);
    ServletHolder api = new ServletHolder("ApiLinkServlet", ApiLinkServlet.class);
    api.setAsyncSupported(true);
    context.addServlet(api, "/api/*");
    server.setHandler(context);
    server.start();
    return server;
  }

  /** Jetty as {@link #startJetty}, with the application's servlet on "/" and {@code filter}. */
  private Server startJettyWithRootServletBehind(Class<? extends jakarta.servlet.Filter> filter)
      throws Exception {
    return startJetty(
        webapp,
        context -> {
          FilterHolder holder = new FilterHolder(filter);
          holder.setAsyncSupported(true);
          context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
          addRootServlet(context);
        });
  }

  /** The application's servlet on "/", async-supported, as Spring's DispatcherServlet is. */
  private static void addRootServlet(ServletContextHandler context) {
    ServletHolder root = new ServletHolder("dispatcher", RootServlet.class);
    root.setAsyncSupported(true);
    context.addServlet(root, "/");
  }

  static int port(Server server) {
    return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
  }

  private static void assertServedByTheRootServlet(int port) throws Exception {
    HttpResponse<String> api = get(port, "/shop/api/orders/7");
    assertEquals(200, api.statusCode());
    assertEquals(
        "app root /shop/api/orders/7 servletPath=/api/orders/7 pathInfo=null match=DEFAULT",
        api.body());
    HttpResponse<String> page = get(port, "/shop/index.html");
    assertEquals(200, page.statusCode());
    assertEquals(
        "app root /shop/index.html servletPath=/index.html pathInfo=null match=DEFAULT",
        page.body());
  }

  /** A GET whose whole answer, body included, must come within 10 s. */
  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HttpClient.newHttpClient()
        .sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .get(10, java.util.concurrent.TimeUnit.SECONDS);
  }
}
