package dev.apilink.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made the way an operator makes them, with the JDK's {@code keytool}: a gateway's
 * self-signed key and certificate, and a trust store that is a copy of the JDK's {@code cacerts}
 * with that certificate imported (docs/operations.md, "TLS to the gateway").
 */
public final class Certificates {

  /** The password of every key store made here (and of the JDK's {@code cacerts}). */
  public static final String PASSWORD = "changeit";

  private Certificates() {}

  /**
   * A PKCS12 key store {@code <dir>/<alias>.p12} with a new EC key and a self-signed certificate
   * for {@code subjectAlternativeNames} (keytool's syntax: {@code dns:localhost,ip:127.0.0.1}),
   * valid for two days.
   */
  public static Path selfSigned(Path dir, String alias, String subjectAlternativeNames)
      throws IOException, InterruptedException {
    Path store = dir.resolve(alias + ".p12");
    keytool(
        "-genkeypair",
        "-alias",
        alias,
        "-keyalg",
        "EC",
        "-dname",
        "CN=" + alias,
        "-ext",
        "san=" + subjectAlternativeNames,
        "-validity",
        "2",
        "-storetype",
        "PKCS12",
        "-keystore",
        store.toString(),
        "-storepass",
        PASSWORD);
    return store;
  }

  /**
   * {@code <dir>/truststore.p12}: a copy of the running JDK's {@code cacerts} with the certificate
   * of {@code alias} in {@code keyStore} imported, as the docs tell operators to make one.
   */
  public static Path trustStoreWith(Path dir, Path keyStore, String alias)
      throws IOException, InterruptedException {
    Path pem = dir.resolve(alias + ".pem");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        alias,
        "-keystore",
        keyStore.toString(),
        "-storepass",
        PASSWORD,
        "-file",
        pem.toString());
    Path trustStore = dir.resolve("truststore.p12");
    Files.copy(
        Path.of(System.getProperty("java.home"), "lib", "security", "cacerts"),
        trustStore,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    trustStore.toFile().setWritable(true, true);
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        alias,
        "-file",
        pem.toString(),
        "-keystore",
        trustStore.toString(),
        "-storepass",
        PASSWORD);
    return trustStore;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    process.getOutputStream().close();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
      process.destroyForcibly();
      throw new IllegalStateException(
          String.join(" ", command) + " failed:\n" + new String(output, StandardCharsets.UTF_8));
    }
  }
}
