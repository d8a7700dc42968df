package dev.apilink.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/** Web application archives made from the sample WAR: the same site with other files. */
public final class Wars {

  private final Path source;
  private final Map<String, byte[]> changes = new LinkedHashMap<>();
  private final Set<String> removed = new HashSet<>();

  private Wars(Path source) {
    this.source = source;
  }

  /** Starts from the WAR in {@code source}. */
  public static Wars from(Path source) {
    return new Wars(source);
  }

  /** Puts {@code content} at {@code name} (such as {@code WEB-INF/apilink.json}), replacing it. */
  public Wars with(String name, byte[] content) {
    changes.put(name, content);
    return this;
  }

  public Wars with(String name, String content) {
    return with(name, content.getBytes(StandardCharsets.UTF_8));
  }

  /** Leaves {@code name} (such as {@code WEB-INF/lib/some.jar}) out. */
  public Wars without(String name) {
    removed.add(name);
    return this;
  }

  /** Adds the file {@code file} as {@code name}. */
  public Wars with(String name, Path file) throws IOException {
    return with(name, Files.readAllBytes(file));
  }

  /** Adds the class {@code type} (and its nested classes) under {@code WEB-INF/classes}. */
  public Wars withClass(Class<?> type) throws IOException {
    String name = type.getName().replace('.', '/') + ".class";
    try (InputStream in = type.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no class file for " + type);
      }
      with("WEB-INF/classes/" + name, in.readAllBytes());
    }
    for (Class<?> nested : type.getDeclaredClasses()) {
      withClass(nested);
    }
    return this;
  }

  /** Writes the WAR to {@code target}. */
  public Path writeTo(Path target) throws IOException {
    Files.createDirectories(target.getParent());
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(source));
        OutputStream file = Files.newOutputStream(target);
        ZipOutputStream out = new ZipOutputStream(file)) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        if (!changes.containsKey(entry.getName()) && !removed.contains(entry.getName())) {
          out.putNextEntry(new ZipEntry(entry.getName()));
          in.transferTo(out);
          out.closeEntry();
        }
      }
      for (Map.Entry<String, byte[]> change : changes.entrySet()) {
        out.putNextEntry(new ZipEntry(change.getKey()));
        out.write(change.getValue());
        out.closeEntry();
      }
    }
    return target;
  }

  /** The content of {@code name} in the WAR {@code war}. */
  public static byte[] read(Path war, String name) throws IOException {
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(war))) {
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        if (entry.getName().equals(name)) {
          return in.readAllBytes();
        }
      }
    }
    throw new IllegalArgumentException(war + " has no " + name);
  }
}
