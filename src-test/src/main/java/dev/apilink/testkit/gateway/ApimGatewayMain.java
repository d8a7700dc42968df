package dev.apilink.testkit.gateway;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Runs an {@link ApimGateway} from gateway descriptions and ARM templates until Ctrl-C.
 *
 * <pre>
 * java -jar apilink-testkit-&lt;version&gt;-gateway.jar \
 *     --config gateway.json [--arm template.json] [--port 8081]
 * </pre>
 *
 * <p>Exit codes: 0 after {@code --help}, 1 when the files cannot be used or the port cannot be
 * bound, 2 for bad arguments; stopped by Ctrl-C or SIGTERM, the JVM's 130 or 143 (its shutdown hook
 * closes the gateway first).
 */
public final class ApimGatewayMain {

  static final String USAGE =
      """
      Usage: java -jar apilink-testkit-<version>-gateway.jar
               (--config <gateway.json> | --arm <template.json>)... [--port <n>] [--host <address>]
               [--clock-offset <seconds>]

      Runs an Azure API Management-compatible gateway until Ctrl-C.

        --config <file>   a gateway description (JSON: port, apis, products, subscriptions);
                          repeatable
        --arm <file>      an ARM template with APIM products, subscriptions, product policies,
                          APIs and product APIs, such as the link command prints; repeatable
        --port <n>        the port to listen on (default: the description's "port", else a free one)
        --host <address>  the address to listen on (default: 127.0.0.1)
        --clock-offset <seconds>
                          runs the gateway's clock this many seconds ahead of the machine's
                          (negative: behind), for validate-jwt's token times and the Date of
                          the gateway's answers: shows what a site whose clock is wrong gets
        --help, -h        prints this text

      An option's value may also follow an equals sign: --port=8081, --config=gateway.json.

      The first line printed is "APIM gateway listening on <url>" (with --port 0, the port
      chosen). Exit status: 1 when the files cannot be used or the address cannot be bound, 2 for
      bad arguments (an unknown option, one without its value, --port, --host or
      --clock-offset given twice);
      after Ctrl-C or SIGTERM, 130 or 143.

      The files are merged: an ARM .../products/apis resource may name a product or an API
      declared in another file. Unknown keys are errors. A subscription without "primaryKey"/"secondaryKey" gets new
      random keys on each start; give them to keep the keys.

      A gateway description: an API, a product that requires a subscription and holds it (its
      policy inline as "policy", or as "policyFile", relative to the description), a subscription:

        {"port": 8081,
         "apis": [{"name": "orders", "path": "api", "serviceUrl": "http://127.0.0.1:9000"}],
         "products": [{"id": "site", "subscriptionRequired": true, "apis": ["orders"],
                       "policyFile": "policy.xml"}],
         "subscriptions": [{"id": "site", "scope": "/products/site",
                            "primaryKey": "dev-primary-key", "secondaryKey": "dev-secondary-key"}]}

      An ARM template: the resource types Microsoft.ApiManagement/service/products,
      .../subscriptions (with "primaryKey" and "secondaryKey" in its properties to keep them),
      .../products/policies, .../apis and .../products/apis, named "<service>/<id>" or
      "[concat(parameters('p'), '/<id>')]". To add an API to the product of the link command's
      template (--arm link.json), give a second template (--arm api.json):

        {"resources": [
          {"type": "Microsoft.ApiManagement/service/apis", "apiVersion": "2022-08-01",
           "name": "dev/orders", "properties": {"path": "api", "serviceUrl": "http://127.0.0.1:9000"}},
          {"type": "Microsoft.ApiManagement/service/products/apis", "apiVersion": "2022-08-01",
           "name": "dev/<product id>/orders"}]}
      """;

  /**
   * Jetty's own loggers, kept to warnings on the command line: its start-up lines (version,
   * connector, server) would come before the gateway's and say nothing those do not. Held here so
   * that the level stays.
   */
  private static final java.util.logging.Logger JETTY =
      java.util.logging.Logger.getLogger("org.eclipse.jetty");

  private ApimGatewayMain() {}

  public static void main(String[] args) {
    JETTY.setLevel(Level.WARNING);
    int exitCode = run(args, System.out, System.err);
    System.exit(exitCode);
  }

  /**
   * Runs the gateway until the JVM shuts down.
   *
   * @return the exit code: 0 after a clean stop, 1 when the set-up cannot be used, 2 for bad
   *     arguments
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(
        args,
        out,
        err,
        gateway -> {
          Thread hook = new Thread(gateway::close, "apim-gateway-shutdown");
          Runtime.getRuntime().addShutdownHook(hook);
        });
  }

  /** As {@link #run(String[], PrintStream, PrintStream)}, handing the running gateway over. */
  static int run(String[] args, PrintStream out, PrintStream err, Consumer<ApimGateway> started) {
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println();
      err.print(USAGE);
      return 2;
    }
    if (options == null) {
      out.print(USAGE);
      return 0;
    }

