package dev.apilink.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The container distributions ApiLink is tested on, unpacked from Maven Central by the build, and
 * how an operator starts each: Tomcat with {@code bin/catalina.sh run} in its own {@code
 * CATALINA_BASE}, Jetty with {@code java -jar start.jar} in its own {@code jetty.base}.
 */
public enum Distribution {
  TOMCAT_10_1("tomcat-10.1", "Tomcat 10.1", "apilink.e2e.tomcat10", "apache-tomcat-10.1.", null),
  TOMCAT_11("tomcat-11", "Tomcat 11", "apilink.e2e.tomcat11", "apache-tomcat-11.", null),
  JETTY_12_EE10(
      "jetty-12.1-ee10", "Jetty 12.1 ee10", "apilink.e2e.jetty", "jetty-home-12.1.", "ee10"),
  JETTY_12_EE11(
      "jetty-12.1-ee11", "Jetty 12.1 ee11", "apilink.e2e.jetty", "jetty-home-12.1.", "ee11"),
  /** The Jetty line many sites still run, whose base is set up a little differently. */
  JETTY_12_0_EE10(
      "jetty-12.0-ee10", "Jetty 12.0 ee10", "apilink.e2e.jetty120", "jetty-home-12.0.", "ee10");

  /** How long a container may take to start, deployments included, on a slow CI machine. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(120);

  /**
   * Jetty's default URI compliance refuses {@code %2F} and {@code %25} in paths (400), and its
   * servlet layer refuses them again unless told to decode them: both must be relaxed for such
   * paths to reach ApiLink, which forwards them untouched. Tomcat needs {@code
   * encodedSolidusHandling="passthrough"} on its connector for the same.
   */
  static final String JETTY_URI_COMPLIANCE =
      "DEFAULT,AMBIGUOUS_PATH_SEPARATOR,AMBIGUOUS_PATH_ENCODING";

  private final String id;
  private final String displayName;
  private final String homeProperty;
  private final String homePrefix;
  private final String jettyEnvironment;

  Distribution(
      String id,
      String displayName,
      String homeProperty,
      String homePrefix,
      String jettyEnvironment) {
    this.id = id;
    this.displayName = displayName;
    this.homeProperty = homeProperty;
    this.homePrefix = homePrefix;
    this.jettyEnvironment = jettyEnvironment;
  }

  /** A short name for directories and threads, such as {@code tomcat-11}. */
  public String id() {
    return id;
  }

  @Override
  public String toString() {
    return displayName;
  }

  public boolean isTomcat() {
    return jettyEnvironment == null;
  }

  /** Jetty's environment, {@code ee10} or {@code ee11}; null for Tomcat. */
  public String jettyEnvironment() {
    return jettyEnvironment;
  }

  /**
   * Whether the compression module the tests turn on decodes gzip request bodies: Jetty 12.1's
   * does; Tomcat and Jetty 12.0 leave request bodies as they are.
   */
  public boolean decodesGzipRequestBodies() {
    return !isTomcat() && !isJetty12_0();
  }

  /** Jetty 12.0, where the base is set up a little differently from 12.1's. */
  private boolean isJetty12_0() {
    return homePrefix.equals("jetty-home-12.0.");
  }

  /** CATALINA_HOME or JETTY_HOME. */
  public Path home() {
    return E2eFiles.distribution(homeProperty, homePrefix);
  }

  /**
   * Creates a fresh base in {@code base}, deploys {@code wars} (file name in {@code webapps/} to
   * WAR file), starts the container on {@code port} with {@code environment} added to a clean
   * environment, and waits until it has started.
   */
  public ContainerProcess start(
      Path base, int port, Map<String, String> environment, Map<String, Path> wars)
      throws IOException, InterruptedException {
    return start(base, port, environment, Map.of(), wars);
  }

  /**
   * As {@link #start(Path, int, Map, Map)}, with {@code systemProperties} given to the container's
   * JVM where the docs tell operators to give them: {@code CATALINA_OPTS} for Tomcat, {@code -D}
   * options after {@code -jar start.jar} for Jetty.
   */
  public ContainerProcess start(
      Path base,
      int port,
      Map<String, String> environment,
      Map<String, String> systemProperties,
      Map<String, Path> wars)
      throws IOException, InterruptedException {
    return start(base, port, environment, systemProperties, wars, Map.of());
  }

