package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the builder refuses at once, each with the argument's name and its value. */
class BuilderArgumentsTest {

  @TempDir Path directory;

  private static String refusal(org.junit.jupiter.api.function.Executable call) {
    return assertThrows(IllegalArgumentException.class, call).getMessage();
  }

  @Test
  void aPortOutsideTheTcpRangeIsRefused() {
    assertEquals(
        "port must be from 0 to 65535 (was 65536)",
        refusal(() -> ApimGateway.builder().port(65536)));
    assertEquals(
        "port must be from 0 to 65535 (was -1)", refusal(() -> ApimGateway.builder().port(-1)));
  }

  @Test
  void aKeyStoreThatIsNotThereIsRefused() {
    Path missing = directory.resolve("gateway.p12");

    assertEquals(
        "tls key store " + missing + " is not a readable file",
        refusal(() -> ApimGateway.builder().tls(missing, "changeit")));
  }

  @Test
  void aNegativeBackendTimeoutAndAnIdleTimeoutOfZeroAreRefused() {
    assertEquals(
        "backendTimeout must not be negative (was PT-1S)",
        refusal(() -> ApimGateway.builder().backendTimeout(Duration.ofSeconds(-1))));
    assertEquals(
        "idleConnectionTimeout must be positive (was PT0S)",
        refusal(() -> ApimGateway.builder().idleConnectionTimeout(Duration.ZERO)));
  }
}
