package dev.apilink;

import dev.apilink.link.CommandLine;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * The drop-in JAR's entry point: {@code java -jar apilink-filter-<version>-all.jar <command>}, with
 * the commands {@code link}, {@code unlink} and {@code keygen}; {@code --help} lists them.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    // What the commands print is JSON, XML or a key file, which are UTF-8 whatever the locale:
    // System.out writes in the locale's charset, ASCII under LC_ALL=C, where an audience
    // "api://café" reached the policy as "api://caf?" and the gateway refused every token.
    PrintStream out =
        new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)),
            false,
            StandardCharsets.UTF_8);
    int status = run(args, out, System.err, System::getenv);
    out.flush();
    System.exit(status);
  }

  /**
   * Runs the command in {@code args}, printing to {@code out} and {@code err}.
   *
   * @return the exit status: 0 done, 1 configuration problem, output that could not be written (or
   *     ApiLink without its libraries), 2 bad arguments
   */
  public static int run(
      String[] args,
      PrintStream out,
      PrintStream err,
      Function<String, String> environmentVariables) {
    try {
      return CommandLine.run(args, out, err, environmentVariables);
    } catch (NoClassDefFoundError e) {
      err.println("apilink: " + MissingLibraries.explain(e).orElseThrow(() -> e));
      return 1;
    }
  }
}
