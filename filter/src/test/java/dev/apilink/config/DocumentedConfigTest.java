package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configurations that the README and docs/configuration.md show load as they are written, for
 * every environment they define, and the problem message that docs/configuration.md quotes is the
 * one the loader gives: a user copies them.
 */
class DocumentedConfigTest {

  static final Path README = Path.of("../README.md");
  static final Path CONFIGURATION = Path.of("../docs/configuration.md");

  static final String SUBSCRIPTION_KEY = "documented-subscription-key";

  /** The values of the variables the documented examples read. */
  static final Map<String, String> ENVIRONMENT =
      Map.of(
          "APIM_SUBSCRIPTION_KEY", SUBSCRIPTION_KEY,
          "APILINK_SITE_ORIGIN", "https://www.contoso.com",
          "APIM_GATEWAY_URL", "https://contoso-apim.azure-api.net");

  static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;

  /**
   * The files the examples name under {@code /etc/apilink/}, taken from {@link #dir} by their name:
   * a {@code .jwk.json} one holds a generated key set, any other a subscription key.
   */
  ConfigFiles documentedFiles() throws Exception {
    Files.writeString(
        dir.resolve("signing-keys.jwk.json"),
        new JWKSet(new RSAKeyGenerator(2048).keyID("k1").generate()).toString(false));
    Files.writeString(dir.resolve("staging-key"), SUBSCRIPTION_KEY + "\n");
    ConfigFiles files = ConfigFiles.fileSystem(dir, Optional.of(dir));
    return new ConfigFiles() {
      @Override
      public byte[] read(String location) throws IOException {
        return files.read(inDir(location));
      }

      @Override
      public Optional<Path> path(String location) {
        return files.path(inDir(location));
      }

      private String inDir(String location) {
        return location.startsWith("/etc/apilink/")
            ? location.substring("/etc/apilink/".length())
            : location;
      }
    };
  }

  /** The {@code ```json} blocks of {@code markdown} that are a whole {@code apilink.json}. */
  static List<String> wholeConfigurations(Path markdown) throws IOException {
    List<String> blocks = new ArrayList<>();
    Matcher block =
        Pattern.compile("^( *)```json\\n(.*?)^\\1```$", Pattern.MULTILINE | Pattern.DOTALL)
            .matcher(Files.readString(markdown));
    while (block.find()) {
      String json = block.group(2);
      if (MAPPER.readTree(json).has("environments")) {
        blocks.add(json);
      }
    }
    return blocks;
  }

  void loadsInEveryEnvironment(Path markdown) throws Exception {
    List<String> blocks = wholeConfigurations(markdown);
    assertFalse(blocks.isEmpty(), "no whole configuration in " + markdown);
    ConfigFiles files = documentedFiles();
    for (String json : blocks) {
      Files.writeString(dir.resolve("apilink.json"), json);
      JsonNode environments = MAPPER.readTree(json).get("environments");
      for (Iterator<String> names = environments.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        SiteConfig config;
        try {
          config = new ConfigLoader(files, ENVIRONMENT::get).load("/WEB-INF/apilink.json", name);
        } catch (ConfigException e) {
          throw new AssertionError(
              markdown + ", environment \"" + name + "\": " + e.getMessage() + "\n" + json, e);
        }
        boolean linked = environments.get(name).has("backend");
        assertEquals(linked, config.environment().linked(), markdown + ", " + name);
        config
            .environment()
            .backend()
            .ifPresent(backend -> assertEquals(SUBSCRIPTION_KEY, backend.subscriptionKey()));
      }
    }
  }

  @Test
  void theReadmesConfigurationsLoadInEveryEnvironmentTheyDefine() throws Exception {
    loadsInEveryEnvironment(README);
  }

  @Test
  void theReferencesConfigurationsLoadInEveryEnvironmentTheyDefine() throws Exception {
    loadsInEveryEnvironment(CONFIGURATION);
  }

  @Test
  void theProblemsTheReferenceQuotesAreTheOnesTheLoaderGives() throws Exception {
    Matcher quoted =
        Pattern.compile(
                "^```\\n(Invalid ApiLink configuration .*?)\\n```$",
                Pattern.MULTILINE | Pattern.DOTALL)
            .matcher(Files.readString(CONFIGURATION).replace("\r", ""));
    assertTrue(quoted.find(), "no quoted message in " + CONFIGURATION);
    String example =
        wholeConfigurations(CONFIGURATION)
            .get(0)
            .replace("\"https://contoso-apim.azure-api.net\"", "\"my-apim\"")
            .replace(
                "\"subscriptionKey\": \"${env:APIM_SUBSCRIPTION_KEY}\"",
                "\"subscriptionKey\": \"${env:APIM_SUBSCRIPTION_KEY}\", \"timeoutSeconds\":"
                    + " \"soon\"");
    Files.writeString(dir.resolve("apilink.json"), example);
    ConfigFiles files = documentedFiles();

    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                new ConfigLoader(files, ENVIRONMENT::get)
                    .load("/WEB-INF/apilink.json", "production"));

    assertEquals(quoted.group(1), e.getMessage().replace(System.lineSeparator(), "\n"));
  }
}
