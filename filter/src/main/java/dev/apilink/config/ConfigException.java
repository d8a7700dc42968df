package dev.apilink.config;

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

  public ConfigException(String source, List<Problem> problems) {
    this(Map.of(source, problems));
  }

  /**
   * Problems found in several files (the configuration and the route rules it names), each file's
   * listed under its name. Files without problems are left out.
   */
  public ConfigException(Map<String, List<Problem>> problemsBySource) {
    super(format(problemsBySource));
    List<Problem> all = new ArrayList<>();
    problemsBySource.values().forEach(all::addAll);
    this.problems = List.copyOf(all);
  }

  /** The problems, in the order in which they were found. */
  public List<Problem> problems() {
    return problems;
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
