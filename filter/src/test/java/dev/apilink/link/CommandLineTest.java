package dev.apilink.link;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.nimbusds.jose.jwk.JWKSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class CommandLineTest {

  private static final String N = System.lineSeparator();

  private static void assertUsageError(Run run, String problem) {
    assertEquals(2, run.status());
    assertEquals("", run.out());
    assertEquals(problem + N + N + CommandLine.USAGE, run.err());
  }

  @Test
  void helpPrintsTheUsageToStandardOutputAndSucceeds() {
    Run run = Run.of("--help");

    assertEquals(0, run.status());
    assertEquals(CommandLine.USAGE, run.out());
    assertEquals("", run.err());
  }

  @Test
  void helpAfterACommandPrintsTheUsageToo() {
    Run run = Run.of("link", "--help");

    assertEquals(0, run.status());
    assertEquals(CommandLine.USAGE, run.out());
  }

  @Test
  void dashHGivenAsAnOptionsValueIsThatValueNotHelp() throws Exception {
    // keygen --kid "$KID" > keys.new && mv keys.new keys.json must not turn the key file into the
    // usage text when $KID happens to be -h.
    Run run = Run.of("keygen", "--kid", "-h");

    assertEquals(0, run.status(), run.err());
    assertNotEquals(CommandLine.USAGE, run.out());
    assertEquals("-h", JWKSet.parse(run.out()).getKeys().get(0).getKeyID());
  }

  @Test
  void dashHIsHelpAsInTheTestGateway() {
    for (Run run : List.of(Run.of("-h"), Run.of("link", "--config", "apilink.json", "-h"))) {
      assertEquals(0, run.status());
      assertEquals(CommandLine.USAGE, run.out());
      assertEquals("", run.err());
    }
  }

  @Test
  void helpThatCannotBeWrittenFails() {
    Run run = Run.withUnwritableOutput("--help");

    assertEquals(1, run.status());
    assertEquals(
        "apilink: the output could not be written (standard output closed or full)" + N, run.err());
  }

  @Test
  void aKeyThatCannotBeWrittenFailsWithoutSayingItWasMade() {
    // "keygen --add-to keys.json > new.json && mv new.json keys.json" on a full disk: a 0 would
    // move an empty file over every key the site has.
    Run run = Run.withUnwritableOutput("keygen", "--kid", "k1");

    assertEquals(1, run.status());
    assertEquals(
        "apilink keygen: the output could not be written (standard output closed or full)" + N,
        run.err());
  }

  @Test
  void noCommandIsABadArgument() {
    assertUsageError(Run.of(), "apilink: no command given");
  }

  @Test
  void anUnknownCommandIsNamed() {
    assertUsageError(Run.of("deploy"), "apilink: unknown command \"deploy\"");
  }

  @Test
  void anUnknownOptionIsNamed() {
    assertUsageError(
        Run.of("link", "--config", "apilink.json", "--resource-group", "rg"),
        "apilink link: unknown option \"--resource-group\"");
  }

  @Test
  void anOptionOfAnotherCommandIsUnknown() {
    assertUsageError(
        Run.of("keygen", "--config", "x.json"), "apilink keygen: unknown option \"--config\"");
  }

  @Test
  void anOptionWithoutItsValueIsNamed() {
    assertUsageError(Run.of("link", "--config"), "apilink link: --config needs a value");
  }

  @Test
  void anOptionFollowedByAnotherOptionHasNoValue() {
    assertUsageError(
        Run.of("link", "--config", "--format", "json"), "apilink link: --config needs a value");
  }

  @Test
  void anEmptyValueIsNoValue() {
    assertUsageError(Run.of("link", "--config="), "apilink link: --config needs a value");
  }

  @Test
  void anOptionGivenTwiceIsABadArgument() {
    assertUsageError(
        Run.of("link", "--config", "a.json", "--config=b.json"),
        "apilink link: --config is given more than once");
  }

  @Test
  void aPositionalArgumentIsABadArgument() {
    assertUsageError(
        Run.of("link", "apilink.json"), "apilink link: unexpected argument \"apilink.json\"");
  }

  @Test
  void anArgumentThatTheLocaleCouldNotDecodeIsABadArgument() {
    // What the JVM makes of "/café" when the locale's charset cannot decode it (LC_ALL=C).
    assertUsageError(
        Run.of("link", "--config", "apilink.json", "--context-path", "/caf\uFFFD\uFFFD"),
        "apilink link: the argument \"/caf\uFFFD\uFFFD\" could not be decoded in this locale"
            + " (it holds U+FFFD); run with a UTF-8 locale, such as LC_ALL=C.UTF-8");
  }

  @Test
  void linkRequiresTheConfig() {
    assertUsageError(Run.of("link", "--format", "policy"), "apilink link: --config is required");
  }

  @Test
  void unlinkRequiresTheConfig() {
    assertUsageError(Run.of("unlink"), "apilink unlink: --config is required");
  }

  @Test
  void anUnknownFormatIsABadArgument() {
    assertUsageError(
        Run.of("link", "--config", "apilink.json", "--format", "xml"),
        "apilink link: --format must be text, policy, arm or json (was \"xml\")");
  }

  @Test
  void aContextPathWithoutItsLeadingSlashIsABadArgument() {
    assertUsageError(
        Run.of("link", "--config", "apilink.json", "--context-path", "shop"),
        "apilink link: --context-path must be a context path such as /shop, or / for the root"
            + " (was \"shop\")");
  }

  @Test
  void anApimServiceNameWithOtherCharactersIsABadArgument() {
    assertUsageError(
        Run.of("unlink", "--config", "apilink.json", "--apim-service", "my_apim"),
        "apilink unlink: --apim-service must be an API Management service name: a letter, then"
            + " letters, digits and hyphens, not ending with a hyphen, at most 50 characters"
            + " (was \"my_apim\")");
  }

  @Test
  void anApimServiceNameThatApimWouldRefuseIsABadArgument() {
    // API Management service names start with a letter and have at most 50 characters.
    for (String name : List.of("1apim", "-apim", "apim-", "a".repeat(51))) {
      assertUsageError(
          Run.of("link", "--config", "apilink.json", "--apim-service", name),
          "apilink link: --apim-service must be an API Management service name: a letter, then"
              + " letters, digits and hyphens, not ending with a hyphen, at most 50 characters"
              + " (was \""
              + name
              + "\")");
    }
  }

  @Test
  void keygenAcceptsOnlyTheUsualRsaSizes() {
    assertUsageError(
        Run.of("keygen", "--bits", "1024"),
        "apilink keygen: --bits must be 2048, 3072 or 4096 (was \"1024\")");
  }

  @Test
  void argumentsAreCheckedBeforeTheConfigIsRead() {
    // The file does not exist: a usage error must win over the configuration problem.
    assertUsageError(
        Run.of("link", "--config", "/nonexistent/apilink.json", "--format", "yaml"),
        "apilink link: --format must be text, policy, arm or json (was \"yaml\")");
  }
}