  /**
   * As {@link #start(Path, int, Map, Map, Map)}, with {@code baseFiles} (a path in the base, such
   * as {@code conf/tomcat-users.xml}, to its content) written into the base, over the stock ones,
   * once it is made and before the container starts: what an operator edits there.
   */
  public ContainerProcess start(
      Path base,
      int port,
      Map<String, String> environment,
      Map<String, String> systemProperties,
      Map<String, Path> wars,
      Map<String, String> baseFiles)
      throws IOException, InterruptedException {
    Files.createDirectories(base);
    Map<String, String> env = baseEnvironment();
    env.putAll(environment);
    List<String> options = new ArrayList<>();
    systemProperties.forEach((name, value) -> options.add("-D" + name + "=" + value));
    ContainerProcess container =
        isTomcat()
            ? startTomcat(base, port, env, options, wars, baseFiles)
            : startJetty(base, port, env, options, wars, baseFiles);
    return container.awaitStarted(
        isTomcat()
            ? line -> line.contains("org.apache.catalina.startup.Catalina.start Server startup in")
            : line -> line.contains(":oejs.Server:main: Started oejs.Server@"),
        START_TIMEOUT);
  }

  // ---- Tomcat ----

  /**
   * The distribution's stock {@code conf/server.xml} as the tests run it: no shutdown port (the
   * process is stopped by signal); the HTTP connector on loopback, on {@code port}, passing {@code
   * %2F} through undecoded so that ApiLink can forward it as sent. A test that changes more writes
   * its edit of this as {@code conf/server.xml} among the base files.
   */
  public String serverXml(int port) throws IOException {
    Path stock = home().resolve("conf/server.xml");
    String configured =
        Files.readString(stock, StandardCharsets.UTF_8)
            .replaceFirst("<Server port=\"8005\"", "<Server port=\"-1\"")
            .replaceFirst(
                "<Connector port=\"8080\" protocol=\"HTTP/1.1\"",
                "<Connector port=\""
                    + port
                    + "\" address=\"127.0.0.1\" encodedSolidusHandling=\"passthrough\""
                    + " protocol=\"HTTP/1.1\"");
    if (!configured.contains("<Server port=\"-1\"")
        || !configured.contains("<Connector port=\"" + port + "\"")) {
      throw new IllegalStateException(stock + ": the stock Server or Connector is not there");
    }
    return configured;
  }

  /** The stock {@code server.xml}'s engine. */
  static final String ENGINE = "<Engine name=\"Catalina\" defaultHost=\"localhost\">";

  /**
   * The engine with its background check every second rather than every 10 s: the deployer's look
   * at {@code webapps/}, and the closing of a web application's unused JARs.
   */
  static final String ENGINE_CHECKING_EVERY_SECOND =
      "<Engine name=\"Catalina\" defaultHost=\"localhost\" backgroundProcessorDelay=\"1\">";

  /**
   * {@link #serverXml(int)} with one more edit: {@code stock}, a piece of the stock file, made
   * {@code edited}; fails if the stock file has no such piece, so that an edit never goes missing
   * unnoticed on another version.
   */
  public String serverXml(int port, String stock, String edited) throws IOException {
    String configured = serverXml(port);
    if (!configured.contains(stock)) {
      throw new IllegalStateException("conf/server.xml of " + id() + " has no " + stock);
    }
    return configured.replace(stock, edited);
  }

  private ContainerProcess startTomcat(
      Path base,
      int port,
      Map<String, String> env,
      List<String> jvmOptions,
      Map<String, Path> wars,
      Map<String, String> baseFiles)
      throws IOException {
    Path home = home();
    for (String dir : List.of("conf", "webapps", "logs", "temp", "work")) {
      Files.createDirectories(base.resolve(dir));
    }
    try (var files = Files.list(home.resolve("conf"))) {
      for (Path file : files.toList()) {
        Files.copy(file, base.resolve("conf").resolve(file.getFileName()));
      }
    }
    Files.writeString(base.resolve("conf/server.xml"), serverXml(port), StandardCharsets.UTF_8);
    deploy(wars, base.resolve("webapps"));
    write(baseFiles, base);

    env.put("CATALINA_HOME", home.toString());
    env.put("CATALINA_BASE", base.toString());
    if (!jvmOptions.isEmpty()) {
      // catalina.sh splits CATALINA_OPTS at spaces: no option may contain one.
      if (jvmOptions.stream().anyMatch(option -> option.contains(" "))) {
        throw new IllegalArgumentException("a JVM option with a space: " + jvmOptions);
      }
      env.put("CATALINA_OPTS", String.join(" ", jvmOptions));
    }
    List<String> command =
        windows()
            ? List.of("cmd", "/c", home.resolve("bin/catalina.bat").toString(), "run")
            // sh: the unpacked scripts need not have kept their execute bits.
            : List.of("sh", home.resolve("bin/catalina.sh").toString(), "run");
    return ContainerProcess.launch(this, command, base, env, base, port);
  }

  // ---- Jetty ----

