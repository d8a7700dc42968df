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
 * accepts. {@code keygen > keys.json} under the usual umask makes it readable by all.
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
      return Optional.empty();
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
}
