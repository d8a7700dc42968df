package dev.apilink.proxy;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code /api} exchanges in flight on each client connection that carries several at once
 * (HTTP/2 and later), one table for all the links of a site, so that no connection holds more than
 * {@code maxRequestsPerClientConnection} of them. A connection's entry goes when its last exchange
 * ends: the table holds only connections with an exchange in flight.
 */
public final class ClientConnections {

  private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();

  /**
   * Counts one more exchange on {@code connection}, unless it has {@code max} in flight already.
   *
   * @return whether it was counted; if not, nothing was
   */
  boolean enter(String connection, int max) {
    boolean[] entered = new boolean[1];
    inFlight.compute(
        connection,
        (id, count) -> {
          int before = count == null ? 0 : count;
          entered[0] = before < max;
          return entered[0] ? before + 1 : count;
        });
    return entered[0];
  }

  /** An exchange that {@link #enter} counted on {@code connection} has ended. */
  void leave(String connection) {
    inFlight.computeIfPresent(connection, (id, count) -> count == 1 ? null : count - 1);
  }

  /** How many client connections have an exchange in flight that this table counts. */
  int connections() {
    return inFlight.size();
  }
}
