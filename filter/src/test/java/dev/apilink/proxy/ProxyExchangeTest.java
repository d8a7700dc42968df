package dev.apilink.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class ProxyExchangeTest {

  @Test
  void aFailureIsDescribedWithoutJettysConnectionDumps() {
    // As a reviewer found it in the log: the EOFException's message is its connection's state.
    EOFException eof =
        new EOFException(
            "dap.OutsideParsing$BracketedConnection@1ccedc6b::dasoeji.SocketChannelEndPoint"
                + "@6bfee03a[{l=/127.0.0.1:34630,r=/127.0.0.1:18733,OPEN,fill=-,flush=-}]");
    IOException dump = new IOException("HttpConnectionOverHTTP@5e2de80c(l:/127.0.0.1:1)", eof);

    assertEquals(
        "IOException <- EOFException: the connection closed early", ProxyExchange.describe(dump));
    assertEquals(
        "TimeoutException: Total timeout 3000 ms elapsed",
        ProxyExchange.describe(new TimeoutException("Total timeout 3000 ms elapsed")));
    assertEquals(
        "IOException: mail admin@example.org",
        ProxyExchange.describe(new IOException("mail admin@example.org")));
  }

  /** The end of a failure's line when the quiet time held others of its kind back. */
  @Test
  void aLoggedFailureEndsWithHowManyLikeItWereNotLogged() {
    assertEquals(
        " (and 7 more like it since the last one logged; at most one every 10 s)",
        ProxyExchange.notLoggedSince(7));
    assertEquals("", ProxyExchange.notLoggedSince(0));
  }

  @Test
  void aTimeoutAnywhereInTheCauseChainIsTheExchangesTimeout() {
    assertTrue(ProxyExchange.timedOut(new IOException("x", new TimeoutException("Total timeout"))));
    assertFalse(ProxyExchange.timedOut(new EOFException()));
  }
}
