package dev.apilink.config;

import static dev.apilink.config.JsonProblems.syntaxProblem;
import static dev.apilink.config.JsonProblems.was;
import static dev.apilink.config.JsonProblems.wasType;
import static dev.apilink.config.JsonProblems.wasValue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.apilink.config.ConfigException.Problem;
import dev.apilink.routes.RouteRules;
import dev.apilink.routes.RoutesLoader;
import dev.apilink.token.InvalidKeysException;
import dev.apilink.token.SigningKeys;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads {@code apilink.json}: parses it, resolves {@code ${env:NAME}} and {@code ${file:/path}}
 * references, and checks every value in one pass that collects all problems by JSON path.
 *
 * <p>Every environment is checked for its shape; only the environment this deployment is has its
 * references resolved, so that a production machine need not hold the staging key.
 *
 * <p>With {@link #withWebApplication}, also reads the route rules of the web application's {@code
 * staticwebapp.config.json} (or of the file that {@code routesFile} names); their problems are
 * listed with the others, under that file's name.
 */
public final class ConfigLoader {

  static final ObjectMapper JSON =
      JsonMapper.builder(JsonFactories.withoutThreadLocals())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
          .build();

  private static final Set<String> TOP_KEYS =
      Set.of("$schema", "hostname", "environments", "token", "identityProvider", "routesFile");
  private static final Set<String> ENVIRONMENT_KEYS = Set.of("backend", "pullRequest");
  private static final Set<String> BACKEND_KEYS =
      Set.of(
          "resourceType",
          "url",
          "subscriptionKey",
          "subscriptionKeyHeader",
          "audience",
          "connectTimeoutSeconds",
          "timeoutSeconds",
          "maxRequestBodyBytes",
          "maxConnections",
          "maxRequestsPerClientConnection",
          "keepAliveSeconds",
          "maxConnectionAgeSeconds",
          "maxResponseHeaderBytes",
          "proxyCredentials");
  private static final Set<String> TOKEN_KEYS =
      Set.of("signingKeyFile", "signingKeyId", "lifetimeSeconds", "header");

  private static final String DEFAULT_ENVIRONMENT_CHOSEN_BY =
      "default; set the filter's init-param \"environment\", the system property"
          + " apilink.environment or the environment variable APILINK_ENVIRONMENT";

  private static final Pattern REFERENCE = Pattern.compile("\\$\\{(env|file):(.+)}");

  /**
   * A value meant as a reference but written another way: {@code $env:NAME} (PowerShell's
   * spelling), {@code {env:NAME}}, {@code $file:/path}, or a whole shell or cmd variable, {@code
   * $NAME} or {@code %NAME%}, which nothing expands in a JSON file. Taken as it is, it would be
   * sent as the subscription key, and the gateway's 401 would not say why (found by reviewers).
   */
  private static final Pattern MISSPELT_REFERENCE =
      Pattern.compile(
          "(\\$|\\{|\\$\\()(?i:env|file):.*|\\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%",
          Pattern.DOTALL);

  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  /**
   * The longest authority a host name can make: 253 characters (RFC 1035's 255 octets on the wire)
   * and a port. Checked before {@link #HOST}, which matches labels by recursion: some thousands of
   * them overflowed the stack of the thread reading the file (a reviewer's 10,000 characters).
   */
  private static final int MAX_AUTHORITY_CHARS = 253 + ":65535".length();

  private static final Pattern HOST =
      Pattern.compile(
          "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\\.)*[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?::[0-9]{1,5})?");

  private final ConfigFiles files;
  private final ConfigFiles webApplication;
  private final Function<String, String> environmentVariables;
  private final boolean readSecrets;
  private final String environmentChosenBy;

  /**
   * @param files where the configuration and the files it names are read from
   * @param environmentVariables resolves {@code ${env:NAME}} ({@code System::getenv} in production)
   */
  public ConfigLoader(ConfigFiles files, Function<String, String> environmentVariables) {
    this(files, null, environmentVariables, true, DEFAULT_ENVIRONMENT_CHOSEN_BY);
  }

  private ConfigLoader(
      ConfigFiles files,
      ConfigFiles webApplication,
      Function<String, String> environmentVariables,
      boolean readSecrets,
      String environmentChosenBy) {
    this.files = files;
    this.webApplication = webApplication;
    this.environmentVariables = environmentVariables;
    this.readSecrets = readSecrets;
    this.environmentChosenBy = environmentChosenBy;
  }

