package dev.apilink.it;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the fault, load and hostile-input battery shares: a site whose protected files hold a marker
 * no response may ever carry, a signing key file whose private parts no response or log may ever
 * carry, and the subscription key, under the same rule.
 */
final class Battery {

  /** In {@code WEB-INF/web.xml}, {@code WEB-INF/secret.txt} and {@code META-INF/MANIFEST.MF}. */
  static final String MARKER = "apilink-protected-marker-4b1f07d2";

  /** The site's signing key; its private parts are secrets. */
  static final RSAKey SIGNING_KEY = Keys.key("battery");

  private Battery() {}

  /** Everything that must never reach a client or a log. */
  static List<String> secrets() {
    return List.of(
        Site.KEY,
        SIGNING_KEY.getPrivateExponent().toString(),
        SIGNING_KEY.getFirstPrimeFactor().toString(),
        SIGNING_KEY.getSecondPrimeFactor().toString());
  }

  /**
   * Writes the protected files with the marker and the signing key file; returns the change that
   * makes a configuration use that key file.
   */
  static Consumer<ObjectNode> prepare(Site site, Path dir) throws IOException {
    Path webapp = site.webapp();
    Files.writeString(
        webapp.resolve("WEB-INF/web.xml"),
        "<web-app><!-- " + MARKER + " --></web-app>",
        StandardCharsets.UTF_8);
    Files.writeString(webapp.resolve("WEB-INF/secret.txt"), MARKER, StandardCharsets.UTF_8);
    Files.createDirectories(webapp.resolve("META-INF"));
    Files.writeString(
        webapp.resolve("META-INF/MANIFEST.MF"),
        "X-Marker: " + MARKER + "\n",
        StandardCharsets.UTF_8);
    Path keyFile = dir.resolve("signing-key.jwk.json");
    Files.writeString(keyFile, Keys.set("battery"), StandardCharsets.UTF_8);
    return config -> config.putObject("token").put("signingKeyFile", keyFile.toString());
  }

  /** The gateway part of {@code config}, to change its limits. */
  static ObjectNode backend(ObjectNode config) {
    return (ObjectNode) config.get("environments").get("production").get("backend");
  }
}
