package dev.apilink.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ApiLink configuration that cannot be used. The message lists every problem, each prefixed by
 * the JSON path of the value at fault; it never contains a secret.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;
  private final transient Map<Path, String> files;

  public ConfigException(String source, List<Problem> problems) {
    this(Map.of(source, problems));
  }

  /**
   * Problems found in several files (the configuration and the route rules it names), each file's
   * listed under its name. Files without problems are left out.
   */
  public ConfigException(Map<String, List<Problem>> problemsBySource) {
    this(format(problemsBySource), all(problemsBySource), Map.of());
  }

  private ConfigException(String message, List<Problem> problems, Map<Path, String> files) {
    super(message);
    this.problems = problems;
    this.files = files;
  }

  private static List<Problem> all(Map<String, List<Problem>> problemsBySource) {
    List<Problem> all = new ArrayList<>();
    problemsBySource.values().forEach(all::addAll);
    return List.copyOf(all);
  }

  /** The same problems, found in a configuration that named {@code files} (with their versions). */
  ConfigException naming(Map<Path, String> files) {
    return new ConfigException(getMessage(), problems, Map.copyOf(files));
  }

  /** The problems, in the order in which they were found. */
  public List<Problem> problems() {
    return problems;
  }

  /**
   * The files on disk that the refused configuration named, those that could not be read among
   * them, each with its version as read ({@link ConfigWatcher#watch}): a change to any of them may
   * be the one that makes it valid (a key file that arrives after the configuration naming it, as
   * Kubernetes may update a config map before a secret).
   */
  public Map<Path, String> files() {
    return files;
  }

  private static String format(Map<String, List<Problem>> problemsBySource) {
    StringBuilder message = new StringBuilder();
    for (Map.Entry<String, List<Problem>> file : new LinkedHashMap<>(problemsBySource).entrySet()) {
      List<Problem> problems = file.getValue();
      if (problems.isEmpty()) {
        continue;
      }
      if (message.length() > 0) {
        message.append(System.lineSeparator());
      }
      message
          .append("Invalid ApiLink configuration ")
          .append(file.getKey())
          .append(" (")
          .append(problems.size())
          .append(problems.size() == 1 ? " problem):" : " problems):");
      for (Problem problem : problems) {
        message.append(System.lineSeparator()).append("  - ").append(problem);
      }
    }
    return message.toString();
  }

  /**
   * One problem: the JSON path of the value at fault (empty for the whole file) and what is wrong.
   */
  public record Problem(String path, String message) {
    @Override
    public String toString() {
      return path.isEmpty() ? message : path + ": " + message;
    }
  }
}
