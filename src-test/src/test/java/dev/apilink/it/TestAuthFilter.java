package dev.apilink.it;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletConnection;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.security.Principal;
import java.util.Set;

/**
 * A servlet security filter, as a site might run before ApiLink: the user named in {@code
 * X-Test-User} is authenticated, with the roles listed in {@code X-Test-Roles} (every role asked
 * for with {@code X-Test-Every-Role}). With {@code X-Test-Read-Parameters}, it reads the request's
 * parameters first, as Spring Security's {@code CsrfFilter} does for a form field {@code _csrf}
 * (which reads a form's body). With {@code X-Test-Vary}, it adds that {@code Vary} to the response
 * before ApiLink runs, as a CORS filter ({@code Origin}) or Jetty's compression ({@code
 * Accept-Encoding}) does. With {@code X-Test-Response-Encoding}, it sets the response's character
 * encoding to that value, as Spring's {@code CharacterEncodingFilter} with {@code
 * forceResponseEncoding} does. With {@code X-Test-Behind-Proxy: https://host}, the request reports
 * that scheme, host and default port, as Tomcat's {@code RemoteIpFilter} and Spring's {@code
 * ForwardedHeaderFilter} do for a TLS-terminating load balancer in front (the {@code Host} header
 * stays the one the balancer sent). With {@code X-Test-Container-Fails}, the response fails as a
 * container's can while ApiLink passes the gateway's answer on ({@link FailingResponse}). With
 * {@code X-Test-Connection-Unknown: throws}, the request is wrapped as by a class built against
 * Servlet 5.0, which lacks {@code getServletConnection()}: the call fails with {@code
 * AbstractMethodError}; with {@code null-id}, its connection's id is null. With {@code
 * X-Test-Writer-Taken}, it takes the container's own response's writer first, as a filter that
 * writes its own answer might, and writes nothing; with {@code X-Test-Reader-Taken}, the request's
 * reader, as a filter that reads the body might. With {@code X-Test-Thread-Bound}, the user is
 * known only on the thread that runs the filter chain, as with Spring Security's {@code
 * SecurityContextHolder}. With {@code X-Test-Request-Body-Fails}, the request's body is served by a
 * wrapper that refuses the read listener ({@link FailingRequest}).
 */
public final class TestAuthFilter implements Filter {

  /** Asks the filter to mark the response cacheable, as a site's caching filter might. */
  static final String CACHE_PUBLIC = "X-Test-Cache-Public";