    ApimGateway gateway;
    try {
      ApimGateway.Builder builder = ApimGateway.builder().host(options.host);
      for (Path file : options.configs) {
        builder.description(file);
      }
      for (Path file : options.armTemplates) {
        builder.armTemplate(file);
      }
      if (options.port != null) {
        builder.port(options.port);
      }
      if (options.clockOffsetSeconds != null) {
        builder.clock(
            Clock.offset(Clock.systemUTC(), Duration.ofSeconds(options.clockOffsetSeconds)));
      }
      gateway = builder.start();
    } catch (GatewayConfigException | UncheckedIOException e) {
      err.println(e.getMessage());
      return 1;
    }
    printStarted(gateway, out);
    Handler requests = new RequestLines(out);
    GatewayHandler.LOG.setLevel(Level.FINE);
    GatewayHandler.LOG.addHandler(requests);
    started.accept(gateway);
    try {
      gateway.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      gateway.close();
    } finally {
      GatewayHandler.LOG.removeHandler(requests);
      GatewayHandler.LOG.setLevel(null);
    }
    return 0;
  }

  /** Prints each request the gateway takes and why it refused one, a line each. */
  private static final class RequestLines extends Handler {
    private final PrintStream out;

    RequestLines(PrintStream out) {
      this.out = out;
      setLevel(Level.FINE);
    }

    @Override
    public void publish(LogRecord record) {
      if (isLoggable(record)) {
        out.println(MessageFormat.format(record.getMessage(), record.getParameters()));
      }
    }

    @Override
    public void flush() {
      out.flush();
    }

    @Override
    public void close() {}
  }

  private static void printStarted(ApimGateway gateway, PrintStream out) {
    out.println("APIM gateway listening on " + gateway.url());
    for (Api api : gateway.apis()) {
      out.println("API \"" + api.name() + "\": /" + api.path() + " -> " + api.serviceUrl());
    }
    for (Product product : gateway.products()) {
      out.println(
          "product \""
              + product.id()
              + "\" ("
              + (product.subscriptionRequired() ? "subscription required" : "open")
              + "): APIs "
              + product.apis()
              + (product.policyXml() == null ? "" : ", with a policy"));
    }
    for (Subscription subscription : gateway.subscriptions()) {
      out.println(
          "subscription \""
              + subscription.id()
              + "\" (product \""
              + subscription.productId()
              + "\", "
              + subscription.state()
              + ")");
      out.println("  primary key:   " + subscription.primaryKey());
      out.println("  secondary key: " + subscription.secondaryKey());
    }
    out.println("Press Ctrl-C to stop.");
    out.flush();
  }

  /** The command line, checked. */
  private static final class Options {
    final List<Path> configs = new ArrayList<>();
    final List<Path> armTemplates = new ArrayList<>();
    Integer port;
    Integer clockOffsetSeconds;
    String host = "127.0.0.1";
    boolean hostGiven;

    /** The options that take a value, as {@code --name value} or {@code --name=value}. */
    private static final Set<String> WITH_VALUE =
        Set.of("--config", "--arm", "--host", "--port", "--clock-offset");

    /** The options, or null when help was asked for. */
    static Options parse(String[] args) {
      Options options = new Options();
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        int equals = arg.startsWith("--") ? arg.indexOf('=') : -1;
        String option = equals < 0 ? arg : arg.substring(0, equals);
        String value = null;
        if (WITH_VALUE.contains(option)) {
          value = equals < 0 ? value(args, ++i, option) : arg.substring(equals + 1);
          if (value.isBlank()) {
            throw new IllegalArgumentException(option + " needs a value");
          }
        } else if (equals >= 0 && option.equals("--help")) {
          throw new IllegalArgumentException(option + " takes no value");
        }
        switch (option) {
          case "--help", "-h" -> {
            return null;
          }
          case "--config" -> options.configs.add(Path.of(value));
          case "--arm" -> options.armTemplates.add(Path.of(value));
          case "--host" -> {
            once(options.hostGiven, option);
            options.hostGiven = true;
            options.host = value;
          }
          case "--port" -> {
            once(options.port != null, option);
            options.port = port(value);
          }
          case "--clock-offset" -> {
            once(options.clockOffsetSeconds != null, option);
            options.clockOffsetSeconds = clockOffset(value);
          }
          default ->
              throw new IllegalArgumentException(
                  (option.startsWith("-") ? "unknown option " : "unexpected argument ")
                      + Checks.quote(option));
        }
      }
      if (options.configs.isEmpty() && options.armTemplates.isEmpty()) {
        throw new IllegalArgumentException("give at least one --config or --arm file");
      }
      return options;
    }

    /** --config and --arm add a file each; the others hold one value. */
    private static void once(boolean alreadyGiven, String option) {
      if (alreadyGiven) {
        throw new IllegalArgumentException(option + " is given more than once");
      }
    }

    private static String value(String[] args, int index, String option) {
      if (index >= args.length || args[index].startsWith("--")) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return args[index];
    }

    private static int port(String value) {
      try {
        int port = Integer.parseInt(value);
        if (port >= 0 && port <= 65535) {
          return port;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
      throw new IllegalArgumentException(
          "--port must be an integer from 0 to 65535 (was " + Checks.quote(value) + ")");
    }

    private static int clockOffset(String value) {
      try {
        return Integer.parseInt(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "--clock-offset must be a whole number of seconds, such as 300 or -300 (was "
                + Checks.quote(value)
                + ")");
      }
    }
  }
}
