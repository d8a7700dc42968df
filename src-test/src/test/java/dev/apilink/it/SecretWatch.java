package dev.apilink.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Watches a test class for secrets: every log record of the JVM (ApiLink's at every level, the
 * containers' and Jetty's as configured) while the class runs, every answer read through {@link
 * RawHttp}, and every other response the tests hand to {@link #inspect}. Neither may contain the
 * subscription key or the signing key's private parts; responses may not contain the protected-file
 * marker either.
 */
final class SecretWatch extends Handler implements BeforeAllCallback, AfterAllCallback {

  private static final Logger ROOT = Logger.getLogger("");
  private static final Logger APILINK = Logger.getLogger("dev.apilink");

  private final SimpleFormatter formatter = new SimpleFormatter();
  private final List<String> leaks = new CopyOnWriteArrayList<>();
  private final AtomicLong records = new AtomicLong();
  private final AtomicLong responses = new AtomicLong();
  private Level apiLinkLevel;

  SecretWatch() {
    setLevel(Level.ALL);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    apiLinkLevel = APILINK.getLevel();
    APILINK.setLevel(Level.ALL); // FINE records too: they carry the exceptions of client failures
    ROOT.addHandler(this);
    RawHttp.watch(this::inspect);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    RawHttp.watch(null);
    ROOT.removeHandler(this);
    APILINK.setLevel(apiLinkLevel);
    System.out.printf(
        "%s: %d log records and %d responses checked for secrets%n",
        context.getDisplayName(), records.get(), responses.get());
    if (!leaks.isEmpty()) {
      fail("secrets leaked:\n" + String.join("\n", leaks));
    }
  }

  /** Fails at once if {@code response} (as the client received it) holds a secret or the marker. */
  void inspect(String what, String response) {
    responses.incrementAndGet();
    String leak = null;
    if (response.contains(Battery.MARKER)) {
      leak = what + ": a protected file was served:\n" + response;
    }
    for (String secret : Battery.secrets()) {
      if (response.contains(secret)) {
        leak = what + ": a secret reached the client:\n" + response;
      }
    }
    if (leak != null) {
      // Also failed after the class, should this run on a thread whose failure nobody reads.
      leaks.add(leak);
      fail(leak);
    }
  }

  @Override
  public void publish(LogRecord record) {
    records.incrementAndGet();
    String text;
    try {
      text = formatter.format(record); // message, parameters and the whole stack trace
    } catch (RuntimeException e) {
      text = String.valueOf(record.getMessage());
    }
    for (String secret : Battery.secrets()) {
      if (text.contains(secret)) {
        leaks.add(record.getLoggerName() + ": " + text);
      }
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {}
}
