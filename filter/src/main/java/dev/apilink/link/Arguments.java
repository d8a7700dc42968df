package dev.apilink.link;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The options given to one command, each {@code --name value} or {@code --name=value}, at most
 * once. Commands take no positional arguments.
 */
final class Arguments {

  private static final char UNDECODABLE = '\uFFFD';

  private final Map<String, String> values;

  private Arguments(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /**
   * @param known the option names the command accepts, without the leading {@code --}
   * @throws UsageException naming the first unknown, repeated or valueless option
   */
  static Arguments parse(List<String> args, Set<String> known) throws UsageException {
    Map<String, String> values = new LinkedHashMap<>();
    for (String arg : args) {
      // The JVM decodes the command line in the locale's charset, and puts U+FFFD for what it
      // cannot: under LC_ALL=C, "--kid café" made a key whose kid nobody typed, and
      // "--context-path /café" an issuer that no token carries.
      if (arg.indexOf(UNDECODABLE) >= 0) {
        throw new UsageException(
            "the argument \""
                + arg
                + "\" could not be decoded in this locale (it holds U+FFFD); run with a UTF-8"
                + " locale, such as LC_ALL=C.UTF-8");
      }
    }
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (!arg.startsWith("--")) {
        throw new UsageException("unexpected argument \"" + arg + "\"");
      }
      int equals = arg.indexOf('=');
      String name = equals < 0 ? arg.substring(2) : arg.substring(2, equals);
      if (!known.contains(name)) {
        throw new UsageException("unknown option \"--" + name + "\"");
      }
      String value;
      if (equals >= 0) {
        value = arg.substring(equals + 1);
      } else if (i + 1 < args.size() && !args.get(i + 1).startsWith("--")) {
        value = args.get(++i);
      } else {
        throw new UsageException("--" + name + " needs a value");
      }
      if (value.isBlank()) {
        throw new UsageException("--" + name + " needs a value");
      }
      if (values.putIfAbsent(name, value) != null) {
        throw new UsageException("--" + name + " is given more than once");
      }
    }
    return new Arguments(values);
  }

  Optional<String> get(String name) {
    return Optional.ofNullable(values.get(name));
  }

  String required(String name) throws UsageException {
    String value = values.get(name);
    if (value == null) {
      throw new UsageException("--" + name + " is required");
    }
    return value;
  }
}
