package dev.apilink.testkit.gateway;

import dev.apilink.testkit.gateway.GatewayState.Access;
import dev.apilink.testkit.gateway.GatewayState.Denied;
import dev.apilink.testkit.gateway.GatewayState.Granted;
import dev.apilink.testkit.gateway.GatewayState.Route;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.DateGenerator;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * One call through the gateway, in APIM's order: route by API URL suffix, check the subscription
 * key, run the product's inbound policy, forward to the backend.
 */
final class GatewayHandler extends Handler.Abstract.NonBlocking {

  static final String SUBSCRIPTION_KEY_PARAMETER = "subscription-key";

  /**
   * One FINE line per request and per refusal, never a key or a token: what the command line prints
   * ({@link ApimGatewayMain}), so that a developer sees why the gateway said 401.
   */
  static final Logger LOG = Logger.getLogger("dev.apilink.testkit.gateway");

  private final Supplier<GatewayState> state;
  private final InboundPipeline inbound;
  private final BackendExchange backend;
  private final Clock clock;

  GatewayHandler(
      Supplier<GatewayState> state, InboundPipeline inbound, BackendExchange backend, Clock clock) {
    this.state = state;
    this.inbound = inbound;
    this.backend = backend;
    this.clock = clock;
  }

  @Override
  public boolean handle(Request clientRequest, Response clientResponse, Callback callback) {
    // The gateway's own time, by the clock its validate-jwt follows (Jetty's would be the
    // machine's); a backend's answer carries the backend's Date instead (BackendExchange).
    clientResponse.getHeaders().put(HttpHeader.DATE, DateGenerator.formatDate(clock.instant()));
    GatewayState current = state.get();
    String rawPath = clientRequest.getHttpURI().getPath();
    Route route = current.route(rawPath == null || rawPath.isEmpty() ? "/" : rawPath);
    if (route == null) {
      log(clientRequest, "404: no API's URL suffix starts this path");
      GatewayError.NOT_FOUND.write(clientResponse, callback);
      return true;
    }

    HttpFields clientHeaders = clientRequest.getHeaders();
    String rawQuery = clientRequest.getHttpURI().getQuery();
    // Read from the header this API names (APIM's subscriptionKeyParameterNames), only that one;
    // the query parameter "is checked only if the header isn't present" (Microsoft's
    // "Subscriptions in Azure API Management"): a header sent empty is a missing key.
    String keyHeader = route.api().subscriptionKeyHeader();
    String headerKey = clientHeaders.get(keyHeader);
    String key =
        headerKey != null
            ? nonEmpty(headerKey)
            : nonEmpty(QueryString.first(rawQuery, SUBSCRIPTION_KEY_PARAMETER));
    Access access = current.authorize(route.api(), key);
    if (access instanceof Denied denied) {
      HttpURI uri = clientRequest.getHttpURI();
      // APIM's challenge, so that a client knows which key it lacks.
      clientResponse
          .getHeaders()
          .put(
              HttpHeader.WWW_AUTHENTICATE,
              "AzureApiManagementKey realm=\""
                  + uri.getScheme()
                  + "://"
                  + uri.getAuthority()
                  + "/"
                  + route.api().path()
                  + "\",name=\""
                  + keyHeader
                  + "\",type=\"header\"");
      log(
          clientRequest,
          denied.error().status()
              + (denied.why() == null ? "" : " (" + denied.why() + ")")
              + ": "
              + denied.error().message());
      denied.error().write(clientResponse, callback);
      return true;
    }
    Granted granted = (Granted) access;
    GatewayState.ProductEntry product = granted.product();
    String caller =
        granted.subscriptionId() != null
            ? "subscription " + granted.subscriptionId()
            : "product " + product.product().id();

    // The key is the gateway's business: the backend sees neither its header nor its parameter.
    HttpFields.Mutable backendHeaders = HopByHop.endToEnd(clientHeaders);
    backendHeaders.remove(keyHeader);
    backendHeaders.remove(HttpHeader.HOST);
    // The gateway answers Expect: 100-continue itself, when it starts reading the body.
    backendHeaders.remove(HttpHeader.EXPECT);
    // API Management tells the backend who called, as its users see (Microsoft Q&A 5774313).
    String remoteAddress = Request.getRemoteAddr(clientRequest);
    // Several lines of it are one list (RFC 9110 5.3), kept in their order.
    List<String> forwardedFor = backendHeaders.getValuesList(HttpHeader.X_FORWARDED_FOR);
    backendHeaders.put(
        HttpHeader.X_FORWARDED_FOR,
        forwardedFor.isEmpty()
            ? remoteAddress
            : String.join(", ", forwardedFor) + ", " + remoteAddress);
    String backendQuery = QueryString.without(rawQuery, SUBSCRIPTION_KEY_PARAMETER);
    boolean hasBody =
        clientRequest.getLength() > 0 || clientHeaders.contains(HttpHeader.TRANSFER_ENCODING);

    inbound
        .run(product.policy(), granted.subscriptionId(), caller, backendHeaders, backendQuery)
        .whenComplete(
            (error, failure) -> {
              if (failure != null) {
                log(clientRequest, "500: " + failure);
                GatewayError.INTERNAL.write(clientResponse, callback);
              } else if (error != null) {
                log(clientRequest, error.status() + " (" + caller + "): " + error.message());
                error.write(clientResponse, callback);
              } else {
                log(clientRequest, "API \"" + route.api().name() + "\" (" + caller + ")");
                backend.forward(
                    route,
                    backendHeaders,
                    backendQuery,
                    hasBody,
                    clientRequest,
                    clientResponse,
                    callback);
              }
            });
    return true;
  }

  static void log(Request request, String what) {
    if (LOG.isLoggable(Level.FINE)) {
      // The path only: a query may carry a subscription-key.
      LOG.log(
          Level.FINE,
          "{0} {1} -> {2}",
          new Object[] {request.getMethod(), request.getHttpURI().getPath(), what});
    }
  }

  private static String nonEmpty(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
