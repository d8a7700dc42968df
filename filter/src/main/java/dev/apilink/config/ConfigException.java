package dev.apilink.config;

import java.util.List;

/**
 * An ApiLink configuration that cannot be used. The message lists every problem, each prefixed by
 * the JSON path of the value at fault; it never contains a secret.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient List<Problem> problems;

  public ConfigException(String source, List<Problem> problems) {
    super(format(source, problems));
    this.problems = List.copyOf(problems);
  }

  /** The problems, in the order in which they were found. */
  public List<Problem> problems() {
    return problems;
  }

  private static String format(String source, List<Problem> problems) {
    StringBuilder message =
        new StringBuilder("Invalid ApiLink configuration ")
            .append(source)
            .append(" (")
            .append(problems.size())
            .append(problems.size() == 1 ? " problem):" : " problems):");
    for (Problem problem : problems) {
      message.append(System.lineSeparator()).append("  - ").append(problem);
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
