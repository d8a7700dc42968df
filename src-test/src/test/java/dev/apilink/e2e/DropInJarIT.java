package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The drop-in JAR as a user gets it, {@code apilink-filter-<version>-all.jar} (here taken out of
 * the sample WAR's {@code WEB-INF/lib}, where the build put it): what it holds, and its {@code
 * link} command run as DESIGN.md and the README tell, {@code java -jar} with no other class path.
 */
class DropInJarIT {

  static final ObjectMapper JSON = new ObjectMapper();

  /** {@code META-INF/versions/<n>/}, the prefix of a multi-release variant. */
  static final Pattern VERSIONED = Pattern.compile("META-INF/versions/\\d+/(.*)");

  /**
   * Every library the JAR bundles, by where its classes are relocated (the more specific first),
   * and the name {@code META-INF/THIRD-PARTY-NOTICES.txt} gives it.
   */
  static final List<Map.Entry<String, String>> BUNDLED =
      List.of(
          Map.entry("dev/apilink/shaded/org/eclipse/jetty/", "Eclipse Jetty"),
          Map.entry(
              "dev/apilink/shaded/com/fasterxml/jackson/core/internal/shaded/fdp/",
              "FastDoubleParser"),
          Map.entry("dev/apilink/shaded/com/fasterxml/jackson/core/io/schubfach/", "Schubfach"),
          Map.entry("dev/apilink/shaded/com/fasterxml/jackson/", "Jackson"),
          Map.entry("dev/apilink/shaded/com/nimbusds/jose/shaded/gson/", "Gson"),
          Map.entry("dev/apilink/shaded/com/nimbusds/jose/shaded/jcip/", "jcip-annotations"),
          Map.entry("dev/apilink/shaded/com/nimbusds/", "Nimbus JOSE+JWT"),
          Map.entry("dev/apilink/shaded/org/slf4j/", "SLF4J"));

  /** A file of the JAR's {@code META-INF/} that the notices point to. */
  static final Pattern NAMED_FILE = Pattern.compile("META-INF/[A-Za-z0-9.-]*[A-Za-z0-9]");

  @TempDir Path directory;

  Path dropInJar() throws IOException {
    Path war = E2eFiles.sampleWar();
    String name = FineLoggingOnTomcat11IT.dropInJarIn(war);
    Path jar = directory.resolve(Path.of(name).getFileName());
    Files.write(jar, Wars.read(war, name));
    return jar;
  }

  /**
   * Shading leaves a library's multi-release variants under {@code META-INF/versions/} unrelocated
   * (DESIGN.md, "Known ground"): in a Multi-Release JAR they would be found under the libraries'
   * own names, beside an application's own Jackson. The JAR ships the base classes only and says it
   * is not Multi-Release.
   */
  @Test
  void theDropInJarIsNotMultiReleaseAndHoldsOnlyApiLinksOwnAndRelocatedClasses() throws Exception {
    Path jar = dropInJar();
    List<String> outside = new ArrayList<>();
    List<String> versioned = new ArrayList<>();
    Manifest manifest;
    try (JarFile zip = new JarFile(jar.toFile())) {
      manifest = zip.getManifest();
      for (ZipEntry entry : zip.stream().toList()) {
        String name = entry.getName();
        Matcher variant = VERSIONED.matcher(name);
        if (variant.matches()) {
          versioned.add(name);
          name = variant.group(1);
        }
        if (name.endsWith(".class") && !name.startsWith("dev/apilink/")) {
          outside.add(entry.getName());
        }
        if (name.startsWith("META-INF/services/")
            && !name.equals("META-INF/services/")
            && !name.startsWith("META-INF/services/dev.apilink.")
            && !(name.equals(CONTAINER_INITIALIZERS) && onlyApiLinksOwn(zip, entry))) {
          outside.add(entry.getName());
        }
      }
    }

    assertNotEquals(
        "true",
        manifest.getMainAttributes().getValue(Attributes.Name.MULTI_RELEASE),
        "the drop-in JAR is not Multi-Release");
    assertEquals(List.of(), versioned, "multi-release variants in the drop-in JAR");
    assertEquals(List.of(), outside, "classes and services neither ApiLink's nor relocated");
    assertEquals("dev.apilink.Main", manifest.getMainAttributes().getValue("Main-Class"));
  }

  /**
   * The one service of another name the JAR may declare: the container looks for it under the
   * Servlet API's name, and ApiLink's initializer warns when ApiLink is in the application but not
   * registered there.
   */
  static final String CONTAINER_INITIALIZERS =
      "META-INF/services/jakarta.servlet.ServletContainerInitializer";

