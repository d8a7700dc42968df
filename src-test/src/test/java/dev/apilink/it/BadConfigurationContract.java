package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.apilink.testkit.echo.EchoBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configuration that cannot work stops the web application from starting, with one message that
 * names every problem by its JSON path, and never a secret. Run once per container by {@link
 * BadConfigurationOnJettyTest} and {@link BadConfigurationOnTomcatTest}.
 */
abstract class BadConfigurationContract {

  @RegisterExtension static final SecretWatch SECRETS = new SecretWatch();

  static EchoBackend gateway;

  @TempDir Path dir;
  Site site;

  abstract ServletContainer.Kind kind();

  @BeforeAll
  static void startGateway() {
    gateway = EchoBackend.startDiscreet();
  }

  @AfterAll
  static void stopGateway() {
    gateway.close();
  }

  @BeforeEach
  void startContainer() throws Exception {
    site = Site.create(kind(), dir, "");
  }

  @AfterEach
  void stopContainer() throws Exception {
    site.close();
  }

  /** Deploys {@code json} as the configuration; returns what the failed start-up said. */
  String startUpFailureWith(String json) throws Exception {
    return startUpFailureWith(json, "");
  }

  String startUpFailureWith(String json, String contextPath) throws Exception {
    site.writeConfig(json);
    boolean started = site.container().deploy(site.webapp(), contextPath, java.util.Map.of());
    String failure = site.container().deploymentFailure();
    assertFalse(started, "started with " + json);
    for (String secret : Battery.secrets()) {
      assertFalse(failure.contains(secret), "a secret in the start-up failure");
    }
    return failure;
  }

  String startUpFailureWith(ObjectNode config) throws Exception {
    return startUpFailureWith(config.toPrettyString());
  }

  ObjectNode withKeyFile(Path keyFile) {
    ObjectNode config = site.linkedTo(gateway.url());
    config.putObject("token").put("signingKeyFile", keyFile.toString());
    return config;
  }

  static void assertNames(String expected, String failure) {
    assertTrue(failure.contains(expected), "expected\n" + expected + "\nin\n" + failure);
  }

  /**
   * A configuration file named by {@code -Dapilink.config} (or {@code APILINK_CONFIG}, an
   * init-param) that cannot be read: the failure says what named it, as that setting, left in a
   * service's environment, is where the operator has to look.
   */
  @Test
  void aConfigurationNamedByTheSystemPropertyThatCannotBeReadSaysWhatNamedIt() throws Exception {
    Path missing = site.webapp().resolveSibling("etc").resolve("apilink.json");
    System.setProperty("apilink.config", missing.toString());
    boolean started;
    try {
      started = site.container().deploy(site.webapp(), "/shop", java.util.Map.of());
    } finally {
      System.clearProperty("apilink.config");
    }
    String failure = site.container().deploymentFailure();

    assertFalse(started);
    assertNames(
        "ApiLink: the web application at /shop does not start; configuration: "
            + missing
            + ", named by the system property apilink.config"
            + System.lineSeparator(),
        failure);
  }

  /**
   * ApiLink's lines go to the container's log, which several web applications share: the failure
   * says whose configuration it is, and which file on disk to correct (Jetty's extracted copy has a
   * random name).
   */
  @Test
  void aStartUpFailureNamesTheWebApplicationAndItsConfigurationFile() throws Exception {
    String failure = startUpFailureWith("{\"hostname\": \"site.example\"}", "/shop");

    assertTrue(
        failure.contains(
            "Invalid ApiLink configuration /WEB-INF/apilink.json (1 problem):"
                + System.lineSeparator()
                + "  - environments: missing; "),
        failure);
    assertNames(
        "ApiLink: the web application at /shop does not start; configuration: " + site.configFile(),
        failure);
  }

  @Test
  void malformedJsonFailsStartUpNamingWhereItBreaks() throws Exception {
    String failure =
        startUpFailureWith(
            "{\"hostname\": \"site.example\",\n \"environments\": {\"production\": {}\n");

    assertNames(
        "Invalid ApiLink configuration /WEB-INF/apilink.json (1 problem):"
            + System.lineSeparator()
            + "  - not valid JSON at line 3, column 1: Unexpected end-of-input: expected close"
            + " marker for Object",
        failure);
  }

