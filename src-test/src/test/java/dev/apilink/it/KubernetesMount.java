package dev.apilink.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A directory laid out as the kubelet mounts a config map or a secret: each key is a symbolic link
 * {@code name -> ..data/name}, {@code ..data} a symbolic link to a timestamped directory that holds
 * the files. An update writes a new timestamped directory, points {@code ..data_tmp} at it, renames
 * that over {@code ..data} (the one atomic step), then deletes the old directory: the key's own
 * path never changes, and no event names it.
 */
final class KubernetesMount {

  private final Path root;
  private int version;

  private KubernetesMount(Path root) {
    this.root = root;
  }

  /** A mount at {@code root} holding {@code files} (name to content). */
  static KubernetesMount create(Path root, Map<String, String> files) throws IOException {
    KubernetesMount mount = new KubernetesMount(Files.createDirectories(root));
    mount.update(files);
    return mount;
  }

  /** The path a container reads key {@code name} by. */
  Path file(String name) {
    return root.resolve(name);
  }

  /** Replaces the mount's files with {@code files}, as the kubelet's atomic writer does. */
  void update(Map<String, String> files) throws IOException {
    Path data = root.resolve("..data");
    Path previous = Files.isSymbolicLink(data) ? root.resolve(Files.readSymbolicLink(data)) : null;
    Path next = Files.createDirectory(root.resolve("..2026_11_29_12_00_00." + ++version));
    for (Map.Entry<String, String> file : files.entrySet()) {
      Files.writeString(next.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
    }
    Path link = Files.createSymbolicLink(root.resolve("..data_tmp"), next.getFileName());
    Files.move(link, data, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    for (String name : files.keySet()) {
      Path visible = root.resolve(name);
      if (!Files.isSymbolicLink(visible)) {
        Files.createSymbolicLink(visible, Path.of("..data", name));
      }
    }
    if (previous != null) {
      try (Stream<Path> old = Files.walk(previous)) {
        for (Path path : old.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(path);
        }
      }
    }
  }
}
