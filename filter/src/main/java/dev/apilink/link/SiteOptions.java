package dev.apilink.link;

import dev.apilink.config.ConfigException;
import dev.apilink.config.ConfigFiles;
import dev.apilink.config.ConfigLoader;
import dev.apilink.config.SiteConfig;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
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

  /** The environment to read and what chose it, for the message when it is not defined. */
  private record Environment(String name, String chosenBy) {}

  /**
   * {@code --environment}, else {@code APILINK_ENVIRONMENT} as the filter uses it, else production.
   */
  private static Environment environment(
      Arguments arguments, Function<String, String> environmentVariables) {
    Optional<String> given = arguments.get("environment");
    if (given.isPresent()) {
      return new Environment(given.get().trim(), "--environment");
    }
    String variable = environmentVariables.apply(ENVIRONMENT_VARIABLE);
    return variable == null || variable.isBlank()
        ? new Environment(
            SiteConfig.DEFAULT_ENVIRONMENT,
            "default; give --environment or set the environment variable " + ENVIRONMENT_VARIABLE)
        : new Environment(variable.trim(), "the environment variable " + ENVIRONMENT_VARIABLE);
  }

  /**
   * Reads {@code location} for the environment that {@code arguments} choose. Relative locations
   * are taken from the working directory; when the file is inside a {@code WEB-INF} directory, the
   * configuration's {@code /WEB-INF/...} references are taken from there, as the filter takes them
   * from the web application.
   */
  static SiteConfig load(
      String location, Arguments arguments, Function<String, String> environmentVariables)
      throws ConfigException {
    Environment environment = environment(arguments, environmentVariables);
    Path workingDirectory = Path.of("").toAbsolutePath();
    Optional<Path> webInf;
    try {
      webInf = webInfOf(workingDirectory.resolve(location).normalize());
    } catch (InvalidPathException e) {
      // A name the file system refuses (on Windows, one with < > * ? | or a misplaced colon).
      throw new ConfigException(
          location,
          List.of(
              new ConfigException.Problem(
                  "", "cannot read the file (not a valid path: " + e.getReason() + ")")));
    }
    return new ConfigLoader(ConfigFiles.fileSystem(workingDirectory, webInf), environmentVariables)
        .withoutSecrets()
        .withEnvironmentChosenBy(environment.chosenBy())
        .load(location, environment.name());
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
