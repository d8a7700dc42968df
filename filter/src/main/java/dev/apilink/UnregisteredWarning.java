package dev.apilink;

import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletContext;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Says that ApiLink is not active in a web application that carries its JAR in {@code WEB-INF/lib}
 * and does not register it: a {@code web.xml} with {@code metadata-complete="true"} makes the
 * container skip the JAR's web fragment, and {@code /api} then reached the application's own
 * servlets without a word from ApiLink (found by review on Tomcat 11.0.24 and Jetty 12.1.12). The
 * containers run a JAR's initializers whatever {@code metadata-complete} says (Servlet 6.0, 8.2.4),
 * but not those of a JAR that an {@code <absolute-ordering>} leaves out, nor Jetty's for a {@code
 * web.xml} older than Servlet 3.0: those stay silent.
 *
 * <p>Compiled for Java 11 (filter/pom.xml), and naming none of ApiLink's other classes, which are
 * Java 17's: Tomcat 10.1 runs on Java 11, and loads every initializer of the JARs in its {@code
 * lib} for every application. Compiled for Java 17, its {@code UnsupportedClassVersionError}
 * stopped each of them from deploying, those that do not use ApiLink too (Tomcat 10.1.59, found by
 * review h40v); now only an application that declares the filter fails, on the filter's class.
 */
public final class UnregisteredWarning implements ServletContainerInitializer {

  /** {@code ApiLinkFilter}'s name: its class literal would load that Java 17 class. */
  static final String FILTER_CLASS = "dev.apilink.ApiLinkFilter";

  private static final Logger LOG = logger();

  @Override
  public void onStartup(Set<Class<?>> classes, ServletContext context) {
    Optional<String> warning = warning(context, UnregisteredWarning.class.getClassLoader());
    if (warning.isPresent()) {
      LOG.logp(Level.WARNING, UnregisteredWarning.class.getName(), "onStartup", warning.get());
    }
  }

  /**
   * The warning for {@code context}, if ApiLink, loaded by {@code apiLinkLoader}, is the
   * application's own and not registered there. A JAR shared by the container's applications
   * (Tomcat's {@code lib}) is loaded by another loader: each application registers ApiLink in its
   * {@code web.xml} or does not use it, and nothing is said.
   */
  static Optional<String> warning(ServletContext context, ClassLoader apiLinkLoader) {
    if (apiLinkLoader != context.getClassLoader()) {
      return Optional.empty();
    }
    boolean registered =
        context.getFilterRegistrations().values().stream()
            .anyMatch(registration -> FILTER_CLASS.equals(registration.getClassName()));
    if (registered) {
      return Optional.empty();
    }
    String path = context.getContextPath();
    String application =
        "ApiLink is not active in the web application at " + (path.isEmpty() ? "/" : path) + ": ";
    String served = "; " + path + "/api is served by the web application. ";
    int major = context.getEffectiveMajorVersion();
    int minor = context.getEffectiveMinorVersion();
    if (major < 2 || major == 2 && minor < 5) {
      // Jetty 12.1 reads no fragment for such a web.xml; Tomcat does, and never gets here.
      return Optional.of(
          application
              + "its JAR is there, but web.xml declares Servlet "
              + major
              + "."
              + minor
              + ", for which the container reads no web fragment, and does not declare the filter"
              + served
              + "Declare Servlet 6.0 there: <web-app"
              + " xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"6.0\">");
    }
    return Optional.of(
        application
            + "its JAR is there, but the container did not read the JAR's web fragment"
            + " (web.xml says metadata-complete=\"true\") and web.xml does not declare the filter"
            + served
            + "Declare ApiLink in web.xml as web.xml.example shows, or remove metadata-complete");
  }

  /**
   * The logger {@code dev.apilink} of the class loader that loaded ApiLink, as {@code
   * Loggers.named} makes it (a Java 17 class, which this one may not name).
   */
  private static Logger logger() {
    Thread current = Thread.currentThread();
    ClassLoader context = current.getContextClassLoader();
    current.setContextClassLoader(UnregisteredWarning.class.getClassLoader());
    try {
      return Logger.getLogger("dev.apilink");
    } finally {
      current.setContextClassLoader(context);
    }
  }
}
