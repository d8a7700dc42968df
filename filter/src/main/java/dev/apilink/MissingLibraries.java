package dev.apilink;

import java.util.List;
import java.util.Optional;

/**
 * What to say when ApiLink's classes run without the libraries that the drop-in JAR relocates into
 * itself: {@code apilink-filter-<version>.jar}, built next to the {@code -all} JAR, copied into
 * {@code WEB-INF/lib} alone. Without this, the container reported a bare {@code
 * NoClassDefFoundError} for a Jackson class, which never named ApiLink (found by review).
 */
final class MissingLibraries {

  /** The libraries' own packages, as a {@link NoClassDefFoundError} names their classes. */
  private static final List<String> LIBRARIES =
      List.of("com/fasterxml/jackson/", "org/eclipse/jetty/", "com/nimbusds/", "org/slf4j/");

  private MissingLibraries() {}

  /**
   * What to do about {@code error}, if it is one of those libraries' classes missing; empty for any
   * other missing class.
   */
  static Optional<String> explain(NoClassDefFoundError error) {
    String missing = String.valueOf(error.getMessage());
    if (LIBRARIES.stream().noneMatch(missing::startsWith)) {
      return Optional.empty();
    }
    String version =
        Optional.ofNullable(MissingLibraries.class.getPackage().getImplementationVersion())
            .orElse("<version>");
    return Optional.of(
        "the class "
            + missing.replace('/', '.')
            + " is missing: "
            + Optional.ofNullable(MissingLibraries.class.getProtectionDomain().getCodeSource())
                .map(source -> String.valueOf(source.getLocation()))
                .orElse("its JAR")
            + " is ApiLink without the libraries it needs; use apilink-filter-"
            + version
            + "-all.jar, the only JAR ApiLink needs, in its place");
  }
}
