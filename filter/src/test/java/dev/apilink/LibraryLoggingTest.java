package dev.apilink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An operator who sets {@code dev.apilink} to FINE gets ApiLink's own detail, not the relocated
 * Jetty client's, whose FINE lines list every header of each gateway request, the subscription key
 * and the token among them (found by review on Tomcat 11.0.24 and Jetty 12.1.12).
 */
class LibraryLoggingTest {

  static final Logger APILINK = Logger.getLogger("dev.apilink");
  static final Logger LIBRARIES = Logger.getLogger(ApiLinkFilter.LIBRARIES_LOGGER);
  static final Logger JETTY_CLIENT =
      Logger.getLogger(ApiLinkFilter.LIBRARIES_LOGGER + ".org.eclipse.jetty.client.HttpSender");

  @AfterEach
  void restore() {
    APILINK.setLevel(null);
    LIBRARIES.setLevel(null);
  }

  @Test
  void fineForApiLinkLeavesTheRelocatedLibrariesAtInfo() {
    APILINK.setLevel(Level.FINE);
    LIBRARIES.setLevel(null);

    ApiLinkFilter.quietLibraries();

    assertTrue(Logger.getLogger("dev.apilink.proxy").isLoggable(Level.FINE));
    assertFalse(JETTY_CLIENT.isLoggable(Level.FINE));
    assertTrue(JETTY_CLIENT.isLoggable(Level.INFO));
  }

  @Test
  void aLevelConfiguredForTheLibrariesThemselvesIsKept() {
    LIBRARIES.setLevel(Level.FINE);

    ApiLinkFilter.quietLibraries();

    assertEquals(Level.FINE, LIBRARIES.getLevel());
    assertTrue(JETTY_CLIENT.isLoggable(Level.FINE));
  }
}
