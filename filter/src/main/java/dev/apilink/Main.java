package dev.apilink;

import dev.apilink.link.CommandLine;
import java.io.PrintStream;
import java.util.function.Function;

/**
 * The drop-in JAR's entry point: {@code java -jar apilink-filter-<version>-all.jar <command>}, with
 * the commands {@code link}, {@code unlink} and {@code keygen}; {@code --help} lists them.
 */
public final class Main {

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System::getenv));
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