  /** Whether every provider that the services file {@code entry} names is one of ApiLink's. */
  static boolean onlyApiLinksOwn(JarFile zip, ZipEntry entry) throws IOException {
    try (var in = zip.getInputStream(entry)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .lines()
          .map(line -> line.replaceAll("#.*", "").strip())
          .filter(line -> !line.isEmpty())
          .allMatch(
              line -> line.startsWith("dev.apilink.") && !line.startsWith("dev.apilink.shaded."));
    }
  }

  /**
   * The libraries' licences (Apache 2.0, MIT) ask that their notices travel with every copy: the
   * JAR names each library it bundles, with its licence, in {@code
   * META-INF/THIRD-PARTY-NOTICES.txt}, and holds every licence file that names. A library added to
   * the JAR without a line there fails this test.
   */
  @Test
  void theDropInJarNamesEveryLibraryItBundlesAndCarriesTheirLicences() throws Exception {
    Path jar = dropInJar();
    String notices;
    List<String> unnamed = new ArrayList<>();
    TreeSet<String> found = new TreeSet<>();
    TreeSet<String> missingFiles = new TreeSet<>();
    try (JarFile zip = new JarFile(jar.toFile())) {
      ZipEntry noticesEntry = zip.getEntry("META-INF/THIRD-PARTY-NOTICES.txt");
      assertTrue(noticesEntry != null, "META-INF/THIRD-PARTY-NOTICES.txt in the drop-in JAR");
      notices = new String(zip.getInputStream(noticesEntry).readAllBytes(), StandardCharsets.UTF_8);
      for (ZipEntry entry : zip.stream().toList()) {
        String name = entry.getName();
        if (!name.startsWith("dev/apilink/shaded/") || !name.endsWith(".class")) {
          continue;
        }
        BUNDLED.stream()
            .filter(library -> name.startsWith(library.getKey()))
            .findFirst()
            .ifPresentOrElse(library -> found.add(library.getValue()), () -> unnamed.add(name));
      }
      Matcher named = NAMED_FILE.matcher(notices);
      while (named.find()) {
        if (zip.getEntry(named.group()) == null) {
          missingFiles.add(named.group());
        }
      }
    }

    assertEquals(List.of(), unnamed, "relocated classes of a library the notices do not name");
    for (Map.Entry<String, String> library : BUNDLED) {
      assertTrue(found.contains(library.getValue()), library.getValue() + " is in the JAR");
      assertTrue(notices.contains(library.getValue()), library.getValue() + " in the notices");
    }
    assertTrue(notices.contains("META-INF/LICENSE-Apache-2.0.txt"), notices);
    assertEquals(new TreeSet<>(), missingFiles, "licence files the notices name");
  }

  /**
   * Every library the JAR bundles, as {@code groupId/artifactId}: where its {@code pom.properties}
   * is found under {@code META-INF/maven/}.
   */
  static final List<String> BUNDLED_ARTIFACTS =
      List.of(
          "org.eclipse.jetty/jetty-client",
          "org.eclipse.jetty/jetty-alpn-client",
          "org.eclipse.jetty/jetty-http",
          "org.eclipse.jetty/jetty-io",
          "org.eclipse.jetty/jetty-util",
          "org.eclipse.jetty.compression/jetty-compression-common",
          "org.eclipse.jetty.compression/jetty-compression-gzip",
          "com.fasterxml.jackson.core/jackson-core",
          "com.fasterxml.jackson.core/jackson-databind",
          "com.fasterxml.jackson.core/jackson-annotations",
          "com.nimbusds/nimbus-jose-jwt",
          "org.slf4j/slf4j-api",
          "org.slf4j/slf4j-jdk14");

  /**
   * An operator told of a flaw in Jetty's client, Jackson or Nimbus must be able to tell whether
   * the ApiLink it runs carries the flawed version, and scanners (Trivy, Grype, OWASP
   * dependency-check) find a bundled library by its {@code pom.properties}. Without them, a WAR
   * holding ApiLink showed none of the libraries inside it, and nothing in the JAR named their
   * versions (found by review Q).
   */
  @Test
  void theDropInJarSaysWhichVersionOfEachLibraryItBundles() throws Exception {
    Path jar = dropInJar();
    List<String> withoutVersion = new ArrayList<>();
    Properties jettyBuild;
    String jettyClientVersion;
    try (JarFile zip = new JarFile(jar.toFile())) {
      for (String artifact : BUNDLED_ARTIFACTS) {
        if (properties(zip, "META-INF/maven/" + artifact + "/pom.properties")
            .getProperty("version", "")
            .isEmpty()) {
          withoutVersion.add(artifact);
        }
      }
      jettyBuild = properties(zip, "dev/apilink/shaded/org/eclipse/jetty/version/build.properties");
      jettyClientVersion =
          properties(zip, "META-INF/maven/org.eclipse.jetty/jetty-client/pom.properties")
              .getProperty("version");
    }

    assertEquals(
        List.of(), withoutVersion, "bundled libraries whose version the JAR does not give");
    assertEquals(
        jettyBuild.getProperty("version"),
        jettyClientVersion,
        "the Jetty version given, against the relocated Jetty's own build.properties");
  }

