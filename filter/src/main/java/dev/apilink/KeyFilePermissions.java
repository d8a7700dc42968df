package dev.apilink;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * Whether the signing key file is readable or writable by users other than its owner: it holds the
 * private key, and anyone who reads it, or adds a key to it, can mint tokens that the gateway
 * accepts. {@code keygen > keys.json} under the usual umask makes it readable by all. So is a
 * directory that others may write: they can replace the file.
 */
final class KeyFilePermissions {

  private KeyFilePermissions() {}

  /**
   * The warning to log for {@code keyFile}, naming the file and the fix (never the key); empty when
   * only its owner can read or write it, or when its file system has no POSIX permissions.
   */
  static Optional<String> warning(Path keyFile) {
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(keyFile);
    } catch (UnsupportedOperationException | IOException e) {
      return Optional.empty(); // not POSIX (Windows), or unreadable: loading reports that
    }
    if (!permissions.contains(PosixFilePermission.GROUP_READ)
        && !permissions.contains(PosixFilePermission.OTHERS_READ)) {
      if (permissions.contains(PosixFilePermission.GROUP_WRITE)
          || permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
        // Every key in the file is published, and a change is applied at once: whoever adds a key
        // of their own mints tokens that the gateway accepts, as whoever reads the file does.
        return Optional.of(
            "ApiLink: the signing key file "
                + keyFile
                + " is writable by users other than its owner ("
                + PosixFilePermissions.toString(permissions)
                + "); whoever writes it can add a key of their own, which ApiLink publishes and"
                + " the gateway then trusts. Make it writable by its owner only: chmod 600 "
                + keyFile);
      }
      return directoryWarning(keyFile);
    }
    return Optional.of(
        "ApiLink: the signing key file "
            + keyFile
            + " is readable by users other than its owner ("
            + PosixFilePermissions.toString(permissions)
            + "); it holds the private key that signs the gateway's tokens. Make it readable by"
            + " its owner only: chmod 600 "
            + keyFile);
  }

  /** A directory's sticky bit (as on {@code /tmp}): only a file's owner may rename it there. */
  private static final int STICKY = 01000;

  /**
   * The warning for the directory that names {@code keyFile} when others may write it without the
   * sticky bit: they can move a key file of their own into its place, as good as writing the file.
   */
  private static Optional<String> directoryWarning(Path keyFile) {
    Path directory = keyFile.toAbsolutePath().getParent();
    Set<PosixFilePermission> permissions;
    int mode;
    try {
      permissions = Files.getPosixFilePermissions(directory);
      mode = (Integer) Files.getAttribute(directory, "unix:mode");
    } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
      return Optional.empty(); // no POSIX or unix view: nothing to tell
    }
    if ((mode & STICKY) != 0
        || !permissions.contains(PosixFilePermission.GROUP_WRITE)
            && !permissions.contains(PosixFilePermission.OTHERS_WRITE)) {
      return Optional.empty();
    }
    return Optional.of(
        "ApiLink: the directory "
            + directory
            + " of the signing key file "
            + keyFile
            + " is writable by users other than its owner ("
            + PosixFilePermissions.toString(permissions)
            + "); whoever writes it can move a key file of their own into its place, whose keys"
            + " ApiLink publishes and the gateway then trusts. Make it writable by its owner"
            + " only: chmod go-w "
            + directory);
  }
}
