package dev.apilink.proxy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.config.JsonFactories;
import jakarta.servlet.http.HttpServletRequest;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Principal;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The {@code x-ms-client-principal} header of Static Web Apps: base64 of {@code
 * {"identityProvider","userId","userDetails","userRoles"}}, built from the user that the container
 * authenticated. Only for authenticated users; a client's own copy is never forwarded.
 */
public final class ClientPrincipal {

  static final ObjectMapper JSON = new ObjectMapper(JsonFactories.withoutThreadLocals());

  private ClientPrincipal() {}

  /**
   * The header value for the user of {@code request}, or null when the container has not
   * authenticated one.
   *
   * @param identityProvider the {@code identityProvider} to report
   * @param customRoles roles beyond {@code anonymous} and {@code authenticated} to test with {@link
   *     HttpServletRequest#isUserInRole(String)}
   */
  public static String of(
      HttpServletRequest request, String identityProvider, List<String> customRoles) {
    Principal user = request.getUserPrincipal();
    if (user == null) {
      return null;
    }
    ObjectNode principal = JSON.createObjectNode();
    principal.put("identityProvider", identityProvider);
    principal.put("userId", userId(identityProvider, user.getName()));
    principal.put("userDetails", user.getName());
    ArrayNode roles = principal.putArray("userRoles").add("anonymous").add("authenticated");
    for (String role : customRoles) {
      if (request.isUserInRole(role)) {
        roles.add(role);
      }
    }
    // Written by JSON, not by principal.toString(), whose mapper keeps its buffers in the request
    // thread (see JsonFactories).
    try {
      return Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(principal));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the client principal", e);
    }
  }

  /**
   * A stable, opaque id per user and provider: 32 hex digits, like Static Web Apps' ids. A hash, so
   * the gateway can tell users apart without the id revealing more than the name already does.
   */
  static String userId(String identityProvider, String name) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest((identityProvider + "\n" + name).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java platform", e);
    }
  }
}
