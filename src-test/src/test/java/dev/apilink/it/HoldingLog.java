package dev.apilink.it;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Holds the thread that logs a given message until the test lets it go: a point in the proxy's work
 * where a test makes something else happen first, without sleeping. The message may be a FINE one:
 * the logger logs FINE while this is open.
 */
final class HoldingLog extends Handler implements AutoCloseable {

  private final Logger logger;
  private final Level levelBefore;
  private final String text;
  private final CountDownLatch reached = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile Thread held;

  private HoldingLog(Logger logger, String text) {
    this.logger = logger;
    this.levelBefore = logger.getLevel();
    this.text = text;
  }

  /**
   * Holds the first thread that logs a message containing {@code text} to {@code loggerName}: the
   * message as logged, before any parameters are filled in.
   */
  static HoldingLog at(String loggerName, String text) {
    HoldingLog hold = new HoldingLog(Logger.getLogger(loggerName), text);
    hold.logger.setLevel(Level.FINE);
    hold.logger.addHandler(hold);
    return hold;
  }

  @Override
  public void publish(LogRecord record) {
    String message = record.getMessage();
    if (message == null || !message.contains(text) || reached.getCount() == 0) {
      return;
    }
    held = Thread.currentThread();
    reached.countDown();
    try {
      released.await(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until a thread is held; fails after {@code timeout}. */
  void awaitHeld(Duration timeout) throws InterruptedException {
    if (!reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("nothing logged containing \"" + text + "\"");
    }
  }

  /** The thread held, once {@link #awaitHeld} has returned. */
  Thread heldThread() {
    return held;
  }

  /** Lets the held thread go on. */
  void release() {
    released.countDown();
  }

  /** Lets the held thread go on, and waits until it has left the classes under {@code pkg}. */
  void releaseAndAwaitLeft(String pkg, Duration timeout) throws InterruptedException {
    release();
    Thread thread = held;
    Await.until(
        "the held thread out of " + pkg,
        timeout,
        () ->
            Arrays.stream(thread.getStackTrace())
                .noneMatch(frame -> frame.getClassName().startsWith(pkg)),
        () -> Arrays.toString(thread.getStackTrace()));
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    released.countDown();
    logger.removeHandler(this);
    logger.setLevel(levelBefore);
  }
}
