package dev.apilink.testkit.gateway;

import java.util.List;

/**
 * A gateway set-up that cannot be used: a policy document, a gateway description, an ARM template
 * or the whole set of APIs, products and subscriptions. The message lists every problem found, each
 * prefixed by where it is (a JSON path, or the policy document's owner).
 */
public final class GatewayConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final transient List<String> problems;

  /**
   * @param title what was read, such as {@code gateway description gateway.json}; null when the one
   *     problem says it all
   */
  GatewayConfigException(String title, List<String> problems) {
    super(format(title, problems));
    this.problems = List.copyOf(problems);
  }

  /** One problem that names its own source, such as a policy document. */
  GatewayConfigException(String problem) {
    this(null, List.of(problem));
  }

  /** The problems, in the order in which they were found. */
  public List<String> problems() {
    return problems;
  }

  private static String format(String title, List<String> problems) {
    if (title == null && problems.size() == 1) {
      return problems.get(0);
    }
    StringBuilder message =
        new StringBuilder("Invalid ")
            .append(title == null ? "gateway configuration" : title)
            .append(" (")
            .append(problems.size())
            .append(problems.size() == 1 ? " problem):" : " problems):");
    for (String problem : problems) {
      message.append("\n  - ").append(problem);
    }
    return message.toString();
  }
}
