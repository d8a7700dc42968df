package dev.apilink.proxy;

import java.util.concurrent.atomic.LongAdder;

/**
 * How many exchanges a site has proxied, how many ended in an answer of ApiLink's own or a response
 * broken off, and how many of the gateway's answers passed on were errors, since the web
 * application started: one set for all the links that its configuration changes make, for
 * monitoring.
 */
public final class ExchangeCounts {

  private final LongAdder started = new LongAdder();
  private final LongAdder badGateway = new LongAdder();
  private final LongAdder gatewayTimeout = new LongAdder();
  private final LongAdder otherErrors = new LongAdder();
  private final LongAdder brokenOff = new LongAdder();
  private final LongAdder gatewayUnauthorized = new LongAdder();
  private final LongAdder gatewayClientErrors = new LongAdder();
  private final LongAdder gatewayServerErrors = new LongAdder();

  void start() {
    started.increment();
  }

  /**
   * An exchange that ApiLink ended itself: with an error status, or {@code 0} or less for a
   * response broken off after it had begun. A 400 is not counted: the request body could not be
   * read, the client's doing, as a path or a method that ApiLink refuses before any exchange.
   */
  void failed(int status) {
    switch (status) {
      case 400 -> {}
      case 502 -> badGateway.increment();
      case 504 -> gatewayTimeout.increment();
      default -> (status > 0 ? otherErrors : brokenOff).increment();
    }
  }

  /**
   * An {@code /api} request answered with ApiLink's 500 before any exchange, for a deployment
   * mistake (a filter that is not async-supported, a signed-in user without a name): counted with
   * the other errors, where a site that answers every request so shows it.
   */
  public void refusedAsNotSetUp() {
    otherErrors.increment();
  }

  /** The status of a gateway's answer that is passed on to the client. */
  void passedOn(int status) {
    addPassedOn(status, 1);
  }

  /**
   * A gateway's answer counted by {@link #passedOn} that did not reach the client after all: its
   * head was in the response, which was reset for an answer of ApiLink's own or broken off, counted
   * by {@link #failed}. One exchange is counted once.
   */
  void notPassedOn(int status) {
    addPassedOn(status, -1);
  }

  private void addPassedOn(int status, int count) {
    if (status >= 500) {
      gatewayServerErrors.add(count);
    } else if (status >= 400) {
      gatewayClientErrors.add(count);
      if (status == 401) {
        gatewayUnauthorized.add(count);
      }
    }
  }

  /** Exchanges started: {@code /api} requests sent to the gateway, or answered before that. */
  public long started() {
    return started.sum();
  }

  /** 502s that ApiLink answered: the gateway could not be reached, or its response was bad. */
  public long badGateway() {
    return badGateway.sum();
  }

  /** 504s that ApiLink answered: no connection, or no complete answer in time. */
  public long gatewayTimeout() {
    return gatewayTimeout.sum();
  }

  /** Other errors that ApiLink answered: 408, 413, 429, 431, 500, 503. */
  public long otherErrors() {
    return otherErrors.sum();
  }

  /** Responses broken off after they had begun: the gateway broke off, or a time limit ran out. */
  public long brokenOff() {
    return brokenOff.sum();
  }

  /** The gateway's 401s passed on: its subscription key or its token refused. */
  public long gatewayUnauthorized() {
    return gatewayUnauthorized.sum();
  }

  /** The gateway's 4xx answers passed on, its 401s included. */
  public long gatewayClientErrors() {
    return gatewayClientErrors.sum();
  }

  /** The gateway's 5xx answers passed on: of the gateway, or of the API behind it. */
  public long gatewayServerErrors() {
    return gatewayServerErrors.sum();
  }
}
