package dev.apilink.link;

import java.util.regex.Pattern;

/** Quoting for the POSIX shell commands the reports suggest. */
final class Shell {

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

  private Shell() {}

  static String quote(String word) {
    if (PLAIN.matcher(word).matches()) {
      return word;
    }
    return "'" + word.replace("'", "'\\''") + "'";
  }
}
