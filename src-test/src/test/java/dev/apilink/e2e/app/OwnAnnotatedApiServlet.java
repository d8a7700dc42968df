package dev.apilink.e2e.app;

import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * A web application's own {@code /api/*} servlet mapped by its annotation alone, as many are: it
 * serves {@code /api} while the application is not linked. Jetty registers it without a mapping
 * when the web-fragment's {@code ApiLinkServlet} takes the pattern (found by a reviewer in
 * jetty-home 12.1.12 with {@code ee10-annotations}: 404).
 */
@WebServlet(urlPatterns = "/api/*")
public final class OwnAnnotatedApiServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    response.setContentType("text/plain;charset=utf-8");
    response.getWriter().print("own annotated api " + request.getRequestURI());
  }
}
