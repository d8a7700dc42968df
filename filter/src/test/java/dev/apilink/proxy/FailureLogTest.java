package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailureLogTest {

  private static final String REFUSED = "answered 502 (java.net.ConnectException)";
  private static final String TIMEOUT = "answered 504 (java.util.concurrent.TimeoutException)";

  private final AtomicLong now = new AtomicLong(123_456_789L);
  private final List<Scheduled> scheduled = new ArrayList<>();
  private final List<String> reported = new ArrayList<>();
  private final FailureLog log =
      new FailureLog(
          now::get,
          (task, delay) -> scheduled.add(new Scheduled(now.get() + delay, task)),
          (kind, count) -> reported.add(count + " " + kind));

  private record Scheduled(long at, Runnable task) {}

  /** Moves the clock on by {@code seconds}, running the tasks that fall due on the way. */
  private void advance(long seconds) {
    long until = now.get() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      Scheduled next =
          scheduled.stream()
              .filter(task -> task.at() <= until)
              .min((a, b) -> Long.compare(a.at(), b.at()))
              .orElse(null);
      if (next == null) {
        break;
      }
      scheduled.remove(next);
      now.set(Math.max(now.get(), next.at()));
      next.task().run();
    }
    now.set(until);
  }

  @Test
  void aKindOfFailureIsLoggedOnceEveryTenSecondsWithTheCountOfThoseNotLogged() {
    assertEquals(0, log.admit(REFUSED));
    for (int i = 0; i < 999; i++) {
      assertEquals(-1, log.admit(REFUSED));
    }
    // Another kind is logged at once.
    assertEquals(0, log.admit(TIMEOUT));

    advance(9);
    assertEquals(-1, log.admit(REFUSED));
    advance(1);
    assertEquals(1000, log.admit(REFUSED));
    advance(60);
    assertEquals(0, log.admit(REFUSED));
    assertEquals(List.of(), reported, "every count went out with a line logged");
  }

  @Test
  void whenTheFailuresStopTheCountOfThoseNotLoggedIsReportedByItself() {
    assertEquals(0, log.admit(REFUSED));
    advance(3);
    assertEquals(-1, log.admit(REFUSED));
    assertEquals(-1, log.admit(REFUSED));

    advance(16);
    assertEquals(List.of(), reported, "a failure after the quiet time could still carry the count");
    advance(1);
    assertEquals(List.of("2 " + REFUSED), reported);

    // Reported once; the next failure is logged at once, counting none.
    advance(60);
    assertEquals(List.of("2 " + REFUSED), reported);
    assertEquals(0, log.admit(REFUSED));
  }

  @Test
  void aCountThatALaterLineCarriedIsNotReportedAgain() {
    assertEquals(0, log.admit(REFUSED));
    assertEquals(-1, log.admit(REFUSED));
    advance(12);
    assertEquals(1, log.admit(REFUSED));
    assertEquals(-1, log.admit(REFUSED));

    advance(10);
    assertEquals(List.of(), reported, "the first count went out with the line at 12 s");
    advance(30);
    assertEquals(List.of("1 " + REFUSED), reported, "the one after it, held back since 12 s");
  }

  @Test
  void closingReportsEveryCountNotLoggedAtOnce() {
    assertEquals(0, log.admit(REFUSED));
    assertEquals(-1, log.admit(REFUSED));
    assertEquals(0, log.admit(TIMEOUT));

    log.flush();
    assertEquals(List.of("1 " + REFUSED), reported);
    advance(60);
    assertEquals(List.of("1 " + REFUSED), reported, "not reported twice");
  }

  @Test
  void aFailureIsDescribedWithoutJettysConnectionDumps() {
    // As a reviewer found it in the log: the EOFException's message is its connection's state.
    EOFException eof =
        new EOFException(
            "dap.OutsideParsing$BracketedConnection@1ccedc6b::dasoeji.SocketChannelEndPoint"
                + "@6bfee03a[{l=/127.0.0.1:34630,r=/127.0.0.1:18733,OPEN,fill=-,flush=-}]");
    IOException dump = new IOException("HttpConnectionOverHTTP@5e2de80c(l:/127.0.0.1:1)", eof);

    assertEquals(
        "IOException <- EOFException: the connection closed early", FailureLog.describe(dump));
    assertEquals(
        "TimeoutException: Total timeout 3000 ms elapsed",
        FailureLog.describe(new TimeoutException("Total timeout 3000 ms elapsed")));
    assertEquals(
        "IOException: mail admin@example.org",
        FailureLog.describe(new IOException("mail admin@example.org")));
  }

  /** The end of a failure's line when the quiet time held others of its kind back. */
  @Test
  void aLoggedFailureEndsWithHowManyLikeItWereNotLogged() {
    assertEquals(
        " (and 7 more like it since the last one logged; at most one every 10 s)",
        FailureLog.notLoggedSince(7));
    assertEquals("", FailureLog.notLoggedSince(0));
  }
}
