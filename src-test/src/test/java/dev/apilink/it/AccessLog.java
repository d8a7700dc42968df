package dev.apilink.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the container's access log records for each request: its path and the status the container
 * logs for it (Tomcat's {@code AccessLogValve} {@code %s}, Jetty's {@code CustomRequestLog} {@code
 * %s}), which operators count 5xx in for alerting.
 */
final class AccessLog {

  /** One line: the request's path (and query) and the status logged for it. */
  record Entry(String path, int status) {}

  private final List<Entry> entries = new ArrayList<>();

  synchronized void record(String path, int status) {
    entries.add(new Entry(path, status));
    notifyAll();
  }

  /** The status logged for the first request to {@code path}, once the container has logged it. */
  synchronized int awaitStatus(String path, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Entry entry : entries) {
        if (entry.path().equals(path)) {
          return entry.status();
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError(
            "no access log line for " + path + " within " + timeout + "; logged: " + entries);
      }
      wait(Math.max(1, left / 1_000_000));
    }
  }
}
