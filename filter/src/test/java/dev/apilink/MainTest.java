package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JAR's entry point as a shell runs it: in a JVM of its own, its output redirected. */
class MainTest {

  @TempDir Path dir;

  /** {@code java dev.apilink.Main args > stdout.txt} in {@code locale}; the status and the file. */
  private record Exit(int status, byte[] out, String err) {}

  private Exit runInLocale(String locale, String... args) throws Exception {
    Path out = dir.resolve("stdout.txt");
    Path err = dir.resolve("stderr.txt");
    ProcessBuilder builder =
        new ProcessBuilder(
                concat(
                    List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp",
                        System.getProperty(
                            "surefire.test.class.path", System.getProperty("java.class.path")),
                        Main.class.getName()),
                    List.of(args)))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
    Map<String, String> environment = builder.environment();
    environment.keySet().removeIf(name -> name.equals("LANG") || name.startsWith("LC_"));
    environment.put("LC_ALL", locale);
    int status = builder.start().waitFor();
    return new Exit(
        status, Files.readAllBytes(out), Files.readString(err, StandardCharsets.ISO_8859_1));
  }

  private static List<String> concat(List<String> first, List<String> second) {
    return Stream.concat(first.stream(), second.stream()).toList();
  }

  @Test
  void thePolicyIsWrittenInUtf8InAnAsciiLocale() throws Exception {
    // LC_ALL=C, the POSIX locale that cron, systemd units and many container images run with:
    // Java 17 then prints System.out in ASCII, and an audience "api://café" became "api://caf?"
    // in the policy, which refused every token ApiLink minted.
    Path config = dir.resolve("apilink.json");
    Files.writeString(
        config,
        """
        {
          "hostname": "www.contoso.com",
          "environments": {
            "production": {
              "backend": {
                "resourceType": "apiManagement",
                "url": "https://contoso-apim.azure-api.net",
                "subscriptionKey": "${env:APIM_SUBSCRIPTION_KEY}",
                "audience": "api://café"
              }
            }
          }
        }
        """,
        StandardCharsets.UTF_8);

    Exit exit = runInLocale("C", "link", "--config", config.toString(), "--format", "policy");

    assertEquals(0, exit.status(), exit.err());
    String policy = new String(exit.out(), StandardCharsets.UTF_8);
    assertTrue(policy.contains("<audience>api://café</audience>"), policy);
  }

  @Test
  void anArgumentThatTheLocaleCannotDecodeIsABadArgumentNotAnotherKid() throws Exception {
    // Under LC_ALL=C, Java 17 decodes "café" from the command line as "caf" and two U+FFFD: keygen
    // made a key whose kid nobody had typed, and --context-path /café an issuer no token carries.
    Exit exit = runInLocale("C", "keygen", "--kid", "café");

    assertEquals(2, exit.status(), exit.err());
    assertEquals(0, exit.out().length, new String(exit.out(), StandardCharsets.UTF_8));
    assertTrue(
        exit.err().startsWith("apilink keygen: the argument \"caf??\" could not be decoded"),
        exit.err());
  }
}
