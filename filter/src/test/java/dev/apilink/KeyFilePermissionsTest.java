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
  void aKeyFileReadableByItsOwnerOnlyIsNotWarnedAbout() throws Exception {
    Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));

    assertEquals(Optional.empty(), KeyFilePermissions.warning(keyFile));
  }
}
