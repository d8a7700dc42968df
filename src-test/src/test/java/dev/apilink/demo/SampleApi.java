package dev.apilink.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The demo's backend API, the service behind the gateway:
 *
 * <ul>
 *   <li>{@code GET /api/products}: a JSON list of products;
 *   <li>{@code GET /api/request-info}: what ApiLink added to the request on its way here: whether a
 *       subscription key arrived (never its value), the access token's claims, the client
 *       principal, the original URL and the forwarding headers.
 * </ul>
 */
final class SampleApi implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Server server;
  private final ServerConnector connector;

  private SampleApi() {
    server = new Server();
    connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    server.setHandler(new Api());
  }

  static SampleApi start() throws Exception {
    SampleApi api = new SampleApi();
    api.server.start();
    return api;
  }

  URI url() {
    return URI.create("http://127.0.0.1:" + connector.getLocalPort());
  }

  @Override
  public void close() throws Exception {
    server.stop();
  }

  private static final class Api extends Handler.Abstract {

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String path = request.getHttpURI().getPath();
      boolean get = request.getMethod().equals("GET");
      if (get && path.equals("/api/products")) {
        send(response, callback, 200, products());
      } else if (get && path.equals("/api/request-info")) {
        send(response, callback, 200, requestInfo(request));
      } else {
        ObjectNode notFound = JSON.createObjectNode();
        notFound.put("statusCode", 404);
        notFound.put("message", "The sample API has GET /api/products and GET /api/request-info.");
        send(response, callback, 404, notFound);
      }
      return true;
    }

    private static JsonNode products() {
      ArrayNode products = JSON.createArrayNode();
      products.addObject().put("id", 1).put("name", "Espresso cup").put("price", 7.5);
      products.addObject().put("id", 2).put("name", "Moka pot").put("price", 34.0);
      products.addObject().put("id", 3).put("name", "Coffee beans, 1 kg").put("price", 21.9);
      return products;
    }

    private static JsonNode requestInfo(Request request) {
      ObjectNode info = JSON.createObjectNode();
      info.put("method", request.getMethod());
      info.put("path", request.getHttpURI().getPath());
      // A secret: only whether it arrived.
      info.put(
          "Ocp-Apim-Subscription-Key",
          request.getHeaders().contains("Ocp-Apim-Subscription-Key")
              ? "(present)"
              : "(absent: the gateway checked it and did not forward it)");
      String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
      if (authorization != null && authorization.startsWith("Bearer ")) {
        info.set("accessTokenClaims", claims(authorization.substring("Bearer ".length())));
      } else {
        info.putNull("accessTokenClaims");
      }
      String principal = request.getHeaders().get("x-ms-client-principal");
      info.set("x-ms-client-principal", principal == null ? null : decode(principal));
      for (String name :
          new String[] {
            "x-ms-original-url", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Via"
          }) {
        info.put(name, request.getHeaders().get(name));
      }
      return info;
    }

    /** The token's claims, decoded without checking the signature (the gateway checks it). */
    private static JsonNode claims(String token) {
      String[] parts = token.split("\\.");
      if (parts.length != 3) {
        return JSON.getNodeFactory().textNode("(not a JWS)");
      }
      try {
        return JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
      } catch (Exception e) {
        return JSON.getNodeFactory().textNode("(undecodable)");
      }
    }

    private static JsonNode decode(String base64Json) {
      try {
        return JSON.readTree(Base64.getDecoder().decode(base64Json));
      } catch (Exception e) {
        return JSON.getNodeFactory().textNode("(undecodable)");
      }
    }

    private static void send(Response response, Callback callback, int status, JsonNode body)
        throws Exception {
      byte[] bytes =
          JSON.writerWithDefaultPrettyPrinter()
              .writeValueAsString(body)
              .concat("\n")
              .getBytes(StandardCharsets.UTF_8);
      response.setStatus(status);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
      response.write(true, ByteBuffer.wrap(bytes), callback);
    }
  }
}
