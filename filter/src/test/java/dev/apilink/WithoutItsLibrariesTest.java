package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import jakarta.servlet.Filter;
import jakarta.servlet.ServletException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * ApiLink's own classes without the libraries that the drop-in JAR relocates into itself: what a
 * user gets who copies {@code apilink-filter-<version>.jar}, next to the {@code -all} JAR in {@code
 * filter/target}, into {@code WEB-INF/lib}. It answered a bare {@code NoClassDefFoundError:
 * com/fasterxml/jackson/core/JsonFactory} that never named ApiLink (on Tomcat 10.1.59 only in
 * {@code localhost.<date>.log}, {@code catalina.out} saying "One or more Filters failed to start"),
 * and {@code link} a stack trace (found by review).
 */
class WithoutItsLibrariesTest {

  /** The libraries that the drop-in JAR relocates under {@code dev.apilink.shaded}. */
  static final List<String> LIBRARIES =
      List.of("com.fasterxml.jackson.", "org.eclipse.jetty.", "com.nimbusds.", "org.slf4j.");

  static final URL CLASSES =
      ApiLinkFilter.class.getProtectionDomain().getCodeSource().getLocation();

  /** What ApiLink says without the libraries, its classes being in {@link #CLASSES}. */
  static String withoutLibraries(String missingClass) {
    return "the class "
        + missingClass
        + " is missing: "
        + CLASSES
        + " is ApiLink without the libraries it needs; use apilink-filter-<version>-all.jar,"
        + " the only JAR ApiLink needs, in its place";
  }

  /** ApiLink's classes alone, as WEB-INF/lib holds them: the servlet API from the container. */
  static URLClassLoader apiLinkAlone() {
    ClassLoader container =
        new ClassLoader(WithoutItsLibrariesTest.class.getClassLoader()) {
          @Override
          protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (name.startsWith("dev.apilink.") || LIBRARIES.stream().anyMatch(name::startsWith)) {
              throw new ClassNotFoundException(name);
            }
            return super.loadClass(name, resolve);
          }
        };
    return new URLClassLoader(new URL[] {CLASSES}, container);
  }

  @Test
  void theFilterRefusesToStartSayingWhichJarToUse() throws Exception {
    try (URLClassLoader loader = apiLinkAlone()) {
      Filter filter =
          (Filter) loader.loadClass(ApiLinkFilter.class.getName()).getConstructor().newInstance();

      ServletException e =
          assertThrows(
              ServletException.class,
              () ->
                  filter.init(
                      OlderServletContainerTest.inContainer(
                          "Apache Tomcat/11.0.24", 6, 0, new ArrayList<>())));

      assertEquals(
          "ApiLink cannot start: " + withoutLibraries("com.fasterxml.jackson.core.JsonFactory"),
          e.getMessage());
    }
  }

  @Test
  void linkSaysWhichJarToUseInsteadOfAStackTrace() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Function<String, String> noVariables = name -> null;

    int status;
    try (URLClassLoader loader = apiLinkAlone()) {
      status =
          (int)
              loader
                  .loadClass(Main.class.getName())
                  .getMethod(
                      "run", String[].class, PrintStream.class, PrintStream.class, Function.class)
                  .invoke(
                      null,
                      new String[] {"link", "--config", "apilink.json"},
                      new PrintStream(out, true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8),
                      noVariables);
    }

    assertEquals(1, status);
    assertEquals("", out.toString(StandardCharsets.UTF_8));
    assertEquals(
        "apilink: "
            + withoutLibraries("com.fasterxml.jackson.databind.JsonNode")
            + System.lineSeparator(),
        err.toString(StandardCharsets.UTF_8));
  }
}
