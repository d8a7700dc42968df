package dev.apilink.it;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A bounded wait for a condition that no event announces, such as a pool's counters returning to
 * idle: the condition is re-checked every few milliseconds on a private monitor, and the wait fails
 * with what was last seen once the time is up.
 */
public final class Await {

  private static final Object MONITOR = new Object();

  private Await() {}

  public static void until(
      String what, Duration timeout, BooleanSupplier condition, Supplier<?> seen)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + " not within " + timeout + "; last seen: " + seen.get());
      }
      synchronized (MONITOR) {
        MONITOR.wait(5);
      }
    }
  }
}
