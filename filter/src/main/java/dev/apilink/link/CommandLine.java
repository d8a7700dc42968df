package dev.apilink.link;

import java.io.PrintStream;
import java.util.List;
import java.util.function.Function;

/**
 * The drop-in JAR's command line: {@code link}, {@code unlink} and {@code keygen}. Exit status 0
 * when done, 1 for a configuration problem or output that could not be written, 2 for arguments
 * that cannot be used.
 */
public final class CommandLine {

  public static final int OK = 0;
  public static final int CONFIGURATION_PROBLEM = 1;
  public static final int BAD_ARGUMENTS = 2;

  static final String USAGE =
      """
      Usage: java -jar apilink-filter-<version>-all.jar <command> [options]

      Commands:
        link    --config <file> [--environment <name>] [--context-path </path>]
                [--format text|policy|arm|json] [--apim-service <name>]
                Print what to create in API Management for a linked environment, as Static
                Web Apps' linking creates it: the product, its subscription and the product's
                validate-jwt policy, also as an ARM template. Prints no secret.
        unlink  --config <file> [--environment <name>] [--context-path </path>]
                [--apim-service <name>]
                Print how to unlink the environment, what stays in API Management afterwards,
                and the commands that delete it.
        keygen  [--kid <id>] [--bits 2048|3072|4096] [--add-to <jwks-file>]
                Print a new private JWK set (RSA, RS256) for token.signingKeyFile; with
                --add-to, the file's keys with the new key appended, for rotation. Write the
                output to a new file that only its owner can read, then move it over the old
                one: (umask 077; java -jar <this jar> keygen > keys.new) && mv keys.new keys.json

      Options:
        --config        the site's apilink.json; inside a WEB-INF directory, /WEB-INF/...
                        references are read from that directory
        --environment   the environment (default: APILINK_ENVIRONMENT, else production)
        --context-path  where the web application is deployed (default: /); part of the
                        tokens' issuer and of the discovery URL, and, if not /, of the
                        product's and subscription's names
        --format        text (default), policy (the XML), arm (the template), json (a summary)
        --apim-service  the API Management service's name (default: <name> of a backend url
                        at <name>.azure-api.net; for any other host, none)
        --kid           the new key's id (default: its RFC 7638 thumbprint); API Management
                        compares it exactly, so no white space at either end, no control
                        characters
        --bits          the new key's size (default: 2048)
        --add-to        a private JWK or JWK set to append the new key to
        --help, -h      print this text

      Exit status: 0 done, 1 configuration problem or output not written (standard output
      closed or full), 2 bad arguments.
      """;

  private CommandLine() {}

  /**
   * Runs one command.
   *
   * @param environmentVariables {@code System::getenv} in production
   * @return the exit status
   */
  public static int run(
      String[] args,
      PrintStream out,
      PrintStream err,
      Function<String, String> environmentVariables) {
    List<String> arguments = List.of(args);
    if (asksForHelp(arguments)) {
      out.print(USAGE);
      return written(out, err, "apilink") ? OK : CONFIGURATION_PROBLEM;
    }
    if (arguments.isEmpty()) {
      return usage(err, "apilink: no command given");
    }
    String command = arguments.get(0);
    List<String> options = arguments.subList(1, arguments.size());
    int status;
    try {
      status =
          switch (command) {
            case "link" -> LinkCommand.run(options, out, err, environmentVariables);
            case "unlink" -> UnlinkCommand.run(options, out, err, environmentVariables);
            case "keygen" -> KeygenCommand.run(options, out, err);
            default -> usage(err, "apilink: unknown command \"" + command + "\"");
          };
    } catch (UsageException e) {
      return usage(err, "apilink " + command + ": " + e.getMessage());
    }
    if (status == OK && !written(out, err, "apilink " + command)) {
      return CONFIGURATION_PROBLEM;
    }
    return status;
  }

  /**
   * Whether {@code --help} or {@code -h} stands where an option may. No value starts with {@code
   * --}, but {@code -h} after an option without {@code =} is that option's value ({@code --kid
   * -h}).
   */
  private static boolean asksForHelp(List<String> arguments) {
    for (int i = 0; i < arguments.size(); i++) {
      String argument = arguments.get(i);
      boolean valuePosition =
          i > 0 && arguments.get(i - 1).startsWith("--") && !arguments.get(i - 1).contains("=");
      if (argument.equals("--help") || (argument.equals("-h") && !valuePosition)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether everything printed to {@code out} reached it; if not, says so on {@code err}. A {@link
   * PrintStream} never throws: without this, {@code link --format arm > link.json} on a full disk
   * or into a closed pipe exits 0, and a {@code set -e} script deploys what is left of the file.
   */
  static boolean written(PrintStream out, PrintStream err, String who) {
    out.flush();
    if (!out.checkError()) {
      return true;
    }
    err.println(who + ": the output could not be written (standard output closed or full)");
    return false;
  }

  private static int usage(PrintStream err, String problem) {
    err.println(problem);
    err.println();
    err.print(USAGE);
    return BAD_ARGUMENTS;
  }
}
