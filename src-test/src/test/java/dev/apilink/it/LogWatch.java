package dev.apilink.it;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Collects what ApiLink logs, so that a test can wait for an event rather than for time. */
final class LogWatch extends Handler implements AutoCloseable {

  private final Logger logger;
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> pending = new LinkedBlockingQueue<>();
  private final List<Logged> logged = new CopyOnWriteArrayList<>();

  /** A message, the method it says it was logged from, its level and the exception it names. */
  private record Logged(String message, String source, Level level, Throwable thrown) {}

  /** What ApiLink logs. */
  LogWatch() {
    this("dev.apilink");
  }

  /** What {@code loggerName} and the loggers under it log: {@code ""} for everything. */
  LogWatch(String loggerName) {
    logger = Logger.getLogger(loggerName);
    logger.addHandler(this);
  }

  @Override
  public void publish(LogRecord record) {
    String message = record.getMessage();
    if (record.getParameters() != null) {
      message = java.text.MessageFormat.format(message, record.getParameters());
    }
    logged.add(
        new Logged(
            message,
            record.getSourceClassName() + "." + record.getSourceMethodName(),
            record.getLevel(),
            record.getThrown()));
    messages.add(message);
    pending.add(message);
  }

  /** Waits for the next message containing {@code text}; fails after {@code timeout}. */
  String await(String text, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      String message = left > 0 ? pending.poll(left, TimeUnit.NANOSECONDS) : null;
      if (message == null) {
        throw new AssertionError("nothing logged containing \"" + text + "\"; logged: " + messages);
      }
      if (message.contains(text)) {
        return message;
      }
    }
  }

  /** Every message so far that contains {@code text}. */
  List<String> all(String text) {
    return messages.stream().filter(m -> m.contains(text)).toList();
  }

  /** Every WARNING (or more severe) message so far that contains {@code text}. */
  List<String> warnings(String text) {
    return logged.stream()
        .filter(entry -> entry.level().intValue() >= Level.WARNING.intValue())
        .map(Logged::message)
        .filter(message -> message.contains(text))
        .toList();
  }

  /**
   * Every WARNING (or more severe) record so far, as its logger, message and exception: what a
   * container's log shows an operator.
   */
  List<String> warningsWithTheirExceptions() {
    return logged.stream()
        .filter(entry -> entry.level().intValue() >= Level.WARNING.intValue())
        .map(entry -> entry.source() + ": " + entry.message() + " " + entry.thrown())
        .toList();
  }

  /**
   * Where each message so far that contains {@code text} says it was logged from, as a container's
   * log shows it ({@code dev.apilink.ApiLinkFilter.init}).
   */
  List<String> sources(String text) {
    return logged.stream()
        .filter(entry -> entry.message().contains(text))
        .map(Logged::source)
        .toList();
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    logger.removeHandler(this);
  }
}
