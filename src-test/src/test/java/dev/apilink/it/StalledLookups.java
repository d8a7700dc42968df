package dev.apilink.it;

import java.security.Permission;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * Host name lookups of {@link #HOST} that do not finish until this is closed, as towards a DNS
 * server that does not answer. Java 17 has no pluggable resolver (JEP 418 came in 18), but {@code
 * InetAddress} asks the security manager about each lookup before it makes it ({@code
 * checkConnect(host, -1)}): this one holds that call, and allows everything else. Where the JVM
 * does not let a security manager be set (Java 18 and later by default), the test is skipped.
 */
final class StalledLookups extends SecurityManager implements AutoCloseable {

  /** The host name whose lookups stall; it resolves nowhere once they are let go. */
  static final String HOST = "apilink-stalled-lookup.invalid";

  private final CountDownLatch released = new CountDownLatch(1);
  private final AtomicInteger stalled = new AtomicInteger();

  private StalledLookups() {}

  @SuppressWarnings("removal")
  static StalledLookups install() {
    StalledLookups lookups = new StalledLookups();
    try {
      System.setSecurityManager(lookups);
    } catch (UnsupportedOperationException e) {
      Assumptions.abort("this JVM does not allow a security manager: " + e.getMessage());
    }
    return lookups;
  }

  /** How many lookups of {@link #HOST} were held so far. */
  int stalled() {
    return stalled.get();
  }

  @Override
  public void checkConnect(String host, int port) {
    if (port == -1 && HOST.equalsIgnoreCase(host)) {
      stalled.incrementAndGet();
      try {
        released.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void checkPermission(Permission permission) {
    // everything is allowed, removing this security manager included
  }

  @Override
  public void checkPermission(Permission permission, Object context) {
    // everything is allowed
  }

  @Override
  @SuppressWarnings("removal")
  public void close() {
    released.countDown();
    System.setSecurityManager(null);
  }
}
