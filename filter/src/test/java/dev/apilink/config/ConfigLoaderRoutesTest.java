package dev.apilink.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.routes.RouteRules;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code routesFile}: where the route rules for {@code /api} come from. */
class ConfigLoaderRoutesTest {

  static final String RULES =
      """
      {"routes": [{"route": "/api/admin/*", "allowedRoles": ["admin"]},
                  {"route": "/api/reports/*", "allowedRoles": ["reader", "admin"]}]}
      """;

  @TempDir Path dir;
  Path webapp;

  @BeforeEach
  void webApplication() throws Exception {
    webapp = Files.createDirectories(dir.resolve("webapp"));
    Files.createDirectories(webapp.resolve("WEB-INF"));
  }

  ConfigLoader loader() {
    return new ConfigLoader(
            ConfigFiles.fileSystem(dir, Optional.of(webapp.resolve("WEB-INF"))),
            Map.<String, String>of()::get)
        .withWebApplication(ConfigFiles.directory(webapp));
  }

  SiteConfig load(String routesFile) throws Exception {
    Files.writeString(webapp.resolve("WEB-INF/apilink.json"), config(routesFile));
    return loader().load("/WEB-INF/apilink.json", "production");
  }

  List<String> problems(String routesFile) throws Exception {
    Files.writeString(webapp.resolve("WEB-INF/apilink.json"), config(routesFile));
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> loader().load("/WEB-INF/apilink.json", "production"));
    return e.problems().stream().map(ConfigException.Problem::toString).toList();
  }

  static String config(String routesFile) {
    return "{\"hostname\": \"a.example\", \"environments\": {\"production\": {}}"
        + (routesFile == null ? "" : ", \"routesFile\": " + routesFile)
        + "}";
  }

  @Test
  void theWebApplicationsStaticWebAppConfigIsReadByDefault() throws Exception {
    Files.writeString(webapp.resolve("staticwebapp.config.json"), RULES);

    SiteConfig site = load(null);

    assertEquals(2, site.routes().size());
    assertEquals("/staticwebapp.config.json", site.routes().source());
    assertEquals(List.of("admin", "reader"), site.routes().customRoles());
    assertEquals(
        Set.of(
            webapp.resolve("WEB-INF/apilink.json").toAbsolutePath(),
            webapp.resolve("staticwebapp.config.json").toAbsolutePath()),
        site.files().keySet());
  }

  @Test
  void withoutTheDefaultFileThereAreNoRulesButItsPathIsWatched() throws Exception {
    SiteConfig site = load(null);

    assertTrue(site.routes().isEmpty());
    assertTrue(
        site.files().containsKey(webapp.resolve("staticwebapp.config.json").toAbsolutePath()));
  }

  @Test
  void routesFileNamesAnotherFileOfTheWebApplication() throws Exception {
    Files.writeString(webapp.resolve("WEB-INF/staticwebapp.config.json"), RULES);
    Files.writeString(webapp.resolve("staticwebapp.config.json"), "{\"routes\": []}");

    SiteConfig site = load("\"/WEB-INF/staticwebapp.config.json\"");

    assertEquals(2, site.routes().size());
    assertEquals("/WEB-INF/staticwebapp.config.json", site.routes().source());
  }

  @Test
  void routesFileFalseLeavesTheFileUnread() throws Exception {
    Files.writeString(webapp.resolve("staticwebapp.config.json"), "not even JSON");

    SiteConfig site = load("false");

    assertEquals(RouteRules.NONE, site.routes());
    assertEquals(
        Set.of(webapp.resolve("WEB-INF/apilink.json").toAbsolutePath()), site.files().keySet());
  }

  @Test
  void aRoutesFileThatIsNotThereIsAProblem() throws Exception {
    assertEquals(
        List.of("routesFile: no file /rules.json in the web application"),
        problems("\"/rules.json\""));
  }

  /**
   * A {@code routesFile} from an unset variable is a problem, and the default file is not read in
   * its place: its rules are not the ones named. Coverage (review C) showed no test of it.
   */
  @Test
  void aRoutesFileFromAnUnsetVariableIsAProblemAndTheDefaultFileIsNotRead() throws Exception {
    Files.writeString(webapp.resolve("staticwebapp.config.json"), "not even JSON");

    assertEquals(
        List.of("routesFile: environment variable APILINK_ROUTES_FILE is not set"),
        problems("\"${env:APILINK_ROUTES_FILE}\""));
  }

  @Test
  void aRoutesFileThatCannotBeReadIsAProblemThatSaysWhy() throws Exception {
    Files.createDirectories(webapp.resolve("rules"));

    assertEquals(
        List.of("routesFile: cannot read /rules (IOException: Is a directory)"),
        problems("\"/rules\""));
  }

  @Test
  void routesFileIsAPathInTheWebApplicationOrFalse() throws Exception {
    assertEquals(
        List.of(
            "routesFile: must be a path in the web application such as"
                + " \"/staticwebapp.config.json\", or false (was true)"),
        problems("true"));
    assertEquals(
        List.of(
            "routesFile: must be a path in the web application, starting with \"/\" (was"
                + " \"staticwebapp.config.json\")"),
        problems("\"staticwebapp.config.json\""));
    assertEquals(
        List.of(
            "routesFile: must be a path in the web application, starting with \"/\" (was"
                + " \"/../secrets.json\")"),
        problems("\"/../secrets.json\""));
  }

  @Test
  void problemsInBothFilesAreListedTogetherEachUnderItsFile() throws Exception {
    Files.writeString(
        webapp.resolve("staticwebapp.config.json"),
        "{\"routes\": [{\"route\": \"/api/*\", \"allowedRoles\": [\"admins!\"]}]}");
    Files.writeString(
        webapp.resolve("WEB-INF/apilink.json"),
        "{\"hostname\": \"a.example\", \"environments\": {\"production\": {}}, \"tokn\": {}}");

    ConfigException e =
        assertThrows(
            ConfigException.class, () -> loader().load("/WEB-INF/apilink.json", "production"));

    String n = System.lineSeparator();
    assertEquals(
        "Invalid ApiLink configuration /WEB-INF/apilink.json (1 problem):"
            + n
            + "  - tokn: unknown key (known here: $schema, environments, hostname,"
            + " identityProvider, routesFile, token)"
            + n
            + "Invalid ApiLink configuration /staticwebapp.config.json (1 problem):"
            + n
            + "  - routes[0].allowedRoles[0]: a role name has only the characters a-z, A-Z, 0-9"
            + " and _ (was \"admins!\")",
        e.getMessage());
  }

  @Test
  void aLoaderWithoutTheWebApplicationReadsNoRules() throws Exception {
    Files.writeString(webapp.resolve("staticwebapp.config.json"), RULES);
    Files.writeString(webapp.resolve("WEB-INF/apilink.json"), config(null));

    SiteConfig site =
        new ConfigLoader(
                ConfigFiles.fileSystem(dir, Optional.of(webapp.resolve("WEB-INF"))),
                Map.<String, String>of()::get)
            .load("/WEB-INF/apilink.json", "production");

    assertTrue(site.routes().isEmpty());
  }
}
