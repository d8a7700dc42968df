package dev.apilink.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** How the end-to-end tests choose the port of a container that must be told it up front. */
class ContainerProcessTest {

  /**
   * Not from the ephemeral range, which servers started on port 0 and outgoing connections draw
   * from: a server started after the choice could be given the container's port.
   */
  @Test
  void aChosenPortIsFreeAndOutsideTheEphemeralRange() throws IOException {
    int[] ephemeral = ContainerProcess.ephemeralPorts();
    for (int i = 0; i < 50; i++) {
      int port = ContainerProcess.freePort();

      assertTrue(
          port < ephemeral[0] || port > ephemeral[1],
          port + " in " + ephemeral[0] + "-" + ephemeral[1]);
      try (ServerSocket free = new ServerSocket(port)) {
        assertTrue(free.isBound());
      }
    }
  }
}