  @Test
  void wrongTypesFailStartUpNamingEachValue() throws Exception {
    ObjectNode config = site.linkedTo(gateway.url());
    Battery.backend(config).put("timeoutSeconds", "soon").put("maxConnections", -3);
    config.putObject("token").put("lifetimeSeconds", true);

    String failure = startUpFailureWith(config);

    assertNames("(3 problems):", failure);
    assertNames(
        "environments.production.backend.timeoutSeconds: must be a whole number from 0 to 86400"
            + " (was \"soon\")",
        failure);
    assertNames(
        "environments.production.backend.maxConnections: must be a whole number from 1 to 65536"
            + " (was -3)",
        failure);
    assertNames(
        "token.lifetimeSeconds: must be a whole number from 30 to 86400 (was true)", failure);
  }

  @Test
  void unknownKeysFailStartUpNamingEachKey() throws Exception {
    ObjectNode config = site.linkedTo(gateway.url());
    config.put("hostnme", "typo");
    Battery.backend(config).put("subscriptionKeyy", "typo");

    String failure = startUpFailureWith(config);

    assertNames(
        "hostnme: unknown key (known here: $schema, environments, hostname, identityProvider,"
            + " routesFile, token)",
        failure);
    assertNames(
        "environments.production.backend.subscriptionKeyy: unknown key (known here: audience,"
            + " connectTimeoutSeconds, keepAliveSeconds, maxConnectionAgeSeconds, maxConnections,"
            + " maxRequestBodyBytes,"
            + " maxRequestsPerClientConnection, maxResponseHeaderBytes, proxyCredentials, resourceType,"
            + " subscriptionKey, subscriptionKeyHeader,"
            + " timeoutSeconds, url)",
        failure);
  }

  @Test
  void anUndefinedEnvironmentFailsStartUpNamingTheSettingThatChoseIt() throws Exception {
    System.setProperty("apilink.environment", "Production");
    String failure;
    try {
      failure = startUpFailureWith(site.linkedTo(gateway.url()));
    } finally {
      System.clearProperty("apilink.environment");
    }

    assertNames(
        "environments: has no environment \"Production\", the environment this deployment is"
            + " (defined: production); chosen by the system property apilink.environment",
        failure);
  }

  @Test
  void aMissingSigningKeyFileFailsStartUpNamingTheFile() throws Exception {
    Path missing = dir.resolve("no-such-key.jwk.json");

    String failure = startUpFailureWith(withKeyFile(missing));

    assertNames(
        "token.signingKeyFile: cannot read " + missing + " (NoSuchFileException: " + missing + ")",
        failure);
  }

  @Test
  void anUnreadableSigningKeyFileFailsStartUpNamingTheFile() throws Exception {
    // A directory where the file should be: unreadable as a file whoever runs the tests (root
    // reads a file whatever its permissions say).
    Path directory = Files.createDirectories(dir.resolve("key-is-a-directory.jwk.json"));

    String failure = startUpFailureWith(withKeyFile(directory));

    assertNames(
        "token.signingKeyFile: cannot read " + directory + " (IOException: Is a directory)",
        failure);
  }

  @Test
  void aPublicOnlySigningKeyFailsStartUpNamingTheKey() throws Exception {
    Path keyFile = dir.resolve("public.jwk.json");
    Files.writeString(keyFile, new JWKSet(Keys.key("public-only").toPublicJWK()).toString());

    String failure = startUpFailureWith(withKeyFile(keyFile));

    assertNames(
        "token.signingKeyFile: "
            + keyFile
            + ": key \"public-only\": has no private part; a public key cannot sign tokens",
        failure);
  }

  @Test
  void aTooShortSigningKeyFailsStartUpNamingItsLength() throws Exception {
    Path keyFile = dir.resolve("short.jwk.json");
    Files.writeString(
        keyFile,
        new JWKSet(new RSAKeyGenerator(1024, true).keyID("short").generate()).toString(false));

    String failure = startUpFailureWith(withKeyFile(keyFile));

    assertNames(
        "token.signingKeyFile: "
            + keyFile
            + ": key \"short\": is 1024 bits; RSA signing keys need at least 2048",
        failure);
  }

  @Test
  void aSigningKeyFileThatIsNoKeyFailsStartUpWithoutEchoingIt() throws Exception {
    Path keyFile = dir.resolve("not-a-key.json");
    String notAKey = "{\"kty\": \"RSA\", \"n\": \"" + Site.KEY + "\"}";
    Files.writeString(keyFile, notAKey);

    String failure = startUpFailureWith(withKeyFile(keyFile));

    assertNames(
        "token.signingKeyFile: "
            + keyFile
            + ": not a JWK or JWK set (The public exponent value must not be null)",
        failure);
  }
}
