package dev.apilink.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the configuration and the files it names are read from: the file system, or the web
 * application for locations that start with {@code /WEB-INF/}.
 */
public interface ConfigFiles {

  /** Reads the whole file named by {@code location}, as written in the configuration. */
  byte[] read(String location) throws IOException;

  /** The file-system path behind {@code location}, when there is one (for watching it). */
  Optional<Path> path(String location);

  /**
   * Files on the file system; relative locations are taken from {@code base}. A location starting
   * with {@code /WEB-INF/} is taken from {@code webInf} when given (the {@code WEB-INF} directory
   * of an unpacked web application).
   */
  static ConfigFiles fileSystem(Path base, Optional<Path> webInf) {
    return new ConfigFiles() {
      @Override
      public byte[] read(String location) throws IOException {
        return Files.readAllBytes(resolve(location));
      }

      @Override
      public Optional<Path> path(String location) {
        return Optional.of(resolve(location));
      }

      private Path resolve(String location) {
        if (webInf.isPresent() && location.startsWith("/WEB-INF/")) {
          return webInf.get().resolve(location.substring("/WEB-INF/".length())).normalize();
        }
        return base.resolve(location).toAbsolutePath().normalize();
      }
    };
  }

  /**
   * Files under {@code root}, named by paths that start with {@code /}: the files of an unpacked
   * web application ({@code /staticwebapp.config.json} is {@code root/staticwebapp.config.json}).
   * Nothing outside {@code root} can be named.
   */
  static ConfigFiles directory(Path root) {
    Path base = root.toAbsolutePath().normalize();
    return new ConfigFiles() {
      @Override
      public byte[] read(String location) throws IOException {
        return Files.readAllBytes(
            path(location).orElseThrow(() -> new NoSuchFileException(location)));
      }

      @Override
      public Optional<Path> path(String location) {
        Path file = base.resolve(location.replaceFirst("^/+", "")).normalize();
        return file.startsWith(base) ? Optional.of(file) : Optional.empty();
      }
    };
  }
}
