package dev.apilink.proxy;

import java.io.EOFException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;
import org.eclipse.jetty.client.HttpResponseException;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpMethod;

/**
 * Keeps a gateway that fails every request from flooding the container's log: a kind of failure
 * (the answer and the exception's type) is logged at most once every {@link #QUIET_SECONDS}, and
 * the next line that is logged says how many were not. A reviewer counted 71,560 lines in two
 * minutes from one gateway that was down under load.
 *
 * <p>When no line of a kind follows (the failures stopped), the count of those not logged is
 * reported by itself, {@link #QUIET_SECONDS} after the quiet time that held them back ended; and
 * when the link closes, at once. No failure goes uncounted.
 *
 * <p>It also words the parts of those lines that the exchange and the link share: the failure's
 * cause chain ({@link #describe}) and the count held back ({@link #notLoggedSince}).
 */
final class FailureLog {

  static final long QUIET_SECONDS = 10;

  private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(QUIET_SECONDS);

  /** An object's default toString, as in {@code SocketChannelEndPoint@6bfee03a}. */
  private static final Pattern OBJECT_DUMP = Pattern.compile("\\b[A-Z][\\w$]*@[0-9a-f]{1,8}\\b");

  /** Runs a task once after a delay. */
  interface Later {
    void run(Runnable task, long delayNanos);
  }

  /** Receives the count of failures of one kind that were not logged. */
  interface NotLogged {
    void report(String kind, long count);
  }

  private final LongSupplier nanoTime;
  private final Later later;
  private final NotLogged notLogged;
  private final Map<String, Kind> kinds = new ConcurrentHashMap<>();

  FailureLog(LongSupplier nanoTime, Later later, NotLogged notLogged) {
    this.nanoTime = nanoTime;
    this.later = later;
    this.notLogged = notLogged;
  }

  /**
   * Counts one failure of {@code kind}: returns how many of that kind were not logged since the
   * last one that was, if this one is to be logged; else -1.
   */
  long admit(String kind) {
    return kinds.computeIfAbsent(kind, Kind::new).admit(nanoTime.getAsLong());
  }

  /** Reports every count not logged yet, now (the link is closing). */
  void flush() {
    for (Kind kind : kinds.values()) {
      kind.reportIfLoggedAt(null);
    }
  }

  /** The end of a line that {@link FailureLog} admitted after holding back {@code notLogged}. */
  static String notLoggedSince(long notLogged) {
    return notLogged > 0
        ? " (and "
            + notLogged
            + " more like it since the last one logged; at most one every "
            + FailureLog.QUIET_SECONDS
            + " s)"
        : "";
  }

  /**
   * The cause chain in one line. Jetty's messages can be whole connection dumps (an EOFException's
   * is its connection's state, with relocated class names): those say nothing to an operator and
   * are left out, and a long message is cut.
   */
  static String describe(Throwable failure) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (text.length() > 0) {
        text.append(" <- ");
      }
      text.append(t.getClass().getSimpleName());
      String message = t.getMessage();
      Response refusal = t instanceof HttpResponseException ? GatewayError.proxyRefusal(t) : null;
      if (refusal != null) {
        message =
            "the proxy answered "
                + (HttpMethod.CONNECT.is(refusal.getRequest().getMethod()) ? "CONNECT with " : "")
                + refusal.getStatus()
                + (refusal.getReason() == null ? "" : " " + refusal.getReason());
      }
      if (message != null && OBJECT_DUMP.matcher(message).find()) {
        message = t instanceof EOFException ? "the connection closed early" : null;
      }
      if (message != null) {
        text.append(": ")
            .append(message.length() > 120 ? message.substring(0, 120) + "…" : message);
      }
    }
    return text.toString();
  }

  private final class Kind {
    private final String name;
    private boolean logged;
    private long loggedAt;
    private long notLoggedCount;

    Kind(String name) {
      this.name = name;
    }

    long admit(long now) {
      long since;
      synchronized (this) {
        if (!logged || now - loggedAt >= QUIET_NANOS) {
          long before = notLoggedCount;
          logged = true;
          loggedAt = now;
          notLoggedCount = 0;
          return before;
        }
        if (++notLoggedCount > 1) {
          return -1;
        }
        since = loggedAt;
      }
      // The first held back since the line at `since`: if no line follows within the next quiet
      // time (a failure after this one's ends is logged, with the count), report the count alone.
      later.run(() -> reportIfLoggedAt(since), since + 2 * QUIET_NANOS - now);
      return -1;
    }

    /** Reports the count, if any, unless a line was logged after {@code since} (null: whatever). */
    void reportIfLoggedAt(Long since) {
      long count;
      synchronized (this) {
        if (notLoggedCount == 0 || since != null && loggedAt != since) {
          return;
        }
        count = notLoggedCount;
        notLoggedCount = 0;
      }
      notLogged.report(name, count);
    }
  }
}
