package dev.apilink.link;

import dev.apilink.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One run of the command line, through {@link Main#run}, with what it printed. */
record Run(int status, String out, String err) {

  static Run of(Map<String, String> environmentVariables, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = Main.run(args, outStream, errStream, environmentVariables::get);
    }
    return new Run(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static Run of(String... args) {
    return of(Map.of(), args);
  }

  /**
   * A run whose standard output fails every write, as {@code > /dev/full} or a closed pipe makes it
   * fail; {@link #out()} is empty.
   */
  static Run withUnwritableOutput(String... args) {
    OutputStream full =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            throw new IOException("No space left on device");
          }
        };
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status;
    try (PrintStream outStream = new PrintStream(full, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      status = Main.run(args, outStream, errStream, Map.<String, String>of()::get);
    }
    return new Run(status, "", err.toString(StandardCharsets.UTF_8));
  }

  /** Everything printed, on either stream. */
  String all() {
    return out + err;
  }
}
