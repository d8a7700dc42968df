package dev.apilink.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where the build put what the end-to-end tests and the demo run: the unpacked distributions, the
 * sample WAR and the second application's libraries (see {@code src-test/pom.xml}). Each is a
 * system property set by the build, with the build's default as fallback so that a test started
 * from an IDE finds them after one {@code mvn verify}.
 */
public final class E2eFiles {

  private E2eFiles() {}

  /**
   * The environment that the sample WAR's {@code apilink.json} reads: the site at {@code
   * http://127.0.0.1:<port>}, linked to {@code gatewayUrl} with {@code subscriptionKey}.
   */
  public static Map<String, String> sampleSiteEnvironment(
      int port, String gatewayUrl, String subscriptionKey) {
    return Map.of(
        "APILINK_SITE_ORIGIN",
        "http://127.0.0.1:" + port,
        "APIM_GATEWAY_URL",
        gatewayUrl,
        "APIM_SUBSCRIPTION_KEY",
        subscriptionKey);
  }

  /**
   * The unpacked Tomcat or Jetty distribution named by {@code property}, else the one directory
   * whose name starts with {@code prefix} (such as {@code apache-tomcat-11.}).
   */
  public static Path distribution(String property, String prefix) {
    Path distributions = directory("apilink.e2e.distributions", "target/distributions");
    String name = System.getProperty(property);
    if (name != null) {
      return existing(distributions.resolve(name), "a distribution unpacked by the build");
    }
    existing(distributions, "the distributions unpacked by the build");
    try (var dirs = Files.list(distributions)) {
      List<Path> found =
          dirs.filter(dir -> dir.getFileName().toString().startsWith(prefix)).toList();
      if (found.size() != 1) {
        throw new IllegalStateException(
            "not one " + prefix + "* in " + distributions + " but " + found + "; set " + property);
      }
      return found.get(0);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The sample site's WAR, {@code war-sample}'s artifact. */
  public static Path sampleWar() {
    return existing(
        directory("apilink.e2e.wars", "target/wars").resolve("apilink-war-sample.war"),
        "the sample WAR copied by the build");
  }

  /** The JARs that the second application bundles (its own Jackson, Jetty client, SLF4J). */
  public static Path appLibraries() {
    return existing(
        directory("apilink.e2e.app-libs", "target/app-libs"), "the application's libraries");
  }

  /** A fresh directory for the files of one run (container bases, logs, WARs), kept after it. */
  public static Path runDirectory(String name) throws java.io.IOException {
    Path dir = directory("apilink.e2e.runs", "target/e2e").resolve(name).toAbsolutePath();
    if (Files.exists(dir)) {
      try (var files = Files.walk(dir)) {
        for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(file);
        }
      }
    }
    return Files.createDirectories(dir);
  }

  private static Path directory(String property, String fallback) {
    return Path.of(System.getProperty(property, fallback)).toAbsolutePath();
  }

  private static Path existing(Path path, String what) {
    if (!Files.exists(path)) {
      throw new IllegalStateException(
          path + " does not exist: " + what + "; run mvn -B verify (or -Pdemo) once first");
    }
    return path;
  }
}
