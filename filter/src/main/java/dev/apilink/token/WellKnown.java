package dev.apilink.token;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.config.JsonFactories;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The two documents that the gateway's {@code <openid-config url="..."/>} reads: the OpenID
 * discovery document, whose {@code issuer} is the tokens' {@code iss} and whose {@code jwks_uri}
 * points to the JWKS, and the JWKS with the public keys only. Built once, served as bytes.
 *
 * @param openidConfiguration the body of {@code /.auth/.well-known/openid-configuration}
 * @param jwks the body of {@code /.auth/.well-known/jwks.json}
 */
public record WellKnown(byte[] openidConfiguration, byte[] jwks) {

  public static final String OPENID_CONFIGURATION_PATH = "/.auth/.well-known/openid-configuration";
  public static final String JWKS_PATH = "/.auth/.well-known/jwks.json";

  static final ObjectMapper JSON = new ObjectMapper(JsonFactories.withoutThreadLocals());

  private static final Pattern PERCENT_ENCODED = Pattern.compile("%[0-9A-Fa-f]{2}");

  /**
   * @param issuer the tokens' {@code iss}: the site's origin and context path, then {@code /.auth}
   * @param keys the signing keys, of which only the public parts are published
   */
  public static WellKnown of(String issuer, SigningKeys keys) {
    String base = issuer.substring(0, issuer.length() - "/.auth".length());
    ObjectNode discovery = JSON.createObjectNode();
    discovery.put("issuer", issuer);
    discovery.put("jwks_uri", asUrl(base) + JWKS_PATH);
    discovery.putArray("id_token_signing_alg_values_supported").add(keys.algorithm().getName());
    discovery.putArray("response_types_supported").add("id_token");
    discovery.putArray("subject_types_supported").add("public");
    discovery
        .putArray("claims_supported")
        .add("iss")
        .add("aud")
        .add("sub")
        .add("iat")
        .add("nbf")
        .add("exp")
        .add("jti");
    byte[] jwks = keys.publicKeys().toString(true).getBytes(StandardCharsets.UTF_8);
    // Written by JSON, not by discovery.toString(), whose mapper keeps its buffers in the calling
    // container thread (see JsonFactories).
    try {
      return new WellKnown(JSON.writeValueAsBytes(discovery), jwks);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the discovery document", e);
    }
  }

  /**
   * The tokens' {@code iss} for a site at {@code origin} whose web application is at {@code
   * contextPath}.
   */
  public static String issuer(String origin, String contextPath) {
    return origin + contextPath + "/.auth";
  }

  /**
   * Where the gateway's {@code <openid-config url="..."/>} finds the discovery document of a site
   * at {@code origin} whose web application is at {@code contextPath}.
   */
  public static String openidConfigurationUrl(String origin, String contextPath) {
    return asUrl(origin + contextPath) + OPENID_CONFIGURATION_PATH;
  }

  /**
   * {@code originAndPath} with every character that a URL's path cannot hold percent-encoded, as
   * UTF-8: the context path the container gives is decoded ({@code /my shop} for {@code
   * /my%20shop}), and a discovery URL or {@code jwks_uri} with a space in it is no URL. The issuer
   * keeps the decoded form, which is what the tokens' {@code iss} says.
   */
  static String asUrl(String originAndPath) {
    StringBuilder url = new StringBuilder(originAndPath.length());
    for (byte b : originAndPath.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c < 0x80 && (Character.isLetterOrDigit(c) || "-._~!$&'()*+,;=:@/".indexOf(c) >= 0)) {
        url.append((char) c);
      } else {
        url.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)));
        url.append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return url.toString();
  }

  /**
   * {@code path} with its {@code %XX} decoded as UTF-8, everything else as it is ({@code /caf%C3%A9
   * bar} and {@code /café%20bar} are {@code /café bar}); empty if the bytes are not UTF-8.
   */
  public static Optional<String> percentDecoded(String path) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int i = 0;
    while (i < path.length()) {
      if (path.charAt(i) == '%'
          && PERCENT_ENCODED.matcher(path).region(i, path.length()).lookingAt()) {
        bytes.write(Integer.parseInt(path.substring(i + 1, i + 3), 16));
        i += 3;
      } else {
        // A whole code point: a character outside the BMP is two chars, which alone are no UTF-8.
        int codePoint = path.codePointAt(i);
        bytes.writeBytes(new String(Character.toChars(codePoint)).getBytes(StandardCharsets.UTF_8));
        i += Character.charCount(codePoint);
      }
    }
    try {
      return Optional.of(
          StandardCharsets.UTF_8
              .newDecoder()
              .decode(ByteBuffer.wrap(bytes.toByteArray()))
              .toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }
}
