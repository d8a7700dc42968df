package dev.apilink.testkit.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.apilink.config.BackendConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The gateway's side of the connections that ApiLink pools. */
class ClientConnectionsTest {

  /**
   * Idle connections are closed by ApiLink (after its {@code keepAliveSeconds}), not by the gateway
   * as ApiLink reuses them: with both at 30 s a reviewer's load test got 502s for POSTs.
   */
  @Test
  void idleConnectionsAreKeptLongerThanApiLinksPoolKeepsThem() {
    try (ApimGateway gateway = ApimGateway.builder().start()) {
      assertEquals(Duration.ofMinutes(4), gateway.clientIdleTimeout());
      assertTrue(
          gateway
                  .clientIdleTimeout()
                  .compareTo(Duration.ofSeconds(BackendConfig.DEFAULT_KEEP_ALIVE_SECONDS))
              > 0);
    }
  }
}
