package dev.apilink.e2e.app;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.PackageVersion;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.CodeSource;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.util.Jetty;

/**
 * A web application's own servlet, deployed by the end-to-end tests in a WAR whose {@code
 * WEB-INF/lib} holds Jackson 2.9 and a Jetty 12.0 client next to ApiLink's drop-in JAR. At request
 * time it reports the versions it sees and where they were loaded from, and calls this site's
 * {@code /api} through ApiLink with its own client, parsing the answer with its own Jackson.
 *
 * <p>Compiled with the test classpath's newer Jackson and Jetty, it uses only API that the older
 * versions have too.
 */
public final class VersionsServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private transient HttpClient http;

  @Override
  public void init() throws ServletException {
    http = new HttpClient();
    try {
      http.start();
    } catch (Exception e) {
      throw new ServletException("cannot start the application's HTTP client", e);
    }
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode answer = json.createObjectNode();
    // The JAR's own version (2.9.10.8); Jackson's PackageVersion says "2.9.10-8" for micro-patches.
    answer.put("jackson", ObjectMapper.class.getPackage().getImplementationVersion());
    answer.put("jacksonSays", PackageVersion.VERSION.toString());
    answer.put("jacksonJar", jarOf(ObjectMapper.class));
    answer.put("jettyClient", Jetty.VERSION);
    answer.put("jettyClientJar", jarOf(HttpClient.class));
    String api =
        "http://127.0.0.1:"
            + request.getLocalPort()
            + request.getContextPath()
            + "/api/called-by-the-app";
    try {
      ContentResponse apiResponse = http.GET(api);
      answer.put("apiStatus", apiResponse.getStatus());
      answer.set("api", json.readTree(apiResponse.getContentAsString()));
    } catch (Exception e) {
      answer.put("apiFailure", e.toString());
    }
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    response.getWriter().write(json.writeValueAsString(answer));
  }

  @Override
  public void destroy() {
    try {
      http.stop();
    } catch (Exception e) {
      log("stopping the application's HTTP client failed", e);
    }
  }

  /** The file name of the JAR (or directory) that {@code type} was loaded from. */
  private static String jarOf(Class<?> type) {
    CodeSource source = type.getProtectionDomain().getCodeSource();
    if (source == null || source.getLocation() == null) {
      return "(unknown)";
    }
    String location = source.getLocation().getPath();
    if (location.endsWith("/")) {
      location = location.substring(0, location.length() - 1);
    }
    return location.substring(location.lastIndexOf('/') + 1);
  }
}
