package dev.apilink.e2e.app;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A web application's own {@code /api/*} servlet, not async-supported, as an application moving its
 * API to API Management has: it serves {@code /api} while the application is not linked.
 */
public final class OwnApiServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    response.setContentType("text/plain;charset=utf-8");
    response.getWriter().print("own api " + request.getServletPath() + request.getPathInfo());
  }
}
