package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderWithoutSecretsTest {

  @TempDir Path dir;

  private Path write(String json) throws Exception {
    Path file = dir.resolve("apilink.json");
    Files.writeString(file, json);
    return file;
  }

  private static ConfigLoader loader(Map<String, String> env) {
    return new ConfigLoader(ConfigFiles.fileSystem(Path.of(""), Optional.empty()), env::get);
  }

  private static final String SITE =
      """
      {
        "hostname": "red-sea-123.azurestaticapps.net",
        "environments": {
          "production": {
            "backend": {
              "resourceType": "apiManagement",
              "url": "https://my-apim.azure-api.net",
              "subscriptionKey": "${env:APIM_SUBSCRIPTION_KEY}"
            }
          }
        },
        "token": { "signingKeyFile": "/nonexistent/keys.json", "signingKeyId": "k2" }
      }
      """;

  @Test
  void withoutSecretsNeitherTheKeyNorTheKeyFileIsRead() throws Exception {
    SiteConfig site = loader(Map.of()).withoutSecrets().load(write(SITE).toString(), "production");

    BackendConfig backend = site.environment().backend().orElseThrow();
    assertEquals(URI.create("https://my-apim.azure-api.net"), backend.url());
    assertNull(backend.subscriptionKey());
    assertEquals(Optional.of("/nonexistent/keys.json"), site.token().signingKeyFile());
    assertEquals(Optional.empty(), site.token().signingKeys());
  }

  @Test
  void withoutSecretsTheKeyFileMayComeFromAnUnsetVariable() throws Exception {
    String location =
        write(
                SITE.replace("/nonexistent/keys.json", "${env:APILINK_SIGNING_KEY_FILE}")
                    .replace("\"k2\"", "\"${env:APILINK_SIGNING_KEY_ID}\""))
            .toString();

    SiteConfig site = loader(Map.of()).withoutSecrets().load(location, "production");

    assertEquals(Optional.empty(), site.token().signingKeys());
  }

  @Test
  void withSecretsTheSameFileNeedsBoth() throws Exception {
    String location = write(SITE).toString();

    ConfigException e =
        assertThrows(ConfigException.class, () -> loader(Map.of()).load(location, "production"));

    assertEquals(2, e.problems().size(), e.getMessage());
    assertTrue(
        e.getMessage()
            .contains(
                "environments.production.backend.subscriptionKey: environment variable"
                    + " APIM_SUBSCRIPTION_KEY is not set"),
        e.getMessage());
  }

  @Test
  void withoutSecretsAnInlineKeyIsCheckedButNotKept() throws Exception {
    String location = write(SITE.replace("${env:APIM_SUBSCRIPTION_KEY}", "inline-key")).toString();

    SiteConfig site = loader(Map.of()).withoutSecrets().load(location, "production");

    assertNull(site.environment().backend().orElseThrow().subscriptionKey());
  }

  /** Loading, without secrets, the site whose key is replaced by {@code keyReplacement}. */
  private ConfigException refusedWithoutSecrets(String keyReplacement) throws Exception {
    String location =
        write(SITE.replace("\"subscriptionKey\": \"${env:APIM_SUBSCRIPTION_KEY}\"", keyReplacement))
            .toString();
    return assertThrows(
        ConfigException.class,
        () -> loader(Map.of()).withoutSecrets().load(location, "production"));
  }

  @Test
  void withoutSecretsAMissingKeyIsStillAProblem() throws Exception {
    ConfigException e = refusedWithoutSecrets("\"audience\": \"api://orders\"");

    assertEquals(
        "environments.production.backend.subscriptionKey: missing", e.problems().get(0).toString());
  }

  @Test
  void aKeyOfTheWrongTypeIsNeverShownInTheProblem() throws Exception {
    ConfigException e = refusedWithoutSecrets("\"subscriptionKey\": 987654321");

    assertEquals(
        "environments.production.backend.subscriptionKey: must be a string (was number)",
        e.problems().get(0).toString());
    assertFalse(e.getMessage().contains("987654321"), e.getMessage());
  }

  @Test
  void aKeyOfTheWrongTypeInAnotherEnvironmentIsNeverShownEither() throws Exception {
    String location =
        write(
                SITE.replace(
                    "\"production\": {",
                    "\"staging\": {\"backend\": {\"resourceType\": \"apiManagement\","
                        + " \"url\": \"https://my-apim.azure-api.net\", \"subscriptionKey\":"
                        + " [\"sekrit\"]}},\n \"production\": {"))
            .toString();

    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> loader(Map.of("APIM_SUBSCRIPTION_KEY", "the-key")).load(location, "production"));

    assertTrue(
        e.problems().stream()
            .map(Object::toString)
            .anyMatch(
                "environments.staging.backend.subscriptionKey: must be a string (was array)"
                    ::equals),
        e.getMessage());
    assertFalse(e.getMessage().contains("sekrit"), e.getMessage());
  }
}
