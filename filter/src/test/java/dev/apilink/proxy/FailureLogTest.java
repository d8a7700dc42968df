package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailureLogTest {

  @Test
  void aKindOfFailureIsLoggedOnceEveryTenSecondsWithTheCountOfThoseNotLogged() {
    AtomicLong now = new AtomicLong(123_456_789L);
    FailureLog log = new FailureLog(now::get);

    assertEquals(0, log.admit("answered 502 java.net.ConnectException"));
    for (int i = 0; i < 999; i++) {
      assertEquals(-1, log.admit("answered 502 java.net.ConnectException"));
    }
    // Another kind is logged at once.
    assertEquals(0, log.admit("answered 504 java.util.concurrent.TimeoutException"));

    now.addAndGet(TimeUnit.SECONDS.toNanos(9));
    assertEquals(-1, log.admit("answered 502 java.net.ConnectException"));
    now.addAndGet(TimeUnit.SECONDS.toNanos(1));
    assertEquals(1000, log.admit("answered 502 java.net.ConnectException"));
    now.addAndGet(TimeUnit.SECONDS.toNanos(60));
    assertEquals(0, log.admit("answered 502 java.net.ConnectException"));
  }
}
