package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServlet;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.catalina.Wrapper;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.Test;

/** {@link LiveReloadContract} in Tomcat. */
class LiveReloadOnTomcatTest extends LiveReloadContract {
  @Override
  ServletContainer.Kind kind() {
    return ServletContainer.Kind.TOMCAT;
  }

  @Test
  void aRequestInFlightThatTomcatTimesOutAsTheApplicationStopsIsAnswered503() throws Exception {
    // Tomcat times out the async requests of an application that is stopping, async timeout off
    // or not, from its once-a-second check, once the context is marked stopping and before its
    // filters stop: while its servlets' destroy() run. A reviewer's catalina.sh stop answered a
    // request waiting for the gateway with Tomcat's HTML 500, and ApiLink then logged an
    // IllegalStateException (the request recycled) for it as its filter stopped. Tomcat does so
    // for requests without an async timeout alone (AbstractProcessor.timeoutAsync): with the
    // default timeoutSeconds, ApiLink sets one, and the 503 came from its destroy() once the
    // servlet below had given up, 20 s later, without the path this test is for.
    ObjectNode noTimeout = site.linkedTo(gatewayA.url());
    ((ObjectNode) noTimeout.get("environments").get("production").get("backend"))
        .put("timeoutSeconds", 0);
    site.replaceConfig(noTimeout.toString());
    log.await("ApiLink reloaded", RELOAD);
    CompletableFuture<HttpResponse<String>> inFlight =
        CLIENT.sendAsync(
            HttpRequest.newBuilder(site.uri("/api/waiting")).header("x-echo-hang", "true").build(),
            BodyHandlers.ofString());
    gatewayA.awaitArrival("/api/waiting", RELOAD);
    StandardContext context = ((EmbeddedTomcat) site.container()).context();
    Wrapper slowToStop =
        Tomcat.addServlet(
            context,
            "slowToStop",
            new HttpServlet() {
              private static final long serialVersionUID = 1L;

              @Override
              public void destroy() {
                // An application servlet that takes its time to stop (a framework closing its
                // own context): here until the request in flight has its answer, at most 60 s.
                try {
                  inFlight.get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                  // the assertions below tell
                }
              }
            });
    slowToStop.allocate(); // initialized, so that stopping the application destroys it

    CompletableFuture<Void> undeployed =
        CompletableFuture.runAsync(
            () -> {
              try {
                site.container().undeploy();
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });

    // Answered while the servlet's destroy() still waits: by Tomcat's once-a-second check.
    HttpResponse<String> response = inFlight.get(30, TimeUnit.SECONDS);
    assertEquals(503, response.statusCode(), response.body());
    assertEquals(
        "{\"statusCode\": 503, \"message\": \"Service unavailable: the site is stopping; try"
            + " again.\"}",
        response.body());
    undeployed.get(60, TimeUnit.SECONDS);
  }
}
