package dev.apilink.link;

import dev.apilink.config.ConfigException;
import dev.apilink.config.ConfigFiles;
import dev.apilink.config.ConfigLoader;
import dev.apilink.config.SiteConfig;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * The site configuration named by {@code --config} and {@code --environment}, read as the filter
 * reads it but without its secrets: the commands describe the gateway side, which they must be able
 * to do before the subscription key exists, and never need a private key.
 */
final class SiteOptions {

  static final String ENVIRONMENT_VARIABLE = "APILINK_ENVIRONMENT";

  private SiteOptions() {}

  /**
   * {@code --environment}, else {@code APILINK_ENVIRONMENT} as the filter uses it, else production.
   */
  static String environment(Arguments arguments, Function<String, String> environmentVariables) {
    Optional<String> given = arguments.get("environment");
    if (given.isPresent()) {
      return given.get().trim();
    }
    String variable = environmentVariables.apply(ENVIRONMENT_VARIABLE);
    return variable == null || variable.isBlank()
        ? SiteConfig.DEFAULT_ENVIRONMENT
        : variable.trim();
  }

  /**
   * Reads {@code location} for {@code environment}. Relative locations are taken from the working
   * directory; when the file is inside a {@code WEB-INF} directory, the configuration's {@code
   * /WEB-INF/...} references are taken from there, as the filter takes them from the web
   * application.
   */
  static SiteConfig load(
      String location, String environment, Function<String, String> environmentVariables)
      throws ConfigException {
    Path workingDirectory = Path.of("").toAbsolutePath();
    Optional<Path> webInf = webInfOf(workingDirectory.resolve(location).normalize());
    return new ConfigLoader(ConfigFiles.fileSystem(workingDirectory, webInf), environmentVariables)
        .withoutSecrets()
        .load(location, environment);
  }

  /** The nearest directory named {@code WEB-INF} that holds {@code file}. */
  static Optional<Path> webInfOf(Path file) {
    for (Path dir = file.getParent(); dir != null; dir = dir.getParent()) {
      Path name = dir.getFileName();
      if (name != null && name.toString().equals("WEB-INF")) {
        return Optional.of(dir);
      }
    }
    return Optional.empty();
  }
}
