package dev.apilink;

import dev.apilink.config.BackendConfig;
import dev.apilink.config.ConfigException;
import dev.apilink.config.ConfigFiles;
import dev.apilink.config.ConfigLoader;
import dev.apilink.config.SiteConfig;
import dev.apilink.proxy.GatewayClient;
import dev.apilink.proxy.GatewayTarget;
import dev.apilink.proxy.Link;
import dev.apilink.token.SigningKeys;
import dev.apilink.token.TokenIssuer;
import dev.apilink.token.WellKnown;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Links a web application to an Azure API Management gateway as Static Web Apps does: requests for
 * {@code /api} and {@code /api/...} are proxied, streaming, to the same path on the gateway with
 * the subscription key and a short-lived access token; everything else goes down the filter chain
 * to the container's static files and servlets.
 *
 * <p>Settings, each an init-param, else a system property, else an environment variable: {@code
 * config} ({@code apilink.config}, {@code APILINK_CONFIG}; default {@code /WEB-INF/apilink.json}),
 * the configuration file; {@code environment} ({@code apilink.environment}, {@code
 * APILINK_ENVIRONMENT}; default {@code production}), the environment this deployment is. The filter
 * must be registered async-supported, for the {@code REQUEST} and {@code ASYNC} dispatchers, on
 * {@code /api/*}, {@code /api} and {@code /.auth/.well-known/*}.
 */
public final class ApiLinkFilter implements Filter {

  static final String DEFAULT_CONFIG = "/WEB-INF/apilink.json";
  private static final Logger LOG = Logger.getLogger("dev.apilink");

  private volatile Link link;
  private volatile WellKnown wellKnown;

  @Override
  public void init(FilterConfig filterConfig) throws ServletException {
    ServletContext context = filterConfig.getServletContext();
    String environment =
        setting(
            filterConfig,
            "environment",
            "apilink.environment",
            "APILINK_ENVIRONMENT",
            SiteConfig.DEFAULT_ENVIRONMENT);
    String location =
        setting(filterConfig, "config", "apilink.config", "APILINK_CONFIG", DEFAULT_CONFIG);

    SiteConfig site;
    try {
      site =
          new ConfigLoader(webApplicationFiles(context), System::getenv)
              .load(location, environment);
    } catch (ConfigException e) {
      LOG.severe(e.getMessage());
      throw new ServletException(e.getMessage());
    }

    SigningKeys keys =
        site.token()
            .signingKeys()
            .orElseGet(
                () -> {
                  LOG.warning(
                      "ApiLink: no token.signingKeyFile configured; this instance generated its"
                          + " own signing key. Several instances serving one site need one shared"
                          + " key file, or the gateway refuses the tokens of all but one.");
                  return SigningKeys.generate();
                });
    String issuer = WellKnown.issuer(site.origin().toString(), context.getContextPath());
    wellKnown = WellKnown.of(issuer, keys);

    Optional<BackendConfig> backend = site.environment().backend();
    if (backend.isEmpty()) {
      LOG.info(
          "ApiLink: environment \""
              + environment
              + "\" is not linked; /api is served by the web application");
      return;
    }
    BackendConfig gateway = backend.get();
    try {
      TokenIssuer tokens =
          new TokenIssuer(
              keys,
              issuer,
              gateway.audience(),
              site.hostname(),
              site.token().lifetimeSeconds(),
              Clock.systemUTC());
      GatewayClient client =
          GatewayClient.start(gateway, "apilink" + context.getContextPath().replace('/', '-'));
      link =
          new Link(
              gateway, client, tokens, site.token().header(), site.identityProvider(), List.of());
    } catch (Exception e) {
      throw new ServletException("ApiLink: cannot start the link to " + gateway.url(), e);
    }
    LOG.info(
        "ApiLink: environment \""
            + environment
            + "\" is linked to "
            + gateway.url()
            + "; "
            + context.getContextPath()
            + "/api is proxied there (tokens signed with key \""
            + keys.current().getKeyID()
            + "\")");
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    if (!(request instanceof HttpServletRequest clientRequest)
        || !(response instanceof HttpServletResponse clientResponse)) {
      chain.doFilter(request, response);
      return;
    }
    Link.breakOffIfRequested(clientRequest);

    String path = pathInContext(clientRequest);
    if (path.startsWith("/.auth/.well-known/")
        && serveWellKnown(path, clientRequest, clientResponse)) {
      return;
    }
    Link current = link;
    // Both the container's normalized path and the raw one must be under /api, so that what the
    // gateway is sent cannot resolve to another of its APIs (dot-segments, encoded dots).
    if (current == null
        || !GatewayTarget.isApiPath(path)
        || !GatewayTarget.isApiPath(rawPathInContext(clientRequest))) {
      chain.doFilter(request, response);
      return;
    }
    if (!clientRequest.isAsyncSupported()) {
      LOG.severe(
          "ApiLink: the request for "
              + clientRequest.getRequestURI()
              + " is not async-supported; register the filter (and every filter before it) with"
              + " <async-supported>true</async-supported>");
      clientResponse.sendError(500);
      return;
    }
    current.proxy(clientRequest, clientResponse);
  }

  @Override
  public void destroy() {
    Link current = link;
    link = null;
    if (current != null) {
      try {
        current.close();
      } catch (Exception e) {
        LOG.log(Level.WARNING, "ApiLink: stopping the gateway client failed", e);
      }
    }
  }

  /** The link in use, or null when this environment is not linked. */
  Link link() {
    return link;
  }

  private boolean serveWellKnown(
      String path, HttpServletRequest request, HttpServletResponse response) throws IOException {
    byte[] body;
    if (path.equals(WellKnown.OPENID_CONFIGURATION_PATH)) {
      body = wellKnown.openidConfiguration();
    } else if (path.equals(WellKnown.JWKS_PATH)) {
      body = wellKnown.jwks();
    } else {
      return false;
    }
    String method = request.getMethod();
    if (!method.equals("GET") && !method.equals("HEAD")) {
      response.setHeader("Allow", "GET, HEAD");
      response.sendError(405);
      return true;
    }
    response.setContentType("application/json");
    response.setHeader("Cache-Control", "public, max-age=300");
    response.setContentLength(body.length);
    if (method.equals("GET")) {
      response.getOutputStream().write(body);
    }
    return true;
  }

  /** The path inside the web application, decoded and normalized by the container. */
  private static String pathInContext(HttpServletRequest request) {
    String pathInfo = request.getPathInfo();
    return pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
  }

  /** The path inside the web application as the client sent it. */
  private static String rawPathInContext(HttpServletRequest request) {
    return request.getRequestURI().substring(request.getContextPath().length());
  }

  /** The init-param, else the system property, else the environment variable, else the default. */
  private static String setting(
      FilterConfig filterConfig,
      String initParameter,
      String systemProperty,
      String environmentVariable,
      String fallback) {
    for (String value :
        new String[] {
          filterConfig.getInitParameter(initParameter),
          System.getProperty(systemProperty),
          System.getenv(environmentVariable)
        }) {
      if (value != null && !value.isBlank()) {
        return value.trim();
      }
    }
    return fallback;
  }

  /** Locations under {@code /WEB-INF/} come from the web application, others from the disk. */
  private static ConfigFiles webApplicationFiles(ServletContext context) {
    ConfigFiles disk = ConfigFiles.fileSystem(Path.of(""), Optional.empty());
    return new ConfigFiles() {
      @Override
      public byte[] read(String location) throws IOException {
        if (!location.startsWith("/WEB-INF/")) {
          return disk.read(location);
        }
        try (InputStream in = context.getResourceAsStream(location)) {
          if (in == null) {
            throw new java.nio.file.NoSuchFileException(location + " in the web application");
          }
          return in.readAllBytes();
        }
      }

      @Override
      public Optional<Path> path(String location) {
        if (!location.startsWith("/WEB-INF/")) {
          return disk.path(location);
        }
        return Optional.ofNullable(context.getRealPath(location)).map(Path::of);
      }
    };
  }
}