  private ContainerProcess startJetty(
      Path base,
      int port,
      Map<String, String> env,
      List<String> jvmOptions,
      Map<String, Path> wars,
      Map<String, String> baseFiles)
      throws IOException, InterruptedException {
    Path startJar = home().resolve("start.jar");
    // As the Jetty documentation has operators create a base.
    List<String> addModules =
        List.of(
            java(),
            "-jar",
            startJar.toString(),
            "jetty.base=" + base,
            // Annotations on, as applications with @WebServlet need them; compression on, as
            // operators turn it on (12.1's module, named anew, also decodes gzip request bodies).
            "--add-modules=http,"
                + jettyEnvironment
                + "-deploy,"
                + jettyEnvironment
                + "-annotations,"
                + (isJetty12_0() ? "gzip" : "compression-gzip"));
    Process setup =
        new ProcessBuilder(addModules)
            .directory(base.toFile())
            .redirectErrorStream(true)
            .redirectOutput(base.resolve("add-modules.log").toFile())
            .start();
    if (!setup.waitFor(60, TimeUnit.SECONDS) || setup.exitValue() != 0) {
      setup.destroyForcibly();
      throw new IllegalStateException(
          "jetty --add-modules failed:\n"
              + Files.readString(base.resolve("add-modules.log"), StandardCharsets.UTF_8));
    }
    // A file of its own: Jetty 12.1 makes start.d/http-config.ini, 12.0 has no such file.
    Files.writeString(
        base.resolve("start.d/uri-compliance.ini"),
        "# ApiLink forwards encoded slashes and percent signs in /api paths as sent.\n"
            + "jetty.httpConfig.uriCompliance="
            + JETTY_URI_COMPLIANCE
            + "\n",
        StandardCharsets.UTF_8);
    String webAppContext = "org.eclipse.jetty." + jettyEnvironment + ".webapp.WebAppContext";
    Path environmentXml = base.resolve("environments/" + jettyEnvironment + "-apilink.xml");
    Files.createDirectories(environmentXml.getParent());
    Files.writeString(
        environmentXml,
        """
        <?xml version="1.0"?>
        <!DOCTYPE Configure PUBLIC "-//Jetty//Configure//EN" "https://jetty.org/configure_10_0.dtd">
        <!-- For every web application of this environment: let ambiguous but allowed paths
             (%%2F, %%25) reach the filters, which ApiLink forwards as sent. -->
        <Configure class="%s">
          <Get name="servletHandler"><Set name="decodeAmbiguousURIs">true</Set></Get>
        </Configure>
        """
            .formatted(webAppContext),
        StandardCharsets.UTF_8);
    if (isJetty12_0()) {
      // Jetty 12.1 applies every environments/<environment>-*.xml; 12.0 applies the XML files that
      // a webapps/<environment>*.properties file names (relative to jetty.base).
      Files.createDirectories(base.resolve("webapps"));
      Files.writeString(
          base.resolve("webapps/" + jettyEnvironment + "-apilink.properties"),
          "jetty.deploy.environmentXml=" + base.relativize(environmentXml) + "\n",
          StandardCharsets.UTF_8);
    }
    // Jetty unpacks WARs into jetty.base/work when it exists, rather than into /tmp.
    Files.createDirectories(base.resolve("work"));
    deploy(wars, base.resolve("webapps"));
    write(baseFiles, base);

    List<String> command =
        new ArrayList<>(
            List.of(
                java(),
                "-jar",
                startJar.toString(),
                "jetty.base=" + base,
                "jetty.http.host=127.0.0.1",
                "jetty.http.port=" + port));
    command.addAll(jvmOptions);
    return ContainerProcess.launch(this, command, base, env, base, port);
  }

  // ---- both ----

  private static void write(Map<String, String> files, Path base) throws IOException {
    for (Map.Entry<String, String> file : files.entrySet()) {
      Path target = base.resolve(file.getKey());
      Files.createDirectories(target.getParent());
      Files.writeString(target, file.getValue(), StandardCharsets.UTF_8);
    }
  }

  private static void deploy(Map<String, Path> wars, Path webapps) throws IOException {
    for (Map.Entry<String, Path> war : wars.entrySet()) {
      Files.copy(
          war.getValue(), webapps.resolve(war.getKey()), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /**
   * This machine's environment without anything that would configure the container or ApiLink
   * behind the test's back, with JAVA_HOME set to the JVM running the tests.
   */
  private static Map<String, String> baseEnvironment() {
    Map<String, String> env = new HashMap<>();
    for (Map.Entry<String, String> variable : System.getenv().entrySet()) {
      String name = variable.getKey();
      if (!name.startsWith("CATALINA_")
          && !name.startsWith("JETTY_")
          && !name.startsWith("APILINK_")
          && !name.startsWith("APIM_")
          && !name.equals("JAVA_OPTS")
          && !name.equals("JAVA_TOOL_OPTIONS")
          && !name.equals("JDK_JAVA_OPTIONS")
          && !name.equals("JRE_HOME")) {
        env.put(name, variable.getValue());
      }
    }
    env.put("JAVA_HOME", System.getProperty("java.home"));
    return env;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", windows() ? "java.exe" : "java")
        .toString();
  }

  private static boolean windows() {
    return System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).startsWith("windows");
  }
}
