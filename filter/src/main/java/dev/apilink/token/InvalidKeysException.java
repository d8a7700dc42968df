package dev.apilink.token;

import java.util.List;

/** A signing key file that cannot be used; each problem names the key at fault, never its value. */
public final class InvalidKeysException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient List<String> problems;

  public InvalidKeysException(List<String> problems) {
    super(String.join("; ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
