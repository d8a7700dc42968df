package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilePermissionsTest {

  @TempDir Path dir;
  Path keyFile;

  @BeforeEach
  void writeKeyFile() throws Exception {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
    keyFile = Files.writeString(dir.resolve("keys.json"), "{\"keys\": []}");
  }

  @Test
  void aKeyFileReadableByAllIsWarnedAboutNamingTheFileAndTheFix() throws Exception {
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-r--r--"));

    assertEquals(
        Optional.of(
            "ApiLink: the signing key file "
                + keyFile
                + " is readable by users other than its owner (rw-r--r--); it holds the private"
                + " key that signs the gateway's tokens. Make it readable by its owner only: chmod"
                + " 600 "
                + keyFile),
        KeyFilePermissions.warning(keyFile));
  }

  @Test
  void aKeyFileReadableByItsGroupIsWarnedAbout() throws Exception {
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("r--r-----"));

    assertTrue(KeyFilePermissions.warning(keyFile).isPresent());
  }

  @Test
  void aKeyFileWritableByOthersIsWarnedAboutNamingTheFileAndTheFix() throws Exception {
    // Every key in the file is published and applied at once: a key that someone else adds signs
    // tokens that the gateway accepts. Not warned about before.
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw--w--w-"));

    assertEquals(
        Optional.of(
            "ApiLink: the signing key file "
                + keyFile
                + " is writable by users other than its owner (rw--w--w-); whoever writes it can"
                + " add a key of their own, which ApiLink publishes and the gateway then trusts."
                + " Make it writable by its owner only: chmod 600 "
                + keyFile),
        KeyFilePermissions.warning(keyFile));
  }

  @Test
  void aKeyFileWritableByItsGroupIsWarnedAbout() throws Exception {
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw--w----"));

    assertTrue(KeyFilePermissions.warning(keyFile).isPresent());
  }

  @Test
  void aDirectoryWhereOthersCanReplaceTheKeyFileIsWarnedAboutNamingItAndTheFix() throws Exception {
    // A file only its owner may read or write is no safer when anyone may move another over it.
    Path shared = Files.createDirectory(dir.resolve("shared"));
    Path inShared = Files.writeString(shared.resolve("keys.json"), "{\"keys\": []}");
    Files.setPosixFilePermissions(inShared, PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));

    assertEquals(
        Optional.of(
            "ApiLink: the directory "
                + shared
                + " of the signing key file "
                + inShared
                + " is writable by users other than its owner (rwxrwxrwx); whoever writes it can"
                + " move a key file of their own into its place, whose keys ApiLink publishes and"
                + " the gateway then trusts. Make it writable by its owner only: chmod go-w "
                + shared),
        KeyFilePermissions.warning(inShared));

    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxr-x"));
    assertTrue(KeyFilePermissions.warning(inShared).isPresent(), "a directory its group writes");
  }

  @Test
  void aStickyDirectoryOthersMayWriteIsNotWarnedAbout() throws Exception {
    // As /tmp: there only a file's owner may rename or remove it.
    Path sticky = Files.createDirectory(dir.resolve("sticky"));
    Path inSticky = Files.writeString(sticky.resolve("keys.json"), "{\"keys\": []}");
    Files.setPosixFilePermissions(inSticky, PosixFilePermissions.fromString("rw-------"));
    Files.setAttribute(sticky, "unix:mode", 01777);

    assertEquals(Optional.empty(), KeyFilePermissions.warning(inSticky));
  }

  @Test
  void aKeyFileReadableByItsOwnerOnlyIsNotWarnedAbout() throws Exception {
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));

    assertEquals(Optional.empty(), KeyFilePermissions.warning(keyFile));
  }
}