  /**
   * Asks the filter to set the response's character encoding to this header's value, as Spring's
   * {@code CharacterEncodingFilter} with {@code forceResponseEncoding} does.
   */
  static final String RESPONSE_ENCODING = "X-Test-Response-Encoding";

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest http = (HttpServletRequest) request;
    if (http.getHeader("X-Test-Read-Parameters") != null) {
      http.getParameterMap();
    }
    String vary = http.getHeader("X-Test-Vary");
    if (vary != null) {
      ((HttpServletResponse) response).addHeader("Vary", vary);
    }
    String proxyOrigin = http.getHeader("X-Test-Behind-Proxy");
    if (proxyOrigin != null) {
      http = behindProxy(http, URI.create(proxyOrigin));
      request = http;
    }
    String connectionUnknown = http.getHeader("X-Test-Connection-Unknown");
    if (connectionUnknown != null) {
      http = withoutConnectionId(http, connectionUnknown.equals("throws"));
      request = http;
    }
    if (http.getHeader("X-Test-Writer-Taken") != null) {
      response.getWriter();
    }
    if (http.getHeader("X-Test-Reader-Taken") != null) {
      request.getReader();
    }
    String encoding = http.getHeader(RESPONSE_ENCODING);
    if (encoding != null) {
      response.setCharacterEncoding(encoding);
    }
    if (http.getHeader(CACHE_PUBLIC) != null) {
      ((HttpServletResponse) response).setHeader("Cache-Control", "public, max-age=3600");
    }
    if (http.getHeader(SESSION_STORE_DOWN) != null) {
      http = sessionStoreDown(http);
      request = http;
    }
    String bodyFails = http.getHeader(FailingRequest.HEADER);
    if (bodyFails != null && request.getDispatcherType() == DispatcherType.REQUEST) {
      http = new FailingRequest(http, bodyFails);
      request = http;
    }
    String fails = http.getHeader(FailingResponse.HEADER);
    if (fails != null && request.getDispatcherType() == DispatcherType.REQUEST) {
      response = new FailingResponse((HttpServletResponse) response, fails);
    }
    String user = http.getHeader("X-Test-User");
    if (user == null) {
      chain.doFilter(request, response);
      return;
    }
    String roles = http.getHeader("X-Test-Roles");
    Set<String> granted = roles == null ? Set.of() : Set.of(roles.split(","));
    boolean everyRole = http.getHeader(EVERY_ROLE) != null;
    String nameless = http.getHeader(NAMELESS);
    Principal principal =
        nameless == null ? () -> user : nameless.equals("empty") ? () -> "" : () -> null;
    if (http.getHeader("X-Test-Thread-Bound") != null) {
      threadBound(http, response, chain, principal, granted);
      return;
    }
    chain.doFilter(
        new HttpServletRequestWrapper(http) {
          @Override
          public Principal getUserPrincipal() {
            return principal;
          }

          @Override
          public String getRemoteUser() {
            return user;
          }

          @Override
          public boolean isUserInRole(String role) {
            return everyRole || granted.contains(role);
          }
        },
        response);
  }

  /** A request header that gives the user every role {@code isUserInRole} is asked about. */
  static final String EVERY_ROLE = "X-Test-Every-Role";

  /**
   * A request header that signs the user in with a {@code Principal} whose {@code getName()}
   * returns null, as a security filter's own principal class may.
   */
  static final String NAMELESS = "X-Test-Nameless";

  /** The user of the request on the thread that runs it, as {@link #THREAD_BOUND} tells it. */
  private record ThreadBoundUser(Principal principal, Set<String> roles) {}

  /**
   * Where the users of {@code X-Test-Thread-Bound} requests are kept: as Spring Security keeps the
   * authentication in {@code SecurityContextHolder} (a thread-local by default), set for the
   * request's thread while its filter chain runs and cleared after it, and read there by its
   * request wrapper's {@code getUserPrincipal()} and {@code isUserInRole()}.
   */
  private static final ThreadLocal<ThreadBoundUser> THREAD_BOUND = new ThreadLocal<>();

  private static void threadBound(
      HttpServletRequest http,
      ServletResponse response,
      FilterChain chain,
      Principal principal,
      Set<String> granted)
      throws IOException, ServletException {
    THREAD_BOUND.set(new ThreadBoundUser(principal, granted));
    try {
      chain.doFilter(
          new HttpServletRequestWrapper(http) {
            @Override
            public Principal getUserPrincipal() {
              ThreadBoundUser user = THREAD_BOUND.get();
              return user == null ? null : user.principal();
            }

            @Override
            public String getRemoteUser() {
              ThreadBoundUser user = THREAD_BOUND.get();
              return user == null ? null : user.principal().getName();
            }

            @Override
            public boolean isUserInRole(String role) {
              ThreadBoundUser user = THREAD_BOUND.get();
              return user != null && user.roles().contains(role);
            }
          },
          response);
    } finally {
      THREAD_BOUND.remove();
    }
  }

  /**
   * A request header that makes the request's session id unreadable, as Spring Session's request
   * wrapper is while its store (Redis, a database) is down: its {@code getRequestedSessionId()}
   * looks the session up and throws the store's exception.
   */
  static final String SESSION_STORE_DOWN = "X-Test-Session-Store-Down";

  private static HttpServletRequest sessionStoreDown(HttpServletRequest http) {
    return new HttpServletRequestWrapper(http) {
      @Override
      public String getRequestedSessionId() {
        throw new IllegalStateException("Unable to connect to the session store");
      }
    };
  }

  private static HttpServletRequest behindProxy(HttpServletRequest http, URI origin) {
    return new HttpServletRequestWrapper(http) {
      @Override
      public String getScheme() {
        return origin.getScheme();
      }

      @Override
      public boolean isSecure() {
        return origin.getScheme().equals("https");
      }

      @Override
      public String getServerName() {
        return origin.getHost();
      }

      @Override
      public int getServerPort() {
        return origin.getScheme().equals("https") ? 443 : 80;
      }
    };
  }

  private static HttpServletRequest withoutConnectionId(HttpServletRequest http, boolean throwing) {
    return new HttpServletRequestWrapper(http) {
      @Override
      public ServletConnection getServletConnection() {
        if (throwing) {
          throw new AbstractMethodError("getServletConnection() is not implemented (Servlet 5.0)");
        }
        ServletConnection connection = super.getServletConnection();
        return new ServletConnection() {
          @Override
          public String getConnectionId() {
            return null;
          }

          @Override
          public String getProtocol() {
            return connection.getProtocol();
          }

          @Override
          public String getProtocolConnectionId() {
            return connection.getProtocolConnectionId();
          }

          @Override
          public boolean isSecure() {
            return connection.isSecure();
          }
        };
      }
    };
  }
}
