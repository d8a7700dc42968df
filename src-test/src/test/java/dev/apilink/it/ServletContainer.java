package dev.apilink.it;

import dev.apilink.ApiLinkFilter;
import jakarta.servlet.ServletContext;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;

/** An embedded servlet container that runs one web application with ApiLink registered. */
interface ServletContainer extends AutoCloseable {

  /** Starts the container on a free loopback port, with no web application yet. */
  void start() throws Exception;

  int port();

  /** {@code http://127.0.0.1:<port>} */
  default URI url() {
    return URI.create("http://127.0.0.1:" + port());
  }

  /**
   * Deploys the static site in {@code webappDir} at {@code contextPath} ("" for the root) with
   * ApiLink's filter and servlet registered as {@code web.xml.example} shows.
   *
   * @param initParameters the filter's init-params
   * @return whether the web application started (false when the filter's init failed)
   */
  default boolean deploy(Path webappDir, String contextPath, Map<String, String> initParameters)
      throws Exception {
    return deploy(webappDir, contextPath, initParameters, null);
  }

  /**
   * Deploys as {@link #deploy(Path, String, Map)} does, with container-managed authentication when
   * {@code auth} is given (instead of the header-driven {@link TestAuthFilter}).
   */
  boolean deploy(
      Path webappDir, String contextPath, Map<String, String> initParameters, ContainerAuth auth)
      throws Exception;

  /**
   * Adds an application servlet, async-supported, mapped to {@code pattern} in the web application
   * deployed last, as its descriptor would. Call it before that application's first {@code /api}
   * request: {@code ApiLinkServlet} looks for the servlets it hands {@code /api} to when it starts.
   */
  void addServlet(String name, jakarta.servlet.Servlet servlet, String pattern);

  /** The servlet context of the last web application deployed. */
  ServletContext servletContext();

  /** The ApiLink filter of the last web application deployed, as it publishes itself. */
  default ApiLinkFilter apiLinkFilter() {
    return (ApiLinkFilter) servletContext().getAttribute(ApiLinkFilter.ATTRIBUTE);
  }

  /**
   * How long the container waits for more of a request before it fails the read, for connections
   * accepted from now on: Tomcat's {@code connectionTimeout}, Jetty's connector idle timeout.
   */
  void readTimeout(java.time.Duration timeout);

  /** The container's request threads busy now (not its acceptor and selector threads). */
  int busyThreads();

  /**
   * Stops the last web application deployed, as an operator's undeploy or reload does, and returns
   * once the container has stopped it.
   */
  void undeploy() throws Exception;

  /**
   * Stops the whole container as its shutdown does (Jetty: the server, its connectors first, then
   * its contexts; Tomcat: the server), with requests possibly in flight.
   */
  void stopAsAShutdownDoes() throws Exception;

  /**
   * Stops the whole container as a graceful shutdown does, letting requests in flight finish for up
   * to {@code grace} before it stops the web application (Jetty: the server's stop timeout with a
   * {@code GracefulHandler}, as the {@code graceful} module sets them; Tomcat: the context's {@code
   * unloadDelay}, for which it waits for async requests in flight).
   */
  void stopGracefully(java.time.Duration grace) throws Exception;

  /**
   * Whether the container has begun a graceful stop and is waiting for the requests in flight: new
   * requests are refused and the web application is not stopped yet.
   */
  boolean waitingForRequestsInFlight();

  /** The container's access log: what it records for each request, as operators read it. */
  AccessLog accessLog();

  /** The text that the failed deployment logged, empty when none. */
  String deploymentFailure();

  @Override
  void close() throws Exception;

  /** The two containers ApiLink supports. */
  enum Kind {
    JETTY,
    TOMCAT;

    ServletContainer create() {
      return this == JETTY ? new EmbeddedJetty() : new EmbeddedTomcat();
    }

    /** A container that {@link #stopGracefully} can stop: Jetty with a {@code GracefulHandler}. */
    ServletContainer createForGracefulStops() {
      return this == JETTY ? new EmbeddedJetty(true) : new EmbeddedTomcat();
    }
  }
}