  /**
   * A loader that also reads the route rules, from {@code webApplication}: the files of the web
   * application, named by their path in it ({@code /staticwebapp.config.json}). Without one, {@code
   * routesFile} is checked for its shape only and {@link SiteConfig#routes()} is empty.
   */
  public ConfigLoader withWebApplication(ConfigFiles webApplication) {
    return new ConfigLoader(
        files, webApplication, environmentVariables, readSecrets, environmentChosenBy);
  }

  /**
   * A loader whose problem for an environment that is not defined names what chose it ({@code "the
   * system property apilink.environment"}), so that the operator changes the setting that won.
   * Without one the message reads as for the default, and lists the filter's settings.
   */
  public ConfigLoader withEnvironmentChosenBy(String chosenBy) {
    return new ConfigLoader(files, webApplication, environmentVariables, readSecrets, chosenBy);
  }

  /**
   * A loader that checks the secrets' shape but never reads them: the backend's {@code
   * subscriptionKey} is null and {@code token.signingKeys} is empty. For the {@code link} command,
   * which runs before the subscription (and so its key) exists and has no use for private keys.
   */
  public ConfigLoader withoutSecrets() {
    return new ConfigLoader(
        files, webApplication, environmentVariables, false, environmentChosenBy);
  }

  /**
   * Reads the configuration at {@code location} for the environment {@code environmentName}.
   *
   * @throws ConfigException listing every problem found
   */
  public SiteConfig load(String location, String environmentName) throws ConfigException {
    Pass pass = new Pass(location, environmentName);
    byte[] json;
    try {
      json = pass.read(files, location);
    } catch (IOException e) {
      throw new ConfigException(
              location, List.of(new Problem("", "cannot read the file (" + describe(e) + ")")))
          .naming(pass.read);
    }
    try {
      return pass.run(json);
    } catch (ConfigException e) {
      throw e.naming(pass.read);
    }
  }

  /**
   * Why a file could not be read, as every "cannot read" message words it: the exception's simple
   * name and its message ({@code IOException: Is a directory}, {@code NoSuchFileException:
   * <path>}).
   */
  public static String describe(IOException e) {
    String type = e.getClass().getSimpleName();
    return e.getMessage() == null ? type : type + ": " + e.getMessage();
  }

  /** One reading of one file: the problems found so far and the files read, with their versions. */
  private final class Pass {
    final String source;
    final String environmentName;
    final List<Problem> problems = new ArrayList<>();
    final Map<Path, String> read = new LinkedHashMap<>();
    String routesSource = RoutesLoader.DEFAULT_LOCATION;
    final List<Problem> routesProblems = new ArrayList<>();

    /**
     * The reference that each value read from a file or an environment variable came from, by the
     * value's path.
     */
    final Map<String, Map.Entry<String, String>> fromReferences = new LinkedHashMap<>();

    Pass(String source, String environmentName) {
      this.source = source;
      this.environmentName = environmentName;
    }

    SiteConfig run(byte[] json) throws ConfigException {
      JsonNode root;
      try {
        root = JSON.readTree(JsonText.of(json));
      } catch (JsonProcessingException e) {
        throw new ConfigException(source, List.of(syntaxProblem(e)));
      } catch (IOException e) {
        throw new ConfigException(source, List.of(new Problem("", e.getMessage())));
      }
      if (root == null || root.isMissingNode()) {
        throw new ConfigException(source, List.of(new Problem("", "the file is empty")));
      }
      ObjectNode top = object(root, "", TOP_KEYS);
      if (top == null) {
        throw new ConfigException(source, problems);
      }

      URI origin = origin(top);
      String identityProvider =
          asWritten(
                  notBlank(text(top, "", "identityProvider", Use.RESOLVE), "identityProvider"),
                  "identityProvider")
              .orElse(SiteConfig.DEFAULT_IDENTITY_PROVIDER);
      Set<String> names = new LinkedHashSet<>();
      EnvironmentConfig environment = environments(top, names);
      TokenConfig token = token(top);
      checkCarriersDiffer(top, environment, token);
      RouteRules routes = routes(top);

      if (!problems.isEmpty() || !routesProblems.isEmpty()) {
        Map<String, List<Problem>> bySource = new LinkedHashMap<>();
        bySource.put(source, problems);
        bySource.put(routesSource, routesProblems);
        throw new ConfigException(bySource);
      }
      return new SiteConfig(
          origin,
          Set.copyOf(names),
          environment,
          token,
          identityProvider,
          routes,
          Map.copyOf(read));
    }

