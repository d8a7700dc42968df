package dev.apilink;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.MappingMatch;
import java.io.IOException;

/**
 * The async-supported servlet behind {@code /api/*}. A request can only be proxied without holding
 * a thread if the servlet it maps to supports async, and the containers' default servlets (Tomcat's
 * and Jetty's) do not. {@link ApiLinkFilter} answers every request it proxies, so this servlet only
 * sees those the filter lets through (an environment that is not linked): it hands them to the
 * container's default servlet, as if ApiLink were not there.
 */
public final class ApiLinkServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws ServletException, IOException {
    RequestDispatcher defaultServlet = getServletContext().getNamedDispatcher("default");
    if (defaultServlet == null) {
      response.sendError(HttpServletResponse.SC_NOT_FOUND);
      return;
    }
    defaultServlet.forward(new AsDefaultMapping(request), response);
  }

  /** The request as the default servlet would have seen it had it been mapped there ("/"). */
  private static final class AsDefaultMapping extends HttpServletRequestWrapper {
    private final String path;

    AsDefaultMapping(HttpServletRequest request) {
      super(request);
      String pathInfo = request.getPathInfo();
      this.path = pathInfo == null ? request.getServletPath() : request.getServletPath() + pathInfo;
    }

    @Override
    public String getServletPath() {
      return path;
    }

    @Override
    public String getPathInfo() {
      return null;
    }

    @Override
    public HttpServletMapping getHttpServletMapping() {
      return new HttpServletMapping() {
        @Override
        public String getMatchValue() {
          return "";
        }

        @Override
        public String getPattern() {
          return "/";
        }

        @Override
        public String getServletName() {
          return "default";
        }

        @Override
        public MappingMatch getMappingMatch() {
          return MappingMatch.DEFAULT;
        }
      };
    }
  }
}
