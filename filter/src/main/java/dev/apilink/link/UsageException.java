package dev.apilink.link;

/** Command-line arguments that cannot be used; the message names the problem in one line. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