    /**
     * The route rules of the file {@code routesFile} names, else of the web application's {@code
     * /staticwebapp.config.json} if it has one; none with {@code "routesFile": false}.
     */
    private RouteRules routes(ObjectNode top) {
      JsonNode node = top.get("routesFile");
      if (node != null && node.isBoolean() && !node.booleanValue()) {
        return RouteRules.NONE;
      }
      String location = RoutesLoader.DEFAULT_LOCATION;
      if (node != null) {
        if (!node.isTextual()) {
          problem(
              "routesFile",
              "must be a path in the web application such as \"/staticwebapp.config.json\", or"
                  + " false"
                  + wasValue(node));
          return RouteRules.NONE;
        }
        Optional<String> given = text(top, "", "routesFile", Use.RESOLVE);
        if (given.isEmpty()) {
          return RouteRules.NONE;
        }
        location = given.get();
        if (!location.startsWith("/") || Arrays.asList(location.split("/")).contains("..")) {
          problem(
              "routesFile",
              "must be a path in the web application, starting with \"/\"" + was(location));
          return RouteRules.NONE;
        }
      }
      if (webApplication == null) {
        return RouteRules.NONE;
      }
      // Watched even while it does not exist: creating the file applies its rules.
      byte[] json;
      try {
        json = read(webApplication, location);
      } catch (NoSuchFileException e) {
        if (node != null) {
          problem("routesFile", "no file " + location + " in the web application");
        }
        return RouteRules.ABSENT;
      } catch (IOException e) {
        problem("routesFile", "cannot read " + location + " (" + describe(e) + ")");
        return RouteRules.NONE;
      }
      routesSource = location;
      RouteRules rules = RoutesLoader.parse(location, json, routesProblems);
      return rules == null ? RouteRules.NONE : rules;
    }