  /** The properties file {@code name} of {@code zip}; empty if there is none. */
  static Properties properties(JarFile zip, String name) throws IOException {
    Properties properties = new Properties();
    ZipEntry entry = zip.getEntry(name);
    if (entry != null) {
      try (var in = zip.getInputStream(entry)) {
        properties.load(in);
      }
    }
    return properties;
  }

  /**
   * {@code java -jar apilink-filter-<version>-all.jar link --config <file>} with DESIGN.md's
   * example configuration prints what Static Web Apps' linking creates, under its names.
   */
  @Test
  void linkRunsFromTheDropInJarAloneForTheContractsExampleConfiguration() throws Exception {
    Path jar = dropInJar();
    Files.writeString(
        directory.resolve("apilink.json"),
        """
        {
          "hostname": "red-sea-123.azurestaticapps.net",
          "environments": {
            "production": {
              "backend": {
                "resourceType": "apiManagement",
                "url": "https://my-api-management-instance.azure-api.net",
                "subscriptionKey": "${env:APIM_SUBSCRIPTION_KEY}"
              }
            },
            "staging": {},
            "pr-42": { "pullRequest": true }
          },
          "token": { "signingKeyFile": "/etc/apilink/signing-key.jwk.json", "lifetimeSeconds": 300 }
        }
        """);
    ProcessBuilder command =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "link",
                "--config",
                "apilink.json",
                "--format",
                "json")
            .directory(directory.toFile())
            .redirectError(directory.resolve("stderr.txt").toFile());
    // As Distribution does: nothing of this machine's may choose the environment, nor make the
    // JVM itself write to stderr ("Picked up JAVA_TOOL_OPTIONS").
    command
        .environment()
        .keySet()
        .removeIf(
            name ->
                name.startsWith("APILINK_")
                    || name.equals("JAVA_TOOL_OPTIONS")
                    || name.equals("JDK_JAVA_OPTIONS"));
    Process process = command.start();
    byte[] out = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "link did not end");

    assertEquals(
        0,
        process.exitValue(),
        () -> "link exited " + process.exitValue() + ": " + read("stderr.txt"));
    JsonNode link = JSON.readTree(new ByteArrayInputStream(out));
    assertEquals(
        "Azure Static Web Apps - red-sea-123.azurestaticapps.net (Linked)",
        link.get("product").get("displayName").asText());
    assertTrue(link.get("product").get("subscriptionRequired").asBoolean());
    assertEquals(
        "Generated for Static Web Apps resource with default hostname:"
            + " red-sea-123.azurestaticapps.net",
        link.get("subscription").get("displayName").asText());
    assertEquals(
        "/products/" + link.get("product").get("id").asText(),
        link.get("subscription").get("scope").asText());
    assertEquals("https://red-sea-123.azurestaticapps.net/.auth", link.get("issuer").asText());
    assertEquals("https://my-api-management-instance.azure-api.net", link.get("audience").asText());
    assertEquals(
        "https://red-sea-123.azurestaticapps.net/.auth/.well-known/openid-configuration",
        link.get("openidConfigurationUrl").asText());
    assertEquals("", read("stderr.txt"));
  }

  /**
   * {@code keygen > keys.json} on a full disk (here {@code /dev/full}): the JVM's standard output
   * swallows the failed write, so without a check the command exits 0 with the key lost, and {@code
   * keygen --add-to keys.json > new.json && mv new.json keys.json} moves an empty file over the
   * site's keys.
   */
  @Test
  void keygenIntoAFullDiskFailsAndSaysSo() throws Exception {
    Path full = Path.of("/dev/full");
    Assumptions.assumeTrue(Files.isWritable(full), "no /dev/full on this system");
    Path jar = dropInJar();
    ProcessBuilder command =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString(),
                "keygen")
            .directory(directory.toFile())
            .redirectOutput(full.toFile())
            .redirectError(directory.resolve("stderr.txt").toFile());
    command
        .environment()
        .keySet()
        .removeIf(name -> name.equals("JAVA_TOOL_OPTIONS") || name.equals("JDK_JAVA_OPTIONS"));
    Process process = command.start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "keygen did not end");

    assertEquals(1, process.exitValue(), () -> read("stderr.txt"));
    assertEquals(
        "apilink keygen: the output could not be written (standard output closed or full)\n",
        read("stderr.txt"));
  }

  private String read(String file) {
    try {
      return Files.readString(directory.resolve(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "<" + e + ">";
    }
  }
}