    private URI origin(ObjectNode top) {
      Optional<String> hostname = text(top, "", "hostname", Use.RESOLVE);
      if (hostname.isEmpty()) {
        if (!top.has("hostname")) {
          problem("hostname", "missing; give the site's public host name or origin");
        }
        return null;
      }
      String value = hostname.get();
      String candidate = value.contains("://") ? withLowerCaseScheme(value) : "https://" + value;
      if (candidate.endsWith("/")) {
        candidate = candidate.substring(0, candidate.length() - 1);
      }
      try {
        URI uri = new URI(candidate);
        boolean web = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
        if (web
            && uri.getRawAuthority() != null
            && uri.getRawAuthority().length() <= MAX_AUTHORITY_CHARS
            && HOST.matcher(uri.getRawAuthority()).matches()
            && hasValidPort(uri)
            && uri.getRawPath().isEmpty()
            && uri.getRawQuery() == null
            && uri.getRawFragment() == null) {
          return uri;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      problem("hostname", "not a host name or an http(s) origin" + was(value));
      return null;
    }

    private EnvironmentConfig environments(ObjectNode top, Set<String> names) {
      JsonNode node = top.get("environments");
      if (node == null) {
        problem("environments", "missing; define at least the environment \"production\"");
        return null;
      }
      if (!node.isObject()) {
        problem("environments", "must be an object" + wasType(node));
        return null;
      }
      EnvironmentConfig selected = null;
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> entry = it.next();
        String name = entry.getKey();
        if (name.isBlank()) {
          problem("environments", "an environment name must not be empty or blank" + was(name));
          continue;
        }
        String path = "environments." + name;
        names.add(name);
        boolean resolve = name.equals(environmentName);
        EnvironmentConfig environment = environment(entry.getValue(), path, name, resolve);
        if (resolve) {
          selected = environment;
        }
      }
      if (names.isEmpty()) {
        problem("environments", "must define at least one environment");
      } else if (!names.contains(environmentName)) {
        problem(
            "environments",
            "has no environment \""
                + environmentName
                + "\", the environment this deployment is (defined: "
                + String.join(", ", names)
                + "); chosen by "
                + environmentChosenBy);
      }
      return selected;
    }

    private EnvironmentConfig environment(
        JsonNode node, String path, String name, boolean resolve) {
      ObjectNode env = object(node, path, ENVIRONMENT_KEYS);
      if (env == null) {
        return null;
      }
      boolean pullRequest = bool(env, path, "pullRequest").orElse(false);
      JsonNode backendNode = env.get("backend");
      Optional<BackendConfig> backend = Optional.empty();
      if (backendNode != null) {
        if (pullRequest) {
          // Static Web Apps: backend integration is not supported on pull request environments.
          problem(
              path + ".backend",
              "backend integration is not supported on pull request environments");
        } else {
          backend = Optional.ofNullable(backend(backendNode, path + ".backend", resolve));
        }
      }
      return new EnvironmentConfig(name, pullRequest, backend);
    }

    private BackendConfig backend(JsonNode node, String path, boolean resolve) {
      ObjectNode backend = object(node, path, BACKEND_KEYS);
      if (backend == null) {
        return null;
      }
      Use use = resolve ? Use.RESOLVE : Use.SHAPE_ONLY;
      Use secret = resolve && readSecrets ? Use.RESOLVE_SECRET : Use.SHAPE_ONLY_SECRET;
      int before = problems.size();

      Optional<String> resourceType = required(backend, path, "resourceType", use);
      resourceType
          .filter(type -> !type.equals("apiManagement"))
          .ifPresent(
              type ->
                  problem(
                      path + ".resourceType",
                      "must be \"apiManagement\", the only backend ApiLink links" + was(type)));

      URI url =
          required(backend, path, "url", use).map(u -> gatewayUrl(path + ".url", u)).orElse(null);

      Optional<String> key = required(backend, path, "subscriptionKey", secret);
      key.ifPresent(
          k -> {
            if (k.isBlank()) {
              problem(path + ".subscriptionKey", "must not be empty");
            } else if (!isVisibleAscii(k)) {
              problem(
                  path + ".subscriptionKey",
                  "must contain only visible ASCII characters, no spaces or control characters"
                      + (isVisibleAscii(k.strip())
                          ? "; it starts or ends with white space or a line break (a secret"
                              + " written to its variable from a file?)"
                          : "")
                      + " (value not shown: it is a secret)");
            }
          });

      String keyHeader =
          carrierHeaderName(backend, path, "subscriptionKeyHeader", use)
              .orElse(BackendConfig.DEFAULT_SUBSCRIPTION_KEY_HEADER);
      // Written into the policy's <audience> by link, which must match every token's aud as it
      // is: an XML parser reads a carriage return there as a line feed, the testkit gateway trims
      // white space, and a control character such as U+0001 is no XML at all.
      String audience =
          asWritten(
                  notBlank(text(backend, path, "audience", use), path + ".audience"),
                  path + ".audience")
              .orElse(url == null ? null : url.toString());
      int connectTimeout =
          integer(backend, path, "connectTimeoutSeconds", 1, 3600, use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_CONNECT_TIMEOUT_SECONDS);
      int timeout =
          integer(backend, path, "timeoutSeconds", 0, 86_400, use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_TIMEOUT_SECONDS);
      long maxBody =
          integer(backend, path, "maxRequestBodyBytes", 0, Long.MAX_VALUE, use)
              .orElse(BackendConfig.DEFAULT_MAX_REQUEST_BODY_BYTES);
      int maxConnections =
          integer(backend, path, "maxConnections", 1, 65_536, use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_MAX_CONNECTIONS);
      int maxPerClientConnection =
          integer(backend, path, "maxRequestsPerClientConnection", 1, 65_536, use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_MAX_REQUESTS_PER_CLIENT_CONNECTION);
      int keepAlive =
          integer(backend, path, "keepAliveSeconds", 1, 3600, use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_KEEP_ALIVE_SECONDS);
      int maxAge =
          integer(backend, path, "maxConnectionAgeSeconds", 0, 86_400, use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_MAX_CONNECTION_AGE_SECONDS);
      int maxResponseHead =
          integer(
                  backend,
                  path,
                  "maxResponseHeaderBytes",
                  1024,
                  BackendConfig.MAX_RESPONSE_HEADER_BYTES,
                  use)
              .map(Long::intValue)
              .orElse(BackendConfig.DEFAULT_MAX_RESPONSE_HEADER_BYTES);

      Optional<String> proxyCredentials = text(backend, path, "proxyCredentials", secret);
      proxyCredentials.ifPresent(
          credentials -> {
            if (!validProxyCredentials(credentials)) {
              problem(
                  path + ".proxyCredentials",
                  "must be user:password, a user name without a colon, and no control characters"
                      + " (value not shown: it is a secret)");
            }
          });

      if (!resolve || problems.size() > before) {
        return null;
      }
      return new BackendConfig(
          url,
          readSecrets ? key.orElseThrow() : null,
          keyHeader,
          audience,
          connectTimeout,
          timeout,
          maxBody,
          maxConnections,
          maxPerClientConnection,
          keepAlive,
          maxAge,
          maxResponseHead,
          readSecrets ? proxyCredentials.orElse(null) : null);
    }

    private URI gatewayUrl(String path, String value) {
      try {
        URI uri = new URI(withLowerCaseScheme(value));
        boolean web = "https".equals(uri.getScheme()) || "http".equals(uri.getScheme());
        if (web
            && uri.getHost() != null
            && uri.getRawUserInfo() == null
            && uri.getRawQuery() == null
            && uri.getRawFragment() == null) {
          if (hasValidPort(uri)) {
            return uri;
          }
          problem(path, "the port must be from 1 to 65535" + was(value));
          return null;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      problem(
          path,
          "not an absolute http(s) URL without query or user info" + was(withoutSecrets(value)));
      return null;
    }

    /**
     * {@code value} with its user info and its query and fragment cut to {@code …}: a password, or
     * API Management's {@code subscription-key} parameter, is no part of a problem's message. All
     * up to the last {@code @} counts as user info: a password written as it is, with a {@code /},
     * {@code ?} or {@code #} in it, showed whole.
     */
    static String withoutSecrets(String value) {
      String shown = value.replaceFirst("(?s)^([A-Za-z][A-Za-z0-9+.-]*://)?.*@", "$1…@");
      int rest = indexOfQueryOrFragment(shown);
      return rest < 0 ? shown : shown.substring(0, rest + 1) + "…";
    }

    private static int indexOfQueryOrFragment(String value) {
      int query = value.indexOf('?');
      int fragment = value.indexOf('#');
      return query < 0 ? fragment : fragment < 0 ? query : Math.min(query, fragment);
    }

    private static boolean hasValidPort(URI uri) {
      return uri.getPort() == -1 || uri.getPort() >= 1 && uri.getPort() <= 65_535;
    }

    private TokenConfig token(ObjectNode top) {
      JsonNode node = top.get("token");
      ObjectNode token = node == null ? JSON.createObjectNode() : object(node, "token", TOKEN_KEYS);
      if (token == null) {
        return null;
      }
      // Without secrets (link), an unset ${env:...} for the key file or its kid is no problem.
      Use keyUse = readSecrets ? Use.RESOLVE : Use.SHAPE_ONLY;
      // Read as a path, "" is the working directory ("cannot read  (IOException: Is a directory)").
      Optional<String> keyFile =
          notBlank(text(token, "token", "signingKeyFile", keyUse), "token.signingKeyFile");
      Optional<String> keyId = text(token, "token", "signingKeyId", keyUse);
      int lifetime =
          integer(token, "token", "lifetimeSeconds", 30, 86_400, Use.RESOLVE)
              .map(Long::intValue)
              .orElse(TokenConfig.DEFAULT_LIFETIME_SECONDS);
      String header =
          carrierHeaderName(token, "token", "header", Use.RESOLVE)
              .orElse(TokenConfig.DEFAULT_HEADER);

      // As keygen refuses it for --kid; else "names no key" for "k1 " beside a key "k1". Checked
      // without secrets too: link reads no key file, but a kid the filter refuses is no site.
      Optional<String> keyIdProblem = keyId.flatMap(SigningKeys::kidProblem);
      keyIdProblem.ifPresent(problem -> problem("token.signingKeyId", problem));

      Optional<SigningKeys> keys = Optional.empty();
      if (keyFile.isPresent()) {
        keys =
            readSecrets
                ? signingKeys(keyFile.get(), keyId, keyIdProblem.isPresent())
                : Optional.empty();
      } else if (token.has("signingKeyId") && !token.has("signingKeyFile")) {
        problem("token.signingKeyId", "needs token.signingKeyFile");
      }
      return new TokenConfig(keyFile, keys, lifetime, header);
    }

    /** The key file's keys; its problems are reported even when the kid has one of its own. */
    private Optional<SigningKeys> signingKeys(
        String location, Optional<String> keyId, boolean keyIdRefused) {
      String json;
      try {
        json = JsonText.of(read(files, location));
      } catch (IOException e) {
        problem(
            "token.signingKeyFile",
            "cannot read " + location + " (" + describeReading(e, location) + ")");
        return Optional.empty();
      }
      SigningKeys keys;
      try {
        keys = SigningKeys.parse(json);
      } catch (InvalidKeysException e) {
        for (String message : e.problems()) {
          problem("token.signingKeyFile", location + ": " + message);
        }
        return Optional.empty();
      }
      if (keyIdRefused) {
        return Optional.empty();
      }
      if (keyId.isEmpty()) {
        return Optional.of(keys);
      }
      Optional<SigningKeys> chosen = keys.signingWith(keyId.get());
      if (chosen.isEmpty()) {
        problem(
            "token.signingKeyId",
            "names no key in "
                + location
                + " (kids: "
                + String.join(", ", keys.keyIds())
                + ")"
                + was(keyId.get()));
      }
      return chosen;
    }

    /**
     * Why {@code location} could not be read, naming it as written rather than as the file system
     * made it a path: a file's content named by mistake where a path belongs ({@code
     * "signingKeyFile": "${file:keys.json}"}) is replaced by its reference in the problem only when
     * it is shown as it is, and the file system merges the doubled slashes of a key set's {@code
     * x5u} ({@code https://}) or of a PEM key's Base64, which then showed the private key (found by
     * a reviewer).
     */
    private String describeReading(IOException e, String location) {
      String why = describe(e);
      try {
        Optional<Path> path = files.path(location);
        return path.isEmpty() ? why : why.replace(path.get().toString(), location);
      } catch (InvalidPathException notAPath) {
        return why;
      }
    }

    // ---- typed readers; each reports its own problems and returns empty on any ----

    private ObjectNode object(JsonNode node, String path, Set<String> known) {
      if (!node.isObject()) {
        problem(path, "must be an object" + wasType(node));
        return null;
      }
      for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!known.contains(key)) {
          problem(join(path, key), "unknown key" + JsonProblems.known(known));
        }
      }
      return (ObjectNode) node;
    }

    private Optional<String> required(ObjectNode parent, String path, String key, Use use) {
      if (!parent.has(key)) {
        problem(join(path, key), "missing");
        return Optional.empty();
      }
      return text(parent, path, key, use);
    }

    /**
     * {@code value}, or empty with a problem at {@code at} if white space begins or ends it or it
     * holds a control character: a value sent on as it is (the principal's {@code
     * identityProvider}, which every {@code userId} is derived from), where a line break that a
     * variable set from a file ends in would go unseen.
     */
    private Optional<String> asWritten(Optional<String> value, String at) {
      if (value.isPresent()
          && (!value.get().strip().equals(value.get())
              || value.get().chars().anyMatch(Character::isISOControl))) {
        problem(
            at,
            "must not start or end with white space, nor hold a line break or another control"
                + " character (was "
                + JSON.getNodeFactory().textNode(value.get())
                + ")");
        return Optional.empty();
      }
      return value;
    }

    /** {@code value}, or empty with a problem at {@code at} if it is empty or only spaces. */
    private Optional<String> notBlank(Optional<String> value, String at) {
      if (value.isPresent() && value.get().isBlank()) {
        problem(at, "must not be empty; leave it out for the default");
        return Optional.empty();
      }
      return value;
    }

    private Optional<String> text(ObjectNode parent, String path, String key, Use use) {
      JsonNode node = parent.get(key);
      String at = join(path, key);
      if (node == null) {
        return Optional.empty();
      }
      if (!node.isTextual()) {
        problem(at, "must be a string" + (use.secret ? wasType(node) : wasValue(node)));
        return Optional.empty();
      }
      return resolve(at, node.textValue(), use);
    }

    private Optional<String> headerName(ObjectNode parent, String path, String key, Use use) {
      String at = join(path, key);
      return text(parent, path, key, use)
          .filter(
              name -> {
                boolean valid = HEADER_NAME.matcher(name).matches();
                if (!valid) {
                  problem(at, "not a valid HTTP header name" + was(name));
                }
                return valid;
              });
    }

    /** A header name for the key or the token: valid, and not one the proxy handles itself. */
    private Optional<String> carrierHeaderName(
        ObjectNode parent, String path, String key, Use use) {
      return headerName(parent, path, key, use)
          .filter(
              name -> {
                boolean free = !ProxyHeaderNames.isHandledByProxy(name);
                if (!free) {
                  problem(
                      join(path, key), "a header that ApiLink sets or removes itself" + was(name));
                }
                return free;
              });
    }

    /** The key and the token travel in two different headers. */
    private void checkCarriersDiffer(
        ObjectNode top, EnvironmentConfig environment, TokenConfig token) {
      if (environment == null || token == null || environment.backend().isEmpty()) {
        return;
      }
      String keyHeader = environment.backend().get().subscriptionKeyHeader();
      if (keyHeader.equalsIgnoreCase(token.header())) {
        JsonNode tokenNode = top.get("token");
        if (tokenNode != null && tokenNode.has("header")) {
          problem(
              "token.header",
              "must differ from the header that carries the subscription key"
                  + was(token.header()));
        } else {
          problem(
              "environments." + environment.name() + ".backend.subscriptionKeyHeader",
              "must differ from token.header, which carries the token" + was(keyHeader));
        }
      }
    }

    /**
     * ", written without quotes" for a number given as a JSON string ({@code "timeoutSeconds":
     * "3"}), which the problem's {@code (was "3")} alone did not explain (found by review).
     */
    private static String quotedNumber(JsonNode node) {
      return node.isTextual() && node.textValue().strip().matches("-?[0-9]+(\\.[0-9]+)?")
          ? ", written without quotes"
          : "";
    }

    private Optional<Boolean> bool(ObjectNode parent, String path, String key) {
      JsonNode node = parent.get(key);
      if (node == null) {
        return Optional.empty();
      }
      if (!node.isBoolean()) {
        problem(join(path, key), "must be true or false" + wasValue(node));
        return Optional.empty();
      }
      return Optional.of(node.booleanValue());
    }

    private Optional<Long> integer(
        ObjectNode parent, String path, String key, long min, long max, Use use) {
      JsonNode node = parent.get(key);
      String at = join(path, key);
      if (node == null) {
        return Optional.empty();
      }
      String range =
          max == Long.MAX_VALUE
              ? "a whole number of at least " + min
              : "a whole number from " + min + " to " + max;
      Optional<Long> value;
      if (node.isIntegralNumber() && node.canConvertToLong()) {
        value = Optional.of(node.longValue());
      } else if (node.isTextual() && REFERENCE.matcher(node.textValue()).matches()) {
        Optional<String> text = resolve(at, node.textValue(), use);
        if (text.isEmpty() || !use.resolve) {
          return Optional.empty();
        }
        try {
          value = Optional.of(Long.parseLong(text.get().trim()));
        } catch (NumberFormatException e) {
          problem(at, "must be " + range + was(text.get()));
          return Optional.empty();
        }
      } else {
        problem(at, "must be " + range + quotedNumber(node) + wasValue(node));
        return Optional.empty();
      }
      if (value.get() < min || value.get() > max) {
        problem(at, "must be " + range + " (was " + value.get() + ")");
        return Optional.empty();
      }
      return value;
    }

    /** Resolves a whole-value {@code ${env:NAME}} or {@code ${file:/path}} reference. */
    private Optional<String> resolve(String path, String value, Use use) {
      if (!value.startsWith("${") && !MISSPELT_REFERENCE.matcher(value).matches()) {
        return Optional.of(value);
      }
      Matcher reference = REFERENCE.matcher(value);
      if (!reference.matches()) {
        problem(
            path,
            "not a valid reference; use ${env:NAME} or ${file:/path}"
                + (use.secret ? "" : was(value)));
        return Optional.empty();
      }
      if (!use.resolve) {
        return Optional.empty();
      }
      String target = reference.group(2);
      if (reference.group(1).equals("env")) {
        String resolved = environmentVariables.apply(target);
        if (resolved == null) {
          problem(path, "environment variable " + target + " is not set");
          return Optional.empty();
        }
        fromReferences.put(path, Map.entry(resolved, value));
        return Optional.of(resolved);
      }
      try {
        String content = JsonText.of(read(files, target)).stripTrailing();
        fromReferences.put(path, Map.entry(content, value));
        return Optional.of(content);
      } catch (IOException e) {
        problem(path, "cannot read " + target + " (" + describe(e) + ")");
        return Optional.empty();
      }
    }

    /**
     * Reads {@code location}, remembering the file for the watcher, also when it cannot be read (a
     * file that arrives later may be the change that makes the configuration valid), with the
     * version of what this read found: a change made after the read is then a change to the
     * watcher, where its version taken once the configuration was applied used to hide it (found by
     * a reviewer: a key file written between a refused change's read and the watcher's next look
     * was never read).
     */
    byte[] read(ConfigFiles source, String location) throws IOException {
      try {
        Optional<Path> file = source.path(location);
        file.ifPresent(path -> read.put(path, ConfigWatcher.version(path)));
        byte[] content;
        try {
          content = source.read(location);
        } catch (IOException e) {
          // Not the version taken a moment ago: with few file descriptors left, that reading may
          // succeed and this one fail, and the refusal then handed the watcher the version of the
          // whole file, which was no change to it any more: the valid change was never applied
          // (found by review h40a). Unreadable, the file is a change once it can be read.
          file.filter(path -> ConfigWatcher.isContent(read.get(path)))
              .ifPresent(path -> read.put(path, ConfigWatcher.unreadable(e)));
          throw e;
        }
        // The version of what was read, when the file was there: a rewrite that truncated the
        // file between the version above and this read left its version that of the whole file,
        // so that the whole file, back a moment later, was no change, and the empty read that was
        // refused stayed the last reading for good (found by a reviewer). Only then: a file that
        // is missing on the disk may be read from a packed WAR, whose content is no version of it.
        file.filter(path -> ConfigWatcher.isContent(read.get(path)))
            .ifPresent(path -> read.put(path, ConfigWatcher.version(content)));
        return content;
      } catch (InvalidPathException e) {
        // A NUL character: the file system's refusal is unchecked, and escaped the loader.
        throw new IOException("not a path: " + e.getReason(), e);
      }
    }

    /**
     * Adds a problem. A value read from a file or an environment variable is shown as its
     * reference: the file or the variable may be a secret one, named by mistake where a path or
     * another value belongs ({@code "signingKeyFile": "${file:keys.json}"} showed the private key,
     * {@code "url": "${env:APIM_KEY}"} the subscription key). A content shorter than 8 characters
     * is no such secret, and is replaced only where it is shown as the value ({@code (was 0)}), so
     * that "from 1 to 3600" stays as it is.
     */
    private void problem(String path, String message) {
      Map.Entry<String, String> resolved = fromReferences.get(path);
      if (resolved != null && !resolved.getKey().isEmpty()) {
        String content = resolved.getKey();
        String reference = resolved.getValue();
        message =
            message
                .replace(was(content), was(reference))
                .replace(" (was " + content + ")", was(reference));
        if (content.length() >= 8) {
          message = message.replace(content, reference);
        }
      }
      problems.add(new Problem(path, message));
    }

    private String join(String path, String key) {
      return path.isEmpty() ? key : path + "." + key;
    }
  }

  /** How a string value is used: resolved or only checked for its shape, secret or not. */
  private enum Use {
    RESOLVE(true, false),
    RESOLVE_SECRET(true, true),
    SHAPE_ONLY(false, false),
    /** A secret not read now (the command line checks its shape only): still never shown. */
    SHAPE_ONLY_SECRET(false, true);

    final boolean resolve;
    final boolean secret;

    Use(boolean resolve, boolean secret) {
      this.resolve = resolve;
      this.secret = secret;
    }
  }

  /** {@code HTTPS://Host} as {@code https://Host}: schemes are case-insensitive (RFC 3986 3.1). */
  private static String withLowerCaseScheme(String url) {
    int end = url.indexOf("://");
    return end < 0 ? url : url.substring(0, end).toLowerCase(Locale.ROOT) + url.substring(end);
  }

  /**
   * Basic credentials for a proxy: a user name, a colon, a password (RFC 7617: the user name cannot
   * hold a colon, the password can); no control characters, which could split the header.
   */
  private static boolean validProxyCredentials(String value) {
    int colon = value.indexOf(':');
    if (colon < 1) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A key goes out as a header value, and anything past visible ASCII would not arrive as written:
   * the HTTP client sends ISO-8859-1, with {@code ?} for what it cannot encode (RFC 9110 5.5 leaves
   * other octets to the recipient), and control characters could split the header.
   */
  private static boolean isVisibleAscii(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  /**
   * Jackson's messages can quote the text around the error, which may be a secret: keep the
   * position and the kind of error, not the quoted text.
   */
}
